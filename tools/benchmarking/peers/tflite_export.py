"""Export a BERT checkpoint's TFBertModel to an int8 TFLite file (the peers' TFLite contender).

    <main .venv python> tflite_export.py CHECKPOINT_DIR OUT_FILE

keras_bert.export_tflite(outputs=["last_hidden_state"], quantize="int8"): dynamic-range int8,
written atomically (OUT_FILE complete or absent). Run by sections/peers.py in its own process before
the int8 group's workers start: converting BERT-base peaks at ~13 GB, too much beside them.
"""

from __future__ import annotations

import os
import sys
import time


def main(checkpoint, out):
    import tensorflow as tf

    threads = int(os.environ.get("OMP_NUM_THREADS", "2"))
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    import keras_bert

    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    started = time.perf_counter()
    model = keras_bert.TFBertModel.from_pretrained(checkpoint)
    keras_bert.export_tflite(model, out, outputs=["last_hidden_state"], quantize="int8", overwrite=True)
    print(f"exported {out} in {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
