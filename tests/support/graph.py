"""A TFBertTokenizer layer as graph functions with fixed signatures, for tests that call it often."""

import tensorflow as tf

STRINGS = tf.TensorSpec([None], tf.string)


def string_batch_function(layer):
    """fn(texts, pairs=None) running `layer` in a tf.function traced once per arity: a batch of any
    size reuses the one graph (the exact tokenizer's graph takes seconds to trace; shape-relaxed
    retracing would trace each arity twice)."""
    single = tf.function(lambda a: layer(a), input_signature=[STRINGS])
    pair = tf.function(lambda a, b: layer(a, b), input_signature=[STRINGS, STRINGS])
    return lambda a, b=None: single(a) if b is None else pair(a, b)
