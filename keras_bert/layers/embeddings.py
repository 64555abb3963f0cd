"""Word + token-type + position embeddings, LayerNorm and dropout (HF `BertEmbeddings`).

The tables are read through `lookup`, which gathers rows before casting them to the compute dtype:
under mixed precision Keras' `Embedding` reads its table through autocast, which casts the whole
(V, H) table on every call (BERT-base: 23M values, ~35 ms on 2 cores, as much as the rest of a
1x128 bf16 forward's non-matmul work) and then gathers the few rows it needs.
"""

import keras
from keras import ops

from keras_bert.layers.common import ConfigLayer, initializer


def lookup(embedding, ids):
    """`embedding(ids)` with the rows gathered from the table first and cast afterwards (same values:
    a cast is elementwise). Runs where no autocast scope is open (`ConfigLayer`s clear it; the
    packed path calls it outside any layer call), so the table is read in its variable dtype.
    Quantized tables keep Keras' own call. Other integer ids (uint8, int16, ...) are cast to int32
    first, as Keras' Embedding does (a gather takes int32/int64 indices only)."""
    if embedding.quantization_mode is not None:
        return embedding(ids)
    if keras.backend.standardize_dtype(ids.dtype) not in ("int32", "int64"):
        ids = ops.cast(ids, "int32")
    return ops.cast(ops.take(embedding.embeddings, ids, axis=0), embedding.compute_dtype)


@keras.saving.register_keras_serializable(package="keras_bert")
class TFBertEmbeddings(ConfigLayer):
    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        c = self.config
        self.word_embeddings = self._embedding(c.vocab_size, "word_embeddings")
        self.position_embeddings = self._embedding(c.max_position_embeddings, "position_embeddings")
        self.token_type_embeddings = self._embedding(c.type_vocab_size, "token_type_embeddings")
        self.LayerNorm = self.make_layer_norm()
        self.dropout = keras.layers.Dropout(c.hidden_dropout_prob)

    def _embedding(self, rows, name):
        return self.sub(
            keras.layers.Embedding,
            rows,
            self.config.hidden_size,
            embeddings_initializer=initializer(self.config),
            name=name,
        )

    def build(self, input_shape=None):
        # Variables exist before the first call, so weights can be loaded right away.
        self.word_embeddings.build((None, None))
        self.position_embeddings.build((None, None))
        self.token_type_embeddings.build((None, None))
        self.LayerNorm.build((None, None, self.config.hidden_size))
        self.built = True

    def call(
        self,
        input_ids=None,
        token_type_ids=None,
        position_ids=None,
        inputs_embeds=None,
        past_key_values_length=0,
        training=False,
    ):
        if inputs_embeds is None:
            inputs_embeds = lookup(self.word_embeddings, input_ids)
        shape = ops.shape(inputs_embeds)  # (B, T, H)
        if position_ids is None:
            position_ids = ops.arange(past_key_values_length, past_key_values_length + shape[1], dtype="int32")
            position_ids = ops.expand_dims(position_ids, 0)  # (1, T)
        if token_type_ids is None:
            token_type_ids = ops.zeros(shape[:2], dtype="int32")
        x = inputs_embeds + lookup(self.token_type_embeddings, token_type_ids)
        if self.config.position_embedding_type == "absolute":
            # Relative models keep the table (checkpoints have it) but do not add it (as HF).
            x = x + lookup(self.position_embeddings, position_ids)
        x = self.LayerNorm(x)
        return self.dropout(x, training=training)

    def call_packed(self, input_ids, token_type_ids, position_ids):
        """Inference on packed rows: ids, types and each token's position in its sequence, all
        (P,) -> (P, H); the same sum and LayerNorm as `call`."""
        x = lookup(self.word_embeddings, input_ids) + lookup(self.token_type_embeddings, token_type_ids)
        if self.config.position_embedding_type == "absolute":
            x = x + lookup(self.position_embeddings, position_ids)
        return self.LayerNorm(x)
