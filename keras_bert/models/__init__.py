from keras_bert.models.base import TFBertPreTrainedModel
from keras_bert.models.bert_model import TFBertModel
from keras_bert.models.lm_heads import (
    TFBertForMaskedLM,
    TFBertForNextSentencePrediction,
    TFBertForPreTraining,
    TFBertLMHeadModel,
)
from keras_bert.models.main_layer import TFBertMainLayer
from keras_bert.models.task_heads import (
    TFBertForMultipleChoice,
    TFBertForQuestionAnswering,
    TFBertForSequenceClassification,
    TFBertForTokenClassification,
)

MODEL_CLASSES = (
    TFBertModel,
    TFBertForPreTraining,
    TFBertLMHeadModel,
    TFBertForMaskedLM,
    TFBertForNextSentencePrediction,
    TFBertForSequenceClassification,
    TFBertForMultipleChoice,
    TFBertForTokenClassification,
    TFBertForQuestionAnswering,
)

__all__ = ["TFBertPreTrainedModel", "TFBertMainLayer", "MODEL_CLASSES"] + [c.__name__ for c in MODEL_CLASSES]
