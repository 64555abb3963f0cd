"""`BertDense`: Keras' Dense, plus an int8 path taken only inside `keras_bert.quantization.int8_scope`.

Every projection of the model is built by `ConfigLayer.make_dense` as a `BertDense`. Its weights,
names, config and fp32 results are Dense's; while a `predict_fn(..., quantize="int8")` or an int8
export traces the model, the scope hands it int8 kernels quantized once from its own, and `call`
runs `int8_matmul` (keras_bert/quantization/int8_matmul.py) instead of the fp32 product. The
layer and its variables are never modified.
"""

import keras
from keras import ops

from keras_bert.quantization.scope import active_kernel


@keras.saving.register_keras_serializable(package="keras_bert")
class BertDense(keras.layers.Dense):
    def quantize(self, mode=None, type_check=True, config=None):
        """Keras' own `model.quantize(...)` applies as to Dense (Keras refuses Dense subclasses by
        default; this one adds no state)."""
        return super().quantize(mode, type_check=False, config=config)

    def call(self, inputs, training=None):
        quantized = active_kernel(self)  # a keras_bert.quantization.weights.QuantizedDense, or None
        if quantized is None:
            return super().call(inputs, training=training)
        shape = ops.shape(inputs)
        x = ops.reshape(ops.cast(inputs, "float32"), (-1, inputs.shape[-1]))  # (M, K)
        y = quantized(x, self.bias if self.use_bias else None)  # (M, N) float32
        if len(inputs.shape) != 2:
            y = ops.reshape(y, tuple(shape[:-1]) + (self.units,))  # (..., N)
        if self.activation is not None:
            y = self.activation(y)
        return ops.cast(y, self.compute_dtype)
