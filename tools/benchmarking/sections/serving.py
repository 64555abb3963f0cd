"""(d) Serving latency of an exported SavedModel: strings in (in-graph tokenizer) vs token ids in.

Exports MiniLM as a classifier, loads the SavedModel as TF Serving would (tf.saved_model.load;
no keras_bert code on the request path), and times `serving_default(text)` against
`serving_ids(...)` on the same sentences, interleaved: p50/p95 latency and the tokenizer's share.
"""

from __future__ import annotations

import os
import random
import tempfile
import time

import numpy as np

WORDS = (
    "the service was friendly and quick but the food arrived cold so we asked for a refund "
    "naïve café Straße 東京 I loved every minute of this wonderful film would not recommend"
).split()


def sentences(n, seed=0):
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 40))) for _ in range(n)]


def percentiles_ms(samples):
    ms = np.asarray(samples) * 1e3
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def run(context):
    """Rows {name, batch, p50_ms, p95_ms, vs_ids} for strings->outputs and ids->outputs."""
    import tensorflow as tf

    import keras_bert
    from keras_bert.serving import export_saved_model

    from ..workload import minilm_dir

    model_dir = minilm_dir()
    tokenizer = keras_bert.BertTokenizer.from_pretrained(model_dir)
    model = keras_bert.TFBertForSequenceClassification.from_pretrained(model_dir, num_labels=2)
    repeats = 15 if context.quick else 60
    rows = []
    with tempfile.TemporaryDirectory(dir=context.workdir) as tmp:
        path = export_saved_model(model, tokenizer, os.path.join(tmp, "m", "1"), max_length=128)
        loaded = tf.saved_model.load(path)
        text_fn, ids_fn = loaded.signatures["serving_default"], loaded.signatures["serving_ids"]
        for batch in (1, 32):
            texts = sentences(batch, seed=batch)
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
            ids_p50, ids_p95 = percentiles_ms(timings["ids"])
            text_p50, text_p95 = percentiles_ms(timings["text"])
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
