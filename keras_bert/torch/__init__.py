"""keras_bert.torch: the PyTorch twin of keras_bert (HF state-dict names, SDPA attention).

>>> from keras_bert.torch import BertForSequenceClassification
>>> model = BertForSequenceClassification.from_pretrained("path/to/hf_dir", num_labels=3)
"""

from keras_bert.torch.heads import (
    BertForMaskedLM,
    BertForMultipleChoice,
    BertForNextSentencePrediction,
    BertForPreTraining,
    BertForQuestionAnswering,
    BertForSequenceClassification,
    BertForTokenClassification,
    BertLMHeadModel,
)
from keras_bert.torch.model import BertModel, BertPreTrainedModel

__all__ = [
    "BertModel",
    "BertPreTrainedModel",
    "BertForPreTraining",
    "BertLMHeadModel",
    "BertForMaskedLM",
    "BertForNextSentencePrediction",
    "BertForSequenceClassification",
    "BertForMultipleChoice",
    "BertForTokenClassification",
    "BertForQuestionAnswering",
]
