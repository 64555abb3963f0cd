"""A subclassed Keras model holding a TFBertTokenizer and a keras_bert model (strings in, logits
out) exports with `model.export`, `tf.saved_model.save` and `model.export` with a string input
signature; each reloads in a process importing only tensorflow and tensorflow_text with the
in-process numbers. Keras alone traces such a model with float32 inputs (its `input_dtype`)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_bert import BertConfig
from keras_bert.models.task_heads import TFBertForSequenceClassification
from keras_bert.tokenization import TFBertTokenizer
from tests.serving.test_hf_serving import run_fresh
from tests.support.tiny import tiny_config

WORDS = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "hello", "world", "café", "東", "京"]
TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", "!", ",", "##s", "##ing"] + WORDS
TEXTS = ["The quick brown fox jumps over the lazy dog.", "Hello world!", "", "café 東京 unknownword, dogs"]


class TextClassifier(keras.Model):
    """What a user writes: raw text in, logits out."""

    def __init__(self, vocab_file, **kwargs):
        super().__init__(**kwargs)
        self.tokenizer = TFBertTokenizer(vocab_file, max_length=16)
        self.classifier = TFBertForSequenceClassification(
            BertConfig(**tiny_config(vocab_size=len(TOKENS), num_labels=3))
        )

    def call(self, text):
        return self.classifier(self.tokenizer(text)).logits


@pytest.fixture
def text_model(tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(TOKENS) + "\n", encoding="utf-8")
    model = TextClassifier(str(vocab))
    expected = keras.ops.convert_to_numpy(model(tf.constant(TEXTS)))
    return model, expected


@pytest.mark.slow
def test_three_exports_reload_in_a_tensorflow_only_process(text_model, tmp_path):
    model, expected = text_model
    assert model.input_dtype == "string"
    model.export(str(tmp_path / "export"), verbose=False)
    tf.saved_model.save(model, str(tmp_path / "saved"))
    spec = [tf.TensorSpec([None], tf.string, name="text")]
    model.export(str(tmp_path / "export_sig"), input_signature=spec, verbose=False)
    text = [(TEXTS, "string")]
    for name, runs in {
        "export": [("attr", "serve", text), ("signature", "serving_default", text)],
        "saved": [("signature", "serving_default", text)],
        "export_sig": [("attr", "serve", text), ("signature", "serving_default", text)],
    }.items():
        got = run_fresh(tmp_path / name, runs, tmp_path / f"{name}_out", tf_text=True)
        assert len(got) == len(runs), (name, sorted(got))
        for key, value in got.items():
            np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-5, err_msg=f"{name} {key}")


def test_models_that_do_not_take_text_keep_keras_input_dtype(text_model, tmp_path):
    class Floats(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    floats = Floats()
    floats(np.zeros((2, 3), "float32"))
    assert floats.input_dtype == "float32"

    class TextAndFeatures(keras.Model):
        """Two inputs, only one of them text: Keras has one input dtype, so nothing changes."""

        def __init__(self, vocab_file):
            super().__init__()
            self.tokenizer = TFBertTokenizer(vocab_file)

        def call(self, text, features):
            ids = self.tokenizer(text)["input_ids"]
            return tf.cast(tf.reduce_sum(ids, axis=1), tf.float32) + tf.reduce_sum(features, axis=1)

    mixed = TextAndFeatures(str(tmp_path / "vocab.txt"))
    out = mixed(tf.constant(TEXTS[:2]), tf.ones((2, 3)))
    assert mixed.input_dtype == "float32"
    # Keras still casts float inputs to the model's float dtype on later calls.
    np.testing.assert_allclose(mixed(tf.constant(TEXTS[:2]), tf.ones((2, 3), tf.float64)), out)
    tokenizer = TFBertTokenizer(str(tmp_path / "vocab.txt"))
    functional_in = keras.Input((), dtype="string")
    functional = keras.Model(functional_in, tokenizer(functional_in)["input_ids"])
    assert functional.input_dtype == "float32"
