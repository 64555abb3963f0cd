"""Data collators with transformers 4.x names: lists of features -> one padded batch.

A collator is what `prepare_tf_dataset` (and a user's own loop) calls on a list of rows. Padding
is always `tokenizer.pad` (one implementation, shared with the tokenizers); BERT masking is always
`keras_bert.data.mask_tokens` (the same op the tf.data pretraining pipeline uses). Batches are
built in NumPy and handed out as "np", "tf" or "pt" tensors (`return_tensors`, default "pt" as in
transformers; "pt" needs torch installed).

dtypes follow transformers' TF collators: with "tf", ids from Python ints are int32, class labels
int64 (`DefaultDataCollator`), token-classification batches int64 throughout, and the masked-LM
`input_ids`/`labels` int64. "np" and "pt" use int64.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

IGNORE_INDEX = -100
_RETURN_TENSORS = ("np", "tf", "pt")


def _check_return_tensors(return_tensors):
    if return_tensors not in _RETURN_TENSORS:
        raise ValueError(f"return_tensors must be one of {_RETURN_TENSORS}, got {return_tensors!r}")
    return return_tensors


def _as_framework(array, return_tensors, tf_dtype=None):
    """A NumPy array as a tensor of `return_tensors`; `tf_dtype` overrides the TensorFlow dtype."""
    if return_tensors == "np":
        return array
    if return_tensors == "tf":
        import tensorflow as tf

        if tf_dtype is None and array.dtype == np.int64:
            tf_dtype = tf.int32  # what tf.constant makes of Python ints
        elif tf_dtype is None and array.dtype == np.float64:
            tf_dtype = tf.float32
        return tf.constant(array, dtype=tf_dtype)
    try:
        import torch
    except ImportError as e:
        raise ImportError("return_tensors='pt' needs torch; use return_tensors='tf' or 'np'") from e
    return torch.as_tensor(array)


def _to_numpy(value):
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        return value.numpy()
    return np.asarray(value)


def _features(features):
    if not features:
        raise ValueError("A collator needs at least one feature, got an empty list")
    if not isinstance(features[0], Mapping):
        features = [vars(f) for f in features]
    return features


class DataCollatorMixin:
    """`collator(features, return_tensors=None)`: None uses the collator's `return_tensors`."""

    return_tensors: str = "pt"

    def __call__(self, features, return_tensors=None):
        return self.collate(features, _check_return_tensors(return_tensors or self.return_tensors))


def default_data_collator(features, return_tensors="pt"):
    """Stacks features that already share one shape (no padding), as transformers'.

    `label` (or `label_ids`) becomes `labels`: int64 for int labels, float32 for float ones;
    string fields and None values are dropped.

    Example:
        batch = default_data_collator([{"input_ids": [1, 2], "label": 0}, {"input_ids": [3, 4], "label": 1}], "np")
        batch["labels"]  # array([0, 1])
    """
    return_tensors = _check_return_tensors(return_tensors)
    features = _features(features)
    first = features[0]
    batch = {}
    for name in ("label", "label_ids"):
        if first.get(name) is not None:
            labels = np.stack([_to_numpy(f[name]) for f in features])
            dtype = np.int64 if labels.dtype.kind in "iub" else np.float32
            batch["labels"] = _as_framework(labels.astype(dtype), return_tensors, tf_dtype=_tf_dtype(dtype))
            break
    for key, value in first.items():
        if key in ("label", "label_ids") or value is None or isinstance(value, str):
            continue
        try:
            array = np.stack([_to_numpy(f[key]) for f in features])
        except ValueError as e:
            raise ValueError(
                f"Feature {key!r} has different lengths across the batch; default_data_collator does not pad "
                "(use DataCollatorWithPadding)"
            ) from e
        batch[key] = _as_framework(array, return_tensors)
    return batch


def _tf_dtype(np_dtype):
    import tensorflow as tf

    return tf.int64 if np.dtype(np_dtype) == np.int64 else tf.float32


@dataclass
class DefaultDataCollator(DataCollatorMixin):
    """`default_data_collator` as an object, as transformers' `DefaultDataCollator`.

    Example:
        collator = DefaultDataCollator(return_tensors="tf")
        batch = collator([{"input_ids": [101, 102], "label": 1}] * 4)
    """

    return_tensors: str = "pt"

    def collate(self, features, return_tensors):
        return default_data_collator(features, return_tensors)


@dataclass
class DataCollatorWithPadding:
    """Pads each batch to its longest row with `tokenizer.pad`, as transformers'.

    `label`/`label_ids` are renamed `labels`. `padding`, `max_length`, `pad_to_multiple_of`: as
    `tokenizer.pad`. `return_tensors`: "np", "tf" or "pt" (default, as transformers).

    Example:
        collator = DataCollatorWithPadding(tokenizer, return_tensors="tf")
        batch = collator([tokenizer("short"), tokenizer("a longer sentence")])
        batch["input_ids"].shape  # (2, 5)
    """

    tokenizer: object
    padding: object = True
    max_length: int | None = None
    pad_to_multiple_of: int | None = None
    return_tensors: str = "pt"

    def __call__(self, features):
        batch = self.tokenizer.pad(
            list(features),
            padding=self.padding,
            max_length=self.max_length,
            pad_to_multiple_of=self.pad_to_multiple_of,
            return_tensors=_check_return_tensors(self.return_tensors),
        )
        for name in ("label", "label_ids"):
            if name in batch:
                batch["labels"] = batch.pop(name)
        return batch


@dataclass
class DataCollatorForTokenClassification(DataCollatorMixin):
    """Pads inputs with `tokenizer.pad` and per-token labels with `label_pad_token_id` (-100, which
    the losses ignore), on the tokenizer's padding side; every value comes back int64.

    Example:
        collator = DataCollatorForTokenClassification(tokenizer, return_tensors="np")
        batch = collator([{"input_ids": [101, 7, 102], "labels": [-100, 3, -100]},
                          {"input_ids": [101, 102], "labels": [-100, -100]}])
        batch["labels"]  # [[-100, 3, -100], [-100, -100, -100]]
    """

    tokenizer: object
    padding: object = True
    max_length: int | None = None
    pad_to_multiple_of: int | None = None
    label_pad_token_id: int = IGNORE_INDEX
    return_tensors: str = "pt"

    def collate(self, features, return_tensors):
        features = _features(features)
        label_name = "label" if "label" in features[0] else "labels"
        labels = [_to_numpy(f[label_name]).tolist() for f in features] if label_name in features[0] else None
        batch = self.tokenizer.pad(
            [{k: v for k, v in f.items() if k != label_name} for f in features],
            padding=self.padding,
            max_length=self.max_length,
            pad_to_multiple_of=self.pad_to_multiple_of,
            return_tensors="np",
        )
        if labels is not None:
            length = batch["input_ids"].shape[1]
            pad = self.label_pad_token_id
            left = getattr(self.tokenizer, "padding_side", "right") == "left"
            batch[label_name] = np.array(
                [[pad] * (length - len(row)) + row if left else row + [pad] * (length - len(row)) for row in labels],
                dtype=np.int64,
            )
        tf_dtype = _tf_dtype(np.int64) if return_tensors == "tf" else None
        return {
            key: _as_framework(np.asarray(value, np.int64), return_tensors, tf_dtype) for key, value in batch.items()
        }


@dataclass
class DataCollatorForLanguageModeling(DataCollatorMixin):
    """Masked-LM (or causal-LM) batches, as transformers' `DataCollatorForLanguageModeling`.

    Features are encodings (dicts; padded with `tokenizer.pad`) or lists of ids. With `mlm`, each
    non-special token is chosen with `mlm_probability`; of the chosen, `mask_replace_prob` become
    [MASK], `random_replace_prob` a random token, the rest stay (80/10/10). `labels` hold the
    original id where chosen and -100 elsewhere. Special tokens (the features'
    `special_tokens_mask` when given, else the tokenizer's special ids, padding included) are
    never chosen. Without `mlm`, `labels` are the inputs with padding set to -100.
    `seed` makes the masks reproducible (one seeded stream per collator).

    Example:
        collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15, return_tensors="tf", seed=0)
        batch = collator([tokenizer("the first text"), tokenizer("and a second one")])
        model(batch)  # TFBertForMaskedLM: the loss is computed from batch["labels"]
    """

    tokenizer: object
    mlm: bool = True
    mlm_probability: float = 0.15
    mask_replace_prob: float = 0.8
    random_replace_prob: float = 0.1
    pad_to_multiple_of: int | None = None
    return_tensors: str = "pt"
    seed: int | None = None

    def __post_init__(self):
        if self.mlm and getattr(self.tokenizer, "mask_token", None) is None:
            raise ValueError(
                "This tokenizer does not have a mask token which is necessary for masked language modeling. "
                "You should pass `mlm=False` to train on causal language modeling instead."
            )
        if not 0 <= self.mlm_probability <= 1:
            raise ValueError(f"mlm_probability should be between 0 and 1, got {self.mlm_probability}")
        self._rng = np.random.default_rng(self.seed) if self.seed is not None else None

    def collate(self, examples, return_tensors):
        if not examples:
            raise ValueError("A collator needs at least one example, got an empty list")
        if isinstance(examples[0], Mapping):
            batch = dict(
                self.tokenizer.pad(list(examples), pad_to_multiple_of=self.pad_to_multiple_of, return_tensors="np")
            )
        else:
            ids = {"input_ids": [_to_numpy(e).tolist() for e in examples]}
            padded = self.tokenizer.pad(
                ids, pad_to_multiple_of=self.pad_to_multiple_of, return_attention_mask=False, return_tensors="np"
            )
            batch = {"input_ids": padded["input_ids"]}
        batch = {key: np.asarray(value) for key, value in batch.items()}
        special = batch.pop("special_tokens_mask", None)
        batch.pop("offset_mapping", None)
        input_ids = batch["input_ids"].astype(np.int64)
        if self.mlm:
            batch["input_ids"], batch["labels"] = self.mask_tokens(input_ids, special)
        else:
            labels = input_ids.copy()
            labels[labels == self.tokenizer.pad_token_id] = IGNORE_INDEX
            batch["labels"] = labels
        out = {}
        for key, value in batch.items():
            lm_key = self.mlm and key in ("input_ids", "labels")  # transformers' tf_mask_tokens works in int64
            out[key] = _as_framework(
                value, return_tensors, _tf_dtype(np.int64) if lm_key and return_tensors == "tf" else None
            )
        return out

    def mask_tokens(self, input_ids, special_tokens_mask=None):
        """(B, T) int64 ids -> (masked ids, labels) as NumPy arrays (see the class doc)."""
        from keras_bert.data import mask_tokens

        if special_tokens_mask is None:
            special_tokens_mask = [
                self.tokenizer.get_special_tokens_mask(row, already_has_special_tokens=True)
                for row in input_ids.tolist()
            ]
        seed = None if self._rng is None else self._rng.integers(0, 2**31 - 1, size=2)
        masked, labels = mask_tokens(
            input_ids,
            np.asarray(special_tokens_mask, np.int64),
            mask_token_id=self.tokenizer.mask_token_id,
            vocab_size=_vocab_size(self.tokenizer),
            mlm_probability=self.mlm_probability,
            seed=seed,
            mask_replace_prob=self.mask_replace_prob,
            random_replace_prob=self.random_replace_prob,
        )
        return masked.numpy().astype(np.int64), labels.numpy().astype(np.int64)


def _vocab_size(tokenizer):
    try:
        return len(tokenizer)  # transformers draws random tokens from len(tokenizer)
    except TypeError:
        return tokenizer.vocab_size


__all__ = [
    "DataCollatorForLanguageModeling",
    "DataCollatorForTokenClassification",
    "DataCollatorWithPadding",
    "DefaultDataCollator",
    "default_data_collator",
]
