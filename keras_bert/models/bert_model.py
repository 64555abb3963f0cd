"""`TFBertModel`: the bare encoder as a Keras model."""

import keras

from keras_bert.models.base import TFBertPreTrainedModel, merge_inputs
from keras_bert.models.main_layer import TFBertMainLayer


@keras.saving.register_keras_serializable(package="keras_bert")
class TFBertModel(TFBertPreTrainedModel):
    """BERT without a head: `last_hidden_state` (B, T, H) and `pooler_output` (B, H).

    Example:
        >>> model = TFBertModel.from_pretrained("path/to/hf-checkpoint")
        >>> out = model({"input_ids": ids, "attention_mask": mask})
        >>> out.last_hidden_state, out["pooler_output"], out[0]
    """

    hf_class_name = "BertModel"

    def __init__(self, config, add_pooling_layer=True, **kwargs):
        super().__init__(config, **kwargs)
        self.add_pooling_layer = add_pooling_layer
        self.bert = TFBertMainLayer(self.config, add_pooling_layer, name="bert", dtype=self.dtype_policy)

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
    ):
        inputs = merge_inputs(
            input_ids,
            dict(
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
                position_ids=position_ids,
                head_mask=head_mask,
                inputs_embeds=inputs_embeds,
                encoder_hidden_states=encoder_hidden_states,
                encoder_attention_mask=encoder_attention_mask,
                past_key_values=past_key_values,
                use_cache=use_cache,
                output_attentions=output_attentions,
                output_hidden_states=output_hidden_states,
                return_dict=return_dict,
            ),
        )
        return self.bert(**inputs, training=training)
