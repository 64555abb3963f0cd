"""Multi-head attention of BERT (HF `BertSelfAttention`, `BertSelfOutput`, `BertAttention`).

Dimension legend:
    B  batch              T  query length          S  key length (past + new, or encoder length)
    H  hidden_size        N  num_attention_heads   D  head_dim = H / N

Scores are laid out as matmul -> scale -> additive mask -> softmax -> matmul so
oneDNN can fuse them. The mask is additive with the most negative finite value of the
dtype it is added in, so a fully padded row yields a uniform distribution instead of NaN.

Softmax precision: in float32 models everything is float32. Under a bfloat16 compute dtype the
softmax is computed in float32 and its result rounded to bfloat16 for the context matmul. On
the TensorFlow backend the scores stay bfloat16 all the way (`softmax_in_compute_dtype`):
oneDNN's bfloat16 softmax accumulates in float32 and returns exactly the rounded float32
softmax of the same bfloat16 scores, and without the casts the matmul, scale and mask add fuse
into one kernel (`_MklFusedBatchMatMulV2`); the scores are already bfloat16 (the matmul's
output), so only the scale multiply rounds once more (exact for power-of-two head_dim).
Other backends (and float16, whose range the mask exceeds) keep the float32 casts.
"""

import math

import keras
from keras import ops

from keras_bert.layers.common import ConfigLayer, initializer, reshape
from keras_bert.layers.lowering import current_target

BF16_MIN = -3.3895313892515355e38  # bfloat16's most negative finite value (float32's rounds to -inf)


def softmax_in_compute_dtype(dtype) -> bool:
    """Whether attention scores of compute dtype `dtype` skip the float32 casts (module docstring)."""
    return keras.backend.standardize_dtype(dtype) == "bfloat16" and keras.backend.backend() == "tensorflow"


def dense_tokens(dense, x, activation=None):
    """`activation(dense(x))` for x (B, T, H_in) as one 2-D matmul: (B*T, H_in) -> (B, T, units).

    On a 2-D input Keras' Dense is MatMul directly followed by the bias add, which TF's oneDNN
    graph rewrite fuses (together with a following GELU) into one kernel; on a 3-D input a
    reshape sits between MatMul and bias add and blocks that fusion. The reshapes are free.
    """
    shape = ops.shape(x)
    y = dense(ops.reshape(x, (-1, x.shape[-1])))  # (B*T, units)
    if activation is not None:
        y = activation(y)
    return reshape(y, (shape[0], shape[1], dense.units))  # (B, T, units)


def split_heads(x, num_heads, head_dim):
    """(B, T, H) -> (B, N, T, D)."""
    shape = ops.shape(x)
    x = reshape(x, (shape[0], shape[1], num_heads, head_dim))  # (B, T, N, D)
    return ops.transpose(x, (0, 2, 1, 3))  # (B, N, T, D)


def merge_heads(x, hidden_size):
    """(B, N, T, D) -> (B, T, H)."""
    x = ops.transpose(x, (0, 2, 1, 3))  # (B, T, N, D)
    shape = ops.shape(x)
    return reshape(x, (shape[0], shape[1], hidden_size))  # (B, T, H)


@keras.saving.register_keras_serializable(package="keras_bert")
class TFBertSelfAttention(ConfigLayer):
    """Scaled dot-product attention with optional relative positions, cross-attention and cache."""

    def __init__(self, config, is_cross_attention=False, **kwargs):
        super().__init__(config, **kwargs)
        c = self.config
        self.is_cross_attention = is_cross_attention
        self.num_heads = c.num_attention_heads
        self.head_dim = c.head_dim
        self.scale = 1.0 / math.sqrt(self.head_dim)
        self.position_embedding_type = "absolute" if is_cross_attention else c.position_embedding_type
        self.query = self.make_dense(c.hidden_size, "query")
        self.key = self.make_dense(c.hidden_size, "key")
        self.value = self.make_dense(c.hidden_size, "value")
        self.dropout = keras.layers.Dropout(c.attention_probs_dropout_prob)
        if self.position_embedding_type != "absolute":
            self.distance_embedding = self.sub(
                keras.layers.Embedding,
                2 * c.max_position_embeddings - 1,
                self.head_dim,
                embeddings_initializer=initializer(c),
                name="distance_embedding",
            )

    def build(self, input_shape=None):
        h = self.config.hidden_size
        for dense in (self.query, self.key, self.value):
            dense.build((None, None, h))
        if self.position_embedding_type != "absolute":
            self.distance_embedding.build((None, None))
        self.built = True

    def get_config(self):
        return {**super().get_config(), "is_cross_attention": self.is_cross_attention}

    def _relative_scores(self, q, k, past_length):
        """Relative-position terms added to the raw scores; q (B, N, T, D), k (B, N, S, D)."""
        t, s = ops.shape(q)[2], ops.shape(k)[2]
        pos_q = (ops.arange(t, dtype="int32") + past_length)[:, None]  # (T, 1); XLA: static range
        pos_k = ops.arange(0, s, dtype="int32")[None, :]  # (1, S)
        distance = pos_q - pos_k + (self.config.max_position_embeddings - 1)  # (T, S)
        rel = ops.cast(self.distance_embedding(distance), q.dtype)  # (T, S, D)
        scores = ops.einsum("bntd,tsd->bnts", q, rel)
        if self.position_embedding_type == "relative_key_query":
            scores = scores + ops.einsum("bnsd,tsd->bnts", k, rel)
        return scores

    def call(
        self,
        hidden_states,
        attention_mask=None,
        head_mask=None,
        encoder_hidden_states=None,
        past_key_value=None,
        output_attentions=False,
        training=False,
        cache_index=None,
    ):
        """
        hidden_states: (B, T, H). attention_mask: additive float32, broadcastable to (B, N, T, S).
        head_mask: (N,) multiplier on the probabilities. past_key_value: (k, v), each (B, N, S_past, D).
        cache_index: None for a growing cache (new keys are appended); a scalar int for a fixed-size
        cache (XLA generation): past_key_value is then preallocated (B, N, S_max, D) and the new keys and
        values are written in place at positions cache_index.. (the mask hides unwritten positions).
        Returns (context (B, T, H), probabilities (B, N, T, S) or None, (k, v) for the cache).
        """
        q = split_heads(dense_tokens(self.query, hidden_states), self.num_heads, self.head_dim)  # (B, N, T, D)
        past_length = 0
        if self.is_cross_attention and past_key_value is not None:
            k, v = past_key_value  # encoder keys/values computed at the first step
        else:
            source = encoder_hidden_states if self.is_cross_attention else hidden_states
            k = split_heads(dense_tokens(self.key, source), self.num_heads, self.head_dim)  # (B, N, S, D)
            v = split_heads(dense_tokens(self.value, source), self.num_heads, self.head_dim)  # (B, N, S, D)
            if past_key_value is not None and cache_index is not None:
                past_length = cache_index
                start = (0, 0, cache_index, 0)
                k = ops.slice_update(past_key_value[0], start, ops.cast(k, past_key_value[0].dtype))  # (B, N, S_max, D)
                v = ops.slice_update(past_key_value[1], start, ops.cast(v, past_key_value[1].dtype))
            elif past_key_value is not None:
                past_length = ops.shape(past_key_value[0])[2]
                k = ops.concatenate([past_key_value[0], k], axis=2)  # (B, N, S_past + T, D)
                v = ops.concatenate([past_key_value[1], v], axis=2)

        context, probs = self.attend(q, k, v, attention_mask, head_mask, past_length, training)
        return context, (probs if output_attentions else None), (k, v)

    def attend(self, q, k, v, attention_mask=None, head_mask=None, past_length=0, training=False, merge=True):
        """The attention core: q (B, N, T, D), k and v (B, N, S, D), additive float32 mask
        broadcastable to (B, N, T, S). Returns (context (B, T, H), or (B, N, T, D) with merge=False,
        and the probabilities (B, N, T, S))."""
        scores = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2)))  # (B, N, T, S)
        if self.position_embedding_type != "absolute":
            scores = scores + self._relative_scores(q, k, past_length)
        if softmax_in_compute_dtype(scores.dtype):
            scores = scores * ops.cast(self.scale, scores.dtype)
            if attention_mask is not None:
                mask = ops.maximum(ops.cast(attention_mask, "float32"), BF16_MIN)  # finite in bfloat16
                scores = scores + ops.cast(mask, scores.dtype)
            probs = ops.softmax(scores, axis=-1)  # (B, N, T, S), float32 inside the kernel
        else:
            scores = ops.cast(scores, "float32") * self.scale
            if attention_mask is not None:
                scores = scores + ops.cast(attention_mask, "float32")
            probs = ops.softmax(scores, axis=-1)  # (B, N, T, S), float32
        probs = ops.cast(probs, self.compute_dtype)
        if head_mask is not None:
            probs = probs * ops.cast(ops.reshape(head_mask, (1, -1, 1, 1)), probs.dtype)
        context = ops.matmul(self.dropout(probs, training=training), v)  # (B, N, T, D)
        return (merge_heads(context, self.config.hidden_size) if merge else context), probs

    def _packed_qkv(self, rows, packing):
        """q, k, v (B, N, T, D) each from packed rows (P, H): the projections on the P rows, then
        one gather each into the batch layout. Inside `lowering("tflite")` (while `export_tflite`
        traces) the three projections are one matmul against the concatenated kernels, which the
        converter folds once it has frozen the weights (one FULLY_CONNECTED instead of three)."""
        n = self.num_heads
        denses = (self.query, self.key, self.value)
        plain = all(
            d.use_bias and d.activation is keras.activations.linear and d.quantization_mode is None for d in denses
        )
        if current_target() == "tflite" and plain and self.compute_dtype == "float32":
            kernel = ops.concatenate([d.kernel for d in denses], axis=-1)  # (H, 3H)
            bias = ops.concatenate([d.bias for d in denses], axis=-1)  # (3H,)
            qkv = ops.matmul(rows, kernel) + bias  # (P, 3H)
            return tuple(packing.heads_to_batch(qkv, 3 * n, i * n, n) for i in range(3))
        return tuple(packing.heads_to_batch(dense(rows), n, 0, n) for dense in denses)

    def call_packed(self, rows, packing, attention_mask):
        """Self-attention on packed rows (P, H) (see `keras_bert.layers.packing.Packing`): the
        projections run on the P rows only; q, k, v are gathered into (B, N, T, D) for the core
        and the context straight back to (P, H). attention_mask: additive, as `call`."""
        if self.is_cross_attention:
            raise ValueError("call_packed runs self-attention only; cross-attention stays on the padded path")
        q, k, v = self._packed_qkv(rows, packing)  # (B, N, T, D) each
        context, _ = self.attend(q, k, v, attention_mask, merge=False)  # (B, N, T, D)
        return packing.heads_to_rows(context)  # (P, H)


@keras.saving.register_keras_serializable(package="keras_bert")
class TFBertSelfOutput(ConfigLayer):
    """Projection to hidden_size, dropout and post-LN residual after attention (its input
    has `config.<input_size_field>` features)."""

    input_size_field = "hidden_size"

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        self.dense = self.make_dense(self.config.hidden_size, "dense")
        self.LayerNorm = self.make_layer_norm()
        self.dropout = keras.layers.Dropout(self.config.hidden_dropout_prob)

    def build(self, input_shape=None):
        self.dense.build((None, None, getattr(self.config, self.input_size_field)))
        self.LayerNorm.build((None, None, self.config.hidden_size))
        self.built = True

    def call(self, hidden_states, input_tensor, training=False):
        """hidden_states (B, T, I), input_tensor (B, T, H) -> (B, T, H). The residual is added to the
        2-D matmul output (B*T, H) directly, so oneDNN fuses the bias and residual adds into the
        matmul (as on the packed path); a reshape in between would block that."""
        shape = ops.shape(input_tensor)
        rows = self.dense(ops.reshape(hidden_states, (-1, getattr(self.config, self.input_size_field))))  # (B*T, H)
        rows = self.dropout(rows, training=training) + ops.reshape(input_tensor, (-1, self.config.hidden_size))
        return reshape(self.LayerNorm(rows), shape)  # (B, T, H)

    def call_packed(self, rows, input_rows):
        """Inference on packed rows: rows (P, I), input_rows (P, H) -> (P, H)."""
        return self.LayerNorm(self.dense(rows) + input_rows)


@keras.saving.register_keras_serializable(package="keras_bert")
class TFBertAttention(ConfigLayer):
    """Self- (or cross-) attention followed by its output block."""

    def __init__(self, config, is_cross_attention=False, **kwargs):
        super().__init__(config, **kwargs)
        self.is_cross_attention = is_cross_attention
        self.self_attention = self.sub(TFBertSelfAttention, self.config, is_cross_attention, name="self")
        self.dense_output = self.sub(TFBertSelfOutput, self.config, name="output")

    def build(self, input_shape=None):
        self.self_attention.build()
        self.dense_output.build()
        self.built = True

    def get_config(self):
        return {**super().get_config(), "is_cross_attention": self.is_cross_attention}

    def call(
        self,
        hidden_states,
        attention_mask=None,
        head_mask=None,
        encoder_hidden_states=None,
        past_key_value=None,
        output_attentions=False,
        training=False,
        cache_index=None,
    ):
        context, probs, kv = self.self_attention(
            hidden_states,
            attention_mask=attention_mask,
            head_mask=head_mask,
            encoder_hidden_states=encoder_hidden_states,
            past_key_value=past_key_value,
            output_attentions=output_attentions,
            training=training,
            cache_index=cache_index,
        )
        return self.dense_output(context, hidden_states, training=training), probs, kv

    def call_packed(self, rows, packing, attention_mask):
        """Inference on packed rows (P, H) -> (P, H); see `TFBertSelfAttention.call_packed`."""
        return self.dense_output.call_packed(self.self_attention.call_packed(rows, packing, attention_mask), rows)
