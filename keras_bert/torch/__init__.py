"""keras_bert.torch: the PyTorch twin of keras_bert (HF state-dict names, SDPA attention)."""

from keras_bert.torch.model import BertModel, BertPreTrainedModel

__all__ = ["BertModel", "BertPreTrainedModel"]
