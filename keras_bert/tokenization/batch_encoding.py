"""BatchEncoding: what the tokenizers return, with transformers 4.x's alignment helpers and tensors."""

import collections

import numpy as np


class BatchEncoding(dict):
    """What the tokenizers return: a dict of model inputs, as transformers' `BatchEncoding`.

    Keys read as attributes (`enc.input_ids`). From `BertTokenizerFast` it also
    keeps the `tokenizers.Encoding` of each row (`encodings`, `is_fast`), which
    answer alignment questions: `tokens`, `word_ids`, `sequence_ids`,
    `char_to_token`, `token_to_chars`, `word_to_tokens`. `enc[i]` (an int) is
    the i-th row's `Encoding`. The Python tokenizer has no alignment and those
    methods raise ValueError, as in transformers.

    Example:
        >>> enc = tokenizer("Hello world", "again")  # doctest: +SKIP
        >>> enc.sequence_ids()  # doctest: +SKIP
        [None, 0, 0, None, 1, None]
        >>> enc.convert_to_tensors("np").input_ids.shape  # doctest: +SKIP
        (1, 6)
    """

    def __init__(self, data=None, encodings=None, tensor_type=None, prepend_batch_axis=False, n_sequences=None):
        super().__init__(data or {})
        self._encodings = encodings
        if n_sequences is None and encodings:
            n_sequences = encodings[0].n_sequences
        self._n_sequences = n_sequences
        self.convert_to_tensors(tensor_type, prepend_batch_axis=prepend_batch_axis)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(name) from e

    def __getitem__(self, item):
        if isinstance(item, str):
            return super().__getitem__(item)
        if isinstance(item, int):
            if self._encodings is None:
                raise KeyError(
                    f"Indexing with an integer ({item}) needs a fast tokenizer's encodings; "
                    "this BatchEncoding comes from the Python tokenizer. Index with a key such as 'input_ids'."
                )
            return self._encodings[item]
        if isinstance(item, slice):
            return {key: value[item] for key, value in self.items()}
        raise KeyError(f"Index a BatchEncoding with a key (str), a row (int) or a slice, got {item!r}")

    def __getstate__(self):
        return {"data": dict(self), "encodings": self._encodings, "n_sequences": self._n_sequences}

    def __setstate__(self, state):
        self.update(state["data"])
        self._encodings, self._n_sequences = state["encodings"], state["n_sequences"]

    @property
    def data(self):
        return dict(self)

    @property
    def encodings(self):
        """The `tokenizers.Encoding` of each row (fast tokenizer), else None."""
        return self._encodings

    @property
    def is_fast(self):
        return self._encodings is not None

    @property
    def n_sequences(self):
        """1 or 2 (text, or text and text_pair); None when unknown."""
        return self._n_sequences

    def _encoding(self, batch_index, method):
        if self._encodings is None:
            raise ValueError(
                f"{method}() is not available when using non-fast tokenizers (e.g. BertTokenizer); "
                "use BertTokenizerFast."
            )
        if not -len(self._encodings) <= batch_index < len(self._encodings):
            raise IndexError(f"{method}(): batch_index {batch_index} is out of range for {len(self._encodings)} rows")
        return self._encodings[batch_index]

    def _split_index(self, batch_or_index, index):
        """transformers' convention: f(i) is row 0 position i; f(b, i) is row b."""
        return (0, batch_or_index) if index is None else (batch_or_index, index)

    def tokens(self, batch_index=0):
        """Word pieces of a row, special and padding tokens included."""
        return self._encoding(batch_index, "tokens").tokens

    def sequence_ids(self, batch_index=0):
        """Per token: 0 (text), 1 (text_pair) or None (special/padding)."""
        return self._encoding(batch_index, "sequence_ids").sequence_ids

    def word_ids(self, batch_index=0):
        """Per token: the index of the word it comes from, None for special/padding."""
        return self._encoding(batch_index, "word_ids").word_ids

    def words(self, batch_index=0):
        """Alias of `word_ids` (the older name)."""
        return self.word_ids(batch_index)

    def token_to_sequence(self, batch_or_token_index, token_index=None):
        b, t = self._split_index(batch_or_token_index, token_index)
        return self._encoding(b, "token_to_sequence").token_to_sequence(t)

    def token_to_word(self, batch_or_token_index, token_index=None):
        b, t = self._split_index(batch_or_token_index, token_index)
        return self._encoding(b, "token_to_word").token_to_word(t)

    def token_to_chars(self, batch_or_token_index, token_index=None):
        """CharSpan(start, end) of a token in its text, None for special tokens."""
        b, t = self._split_index(batch_or_token_index, token_index)
        span = self._encoding(b, "token_to_chars").token_to_chars(t)
        return CharSpan(*span) if span is not None else None

    def char_to_token(self, batch_or_char_index, char_index=None, sequence_index=0):
        """Index of the token covering a character of text (0) or text_pair (1), or None."""
        b, c = self._split_index(batch_or_char_index, char_index)
        return self._encoding(b, "char_to_token").char_to_token(c, sequence_index)

    def word_to_tokens(self, batch_or_word_index, word_index=None, sequence_index=0):
        """TokenSpan(start, end) of a word's tokens, or None."""
        b, w = self._split_index(batch_or_word_index, word_index)
        span = self._encoding(b, "word_to_tokens").word_to_tokens(w, sequence_index)
        return TokenSpan(*span) if span is not None else None

    def word_to_chars(self, batch_or_word_index, word_index=None, sequence_index=0):
        b, w = self._split_index(batch_or_word_index, word_index)
        span = self._encoding(b, "word_to_chars").word_to_chars(w, sequence_index)
        return CharSpan(*span) if span is not None else None

    def char_to_word(self, batch_or_char_index, char_index=None, sequence_index=0):
        b, c = self._split_index(batch_or_char_index, char_index)
        return self._encoding(b, "char_to_word").char_to_word(c, sequence_index)

    def convert_to_tensors(self, tensor_type=None, prepend_batch_axis=False):
        """Turns every value into a "tf" (int32), "np" or "pt" (int64) tensor, in place; returns self.

        `prepend_batch_axis` wraps each value in a batch of one first. Rows of
        different lengths raise ValueError naming the key (pad first).
        """
        if tensor_type is None:
            return self
        if tensor_type not in _TENSOR_TYPES:
            raise ValueError(f"tensor_type must be None or one of {_TENSOR_TYPES}, got {tensor_type!r}")
        for key, value in self.items():
            if prepend_batch_axis:
                value = [value]
            if hasattr(value, "shape"):
                continue
            if isinstance(value, list) and value and isinstance(value[0], list) and len(set(map(len, value))) > 1:
                raise ValueError(
                    f"Cannot build a tensor from rows of different lengths for {key!r}; "
                    "use padding=True or padding='max_length'."
                )
            self[key] = _to_tensor(value, tensor_type)
        return self


_TENSOR_TYPES = ("tf", "np", "pt")


def _to_tensor(value, tensor_type):
    arr = np.zeros((0, 0), np.int64) if isinstance(value, list) and not value else np.asarray(value)
    if arr.dtype.kind in "iub":
        arr = arr.astype(np.int64)
    elif arr.dtype.kind == "f" and tensor_type != "np":  # float labels (regression) stay float, as transformers
        arr = arr.astype(np.float32)
    elif arr.dtype.kind != "f":
        raise ValueError(f"Cannot build a {tensor_type} tensor from values of dtype {arr.dtype}: {value!r:.80}")
    if tensor_type == "tf":
        import tensorflow as tf

        return tf.constant(arr, dtype=tf.int32 if arr.dtype == np.int64 else tf.float32)
    if tensor_type == "pt":
        import torch

        return torch.as_tensor(arr)
    return arr


CharSpan = collections.namedtuple("CharSpan", ["start", "end"])
TokenSpan = collections.namedtuple("TokenSpan", ["start", "end"])
