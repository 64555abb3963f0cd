"""The `__call__` of the Python tokenizers: texts and pairs to rows of ids, truncated and padded.

One implementation shared by `BertTokenizer` and `BertTokenizerFast` (the fast one only for
`prepare_for_model`). A tokenizer supplies `_encode_text(text) -> (ids, offsets)` (offsets may be
None) and the special token ids; truncation rules are in `truncation`, padding in `padding`,
the result type in `batch_encoding`.

`return_overflowing_tokens` adds `overflowing_tokens` (the cut-off ids plus `stride` ids of
context) and `num_truncated_tokens`; for one text they appear only when something was cut, for a
batch every row has an entry. Longest-first truncation of pairs cannot report overflow
(ValueError), as transformers' Python tokenizer.
"""

from collections.abc import Mapping

from keras_bert.tokenization.batch_encoding import _TENSOR_TYPES, BatchEncoding, CharSpan, TokenSpan
from keras_bert.tokenization.padding import _pad_rows, _side, check_pad_token, pad
from keras_bert.tokenization.truncation import VERY_LARGE_INTEGER, resolve_strategies, truncate


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
    check_pad_token(tokenizer, pad)
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


__all__ = [
    "BatchEncoding",
    "CharSpan",
    "TokenSpan",
    "VERY_LARGE_INTEGER",
    "encode",
    "is_batched",
    "pad",
    "resolve_strategies",
    "truncate",
]


def prepare_for_model(
    tokenizer,
    ids,
    pair_ids=None,
    add_special_tokens=True,
    padding=False,
    truncation=None,
    max_length=None,
    stride=0,
    pad_to_multiple_of=None,
    return_tensors=None,
    return_token_type_ids=None,
    return_attention_mask=None,
    return_overflowing_tokens=False,
    return_special_tokens_mask=False,
    return_length=False,
    prepend_batch_axis=False,
):
    """transformers' `prepare_for_model`: ids (and pair ids) to one model input row.

    The same truncation, special tokens and padding as `encode` on one text;
    `overflowing_tokens` / `num_truncated_tokens` appear only when something was cut.
    """
    pad, trunc, max_length = resolve_strategies(
        padding, truncation, max_length, pad_to_multiple_of, getattr(tokenizer, "model_max_length", None)
    )
    check_pad_token(tokenizer, pad)
    for name, value in (("ids", ids), ("pair_ids", pair_ids)):
        if value is not None and not all(isinstance(i, int) for i in value):
            raise ValueError(f"prepare_for_model takes {name} as a list of int token ids, got {value!r:.80}")
    row = _encode_row(
        tokenizer,
        (list(ids), None),
        (list(pair_ids), None) if pair_ids is not None else None,
        trunc=trunc,
        max_length=max_length,
        stride=stride,
        overflow=return_overflowing_tokens,
        special_mask=return_special_tokens_mask,
        type_ids=return_token_type_ids is not False,
        offsets=False,
        add_special=add_special_tokens,
        side=_side(tokenizer, "truncation_side"),
    )
    if row.get("overflowing_tokens") == []:
        row.pop("overflowing_tokens")
        row.pop("num_truncated_tokens")
    _pad_rows(tokenizer, [row], pad, max_length, pad_to_multiple_of, return_attention_mask is not False, True)
    if return_length:
        row["length"] = len(row["input_ids"])
    return BatchEncoding(row, tensor_type=return_tensors, prepend_batch_axis=prepend_batch_axis, n_sequences=None)
