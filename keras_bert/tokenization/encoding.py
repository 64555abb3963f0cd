"""The `__call__` of the Python tokenizers: pairs, truncation, padding.

One implementation shared by `BertTokenizer` and `BertTokenizerFast`. A
tokenizer supplies `_encode_text(text) -> (ids, offsets)` (offsets may be
None) and the special token ids; everything else happens here.

Semantics follow the reference (transformers' Python BERT tokenizer):

* `max_length` alone turns on "longest_first" truncation;
* `truncation=True` is "longest_first"; `padding=True` is "longest";
* without `max_length`, truncation and "max_length" padding use
  `model_max_length` (unset: no truncation, no padding);
* pairs under "longest_first" first shorten the longer sequence down to the
  shorter one, then take the remainder half from each (first gets the floor);
* "only_first" may cut the first sequence down to nothing; "only_second"
  leaves single sequences and empty second sequences alone;
* `return_overflowing_tokens` adds `overflowing_tokens` (the cut-off ids plus
  `stride` ids of context) and `num_truncated_tokens`; for one text they
  appear only when something was cut, for a batch every row has an entry.
  Longest-first truncation of pairs cannot report overflow (ValueError).
"""

import collections
from collections.abc import Mapping

import numpy as np

VERY_LARGE_INTEGER = int(1e30)
_PADDING = {
    False: None,
    None: None,
    "do_not_pad": None,
    True: "longest",
    "longest": "longest",
    "max_length": "max_length",
}
_TRUNCATION = {
    False: None,
    None: None,
    "do_not_truncate": None,
    True: "longest_first",
    "longest_first": "longest_first",
    "only_first": "only_first",
    "only_second": "only_second",
}


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


def as_text_input(value):
    """A batch given as a `datasets` Column, a NumPy array or another iterable of texts becomes a
    list (transformers accepts them); str, list, tuple and None pass through."""
    if value is None or isinstance(value, (str, list, tuple, Mapping)):
        return value
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "__iter__") and hasattr(value, "__len__"):
        return list(value)
    return value


def resolve_strategies(padding, truncation, max_length, pad_to_multiple_of, model_max_length):
    """Returns (padding, truncation, max_length) with defaults resolved."""
    if max_length is not None and padding is False and truncation is None:
        truncation = "longest_first"
    if padding not in _PADDING:
        raise ValueError(f"padding must be one of {sorted(map(str, _PADDING))}, got {padding!r}")
    if truncation not in _TRUNCATION:
        raise ValueError(f"truncation must be one of {sorted(map(str, _TRUNCATION))}, got {truncation!r}")
    pad, trunc = _PADDING[padding], _TRUNCATION[truncation]
    if max_length is None:
        unset = model_max_length is None or model_max_length >= VERY_LARGE_INTEGER
        if pad == "max_length":
            pad = None if unset else pad
            max_length = None if unset else model_max_length
        if trunc is not None:
            trunc = None if unset else trunc
            max_length = None if unset else model_max_length
    if (
        trunc
        and pad
        and pad_to_multiple_of is not None
        and max_length is not None
        and max_length % pad_to_multiple_of != 0
    ):
        raise ValueError(
            f"Truncation and padding are both on but max_length ({max_length}) is not "
            f"a multiple of pad_to_multiple_of ({pad_to_multiple_of})."
        )
    return pad, trunc, max_length


def truncate(a, b, num_remove, strategy, stride):
    """Cuts `num_remove` items from lists a, b. Returns (a, b, overflow)."""
    if num_remove <= 0:
        return a, b, []
    if strategy == "only_first" or (strategy == "longest_first" and b is None):
        window = min(len(a), stride + num_remove)
        return a[: max(len(a) - num_remove, 0)], b, a[len(a) - window :]
    if strategy == "longest_first":
        first = min(abs(len(b) - len(a)), num_remove)
        second = num_remove - first
        if len(a) > len(b):
            cut_a, cut_b = first + second // 2, second - second // 2
        else:
            cut_a, cut_b = second // 2, first + second - second // 2
        return a[: max(len(a) - cut_a, 0)], b[: max(len(b) - cut_b, 0)], []
    if strategy == "only_second" and b:
        window = min(len(b), stride + num_remove)
        return a, b[: max(len(b) - num_remove, 0)], b[len(b) - window :]
    return a, b, []


def encode(
    tokenizer,
    text,
    text_pair=None,
    padding=False,
    truncation=None,
    max_length=None,
    pad_to_multiple_of=None,
    stride=0,
    is_split_into_words=False,
    return_overflowing_tokens=False,
    return_special_tokens_mask=False,
    return_token_type_ids=True,
    return_attention_mask=True,
    return_offsets_mapping=False,
    return_length=False,
    return_tensors=None,
    add_special_tokens=True,
):
    """Encodes one text, one pair, or a batch of either (see module doc).

    With `is_split_into_words` a text is a list of words (each tokenized on
    its own) and a batch is a list of such lists. The tokenizer's
    `padding_side` / `truncation_side` ("right" or "left") say where padding
    goes and which end truncation cuts.
    """
    pad, trunc, max_length = resolve_strategies(
        padding, truncation, max_length, pad_to_multiple_of, getattr(tokenizer, "model_max_length", None)
    )
    if return_tensors not in (None,) + _TENSOR_TYPES:
        raise ValueError(f"return_tensors must be None or one of {_TENSOR_TYPES}, got {return_tensors!r}")
    options = dict(
        trunc=trunc,
        max_length=max_length,
        stride=stride,
        overflow=return_overflowing_tokens,
        special_mask=return_special_tokens_mask,
        type_ids=return_token_type_ids is not False,
        offsets=return_offsets_mapping,
        add_special=add_special_tokens,
        side=_side(tokenizer, "truncation_side"),
    )
    if not is_batched(text, is_split_into_words):
        if text_pair is not None and is_batched(text_pair, is_split_into_words):
            raise ValueError(f"text is one input, so text_pair must be one input too; got {text_pair!r:.80}")
        _check_str(text, text_pair, is_split_into_words)
        enc = _encode_many(tokenizer, [text] + ([text_pair] if text_pair is not None else []))
        row = _encode_row(tokenizer, enc[0], enc[1] if text_pair is not None else None, **options)
        if row.get("overflowing_tokens") == [] or return_tensors:
            row.pop("overflowing_tokens", None)
            row.pop("num_truncated_tokens", None)
        rows, single = [row], True
    else:
        if text_pair is not None and (not isinstance(text_pair, (list, tuple)) or len(text_pair) != len(text)):
            raise ValueError(
                "If `text` is a batch, `text_pair` must be a batch of the same length; "
                f"got {len(text)} texts and {text_pair!r:.80}"
            )
        pairs = text_pair if text_pair is not None else [None] * len(text)
        items = []
        for t, p in zip(text, pairs):
            if p is None and isinstance(t, (list, tuple)) and not (is_split_into_words and _is_words(t)):
                if len(t) != 2:
                    raise ValueError(
                        f"A batch item given as a sequence must be a (text, text_pair) pair, got {t!r:.80}"
                    )
                t, p = t
            _check_str(t, p, is_split_into_words)
            items.append((t, p))
        flat = [t for t, _ in items] + [p for _, p in items if p is not None]
        enc = iter(_encode_many(tokenizer, flat))
        firsts = [next(enc) for _ in items]
        rows = [
            _encode_row(tokenizer, f, next(enc) if p is not None else None, **options)
            for f, (_, p) in zip(firsts, items)
        ]
        if return_tensors:
            for row in rows:
                row.pop("overflowing_tokens", None)
                row.pop("num_truncated_tokens", None)
        single = False
    if return_length and not single:  # transformers measures batch rows before padding, one text after
        for row in rows:
            row["length"] = len(row["input_ids"])
    _pad_rows(tokenizer, rows, pad, max_length, pad_to_multiple_of, return_attention_mask is not False, single)
    if return_length and single:
        rows[0]["length"] = len(rows[0]["input_ids"])
    keys = list(rows[0]) if rows else ["input_ids"]
    data = {key: rows[0][key] if single else [r[key] for r in rows] for key in keys}
    n_sequences = (2 if text_pair is not None else 1) if single else None
    return BatchEncoding(data, tensor_type=return_tensors, prepend_batch_axis=single, n_sequences=n_sequences)


def is_batched(text, is_split_into_words=False):
    """transformers' test: a list is a batch, unless it is the words of one text."""
    if is_split_into_words:
        return isinstance(text, (list, tuple)) and bool(text) and isinstance(text[0], (list, tuple))
    return isinstance(text, (list, tuple))


def _is_words(item):
    return all(isinstance(w, str) for w in item)


def _side(tokenizer, name):
    side = getattr(tokenizer, name, "right")
    if side not in ("right", "left"):
        raise ValueError(f"{name} must be 'right' or 'left', got {side!r}")
    return side


def _check_str(text, pair, is_split_into_words=False):
    for item in (text, pair):
        if item is None and item is pair:
            continue
        ok = isinstance(item, (list, tuple)) and _is_words(item) if is_split_into_words else isinstance(item, str)
        if not ok:
            want = "a list of words (str)" if is_split_into_words else "str"
            raise ValueError(f"Expected {want} inputs, got {type(text).__name__} and {type(pair).__name__}")


def _encode_many(tokenizer, texts):
    """[(ids, offsets)] for each text (a str, or a list of words), batched when the tokenizer can."""
    if texts and not isinstance(texts[0], str):
        out = []
        for words in texts:
            pieces = [tokenizer._encode_text(w)[0] for w in words]
            out.append(([i for ids in pieces for i in ids], None))
        return out
    if hasattr(tokenizer, "_encode_texts"):
        return tokenizer._encode_texts(texts)
    return [tokenizer._encode_text(t) for t in texts]


def _encode_row(
    tokenizer, first, second, trunc, max_length, stride, overflow, special_mask, type_ids, offsets, add_special, side
):
    a, off_a = first
    b, off_b = second if second is not None else (None, None)
    if overflow and trunc == "longest_first" and b is not None:
        raise ValueError(
            "Overflowing tokens cannot be returned for pairs truncated with "
            "'longest_first'; use 'only_first' or 'only_second'."
        )
    n_special = (3 if b is not None else 2) if add_special else 0
    total = len(a) + (len(b) if b is not None else 0) + n_special
    cut = []
    if trunc and max_length and total > max_length:
        if side == "left":  # cut the front: truncate the reversed lists, overflow reads left to right
            ra, rb, cut = truncate(a[::-1], b[::-1] if b is not None else None, total - max_length, trunc, stride)
            a, b, cut = ra[::-1], rb[::-1] if rb is not None else None, cut[::-1]
        else:
            a, b, cut = truncate(a, b, total - max_length, trunc, stride)
        if offsets:
            off_a = off_a[len(off_a) - len(a) :] if side == "left" else off_a[: len(a)]
            if b is not None:
                off_b = off_b[len(off_b) - len(b) :] if side == "left" else off_b[: len(b)]
    if add_special:
        ids = tokenizer.build_inputs_with_special_tokens(a, b)
        tt = tokenizer.create_token_type_ids_from_sequences(a, b)
        sm = tokenizer.get_special_tokens_mask(a, b)
    else:
        ids = a + (b or [])
        tt = [0] * len(ids)
        sm = [0] * len(ids)
    row = {"input_ids": ids}
    if type_ids:
        row["token_type_ids"] = tt
    if special_mask:
        row["special_tokens_mask"] = sm
    if offsets:
        none = [(0, 0)] if add_special else []
        mapped = none + list(off_a) + none
        if b is not None:
            mapped += list(off_b) + none
        row["offset_mapping"] = mapped
    if overflow:
        row["overflowing_tokens"] = cut
        row["num_truncated_tokens"] = total - max_length if cut and max_length else 0
    return row


def _pad_rows(tokenizer, rows, pad, max_length, multiple, attention, single, side=None):
    """Pads rows (dicts of lists) in place: `side` defaults to the tokenizer's `padding_side`; an
    existing attention_mask is kept and padded, a missing one is added (ones) when `attention`."""
    if single:
        target = len(rows[0]["input_ids"]) if pad == "longest" else max_length
    else:
        target = max((len(r["input_ids"]) for r in rows), default=0) if pad == "longest" else max_length
    if pad and target is not None and multiple and target % multiple:
        target = (target // multiple + 1) * multiple
    left = (side or _side(tokenizer, "padding_side")) == "left"
    for row in rows:
        n = len(row["input_ids"])
        if attention and "attention_mask" not in row:
            row["attention_mask"] = [1] * n
        if not pad or target is None or n >= target:
            continue
        d = target - n
        for key, fill in (
            ("input_ids", tokenizer.pad_token_id),
            ("attention_mask", 0),
            ("token_type_ids", 0),
            ("special_tokens_mask", 1),
            ("offset_mapping", (0, 0)),
        ):
            if key in row:
                row[key] = [fill] * d + row[key] if left else row[key] + [fill] * d


def _to_python(value):
    """Tensors (NumPy, TensorFlow, torch) to nested lists; anything else unchanged."""
    if hasattr(value, "detach"):  # torch
        value = value.detach().cpu().numpy()
    elif hasattr(value, "numpy") and not isinstance(value, np.ndarray):  # tf
        value = value.numpy()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_to_python(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


def _framework(value):
    """ "np", "tf" or "pt" for a tensor, else None."""
    if isinstance(value, np.ndarray):
        return "np"
    module = type(value).__module__
    return "tf" if module.startswith("tensorflow") else "pt" if module.startswith("torch") else None


def pad(
    tokenizer,
    encoded_inputs,
    padding=True,
    max_length=None,
    pad_to_multiple_of=None,
    padding_side=None,
    return_attention_mask=None,
    return_tensors=None,
):
    """transformers' `PreTrainedTokenizerBase.pad`: pads encoded rows to one length.

    `encoded_inputs`: one encoding (a dict of lists), a batch as a dict of lists of rows, or a
    list of encodings (dicts, e.g. a collator's features); `input_ids` must be present. `padding`:
    True/"longest" pads to the longest row, "max_length" to `max_length` (else `model_max_length`),
    False/"do_not_pad" leaves lengths alone; `pad_to_multiple_of` rounds the length up. Padding goes
    on `padding_side` (default: the tokenizer's). `input_ids`, `attention_mask` (added as ones
    where missing unless `return_attention_mask=False`), `token_type_ids` and `special_tokens_mask`
    are padded; other keys (labels) are kept as given. Tensor inputs come back as tensors of their
    framework unless `return_tensors` ("np", "tf", "pt") says otherwise.
    """
    if isinstance(encoded_inputs, (list, tuple)) and encoded_inputs and isinstance(encoded_inputs[0], Mapping):
        encoded_inputs = {key: [row[key] for row in encoded_inputs] for key in encoded_inputs[0]}
    if not isinstance(encoded_inputs, Mapping) or "input_ids" not in encoded_inputs:
        got = list(encoded_inputs.keys()) if isinstance(encoded_inputs, Mapping) else type(encoded_inputs).__name__
        raise ValueError(
            "You should supply an encoding or a list of encodings to this method that includes input_ids, "
            f"but you provided {got}"
        )
    attention = return_attention_mask is not False
    required = encoded_inputs["input_ids"]
    if required is None or len(required) == 0:
        out = BatchEncoding(dict(encoded_inputs))
        if attention:
            out["attention_mask"] = []
        return out
    if return_tensors is None:
        return_tensors = _framework(required[0] if isinstance(required, (list, tuple)) else required)
    encoded = {key: _to_python(value) for key, value in encoded_inputs.items()}
    strategy, _, max_length = resolve_strategies(
        padding, False, max_length, pad_to_multiple_of, getattr(tokenizer, "model_max_length", None)
    )
    side = padding_side or _side(tokenizer, "padding_side")
    if side not in ("right", "left"):
        raise ValueError(f"padding_side must be 'right' or 'left', got {side!r}")
    ids = encoded["input_ids"]
    single = not isinstance(ids[0], (list, tuple))
    if single:
        rows = [encoded]
    else:
        for key, value in encoded.items():
            if not isinstance(value, (list, tuple)) or len(value) != len(ids):
                raise ValueError(
                    f"{key!r} must hold one entry per row of input_ids ({len(ids)} rows), got {value!r:.80}"
                )
        rows = [{key: value[i] for key, value in encoded.items()} for i in range(len(ids))]
    _pad_rows(tokenizer, rows, strategy, max_length, pad_to_multiple_of, attention, single, side=side)
    data = rows[0] if single else {key: [row[key] for row in rows] for key in rows[0]}
    return BatchEncoding(data, tensor_type=return_tensors)
