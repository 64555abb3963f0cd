"""BERT tokenizers: pure Python, Rust-backed, and a TensorFlow graph layer.

`TFBertTokenizer` needs TensorFlow and tensorflow-text; it is imported on first use, so the
Python and Rust tokenizers load without TensorFlow.
"""

from keras_bert.tokenization.bert_tokenizer import BertTokenizer
from keras_bert.tokenization.fast import BertTokenizerFast

__all__ = ["BertTokenizer", "BertTokenizerFast", "TFBertTokenizer"]


def __getattr__(name: str):
    if name == "TFBertTokenizer":
        from keras_bert.backend import require_tensorflow

        require_tensorflow("TFBertTokenizer (tensorflow and tensorflow-text)")
        from keras_bert.tokenization.tf_tokenizer import TFBertTokenizer

        return TFBertTokenizer
    raise AttributeError(f"module 'keras_bert.tokenization' has no attribute {name!r}")
