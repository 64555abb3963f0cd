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


# transformers' PyTorch record puts hidden_states before past_key_values (the TF one after),
# so the tuple view (return_dict=False) matches the torch reference.
BaseModelOutputWithPoolingAndCrossAttentions = _record(
    "BaseModelOutputWithPoolingAndCrossAttentions",
    ("last_hidden_state", "pooler_output", "hidden_states", "past_key_values", "attentions", "cross_attentions"),
    _tf.TFBaseModelOutputWithPoolingAndCrossAttentions.__doc__,
)
BaseModelOutputWithPoolingAndCrossAttentions.__module__ = __name__
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
