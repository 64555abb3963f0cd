"""`model.prepare_tf_dataset`: a Hugging Face `datasets.Dataset` -> a `tf.data.Dataset` for `fit`.

transformers 4.x `TFPreTrainedModel.prepare_tf_dataset`, on our model contract: the columns kept
are the model's inputs (`keras_bert.contract.INPUT_NAMES`) and labels (`model.spec.label_names`,
plus `label`/`label_ids`, which the collators rename `labels`); everything else (raw text, ids of
examples) is dropped. Batches are collated by `collate_fn` (default: `DataCollatorWithPadding`
with a tokenizer, else `DefaultDataCollator`, both to NumPy) through `datasets`'
`to_tf_dataset`, so each element is `(inputs, labels)` as `model.fit` wants: inputs a dict (or
one tensor when only one input column is left, as transformers), labels one tensor (or a dict
for several label columns, e.g. question answering's start/end positions).
"""

from __future__ import annotations

from collections.abc import Mapping

from keras_bert.contract import INPUT_NAMES

_RENAMED_LABELS = ("label", "label_ids")  # the collators turn these into "labels"


def _as_datasets_dataset(dataset):
    try:
        import datasets
    except ImportError as e:
        raise ImportError("prepare_tf_dataset needs the `datasets` package: pip install datasets") from e
    if isinstance(dataset, datasets.Dataset):
        return dataset
    if isinstance(dataset, (list, tuple)) and dataset and all(isinstance(row, Mapping) for row in dataset):
        return datasets.Dataset.from_list([dict(row) for row in dataset])
    if isinstance(dataset, Mapping):
        return datasets.Dataset.from_dict(dict(dataset))
    raise TypeError(
        "Dataset argument should be a datasets.Dataset (or a non-empty list of row dicts, or a dict of "
        f"columns), got {type(dataset).__name__}"
    )


def prepare_tf_dataset(
    model,
    dataset,
    batch_size: int = 8,
    shuffle: bool = True,
    tokenizer=None,
    collate_fn=None,
    collate_fn_args=None,
    drop_remainder: bool | None = None,
    prefetch: bool = True,
):
    """A `tf.data.Dataset` of collated batches of `dataset`, ready for `model.fit`.

    Args:
        model: a keras_bert model (its `spec.label_names` say which columns are labels).
        dataset: a `datasets.Dataset`, a list of row dicts, or a dict of columns.
        batch_size: rows per batch.
        shuffle: shuffle the rows each epoch.
        tokenizer: with no `collate_fn`, pads each batch with `DataCollatorWithPadding(tokenizer)`.
        collate_fn, collate_fn_args: a collator called as `collate_fn(rows, **collate_fn_args)`;
            it must return NumPy arrays (`return_tensors="np"`).
        drop_remainder: drop the last partial batch; None follows `shuffle`, as transformers.
        prefetch: prefetch batches.

    Example:
        ds = datasets.Dataset.from_dict({"text": texts, "label": labels})
        ds = ds.map(lambda rows: tokenizer(rows["text"], truncation=True), batched=True)
        tf_ds = model.prepare_tf_dataset(ds, batch_size=16, shuffle=True, tokenizer=tokenizer)
        model.compile(optimizer="adam")  # the head's own loss
        model.fit(tf_ds, epochs=3)
    """
    from keras_bert.collators import DataCollatorWithPadding, DefaultDataCollator

    dataset = _as_datasets_dataset(dataset)
    if collate_fn is None:
        if tokenizer is None:
            collate_fn = DefaultDataCollator(return_tensors="np")
        else:
            collate_fn = DataCollatorWithPadding(tokenizer=tokenizer, return_tensors="np")
    collate_fn_args = dict(collate_fn_args or {})
    label_names = tuple(model.spec.label_names)
    wanted = set(INPUT_NAMES) | set(label_names) | set(_RENAMED_LABELS)
    unwanted = [column for column in dataset.column_names if column not in wanted]
    dataset = dataset.remove_columns(unwanted)
    if not any(column in INPUT_NAMES for column in dataset.column_names):
        raise ValueError(
            f"None of the dataset's columns is a model input (one of {list(INPUT_NAMES)}); "
            f"dropped columns: {unwanted}. Tokenize the text first, e.g. dataset.map(tokenizer_fn, batched=True)"
        )
    output_signature, _ = type(dataset)._get_output_signature(
        dataset, collate_fn=collate_fn, collate_fn_args=collate_fn_args, batch_size=None
    )
    output_columns = list(output_signature)
    feature_cols = [c for c in output_columns if c in INPUT_NAMES and c not in label_names]
    label_cols = [c for c in output_columns if c in label_names]
    # As transformers: one column is passed as a string, so the element is a tensor, not a dict.
    feature_cols = feature_cols[0] if len(feature_cols) == 1 else feature_cols
    label_cols = label_cols[0] if len(label_cols) == 1 else label_cols
    if drop_remainder is None:
        drop_remainder = shuffle
    return dataset.to_tf_dataset(
        columns=feature_cols,
        label_cols=label_cols or None,
        batch_size=batch_size,
        shuffle=shuffle,
        drop_remainder=drop_remainder,
        collate_fn=collate_fn,
        collate_fn_args=collate_fn_args,
        prefetch=prefetch,
    )


__all__ = ["prepare_tf_dataset"]
