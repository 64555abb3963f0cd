"""KerasMetricCallback (transformers 4.x): whole-set metrics computed each epoch land in logs."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_bert
from keras_bert.callbacks import KerasMetricCallback, _concatenate_batches


def _data(n=12, t=6, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, 99, (n, t)).astype("int32")
    return {"input_ids": ids, "attention_mask": np.ones_like(ids)}, rng.integers(0, 3, (n,)).astype("int32")


def _accuracy(eval_predictions):
    logits, labels = eval_predictions
    return {"accuracy": float(np.mean(np.argmax(logits, -1) == labels)), "n": int(len(labels))}


def test_metric_lands_in_logs_and_history(make_tiny_config):
    keras.utils.set_random_seed(0)
    model = keras_bert.TFBertForSequenceClassification(make_tiny_config(num_labels=3))
    x, y = _data()
    train = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
    eval_ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(5)  # ragged last batch of 2
    callback = KerasMetricCallback(_accuracy, eval_dataset=eval_ds)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(train, epochs=2, callbacks=[callback], verbose=0)
    assert history.history["n"] == [12, 12]
    # After training, the logged accuracy equals NumPy's over the model's final predictions.
    logits = np.asarray(model(x).logits)
    want = float(np.mean(np.argmax(logits, -1) == y))
    assert history.history["accuracy"][-1] == pytest.approx(want, abs=1e-9)
    assert "loss" in history.history


def test_labels_inside_the_input_dict_and_unbatched_data(make_tiny_config):
    model = keras_bert.TFBertForSequenceClassification(make_tiny_config(num_labels=3))
    x, y = _data(n=7)
    seen = {}

    def metric_fn(eval_predictions):
        seen["preds"], seen["labels"] = eval_predictions
        return {"count": len(eval_predictions[1])}

    callback = KerasMetricCallback(metric_fn, eval_dataset={**x, "labels": y}, batch_size=3)
    assert callback.label_cols == ["labels"]
    callback.set_model(model)
    logs = {}
    callback.on_epoch_end(0, logs)
    assert logs == {"count": 7}
    np.testing.assert_array_equal(seen["labels"], y)
    np.testing.assert_allclose(seen["preds"], np.asarray(model({**x}).logits), rtol=1e-5, atol=1e-6)


def test_errors_and_ragged_concatenation(make_tiny_config):
    x, _ = _data(n=4)
    with pytest.raises(ValueError, match="batch_size argument must be set"):
        KerasMetricCallback(_accuracy, eval_dataset=x)
    with pytest.raises(ValueError, match="Could not autodetect label_cols"):
        KerasMetricCallback(_accuracy, eval_dataset=tf.data.Dataset.from_tensor_slices(x).batch(2))
    with pytest.raises(ValueError, match="Label tags is in label_cols"):
        KerasMetricCallback(_accuracy, eval_dataset=x, batch_size=2, label_cols=["tags"])
    out = _concatenate_batches([np.ones((2, 3)), np.full((1, 5), 2.0)])
    np.testing.assert_array_equal(out, [[1, 1, 1, -100, -100], [1, 1, 1, -100, -100], [2, 2, 2, 2, 2]])
    model = keras_bert.TFBertForSequenceClassification(make_tiny_config(num_labels=3))
    callback = KerasMetricCallback(
        _accuracy, eval_dataset={**x, "labels": np.zeros(4)}, batch_size=2, predict_with_generate=True
    )
    callback.set_model(model)
    with pytest.raises(NotImplementedError, match="TFBertForSequenceClassification cannot generate"):
        callback.on_epoch_end(0, {})
