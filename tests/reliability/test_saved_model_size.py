"""An exported SavedModel holds each variable once and still serves the same numbers, through
the TF2 loader and through a TF1 session (what TF Serving and `saved_model_cli run` use).

The audit found every variable stored twice (181.8 MB of variables for a 90.8 MB MiniLM): the
Keras model's variables and the backing `tf.Variable`s were both children of the module. The
bound: the variables data file is within 10% of the model's weight bytes (float32), and its
entries are exactly the model's weights, one each.
"""

import os
from collections import Counter

import numpy as np
import pytest
import tensorflow as tf

import keras_bert
from keras_bert.tokenization import BertTokenizer
from tests.support.tiny import tiny_config

TEXTS = ["a great movie", "", "naïve café — 東京 🙂", "[SEP] [MASK] written inside"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory, minilm_dir):
    tokenizer = BertTokenizer.from_pretrained(minilm_dir)
    config = keras_bert.BertConfig(**tiny_config(vocab_size=tokenizer.vocab_size))
    model = keras_bert.TFBertForSequenceClassification(config)  # not built: export must build it
    path = keras_bert.export_saved_model(model, tokenizer, tmp_path_factory.mktemp("size") / "cls" / "1", max_length=32)
    enc = tokenizer(TEXTS, padding=True, truncation=True, max_length=32, return_tensors="np")
    logits = model({k: v.astype("int32") for k, v in enc.items()}).logits.numpy()
    return path, model, logits


def test_each_variable_is_stored_once(exported):
    path, model, _ = exported
    prefix = os.path.join(path, "variables", "variables")
    stored = [(name, tuple(shape)) for name, shape in tf.train.list_variables(prefix)]
    stored = [(n, s) for n, s in stored if n != "_CHECKPOINTABLE_OBJECT_GRAPH"]
    assert Counter(s for _, s in stored) == Counter(tuple(w.shape) for w in model.weights), stored
    weight_bytes = sum(int(np.prod(w.shape)) * 4 for w in model.weights)
    data = os.path.getsize(prefix + ".data-00000-of-00001")
    assert weight_bytes <= data <= 1.10 * weight_bytes, (data, weight_bytes)


def test_serves_identically_through_tf2_and_tf1_loaders(exported):
    path, _, logits = exported
    got = tf.saved_model.load(path).signatures["serving_default"](text=tf.constant(TEXTS))
    np.testing.assert_allclose(got["logits"], logits, atol=1e-5)
    graph = tf.Graph()
    with tf.compat.v1.Session(graph=graph) as session:
        meta = tf.compat.v1.saved_model.loader.load(session, ["serve"], path)
        signature = meta.signature_def["serving_default"]
        feed = signature.inputs["text"].name
        fetch = signature.outputs["logits"].name
        np.testing.assert_allclose(session.run(fetch, {feed: np.array(TEXTS, object)}), logits, atol=1e-5)
        # TF Serving's "inputs" form with one string: a scalar tensor, served as a batch of one.
        np.testing.assert_allclose(session.run(fetch, {feed: np.array(TEXTS[0], object)}), logits[:1], atol=1e-5)
        assert session.run(fetch, {feed: np.array([], object)}).shape == (0, 2)


def test_save_pretrained_saved_model_stores_variables_once_and_loads_in_tf1(tmp_path):
    """`save_pretrained(saved_model=True)` (transformers 4.x's SavedModel): the same guarantees."""
    model = keras_bert.TFBertForSequenceClassification(keras_bert.BertConfig(**tiny_config()))
    batch = {"input_ids": np.array([[5, 6, 7, 8]], "int32"), "attention_mask": np.array([[1, 1, 1, 0]], "int32")}
    batch["token_type_ids"] = np.zeros_like(batch["input_ids"])
    logits = model(batch).logits.numpy()
    model.save_pretrained(tmp_path / "out", saved_model=True)
    path = str(tmp_path / "out" / "saved_model" / "1")
    stored = [tuple(s) for n, s in tf.train.list_variables(path + "/variables/variables") if not n.startswith("_")]
    assert Counter(stored) == Counter(tuple(w.shape) for w in model.weights)
    graph = tf.Graph()
    with tf.compat.v1.Session(graph=graph) as session:
        signature = tf.compat.v1.saved_model.loader.load(session, ["serve"], path).signature_def["serving_default"]
        feed = {signature.inputs[k].name: v for k, v in batch.items()}
        np.testing.assert_allclose(session.run(signature.outputs["logits"].name, feed), logits, atol=1e-5)
    # A request of another rank is refused by name, not inside the model (signatures of any rank).
    serving = tf.saved_model.load(path).signatures["serving_default"]
    np.testing.assert_allclose(serving(**batch)["logits"], logits, atol=1e-5)
    flat = {k: tf.constant(v[0]) for k, v in batch.items()}
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"input_ids must be \(batch, length\); got shape.*\[4\]"):
        serving(**flat)
