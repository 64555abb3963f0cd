"""`TFBertMainLayer`: embeddings -> encoder -> pooler, with HF's call signature and masks."""

import keras
from keras import ops

from keras_bert.contract import config_defaults, cross_attention_inputs
from keras_bert.layers.common import ConfigLayer
from keras_bert.layers.embeddings import TFBertEmbeddings
from keras_bert.layers.encoder import TFBertEncoder, TFBertPooler
from keras_bert.outputs import TFBaseModelOutputWithPoolingAndCrossAttentions

NEG_INF = -3.4028234663852886e38  # float32's most negative finite value; masks are float32


def additive_mask(mask):
    """0/1 mask (B, S) or (B, T, S) -> additive float32 mask broadcastable to (B, N, T, S)."""
    mask = ops.cast(mask, "float32")
    # expand_dims, not mask[:, None, None, :]: the TFLite converter rejects a strided slice that
    # adds axes to a tensor of unknown shape (keras_bert/serving/tflite.py).
    if len(mask.shape) == 2:
        mask = ops.expand_dims(ops.expand_dims(mask, 1), 1)  # (B, 1, 1, S)
    elif len(mask.shape) == 3:
        mask = ops.expand_dims(mask, 1)  # (B, 1, T, S)
    return (1.0 - mask) * NEG_INF


def causal_mask(mask, query_length, past_length):
    """Padding mask (B, S) combined with causality: query i sees keys j <= past_length + i."""
    key_length = ops.shape(mask)[1]
    rows = ops.arange(query_length, dtype="int32")[:, None] + past_length  # (T, 1)
    cols = ops.arange(key_length, dtype="int32")[None, :]  # (1, S)
    causal = ops.cast(cols <= rows, "float32")  # (T, S)
    return ops.cast(mask, "float32")[:, None, :] * causal[None]  # (B, T, S)


def head_mask_per_layer(head_mask, num_layers):
    """(N,) or (L, N) multipliers -> (L, N) float32, or None."""
    if head_mask is None:
        return None
    head_mask = ops.cast(ops.convert_to_tensor(head_mask), "float32")
    if len(head_mask.shape) == 1:
        head_mask = ops.broadcast_to(head_mask[None, :], (num_layers, head_mask.shape[0]))
    return head_mask


@keras.saving.register_keras_serializable(package="keras_bert")
class TFBertMainLayer(ConfigLayer):
    """The BERT encoder. Outputs `TFBaseModelOutputWithPoolingAndCrossAttentions`."""

    def __init__(self, config, add_pooling_layer=True, **kwargs):
        super().__init__(config, **kwargs)
        self.add_pooling_layer = add_pooling_layer
        self.embeddings = self.sub(TFBertEmbeddings, self.config, name="embeddings")
        self.encoder = self.sub(TFBertEncoder, self.config, name="encoder")
        self.pooler = self.sub(TFBertPooler, self.config, name="pooler") if add_pooling_layer else None

    def build(self, input_shape=None):
        self.embeddings.build()
        self.encoder.build()
        if self.pooler is not None:
            self.pooler.build()
        self.built = True

    def get_config(self):
        return {**super().get_config(), "add_pooling_layer": self.add_pooling_layer}

    def call(
        self,
        input_ids=None,
        attention_mask=None,
        token_type_ids=None,
        position_ids=None,
        head_mask=None,
        inputs_embeds=None,
        encoder_hidden_states=None,
        encoder_attention_mask=None,
        past_key_values=None,
        use_cache=None,
        output_attentions=None,
        output_hidden_states=None,
        return_dict=None,
        training=False,
        cache_index=None,
    ):
        """`cache_index` (generation under XLA): `past_key_values` is a fixed-size cache preallocated to
        the maximum length, the new tokens sit at positions cache_index.., and `attention_mask` spans
        that maximum length (B, S_max). Keys past the current position are hidden by causality."""
        c = self.config
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("Give exactly one of input_ids or inputs_embeds")
        use_cache = (c.use_cache if use_cache is None else use_cache) and c.is_decoder
        flags = config_defaults(
            c,
            dict(
                output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=return_dict
            ),
        )
        output_attentions, output_hidden_states = flags["output_attentions"], flags["output_hidden_states"]
        return_dict = flags["return_dict"]
        shape = ops.shape(input_ids if input_ids is not None else inputs_embeds)
        batch, length = shape[0], shape[1]
        past_length = 0 if past_key_values is None else ops.shape(past_key_values[0][0])[2]
        if cache_index is not None:
            if past_key_values is None:
                raise ValueError("cache_index needs a preallocated past_key_values (B, heads, max_length, head_dim)")
            past_length = cache_index

        if attention_mask is None:
            attention_mask = ops.ones((batch, length + past_length), dtype="int32")
        if token_type_ids is None and input_ids is not None:
            token_type_ids = ops.zeros_like(input_ids)
        x = self.embeddings(
            input_ids=input_ids,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            inputs_embeds=inputs_embeds,
            past_key_values_length=past_length,
            training=training,
        )
        if c.is_decoder:
            mask = additive_mask(causal_mask(attention_mask, length, past_length))
        else:
            mask = additive_mask(attention_mask)
        encoder_hidden_states, encoder_attention_mask = cross_attention_inputs(
            c, encoder_hidden_states, encoder_attention_mask
        )
        cross_mask = None
        if encoder_hidden_states is not None:
            if encoder_attention_mask is None:
                encoder_attention_mask = ops.ones(ops.shape(encoder_hidden_states)[:2], dtype="int32")
            cross_mask = additive_mask(encoder_attention_mask)

        sequence, hidden, attentions, cross, presents = self.encoder(
            x,
            attention_mask=mask,
            head_mask=head_mask_per_layer(head_mask, c.num_hidden_layers),
            encoder_hidden_states=encoder_hidden_states,
            encoder_attention_mask=cross_mask,
            past_key_values=past_key_values,
            use_cache=use_cache,
            output_attentions=bool(output_attentions),
            output_hidden_states=bool(output_hidden_states),
            training=training,
            cache_index=cache_index,
        )
        pooled = self.pooler(sequence) if self.pooler is not None else None
        out = TFBaseModelOutputWithPoolingAndCrossAttentions(
            last_hidden_state=sequence,
            pooler_output=pooled,
            past_key_values=presents,
            hidden_states=hidden,
            attentions=attentions,
            cross_attentions=cross,
        )
        return out if return_dict else out.to_tuple()
