"""`Int8Weights`: a model's quantizable Dense kernels, quantized once, as TensorFlow variables or
graph constants.

A `tf.Module`. As variables (`constant=False`, for an export), a SavedModel that holds it stores the
int8 kernels (a quarter of the fp32 bytes) and the functions traced inside `int8_scope(weights)`
capture them. As constants (`constant=True`, for `predict_fn`), each traced graph holds them as
`Const` nodes: oneDNN then keeps its re-laid-out copy of each kernel instead of re-laying it out on
every call (1.46x the variable form for BERT-base at 1x128, 1.1x at 8x128, measured side by side).
TensorFlow only.
"""

from __future__ import annotations

import tensorflow as tf

from keras_bert.quantization.int8_matmul import QuantizedKernel
from keras_bert.quantization.selection import quantizable_layers


class QuantizedDense(tf.Module):
    """One layer's int8 kernel and what `int8_matmul` needs with it."""

    def __init__(self, kernel: QuantizedKernel, per_row: bool, name: str, constant: bool = False):
        super().__init__(name=name)
        if constant:
            self._values = kernel.values  # (K, N) int8 NumPy: a graph constant in each trace
        else:
            self.values = tf.Variable(kernel.values, trainable=False, name="int8_kernel")  # (K, N)
        if kernel.per_channel:
            self.scale = tf.Variable(kernel.scale, trainable=False, name="scale")  # (N,)
        else:
            self.scale = float(kernel.scale)  # a constant of the graph
        self.column_sums = tf.Variable(kernel.column_sums, trainable=False, name="column_sums")  # (N,)
        self.integer_column_sums = tf.Variable(
            kernel.integer_column_sums, trainable=False, name="integer_column_sums"
        )  # (N,)
        self.per_row = per_row

    def __call__(self, x, bias=None):
        from keras_bert.quantization.int8_matmul import int8_matmul

        values = getattr(self, "values", None)
        if values is None:
            values = tf.constant(self._values, dtype=tf.qint8)  # (K, N) qint8 Const
        return int8_matmul(
            x, values, self.scale, self.column_sums, self.integer_column_sums, bias, per_row=self.per_row
        )


class Int8Weights(tf.Module):
    """`dense[i]` (a `QuantizedDense`) for the i-th of `quantizable_layers(model)`. The Keras layers
    are referenced by identity, not tracked (the model saves them). `constant`: kernels as graph
    constants instead of variables (module docstring)."""

    def __init__(self, model, constant: bool = False):
        super().__init__(name="int8_weights")
        if not model.built:
            model.build()
        chosen = quantizable_layers(model)
        if not chosen:
            raise ValueError(f"{type(model).__name__} has no Dense layer that int8 quantization applies to")
        self.dense = []
        for i, (layer, granularity) in enumerate(chosen):
            if getattr(layer, "quantization_mode", None) is not None:
                raise ValueError(
                    f"{layer.path} was quantized by Keras (model.quantize({layer.quantization_mode!r})); "
                    "quantize='int8' needs the fp32 model"
                )
            kernel = QuantizedKernel.from_kernel(layer.kernel.numpy(), per_channel=granularity.per_channel)
            self.dense.append(QuantizedDense(kernel, granularity.per_row, name=f"dense_{i}", constant=constant))
        self._index = {id(layer): i for i, (layer, _) in enumerate(chosen)}
        self._paths = tuple(layer.path for layer, _ in chosen)
        self._replaced = frozenset(id(layer.kernel) for layer, _ in chosen)  # ids: not tracked

    def replaces(self, variable) -> bool:
        """Whether `variable` is the fp32 kernel of a layer that runs int8 here (an int8 export
        does not need to save it)."""
        return id(variable) in self._replaced

    @property
    def layer_paths(self) -> tuple:
        """Keras paths of the quantized layers, in model order."""
        return self._paths

    def lookup(self, layer):
        """The `QuantizedDense` for `layer`, or None if it stays fp32."""
        i = self._index.get(id(layer))
        return None if i is None else self.dense[i]
