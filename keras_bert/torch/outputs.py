"""Output records of the PyTorch twin, named as in `transformers` (PyTorch).

They share field tuples with the TF-prefixed records of `keras_bert.outputs`, so a
twin record and a Keras record of the same head hold the same fields in the same order.
"""

from __future__ import annotations

from keras_bert import outputs as _tf
from keras_bert.outputs import ModelOutput, _record


def _twin(tf_record, name: str):
    cls = _record(name, tf_record._fields, tf_record.__doc__)
    cls.__module__ = __name__
    return cls


BaseModelOutputWithPoolingAndCrossAttentions = _twin(
    _tf.TFBaseModelOutputWithPoolingAndCrossAttentions, "BaseModelOutputWithPoolingAndCrossAttentions"
)
BertForPreTrainingOutput = _twin(_tf.TFBertForPreTrainingOutput, "BertForPreTrainingOutput")
MaskedLMOutput = _twin(_tf.TFMaskedLMOutput, "MaskedLMOutput")
CausalLMOutputWithCrossAttentions = _twin(_tf.TFCausalLMOutputWithCrossAttentions, "CausalLMOutputWithCrossAttentions")
NextSentencePredictorOutput = _twin(_tf.TFNextSentencePredictorOutput, "NextSentencePredictorOutput")
SequenceClassifierOutput = _twin(_tf.TFSequenceClassifierOutput, "SequenceClassifierOutput")
MultipleChoiceModelOutput = _twin(_tf.TFMultipleChoiceModelOutput, "MultipleChoiceModelOutput")
TokenClassifierOutput = _twin(_tf.TFTokenClassifierOutput, "TokenClassifierOutput")
QuestionAnsweringModelOutput = _twin(_tf.TFQuestionAnsweringModelOutput, "QuestionAnsweringModelOutput")

__all__ = [
    "ModelOutput",
    "BaseModelOutputWithPoolingAndCrossAttentions",
    "BertForPreTrainingOutput",
    "MaskedLMOutput",
    "CausalLMOutputWithCrossAttentions",
    "NextSentencePredictorOutput",
    "SequenceClassifierOutput",
    "MultipleChoiceModelOutput",
    "TokenClassifierOutput",
    "QuestionAnsweringModelOutput",
]
