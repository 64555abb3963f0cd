"""Helpers shared by the Keras layers: config (de)serialization and initializers."""

import keras

from keras_bert.config import BertConfig


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
        return self.sub(
            keras.layers.Dense,
            units,
            activation=activation,
            kernel_initializer=initializer(self.config),
            name=name,
        )

    def make_layer_norm(self, name="LayerNorm"):
        return self.sub(keras.layers.LayerNormalization, epsilon=self.config.layer_norm_eps, name=name)
