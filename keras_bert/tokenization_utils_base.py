"""transformers' `tokenization_utils_base` names that TF scripts import, for drop-in use.

`from transformers.tokenization_utils_base import PreTrainedTokenizerBase, PaddingStrategy` (the
multiple-choice guide's collator) becomes `from keras_bert.tokenization_utils_base import ...`.
`PreTrainedTokenizerBase` is the base class of keras_bert's `BertTokenizer` and `BertTokenizerFast`.
"""

from enum import StrEnum

from keras_bert.tokenization.base import PreTrainedTokenizerBase
from keras_bert.tokenization.batch_encoding import BatchEncoding


class PaddingStrategy(StrEnum):
    LONGEST = "longest"
    MAX_LENGTH = "max_length"
    DO_NOT_PAD = "do_not_pad"


class TruncationStrategy(StrEnum):
    ONLY_FIRST = "only_first"
    ONLY_SECOND = "only_second"
    LONGEST_FIRST = "longest_first"
    DO_NOT_TRUNCATE = "do_not_truncate"


class TensorType(StrEnum):
    TENSORFLOW = "tf"
    NUMPY = "np"
    PYTORCH = "pt"
    JAX = "jax"


__all__ = ["PreTrainedTokenizerBase", "BatchEncoding", "PaddingStrategy", "TruncationStrategy", "TensorType"]
