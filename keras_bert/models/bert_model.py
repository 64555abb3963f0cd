"""`TFBertModel`: the bare encoder as a Keras model."""

import keras

from keras_bert.contract import HEADS
from keras_bert.models.base import TFBertPreTrainedModel


@keras.saving.register_keras_serializable(package="keras_bert")
class TFBertModel(TFBertPreTrainedModel):
    """BERT without a head: `last_hidden_state` (B, T, H) and `pooler_output` (B, H).

    Call it like HF's `TFBertModel` (see `TFBertPreTrainedModel`); it also takes the decoder
    inputs `encoder_hidden_states`, `encoder_attention_mask`, `past_key_values`, `use_cache`.

    Example:
        >>> model = TFBertModel.from_pretrained("path/to/hf-checkpoint")
        >>> out = model({"input_ids": ids, "attention_mask": mask})
        >>> out.last_hidden_state, out["pooler_output"], out[0]
    """

    spec = HEADS["BertModel"]

    def __init__(self, config, add_pooling_layer=True, **kwargs):
        self.add_pooling_layer = add_pooling_layer
        super().__init__(config, **kwargs)

    def get_config(self):
        return {**super().get_config(), "add_pooling_layer": self.add_pooling_layer}

    def head_forward(self, inputs, training=False):
        return self.encode(inputs, training=training)
