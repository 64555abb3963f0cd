"""Padding/truncation strategy resolution and the truncation arithmetic of the Python path.

Semantics follow the reference (transformers' Python BERT tokenizer):

* `max_length` alone turns on "longest_first" truncation;
* `truncation=True` is "longest_first"; `padding=True` is "longest";
* without `max_length`, truncation and "max_length" padding use `model_max_length` (unset: no
  truncation, no padding);
* pairs under "longest_first" first shorten the longer sequence down to the shorter one, then take
  the remainder half from each (first gets the floor);
* "only_first" may cut the first sequence down to nothing; "only_second" leaves single sequences
  and empty second sequences alone.
"""

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
