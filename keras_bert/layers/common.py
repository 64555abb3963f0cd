"""Helpers shared by the Keras layers: config (de)serialization and initializers."""

import keras
import numpy as np
from keras import ops

from keras_bert.config import BertConfig


def reshape(x, dims):
    """`ops.reshape(x, dims)`, where dims may hold tensors (a dynamic batch or length): when exactly
    one is dynamic and every other is a positive int, it becomes -1, so the target shape is a
    constant. TFLite's XNNPACK delegate runs a reshape only to a constant shape (a model exported
    with a fixed length and any batch then runs whole in XNNPACK); TensorFlow is indifferent. With
    every other dim positive, -1 is unambiguous, empty tensors included."""
    dynamic = [i for i, d in enumerate(dims) if not isinstance(d, int)]
    if len(dynamic) == 1 and all(d > 0 for i, d in enumerate(dims) if i != dynamic[0]):
        dims = tuple(-1 if i == dynamic[0] else d for i, d in enumerate(dims))
    return ops.reshape(x, tuple(dims))


def as_config(config) -> BertConfig:
    """Accepts a BertConfig or its dict form (what `get_config` stores)."""
    if isinstance(config, BertConfig):
        return config
    if isinstance(config, dict):
        return BertConfig.from_dict(config)
    raise TypeError(f"config must be a BertConfig or a dict, got {type(config).__name__}")


def initializer(config: BertConfig):
    return keras.initializers.TruncatedNormal(stddev=config.initializer_range)


class ConfigLayer(keras.layers.Layer):
    """A layer built from a `BertConfig`; `get_config` stores the config as a dict."""

    def __init__(self, config, **kwargs):
        # No input autocasting: the additive float32 attention masks must reach the softmax
        # as float32 (in bfloat16 float32's most negative value rounds to -inf). The leaf
        # layers (Dense, Embedding, LayerNormalization) still cast for themselves.
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.config = as_config(config)

    def get_config(self):
        base = super().get_config()
        base["config"] = self.config.to_dict()
        return base

    def sub(self, cls, *args, **kwargs):
        """Creates a child layer that shares this layer's dtype policy."""
        kwargs.setdefault("dtype", self.dtype_policy)
        return cls(*args, **kwargs)

    def make_dense(self, units, name, activation=None):
        """A Dense projection; `BertDense` runs int8 inside `keras_bert.quantization.int8_scope`."""
        from keras_bert.layers.dense import BertDense

        return self.sub(
            BertDense,
            units,
            activation=activation,
            kernel_initializer=initializer(self.config),
            name=name,
        )

    def make_layer_norm(self, name="LayerNorm"):
        """A LayerNormalization; `BertLayerNorm` runs oneDNN's fused LayerNorm inside
        `keras_bert.layers.layer_norm.fused_layer_norm` (predict_fn)."""
        from keras_bert.layers.layer_norm import BertLayerNorm

        return self.sub(BertLayerNorm, epsilon=self.config.layer_norm_eps, name=name)


def replace_weight(layer, attr: str, value: np.ndarray):
    """Swaps `layer.<attr>` for a new variable holding `value` (its shape may differ).

    Keras locks a built layer's state; this unlocks it for the one swap. Optimizer
    slots made for the old variable are not carried over: compile after resizing.
    """
    old = getattr(layer, attr)
    layer._tracker.unlock()
    try:
        for store in (layer._trainable_variables, layer._non_trainable_variables):
            if any(v is old for v in store):
                store[:] = [v for v in store if v is not old]
        new = layer.add_weight(
            shape=value.shape,
            initializer=keras.initializers.Constant(value),
            dtype=old.dtype,
            trainable=old.trainable,
            name=old.name,
        )
        setattr(layer, attr, new)
    finally:
        layer._tracker.lock()
    return new
