"""Int8 inference on TensorFlow's oneDNN int8 kernels (`predict_fn(model, quantize="int8")`,
`export_saved_model(..., quantize="int8")`): the Keras model stays fp32; the functions built from
it run the encoder's Dense projections as int8 matmuls on kernels quantized once, when built.

- `int8_matmul.py`: the one quantized matmul (and its NumPy reference);
- `selection.py`: which layers, per row / per column choices (measured);
- `scope.py`: the scope `BertDense` reads while tracing (imports neither TensorFlow nor the layers);
- `weights.py`: `Int8Weights`, the quantized kernels as TensorFlow variables or graph constants.
"""

from keras_bert.quantization.scope import MODES, active_kernel, check_quantize, int8_scope


def int8_weights(model, constant=False):
    """Quantizes `model`'s quantizable Dense kernels once (the model is not modified): an
    `Int8Weights` (keras_bert/quantization/weights.py) to pass to `int8_scope`; `constant`: held as
    graph constants (for `predict_fn`) instead of variables (for a SavedModel)."""
    check_quantize("int8")
    from keras_bert.quantization.weights import Int8Weights

    return Int8Weights(model, constant=constant)


__all__ = ["MODES", "active_kernel", "check_quantize", "int8_scope", "int8_weights"]
