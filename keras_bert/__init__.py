"""keras_bert: BERT for Keras 3 and TensorFlow 2.21."""

from keras_bert import data, outputs, training
from keras_bert.config import BertConfig
from keras_bert.inference import predict_fn
from keras_bert.models import (
    TFBertForMaskedLM,
    TFBertForMultipleChoice,
    TFBertForNextSentencePrediction,
    TFBertForPreTraining,
    TFBertForQuestionAnswering,
    TFBertForSequenceClassification,
    TFBertForTokenClassification,
    TFBertLMHeadModel,
    TFBertMainLayer,
    TFBertModel,
    TFBertPreTrainedModel,
)
from keras_bert.outputs import (
    TFBaseModelOutputWithPoolingAndCrossAttentions,
    TFBertForPreTrainingOutput,
    TFCausalLMOutputWithCrossAttentions,
    TFMaskedLMOutput,
    TFMultipleChoiceModelOutput,
    TFNextSentencePredictorOutput,
    TFQuestionAnsweringModelOutput,
    TFSequenceClassifierOutput,
    TFTokenClassifierOutput,
)
from keras_bert.serving import export_saved_model
from keras_bert.tokenization import BertTokenizer, BertTokenizerFast, TFBertTokenizer
from keras_bert.training import WarmupLinearDecay, create_optimizer, train

__all__ = [
    "BertConfig",
    "TFBertMainLayer",
    "TFBertPreTrainedModel",
    "TFBertModel",
    "TFBertForPreTraining",
    "TFBertLMHeadModel",
    "TFBertForMaskedLM",
    "TFBertForNextSentencePrediction",
    "TFBertForSequenceClassification",
    "TFBertForMultipleChoice",
    "TFBertForTokenClassification",
    "TFBertForQuestionAnswering",
    "TFBaseModelOutputWithPoolingAndCrossAttentions",
    "TFBertForPreTrainingOutput",
    "TFCausalLMOutputWithCrossAttentions",
    "TFMaskedLMOutput",
    "TFMultipleChoiceModelOutput",
    "TFNextSentencePredictorOutput",
    "TFQuestionAnsweringModelOutput",
    "TFSequenceClassifierOutput",
    "TFTokenClassifierOutput",
    "outputs",
    "BertTokenizer",
    "BertTokenizerFast",
    "TFBertTokenizer",
    "export_saved_model",
    "predict_fn",
    "data",
    "training",
    "train",
    "create_optimizer",
    "WarmupLinearDecay",
]
