"""Padding of encoded rows: the `__call__` padding step and transformers' `PreTrainedTokenizerBase.pad`."""

from collections.abc import Mapping

import numpy as np

from keras_bert.tokenization.batch_encoding import BatchEncoding
from keras_bert.tokenization.truncation import resolve_strategies


def _side(tokenizer, name):
    side = getattr(tokenizer, name, "right")
    if side not in ("right", "left"):
        raise ValueError(f"{name} must be 'right' or 'left', got {side!r}")
    return side


def check_pad_token(tokenizer, strategy):
    """transformers' error for padding with a tokenizer that has no pad token."""
    if strategy and tokenizer.pad_token_id is None:
        raise ValueError(
            "Asking to pad but the tokenizer does not have a padding token. Please select a token to use as "
            "`pad_token` `(tokenizer.pad_token = tokenizer.eos_token e.g.)` or add a new pad token via "
            "`tokenizer.add_special_tokens({'pad_token': '[PAD]'})`."
        )


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
    check_pad_token(tokenizer, strategy)
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
