"""keras_bert: BERT for Keras 3 and TensorFlow 2.21."""

from keras_bert.config import BertConfig

__all__ = ["BertConfig"]
