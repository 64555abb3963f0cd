"""Transformer blocks of BERT: intermediate, output, layer, encoder stack, pooler."""

import keras

from keras_bert.checkpoints.names import keras_layer_name
from keras_bert.layers.activations import get_activation
from keras_bert.layers.attention import TFBertAttention, TFBertSelfOutput, dense_tokens
from keras_bert.layers.common import ConfigLayer


@keras.saving.register_keras_serializable(package="keras_bert")
class TFBertIntermediate(ConfigLayer):
    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        self.dense = self.make_dense(self.config.intermediate_size, "dense")
        self.activation = get_activation(self.config.hidden_act)

    def build(self, input_shape=None):
        self.dense.build((None, None, self.config.hidden_size))
        self.built = True

    def call(self, hidden_states):
        return dense_tokens(self.dense, hidden_states, self.activation)  # (B, T, I)

    def call_packed(self, rows):
        """Inference on packed rows: (P, H) -> (P, I)."""
        return self.activation(self.dense(rows))


@keras.saving.register_keras_serializable(package="keras_bert")
class TFBertOutput(TFBertSelfOutput):
    """The feed-forward block's projection back to hidden_size, dropout and post-LN
    residual: `TFBertSelfOutput` on the intermediate activations (B, T, I)."""

    input_size_field = "intermediate_size"


@keras.saving.register_keras_serializable(package="keras_bert")
class TFBertLayer(ConfigLayer):
    """Self-attention, optional cross-attention (decoder), feed-forward; post-LN residuals."""

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        c = self.config
        self.attention = self.sub(TFBertAttention, c, name="attention")
        if c.add_cross_attention:
            if not c.is_decoder:
                raise ValueError("add_cross_attention=True needs is_decoder=True in the BertConfig")
            self.crossattention = self.sub(TFBertAttention, c, is_cross_attention=True, name="crossattention")
        self.intermediate = self.sub(TFBertIntermediate, c, name="intermediate")
        self.bert_output = self.sub(TFBertOutput, c, name="output")

    def build(self, input_shape=None):
        for layer in self._flatten_layers(include_self=False, recursive=False):
            layer.build()
        self.built = True

    def call(
        self,
        hidden_states,
        attention_mask=None,
        head_mask=None,
        encoder_hidden_states=None,
        encoder_attention_mask=None,
        past_key_value=None,
        output_attentions=False,
        training=False,
        cache_index=None,
    ):
        """past_key_value: (self_k, self_v) or (self_k, self_v, cross_k, cross_v) of this layer.
        cache_index: write position in a fixed-size self-attention cache (see TFBertSelfAttention)."""
        past_self = past_key_value[:2] if past_key_value is not None else None
        x, self_probs, present = self.attention(
            hidden_states,
            attention_mask=attention_mask,
            head_mask=head_mask,
            past_key_value=past_self,
            output_attentions=output_attentions,
            training=training,
            cache_index=cache_index,
        )
        cross_probs = None
        if encoder_hidden_states is not None:
            if not self.config.add_cross_attention:
                raise ValueError(
                    "encoder_hidden_states were given but the model has no cross-attention; "
                    "build it with add_cross_attention=True and is_decoder=True"
                )
            past_cross = past_key_value[2:] if past_key_value is not None and len(past_key_value) == 4 else None
            x, cross_probs, cross_kv = self.crossattention(
                x,
                attention_mask=encoder_attention_mask,
                head_mask=head_mask,
                encoder_hidden_states=encoder_hidden_states,
                past_key_value=past_cross,
                output_attentions=output_attentions,
                training=training,
            )
            present = present + cross_kv
        x = self.bert_output(self.intermediate(x), x, training=training)
        return x, self_probs, cross_probs, present

    def call_packed(self, rows, packing, attention_mask):
        """Inference on packed rows (P, H) -> (P, H) (`keras_bert.layers.packing`): every matmul
        and LayerNorm on the P kept positions, attention in the batch layout. Encoder layers only."""
        x = self.attention.call_packed(rows, packing, attention_mask)
        return self.bert_output.call_packed(self.intermediate.call_packed(x), x)


@keras.saving.register_keras_serializable(package="keras_bert")
class TFBertEncoder(ConfigLayer):
    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        # `layer_{i}`, canonical `layer.{i}`: no "." in Keras names (torch parameter paths).
        self.layer = [
            self.sub(TFBertLayer, self.config, name=keras_layer_name(i)) for i in range(self.config.num_hidden_layers)
        ]

    def build(self, input_shape=None):
        for layer in self.layer:
            layer.build()
        self.built = True

    def call(
        self,
        hidden_states,
        attention_mask=None,
        head_mask=None,
        encoder_hidden_states=None,
        encoder_attention_mask=None,
        past_key_values=None,
        use_cache=False,
        output_attentions=False,
        output_hidden_states=False,
        training=False,
        cache_index=None,
    ):
        all_hidden = (hidden_states,) if output_hidden_states else None
        all_attn = () if output_attentions else None
        all_cross = () if output_attentions and encoder_hidden_states is not None else None
        presents = () if use_cache else None
        for i, layer in enumerate(self.layer):
            hidden_states, probs, cross_probs, present = layer(
                hidden_states,
                attention_mask=attention_mask,
                head_mask=None if head_mask is None else head_mask[i],
                encoder_hidden_states=encoder_hidden_states,
                encoder_attention_mask=encoder_attention_mask,
                past_key_value=None if past_key_values is None else past_key_values[i],
                output_attentions=output_attentions,
                training=training,
                cache_index=cache_index,
            )
            if output_hidden_states:
                all_hidden += (hidden_states,)
            if output_attentions:
                all_attn += (probs,)
                if all_cross is not None:
                    all_cross += (cross_probs,)
            if use_cache:
                presents += (present,)
        return hidden_states, all_hidden, all_attn, all_cross, presents

    def call_packed(self, rows, packing, attention_mask):
        """Inference on packed rows (P, H) -> (P, H); attention_mask additive (B, 1, 1, T)."""
        for layer in self.layer:
            rows = layer.call_packed(rows, packing, attention_mask)
        return rows


@keras.saving.register_keras_serializable(package="keras_bert")
class TFBertPooler(ConfigLayer):
    """tanh(dense(h[:, 0])): the [CLS] summary fed to sentence-level heads."""

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        self.dense = self.make_dense(self.config.hidden_size, "dense", activation="tanh")

    def build(self, input_shape=None):
        self.dense.build((None, self.config.hidden_size))
        self.built = True

    def call(self, hidden_states):
        return self.dense(hidden_states[:, 0])  # (B, H)

    def call_packed(self, rows, packing):
        """Packed rows (P, H) -> (B, H) from each sequence's position 0."""
        return self.dense(packing.first_rows(rows))
