"""keras_bert: BERT for Keras 3 and TensorFlow 2.21."""

from keras_bert.config import BertConfig
from keras_bert.models import TFBertMainLayer, TFBertModel, TFBertPreTrainedModel
from keras_bert.outputs import TFBaseModelOutputWithPoolingAndCrossAttentions

__all__ = [
    "BertConfig",
    "TFBertMainLayer",
    "TFBertModel",
    "TFBertPreTrainedModel",
    "TFBaseModelOutputWithPoolingAndCrossAttentions",
]
