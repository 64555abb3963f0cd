"""Keras callbacks with transformers 4.x names: `KerasMetricCallback`.

Metrics that Keras cannot compute batch by batch (F1 over a whole set, seqeval, SQuAD scores)
need every prediction and label at once. `KerasMetricCallback` runs the model over an evaluation
set at the end of each epoch, concatenates predictions and labels (padding ragged token-level
batches with -100), calls the user's `metric_fn((predictions, labels))` and writes the returned
dict into the epoch's `logs`, where History, EarlyStopping, ModelCheckpoint and TensorBoard see
it, as transformers 4.x's callback does.
"""

from __future__ import annotations

import logging

import keras
import numpy as np
import tensorflow as tf

logger = logging.getLogger(__name__)


def _concatenate_batches(batches, padding_index=-100):
    """(B_i, T_i, ...) arrays -> (sum B_i, max T_i, ...), shorter rows padded with `padding_index`."""
    if batches[0].ndim == 1 or all(batch.shape[1] == batches[0].shape[1] for batch in batches):
        return np.concatenate(batches, axis=0)
    max_len = max(batch.shape[1] for batch in batches)
    num_samples = sum(batch.shape[0] for batch in batches)
    output = np.full_like(batches[0], padding_index, shape=[num_samples, max_len, *batches[0].shape[2:]])
    start = 0
    for batch in batches:
        output[start : start + len(batch), : batch.shape[1]] = batch
        start += len(batch)
    return output


def _postprocess(batches):
    """A list of per-batch outputs (arrays, dicts or lists of arrays) -> one concatenated value;
    a dict or list with one entry collapses to its array."""
    first = batches[0]
    if isinstance(first, dict):
        out = {key: _concatenate_batches([np.asarray(b[key]) for b in batches]) for key in first}
        return next(iter(out.values())) if len(out) == 1 else out
    if isinstance(first, (list, tuple)):
        out = [_concatenate_batches([np.asarray(a) for a in arrays]) for arrays in zip(*batches)]
        return out[0] if len(out) == 1 else out
    if isinstance(first, (np.ndarray, tf.Tensor)) or hasattr(first, "__array__"):
        return _concatenate_batches([np.asarray(b) for b in batches])
    raise TypeError(f"Couldn't handle batch of type {type(first)}!")


def _as_dict(predictions):
    """Model outputs (an output record, dict or array) as a plain dict where they have keys."""
    if isinstance(predictions, dict):
        return dict(predictions)
    if hasattr(predictions, "to_dict"):
        return dict(predictions.to_dict())
    if hasattr(predictions, "keys") and hasattr(predictions, "__getitem__"):
        return {key: predictions[key] for key in predictions.keys()}
    return predictions


class KerasMetricCallback(keras.callbacks.Callback):
    """Computes metrics over `eval_dataset` at each epoch end and adds them to `logs`
    (transformers 4.x `KerasMetricCallback`).

    Args:
        metric_fn: called as `metric_fn((predictions, labels))` with NumPy arrays (dicts of them
            when the model or labels have several entries, minus the loss); returns a dict of
            metric name -> value.
        eval_dataset: a batched `tf.data.Dataset` of `(inputs, labels)` or of input dicts that
            hold the labels; or anything `tf.data.Dataset.from_tensor_slices` takes, with `batch_size`.
        output_cols: model output keys to keep (default: all but the loss).
        label_cols: keys of the input dict that are labels (default: the dataset's second element,
            else "labels", else "start_positions"/"end_positions").
        batch_size: needed when `eval_dataset` is not a `tf.data.Dataset`.
        predict_with_generate: predictions are `model.generate(...)` outputs (needs a model with
            `generate`); `use_xla_generation` compiles it with XLA; `generate_kwargs` go to `generate`.

    Example:
        def metric_fn(eval_predictions):
            logits, labels = eval_predictions
            return {"accuracy": float(np.mean(np.argmax(logits, -1) == labels))}

        callback = KerasMetricCallback(metric_fn, eval_dataset=validation_tf_dataset)
        model.fit(train_tf_dataset, epochs=3, callbacks=[callback])  # history has "accuracy"
    """

    def __init__(
        self,
        metric_fn,
        eval_dataset,
        output_cols=None,
        label_cols=None,
        batch_size=None,
        predict_with_generate=False,
        use_xla_generation=False,
        generate_kwargs=None,
    ):
        super().__init__()
        self.metric_fn = metric_fn
        self.batch_size = batch_size
        if not isinstance(eval_dataset, tf.data.Dataset):
            if batch_size is None:
                raise ValueError(
                    "When passing data to KerasMetricCallback that is not a pre-batched tf.data.Dataset "
                    "the batch_size argument must be set."
                )
            eval_dataset = tf.data.Dataset.from_tensor_slices(eval_dataset).batch(batch_size, drop_remainder=False)
        self.eval_dataset = eval_dataset
        self.predict_with_generate = predict_with_generate
        self.output_cols = output_cols
        spec = eval_dataset.element_spec
        input_spec, label_spec = spec if isinstance(spec, tuple) and len(spec) == 2 else (spec, None)
        if label_cols is not None:
            for label in label_cols:
                if not isinstance(input_spec, dict) or label not in input_spec:
                    raise ValueError(f"Label {label} is in label_cols but could not be found in the dataset inputs!")
            self.label_cols, self.use_keras_label = list(label_cols), False
        elif label_spec is not None:
            self.label_cols, self.use_keras_label = None, True
        elif isinstance(input_spec, dict) and "labels" in input_spec:
            self.label_cols, self.use_keras_label = ["labels"], False
            logger.warning("No label_cols specified for KerasMetricCallback, assuming you want the 'labels' key.")
        elif isinstance(input_spec, dict) and "start_positions" in input_spec and "end_positions" in input_spec:
            self.label_cols, self.use_keras_label = ["start_positions", "end_positions"], False
            logger.warning(
                "No label_cols specified for KerasMetricCallback, assuming you want the "
                "start_positions and end_positions keys."
            )
        else:
            raise ValueError("Could not autodetect label_cols for KerasMetricCallback, please specify them!")
        self.use_xla_generation = use_xla_generation
        self.generate_kwargs = {} if generate_kwargs is None else generate_kwargs
        self.generation_function = None

    def _generate(self, batch):
        model = self.model
        if not callable(getattr(model, "generate", None)) or not getattr(model, "can_generate", lambda: True)():
            raise NotImplementedError(
                f"predict_with_generate=True needs a model with `generate`; {type(model).__name__} cannot "
                "generate (use a causal LM head such as TFBertLMHeadModel, or predict_with_generate=False)"
            )
        main_input_name = getattr(model, "main_input_name", "input_ids")
        if isinstance(batch, dict):
            inputs, attention_mask = batch[main_input_name], batch.get("attention_mask")
        else:
            inputs, attention_mask = batch, None
        if self.use_xla_generation:
            if self.generation_function is None:

                def generation_function(inputs, attention_mask):
                    return model.generate(inputs, attention_mask=attention_mask, **self.generate_kwargs)

                self.generation_function = tf.function(generation_function, jit_compile=True)
            return self.generation_function(inputs, attention_mask=attention_mask)
        return model.generate(inputs, attention_mask=attention_mask, **self.generate_kwargs)

    def _predict(self, batch):
        predictions = _as_dict(self.model.predict_on_batch(batch))
        if isinstance(predictions, dict):
            config = getattr(self.model, "config", None)
            ignore = list(getattr(config, "keys_to_ignore_at_inference", None) or []) + ["loss"]
            if self.output_cols is not None:
                missing = [key for key in self.output_cols if key not in predictions]
                if missing:
                    raise KeyError(f"output_cols {missing} are not model outputs; the outputs are {list(predictions)}")
                predictions = {key: predictions[key] for key in self.output_cols}
            else:
                predictions = {k: v for k, v in predictions.items() if k not in ignore and v is not None}
        return predictions

    def on_epoch_end(self, epoch, logs=None):
        prediction_list, label_list = [], []
        for batch in self.eval_dataset:
            labels = None
            if isinstance(batch, tuple):
                batch, labels = batch
            predictions = self._generate(batch) if self.predict_with_generate else self._predict(batch)
            prediction_list.append(predictions)
            if not self.use_keras_label:
                labels = {key: batch[key].numpy() for key in self.label_cols}
            elif isinstance(labels, dict):
                labels = {key: np.asarray(array) for key, array in labels.items()}
            elif isinstance(labels, (list, tuple)):
                labels = [np.asarray(array) for array in labels]
            elif isinstance(labels, tf.Tensor):
                labels = labels.numpy()
            else:
                raise TypeError(f"Confused by labels of type {type(labels)}")
            label_list.append(labels)
        all_preds = _postprocess(prediction_list)
        all_labels = _postprocess(label_list)
        metric_output = self.metric_fn((all_preds, all_labels))
        if not isinstance(metric_output, dict):
            raise TypeError(
                f"metric_fn should return a dict mapping metric names to values but instead returned {metric_output}"
            )
        if logs is not None:
            logs.update(metric_output)


__all__ = ["KerasMetricCallback"]
