"""TFBertTokenizer's text inputs, taken as transformers 4.x takes them.

A call gets Python strings, lists, tuples or NumPy arrays as well as tensors, positionally or
by keyword; a pair comes as two (B,) inputs or as one (B, 2) string tensor (column 0 the text,
column 1 its pair), exactly as `transformers.TFBertTokenizer` splits a rank-2 input. Python
strings are encoded to UTF-8 with lone surrogates passed through as (invalid) bytes, which the
graph replaces by U+FFFD and then drops: the result equals `BertTokenizer` on the same `str`,
whose clean-up drops surrogates (category Cs) as control characters.
"""

import numpy as np
import tensorflow as tf


def _encode(value, where):
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value)
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise ValueError(f"{where} must hold strings, got {type(value).__name__} {value!r}")


def as_text_tensor(value, name):
    """Python or NumPy text -> a tf.string tensor; tensors and Keras symbolic inputs pass through."""
    if isinstance(value, (str, bytes, list, tuple)) or (isinstance(value, np.ndarray) and value.dtype.kind in "OUS"):
        encoded = _encode(value, name)
        if isinstance(encoded, list) and not encoded:
            return tf.constant([], tf.string)
        return tf.constant(encoded, tf.string)
    return value


def batch_inputs(text, text_pair):
    """(text, text_pair) -> two (B,) string tensors (the second None for single texts)."""
    text = _string_tensor(text, "text")
    if text_pair is not None:
        text_pair = _string_tensor(text_pair, "text_pair")
        for name, t in (("text", text), ("text_pair", text_pair)):
            if t.shape.rank is not None and t.shape.rank > 1:
                raise ValueError(
                    f"{name} must be a (batch,) string tensor when text_pair is given, got shape {t.shape}"
                )
        text, text_pair = tf.reshape(text, [-1]), tf.reshape(text_pair, [-1])
        return text, _same_size(text, text_pair)
    if text.shape.rank == 2:
        if text.shape[1] is not None and text.shape[1] != 2:
            raise ValueError(f"A rank-2 text must have shape (batch, 2) (text, text_pair), got {text.shape}")
        return text[:, 0], text[:, 1]
    if text.shape.rank is not None and text.shape.rank > 2:
        raise ValueError(f"text must be a string, (batch,) or (batch, 2) tensor, got shape {text.shape}")
    return tf.reshape(text, [-1]), None


def _same_size(text, text_pair):
    """text_pair, checked to hold one string per string of text."""
    message = "text and text_pair must hold the same number of strings"
    if text.shape[0] is not None and text_pair.shape[0] is not None:
        if text.shape[0] != text_pair.shape[0]:
            raise ValueError(f"{message}, got {text.shape[0]} and {text_pair.shape[0]}")
        return text_pair
    with tf.control_dependencies([tf.debugging.assert_equal(tf.size(text), tf.size(text_pair), message=message)]):
        return tf.identity(text_pair)


def _string_tensor(value, name):
    value = tf.convert_to_tensor(as_text_tensor(value, name))
    if value.dtype != tf.string:
        raise ValueError(f"{name} must be a tf.string tensor, got dtype {value.dtype.name}")
    return value
