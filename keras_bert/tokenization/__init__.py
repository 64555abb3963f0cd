"""BERT tokenizers: pure Python, Rust-backed, and a TensorFlow graph layer."""

from keras_bert.tokenization.bert_tokenizer import BertTokenizer
from keras_bert.tokenization.fast import BertTokenizerFast
from keras_bert.tokenization.tf_tokenizer import TFBertTokenizer

__all__ = ["BertTokenizer", "BertTokenizerFast", "TFBertTokenizer"]
