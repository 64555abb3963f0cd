"""TFBertTokenizer's length, padding and truncation options: validated in one place.

The constructor and every call (whose keywords override the constructor's, as in
transformers 4.x) resolve their options here, and export code checks a tokenizer's
`max_length` against a model's position table with `check_max_length`. No TensorFlow
import, so a CLI can validate before it loads TensorFlow.
"""

import operator

PADDING = ("longest", "max_length")
TRUNCATION = {
    True: "longest_first",
    False: None,
    None: None,
    "longest_first": "longest_first",
    "only_first": "only_first",
    "only_second": "only_second",
    "do_not_truncate": None,
}


def check_max_length(max_length, max_position_embeddings=None, pair=False, name="max_length"):
    """Returns `max_length` if it can hold the special tokens, else raises ValueError naming it.

    A single sequence needs room for [CLS] and [SEP] (at least 2), a pair for [CLS] a [SEP]
    b [SEP] (at least 3). With `max_position_embeddings` (a model's config), `max_length`
    must not exceed it: longer inputs would index past the position embeddings. None means
    no limit and is returned as is.
    """
    if max_length is None:
        return None
    if isinstance(max_length, bool) or not hasattr(max_length, "__index__"):
        raise ValueError(f"{name} must be a positive int or None, got {max_length!r}")
    max_length = operator.index(max_length)
    least = 3 if pair else 2
    if max_length < least:
        what = "[CLS] a [SEP] b [SEP] of a pair" if pair else "[CLS] and [SEP]"
        raise ValueError(f"{name}={max_length} is too small: it must be at least {least} to hold {what}.")
    if max_position_embeddings is not None and max_length > max_position_embeddings:
        raise ValueError(
            f"{name}={max_length} exceeds the model's max_position_embeddings={max_position_embeddings}; "
            f"use at most {max_position_embeddings}."
        )
    return max_length


def check_padding(padding):
    """'longest' or 'max_length' (True means 'longest'); the output is always a dense tensor."""
    if padding is True:
        return "longest"
    if isinstance(padding, str) and padding in PADDING:
        return padding
    raise ValueError(f"padding must be 'longest' or 'max_length', got {padding!r}")


def check_truncation(truncation):
    """The truncation strategy name (None for none) of a transformers `truncation` value."""
    try:
        return TRUNCATION[truncation]
    except (KeyError, TypeError):
        raise ValueError(f"truncation must be one of {list(TRUNCATION)}, got {truncation!r}") from None


def check_pad_to_multiple_of(value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"pad_to_multiple_of must be a positive int or None, got {value!r}")
    return value


def resolve(layer, pair, **given):
    """Call options: each keyword that is not None overrides the layer's own, then all are checked.

    Returns a dict with padding, strategy (truncation strategy or None), max_length,
    pad_to_multiple_of, return_token_type_ids, return_attention_mask.
    """
    names = (
        "padding",
        "truncation",
        "max_length",
        "pad_to_multiple_of",
        "return_token_type_ids",
        "return_attention_mask",
    )
    opts = {k: getattr(layer, k) if given.get(k) is None else given[k] for k in names}
    padding = check_padding(opts["padding"])
    max_length = check_max_length(opts["max_length"], pair=pair)
    if padding == "max_length" and max_length is None:
        raise ValueError("padding='max_length' needs max_length (an int), got None.")
    strategy = check_truncation(opts["truncation"])
    multiple = check_pad_to_multiple_of(opts["pad_to_multiple_of"])
    if strategy and multiple and max_length is not None and max_length % multiple:
        # As transformers' tokenizers: a truncated row would be padded past max_length.
        raise ValueError(
            f"Truncation and padding are both on but max_length ({max_length}) is not "
            f"a multiple of pad_to_multiple_of ({multiple})."
        )
    return dict(
        padding=padding,
        strategy=strategy,
        max_length=max_length,
        pad_to_multiple_of=multiple,
        return_token_type_ids=bool(opts["return_token_type_ids"]),
        return_attention_mask=bool(opts["return_attention_mask"]),
    )
