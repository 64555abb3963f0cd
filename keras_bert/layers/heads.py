"""Head layers: the MLM prediction head (decoder tied to the word embeddings), NSP and the
`cls` containers named as in HF (`cls.predictions.*`, `cls.seq_relationship`)."""

import keras
from keras import ops

from keras_bert.layers.activations import get_activation
from keras_bert.layers.common import ConfigLayer, replace_weight


@keras.saving.register_keras_serializable(package="keras_bert")
class TFBertPredictionHeadTransform(ConfigLayer):
    """dense -> hidden_act -> LayerNorm, applied before the vocabulary projection."""

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        self.dense = self.make_dense(self.config.hidden_size, "dense")
        self.activation = get_activation(self.config.hidden_act)
        self.LayerNorm = self.make_layer_norm()

    def build(self, input_shape=None):
        h = self.config.hidden_size
        self.dense.build((None, None, h))
        self.LayerNorm.build((None, None, h))
        self.built = True

    def call(self, hidden_states):
        return self.LayerNorm(self.activation(self.dense(hidden_states)))


@keras.saving.register_keras_serializable(package="keras_bert")
class TFBertLMPredictionHead(ConfigLayer):
    """Vocabulary logits. Tied (`config.tie_word_embeddings`, the default): the decoder matrix is
    the word-embedding variable, passed at call time so there is one variable, not a copy, and
    the output bias is this layer's `bias` (`cls.predictions.bias`). Untied: a Dense layer
    `decoder` holds its own matrix and bias (`cls.predictions.decoder.{weight,bias}`), as in
    transformers 5."""

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        self.transform = self.sub(TFBertPredictionHeadTransform, self.config, name="transform")
        self.tied = self.config.tie_word_embeddings
        if not self.tied:
            self.decoder = self.make_dense(self.config.vocab_size, "decoder")

    def build(self, input_shape=None):
        self.transform.build()
        if self.tied:
            self.bias = self.add_weight(name="bias", shape=(self.config.vocab_size,), initializer="zeros")
        else:
            self.decoder.build((None, self.config.hidden_size))
        self.built = True

    def call(self, hidden_states, word_embeddings):
        """hidden_states (B, T, H), word_embeddings (V, H) -> logits (B, T, V)."""
        x = self.transform(hidden_states)
        if not self.tied:
            return self.decoder(x)
        logits = ops.matmul(x, ops.transpose(ops.cast(word_embeddings, x.dtype)))
        return logits + ops.cast(self.bias, x.dtype)

    def get_bias(self):
        """The output bias as transformers 4.x returns it: `{"bias": variable}` of shape (V,)."""
        return {"bias": self.bias if self.tied else self.decoder.bias}

    def set_bias(self, value):
        """Sets the output bias from `{"bias": array}` of the current vocabulary size (V,)."""
        if not isinstance(value, dict) or set(value) != {"bias"}:
            raise ValueError(f"set_bias expects {{'bias': array}} as get_bias returns, got {value!r}")
        variable = self.get_bias()["bias"]
        array = ops.convert_to_numpy(value["bias"])
        if tuple(array.shape) != tuple(variable.shape):
            raise ValueError(
                f"set_bias: the bias has shape {tuple(variable.shape)}, got {tuple(array.shape)}; "
                "use resize_token_embeddings to change the vocabulary size"
            )
        variable.assign(array.astype(variable.dtype))

    def resize(self, rows: int, resized):
        """New vocabulary size; `resized(variable, axis, normal)` gives the new array."""
        if self.tied:
            replace_weight(self, "bias", resized(self.bias, 0, False))
            return
        replace_weight(self.decoder, "_kernel", resized(self.decoder.kernel, 1, True))  # (H, V)
        replace_weight(self.decoder, "bias", resized(self.decoder.bias, 0, False))
        self.decoder.units = rows


@keras.saving.register_keras_serializable(package="keras_bert")
class TFBertClsHeads(ConfigLayer):
    """HF's `cls` module: `predictions` (MLM) and/or `seq_relationship` (NSP)."""

    def __init__(self, config, mlm=True, nsp=True, **kwargs):
        super().__init__(config, **kwargs)
        self.mlm, self.nsp = mlm, nsp
        if mlm:
            self.predictions = self.sub(TFBertLMPredictionHead, self.config, name="predictions")
        if nsp:
            self.seq_relationship = self.make_dense(2, "seq_relationship")

    def build(self, input_shape=None):
        if self.mlm:
            self.predictions.build()
        if self.nsp:
            self.seq_relationship.build((None, self.config.hidden_size))
        self.built = True

    def get_config(self):
        return {**super().get_config(), "mlm": self.mlm, "nsp": self.nsp}

    def call(self, sequence_output=None, pooled_output=None, word_embeddings=None):
        """Returns (MLM logits (B, T, V) or None, NSP logits (B, 2) or None)."""
        mlm = self.predictions(sequence_output, word_embeddings) if self.mlm else None
        nsp = self.seq_relationship(pooled_output) if self.nsp else None
        return mlm, nsp
