"""Export a BERT checkpoint's TFBertModel to a TFLite file (the peers' TFLite contenders).

    <main .venv python> tflite_export.py CHECKPOINT_DIR OUT_FILE [--quantize int8] [--unpadded]

keras_bert.export_tflite(outputs=["last_hidden_state"], quantize=..., unpadded=...), written
atomically (OUT_FILE complete or absent). Run by sections/peers.py in its own process, one file at
a time, before the workers start: converting BERT-base peaks at ~4-5 GB, too much beside them.
"""

from __future__ import annotations

import argparse
import os
import time


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("checkpoint")
    p.add_argument("out")
    p.add_argument("--quantize", choices=("int8",))
    p.add_argument("--unpadded", action="store_true")
    args = p.parse_args(argv)
    import tensorflow as tf

    threads = int(os.environ.get("OMP_NUM_THREADS", "2"))
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    import keras_bert

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    started = time.perf_counter()
    model = keras_bert.TFBertModel.from_pretrained(args.checkpoint)
    keras_bert.export_tflite(
        model,
        args.out,
        outputs=["last_hidden_state"],
        quantize=args.quantize,
        unpadded=args.unpadded,
        overwrite=True,
    )
    print(f"exported {args.out} in {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
