"""Keras layers of BERT, named after HF's modules (names are the checkpoint contract)."""

from keras_bert.layers.attention import TFBertAttention, TFBertSelfAttention, TFBertSelfOutput
from keras_bert.layers.embeddings import TFBertEmbeddings
from keras_bert.layers.encoder import TFBertEncoder, TFBertIntermediate, TFBertLayer, TFBertOutput, TFBertPooler

__all__ = [
    "TFBertAttention",
    "TFBertSelfAttention",
    "TFBertSelfOutput",
    "TFBertEmbeddings",
    "TFBertEncoder",
    "TFBertIntermediate",
    "TFBertLayer",
    "TFBertOutput",
    "TFBertPooler",
]
