"""Retraces after warm-up: predict_fn across 20 calls of mixed batch sizes and lengths.

predict_fn promises one trace for every shape; a plain `tf.function` is shown for contrast.
"""

from __future__ import annotations

import numpy as np

from ..workload import random_batch


def run(context):
    import tensorflow as tf

    import keras_bert

    model = keras_bert.TFBertModel.from_pretrained(context.checkpoints["minilm"])
    rng = np.random.default_rng(1)
    shapes = [(int(rng.choice([1, 2, 3, 5, 8])), int(rng.choice([7, 16, 33, 64, 100]))) for _ in range(20)]
    rows = []
    variants = [("predict_fn (tf.function, None dims)", {})]
    if not context.quick:  # XLA still compiles one program per bucketed shape (not a retrace, but slow)
        variants.append(("predict_fn (XLA, length buckets of 64)", {"jit_compile": True, "pad_to_multiple_of": 64}))
    for label, kwargs in variants:
        fn = keras_bert.predict_fn(model, outputs=["last_hidden_state"], **kwargs)
        fn(*random_batch(2, 16, 30000))  # warm-up
        after_warmup = fn.tracing_count
        for b, t in shapes:
            out = fn(*random_batch(b, t, 30000))["last_hidden_state"]
            if tuple(out.shape[:2]) != (b, t):
                raise AssertionError(f"{label}: output shape {tuple(out.shape)} for a {b}x{t} batch")
        rows.append(
            dict(
                function=label,
                calls=len(shapes),
                traces_after_warmup=fn.tracing_count - after_warmup,
                distinct_shapes=len(set(shapes)),
            )
        )
    plain = tf.function(lambda i, m: model(input_ids=i, attention_mask=m).last_hidden_state)
    plain(*random_batch(2, 16, 30000))
    before = plain.experimental_get_tracing_count()
    for b, t in shapes:
        plain(*random_batch(b, t, 30000))
    rows.append(
        dict(
            function="plain tf.function (no signature), for contrast",
            calls=len(shapes),
            traces_after_warmup=plain.experimental_get_tracing_count() - before,
            distinct_shapes=len(set(shapes)),
        )
    )
    return rows
