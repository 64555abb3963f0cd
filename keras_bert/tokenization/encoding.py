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
    """A dict of model inputs that also allows attribute access."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(name) from e


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


def _is_batch(text):
    return isinstance(text, (list, tuple))


def encode(
    tokenizer,
    text,
    text_pair=None,
    padding=False,
    truncation=None,
    max_length=None,
    pad_to_multiple_of=None,
    stride=0,
    return_overflowing_tokens=False,
    return_special_tokens_mask=False,
    return_token_type_ids=True,
    return_attention_mask=True,
    return_offsets_mapping=False,
    return_tensors=None,
    add_special_tokens=True,
):
    """Encodes one text, one pair, or a batch of either (see module doc)."""
    pad, trunc, max_length = resolve_strategies(
        padding, truncation, max_length, pad_to_multiple_of, getattr(tokenizer, "model_max_length", None)
    )
    if return_tensors not in (None, "np", "tf"):
        raise ValueError(f"return_tensors must be None, 'np' or 'tf', got {return_tensors!r}")
    options = dict(
        trunc=trunc,
        max_length=max_length,
        stride=stride,
        overflow=return_overflowing_tokens,
        special_mask=return_special_tokens_mask,
        type_ids=return_token_type_ids,
        offsets=return_offsets_mapping,
        add_special=add_special_tokens,
    )
    if not _is_batch(text):
        if text_pair is not None and not isinstance(text_pair, str):
            raise ValueError(f"text is one string, so text_pair must be one string; got {type(text_pair).__name__}")
        _check_str(text, text_pair)
        enc = _encode_many(tokenizer, [text] + ([text_pair] if text_pair is not None else []))
        row = _encode_row(tokenizer, enc[0], enc[1] if text_pair is not None else None, **options)
        if row.get("overflowing_tokens") == [] or return_tensors:
            row.pop("overflowing_tokens", None)
            row.pop("num_truncated_tokens", None)
        rows, single = [row], True
    else:
        if text_pair is not None and (not _is_batch(text_pair) or len(text_pair) != len(text)):
            raise ValueError(
                "If `text` is a batch, `text_pair` must be a batch of the same length; "
                f"got {len(text)} texts and {text_pair!r:.80}"
            )
        pairs = text_pair if text_pair is not None else [None] * len(text)
        items = []
        for t, p in zip(text, pairs):
            if _is_batch(t) and p is None:
                if len(t) != 2:
                    raise ValueError(
                        f"A batch item given as a sequence must be a (text, text_pair) pair, got {t!r:.80}"
                    )
                t, p = t
            _check_str(t, p)
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
    _pad_rows(tokenizer, rows, pad, max_length, pad_to_multiple_of, return_attention_mask, single)
    keys = list(rows[0]) if rows else ["input_ids"]
    out = BatchEncoding()
    for key in keys:
        out[key] = rows[0][key] if single else [r[key] for r in rows]
    if return_tensors:
        for key in keys:
            value = [out[key]] if single else out[key]
            if len({len(v) for v in value}) > 1:
                raise ValueError(
                    f"Cannot build a tensor from rows of different lengths for {key!r}; "
                    "use padding=True or padding='max_length'."
                )
            arr = np.asarray(value, dtype=np.int64)
            if not single and not value:
                arr = np.zeros((0, 0), np.int64)
            if return_tensors == "tf":
                import tensorflow as tf

                arr = tf.constant(arr, dtype=tf.int32)
            out[key] = arr
    return out


def _check_str(text, pair):
    if not isinstance(text, str) or (pair is not None and not isinstance(pair, str)):
        raise ValueError(f"Expected str inputs, got {type(text).__name__} and {type(pair).__name__}")


def _encode_many(tokenizer, texts):
    """[(ids, offsets)] for each text, batched when the tokenizer can."""
    if hasattr(tokenizer, "_encode_texts"):
        return tokenizer._encode_texts(texts)
    return [tokenizer._encode_text(t) for t in texts]


def _encode_row(
    tokenizer, first, second, trunc, max_length, stride, overflow, special_mask, type_ids, offsets, add_special
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
        a, b, cut = truncate(a, b, total - max_length, trunc, stride)
        if offsets:
            off_a = off_a[: len(a)]
            off_b = off_b[: len(b)] if b is not None else None
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


def _pad_rows(tokenizer, rows, pad, max_length, multiple, attention, single):
    if single:
        target = len(rows[0]["input_ids"]) if pad == "longest" else max_length
    else:
        target = max((len(r["input_ids"]) for r in rows), default=0) if pad == "longest" else max_length
    if pad and target is not None and multiple and target % multiple:
        target = (target // multiple + 1) * multiple
    for row in rows:
        n = len(row["input_ids"])
        if attention:
            row["attention_mask"] = [1] * n
        if not pad or target is None or n >= target:
            continue
        d = target - n
        row["input_ids"] = row["input_ids"] + [tokenizer.pad_token_id] * d
        if attention:
            row["attention_mask"] = row["attention_mask"] + [0] * d
        if "token_type_ids" in row:
            row["token_type_ids"] = row["token_type_ids"] + [0] * d
        if "special_tokens_mask" in row:
            row["special_tokens_mask"] = row["special_tokens_mask"] + [1] * d
        if "offset_mapping" in row:
            row["offset_mapping"] = row["offset_mapping"] + [(0, 0)] * d
