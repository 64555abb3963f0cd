"""keras_bert: BERT for Keras 3 and TensorFlow 2.21."""

from keras_bert import outputs
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
from keras_bert.serving import export_saved_model
from keras_bert.tokenization import BertTokenizer, BertTokenizerFast, TFBertTokenizer
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
]
