"""Int8 inference on TensorFlow's oneDNN int8 kernels (`predict_fn(model, quantize="int8")`,
`export_saved_model(..., quantize="int8")`): the Keras model stays fp32; the functions built from
it run the encoder's Dense projections as int8 matmuls on kernels quantized once, when built.

- `int8_matmul.py`: the one quantized matmul (and its NumPy reference);
- `scope.py`: which layers, and the scope `BertDense` reads while tracing (no TensorFlow import);
- `weights.py`: `Int8Weights`, the quantized kernels as TensorFlow variables.
"""

from keras_bert.quantization.scope import MODES, active_kernel, check_quantize, int8_scope, int8_weights

__all__ = ["MODES", "active_kernel", "check_quantize", "int8_scope", "int8_weights"]
