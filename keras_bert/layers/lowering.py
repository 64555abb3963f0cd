"""What the layers trace to, by the graph's destination: Keras' ops (the default), or the forms a
runtime or converter runs best, inside a scope that `predict_fn` and `export_tflite` open while
they trace.

- "onednn" (`predict_fn` on TensorFlow, `fused_layer_norm()`): `BertLayerNorm` runs oneDNN's
  one-op LayerNorm (`keras_bert.layers.layer_norm`).
- "tflite" (`export_tflite`): `BertLayerNorm` uses the formula TFLite's XNNPACK delegate runs in
  the fewest ops, and packed self-attention projects q, k and v with one matmul against the three
  kernels concatenated (the converter freezes the weights and folds the concatenation into one
  constant).

Values are the default graph's within float32 rounding.
"""

import contextlib
import threading

_active = threading.local()


@contextlib.contextmanager
def lowering(target):
    """Inside, layers trace for `target` ("onednn" or "tflite"); scopes nest, the innermost wins."""
    if target not in ("onednn", "tflite"):
        raise ValueError(f"lowering target must be 'onednn' or 'tflite', got {target!r}")
    previous = getattr(_active, "target", None)
    _active.target = target
    try:
        yield
    finally:
        _active.target = previous


def current_target():
    """The innermost active `lowering` target, or None (Keras' ops)."""
    return getattr(_active, "target", None)
