from keras_bert.models.base import TFBertPreTrainedModel
from keras_bert.models.bert_model import TFBertModel
from keras_bert.models.main_layer import TFBertMainLayer

__all__ = ["TFBertPreTrainedModel", "TFBertModel", "TFBertMainLayer"]
