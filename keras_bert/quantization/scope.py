"""Where quantized Dense layers find their int8 weights: a scope entered while tracing.

The Keras model stays fp32 and unchanged. `int8_weights(model)` quantizes the chosen Dense kernels
once into non-trainable `tf.Variable`s (`Int8Weights`, keras_bert/quantization/weights.py: a
SavedModel stores them, tf.functions capture them); inside `with int8_scope(weights):`,
`BertDense.call` (keras_bert/layers/dense.py) runs `int8_matmul` for exactly those layers. Outside
the scope, or for any other layer, Dense is fp32. No TensorFlow and no layer import here: the
layers import this module.

Which layers, and how finely each is quantized: keras_bert/quantization/selection.py.
"""

from __future__ import annotations

import contextlib
import threading

MODES = ("int8",)

_active = threading.local()


def check_quantize(quantize):
    """None or "int8"; anything else is a ValueError naming the value. "int8" needs Keras on TensorFlow."""
    if quantize is None:
        return None
    if quantize not in MODES:
        raise ValueError(f"quantize must be None or one of {MODES}, got {quantize!r}")
    from keras_bert.backend import require_tensorflow_backend

    require_tensorflow_backend(f"quantize={quantize!r} (TensorFlow's oneDNN int8 kernels)")
    return quantize


@contextlib.contextmanager
def int8_scope(weights):
    """Inside, `BertDense` layers listed in `weights` run int8 (`weights` None: a no-op scope)."""
    stack = getattr(_active, "stack", None)
    if stack is None:
        stack = _active.stack = []
    stack.append(weights)
    try:
        yield weights
    finally:
        stack.pop()


def active_kernel(layer):
    """The innermost scope's quantized kernel for `layer` (a callable `(x, bias) -> y`), or None (fp32)."""
    stack = getattr(_active, "stack", None)
    if not stack or stack[-1] is None:
        return None
    return stack[-1].lookup(layer)
