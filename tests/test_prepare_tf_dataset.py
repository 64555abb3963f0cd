"""model.prepare_tf_dataset (transformers 4.x) over datasets.Dataset and lists of rows; fit on it."""

import datasets
import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_bert
from keras_bert.collators import DataCollatorWithPadding
from keras_bert.models.tf_dataset import prepare_tf_dataset


@pytest.fixture(scope="module")
def tokenizer(minilm_dir):
    return keras_bert.BertTokenizerFast.from_pretrained(minilm_dir)  # pad id 0, as the tiny vocab


def _rows(n=20, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        length = int(rng.integers(3, 12))
        ids = [2, 5 + i, *rng.integers(5, 99, length - 3).tolist(), 3]  # unique rows
        rows.append({"text": f"row {i}", "input_ids": ids, "token_type_ids": [0] * length, "label": i % 3, "idx": i})
    return rows


def test_columns_labels_and_padding_match_the_collator(make_tiny_config, tokenizer):
    model = keras_bert.TFBertForSequenceClassification(make_tiny_config(num_labels=3))
    rows = _rows()
    ds = datasets.Dataset.from_list(rows)
    tf_ds = model.prepare_tf_dataset(ds, batch_size=8, shuffle=False, tokenizer=tokenizer)
    batches = list(tf_ds)
    assert len(batches) == 3  # shuffle=False keeps the remainder (drop_remainder follows shuffle)
    x, y = batches[0]
    assert sorted(x) == ["attention_mask", "input_ids", "token_type_ids"]  # text and idx dropped
    want = DataCollatorWithPadding(tokenizer, return_tensors="np")(
        [{k: r[k] for k in ("input_ids", "token_type_ids", "label")} for r in rows[:8]]
    )
    for key in x:
        np.testing.assert_array_equal(x[key].numpy(), want[key])
    np.testing.assert_array_equal(y.numpy(), want["labels"])
    # Shuffled: full batches only, every row at most once per epoch.
    shuffled = list(prepare_tf_dataset(model, rows, batch_size=8, tokenizer=tokenizer))
    assert len(shuffled) == 2 and all(b[0]["input_ids"].shape[0] == 8 for b in shuffled)
    firsts = sorted(tuple(r[r > 0].tolist()) for b in shuffled for r in b[0]["input_ids"].numpy())
    assert len(set(firsts)) == 16 and set(firsts) <= {tuple(r["input_ids"]) for r in rows}


def test_fit_one_epoch_on_a_datasets_dataset(make_tiny_config, tokenizer):
    keras.utils.set_random_seed(0)
    model = keras_bert.TFBertForSequenceClassification(make_tiny_config(num_labels=3))
    ds = datasets.Dataset.from_list(_rows(32))
    tf_ds = model.prepare_tf_dataset(ds, batch_size=8, shuffle=False, tokenizer=tokenizer)
    x0, y0 = next(iter(tf_ds))
    expected = float(model({**x0, "labels": y0}).loss)  # the head's loss on the first batch, before training
    model.compile(optimizer=keras.optimizers.SGD(0.0))  # lr 0: fit's loss is the untrained model's loss
    history = model.fit(tf_ds.take(1), epochs=1, verbose=0)
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(tf_ds, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_single_input_column_and_qa_label_columns(make_tiny_config):
    qa = keras_bert.TFBertForQuestionAnswering(make_tiny_config())
    rows = [{"input_ids": [2, 7, 8, 9, 3], "start_positions": 1, "end_positions": 2, "text": "x"}] * 4
    x, y = next(iter(qa.prepare_tf_dataset(rows, batch_size=2, shuffle=False)))
    assert isinstance(x, tf.Tensor) and x.shape == (2, 5)  # one input column: a tensor, as transformers
    assert sorted(y) == ["end_positions", "start_positions"]
    np.testing.assert_array_equal(y["start_positions"].numpy(), [1, 1])
    with pytest.raises(ValueError, match="None of the dataset's columns is a model input"):
        qa.prepare_tf_dataset([{"text": "raw"}], batch_size=1)
    with pytest.raises(TypeError, match="got int"):
        qa.prepare_tf_dataset(3)
