"""`keras-bert-convert export`: checkpoint directory -> TF Serving SavedModel, with exit codes."""

import os
import shutil

import numpy as np
import tensorflow as tf

import keras_bert
from keras_bert.cli.convert import main
from keras_bert.tokenization import BertTokenizer


def _checkpoint(tmp_path, minilm_dir):
    """A tiny sequence classifier using the MiniLM vocabulary, saved in HF format + vocab."""
    config = keras_bert.BertConfig(
        vocab_size=30522,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=4,
        intermediate_size=37,
        id2label={0: "neg", 1: "pos"},
    )
    model = keras_bert.TFBertForSequenceClassification(config)
    path = tmp_path / "ckpt"
    model.save_pretrained(path)
    shutil.copy(os.path.join(minilm_dir, "vocab.txt"), path)
    return model, path


def test_export_classifier_and_exit_codes(tmp_path, minilm_dir):
    model, ckpt = _checkpoint(tmp_path, minilm_dir)
    out = tmp_path / "saved_models" / "tiny"
    assert main(["export", str(ckpt), str(out), "--max-length", "16"]) == 0
    version = out / "1"  # a non-numeric OUT gets a version directory
    served = tf.saved_model.load(str(version)).signatures["serving_default"]
    result = served(text=tf.constant(["a fine day", "ünïcode"]))
    enc = BertTokenizer.from_pretrained(minilm_dir)(["a fine day", "ünïcode"], padding=True, return_tensors="np")
    logits = tf.function(lambda x: model(x).logits)({k: tf.constant(v) for k, v in enc.items()})
    np.testing.assert_allclose(result["logits"].numpy(), logits.numpy(), atol=1e-5)
    assert set(s.decode() for s in result["label"].numpy()) <= {"neg", "pos"}
    # An existing OUT is refused (usage, 2); --force replaces it.
    assert main(["export", str(ckpt), str(version)]) == 2
    assert main(["export", str(ckpt), str(version), "--task", "features", "--force"]) == 0
    assert "sentence_embedding" in tf.saved_model.load(str(version)).signatures["serving_default"].structured_outputs


def test_export_without_vocab_is_bad_input_and_writes_nothing(tmp_path, minilm_dir, capsys):
    _, ckpt = _checkpoint(tmp_path, minilm_dir)
    os.remove(ckpt / "vocab.txt")
    out = tmp_path / "never" / "1"
    assert main(["export", str(ckpt), str(out)]) == 3
    assert "vocab.txt" in capsys.readouterr().err
    assert not out.exists()
    assert main(["export", str(tmp_path / "nope"), str(out)]) == 3
    assert main(["export", str(ckpt), str(out), "--task", "translation"]) == 2


def test_export_unpadded_serves_the_models_logits(tmp_path, minilm_dir):
    """`--unpadded`: the SavedModel runs on the real tokens only. Its token logits equal the Keras
    model's on the padded batch at real tokens and are 0 at padded positions (where the padded path
    holds values computed for the pad tokens), which shows the flag reached the export."""
    config = keras_bert.BertConfig(
        vocab_size=30522, hidden_size=32, num_hidden_layers=1, num_attention_heads=4, intermediate_size=37
    )
    model = keras_bert.TFBertForTokenClassification(config)
    ckpt = tmp_path / "ckpt"
    model.save_pretrained(ckpt)
    shutil.copy(os.path.join(minilm_dir, "vocab.txt"), ckpt)
    out = tmp_path / "unpadded" / "1"
    assert main(["export", str(ckpt), str(out), "--unpadded"]) == 0
    texts = ["a fine day for a long walk by the river", "ünïcode"]
    served = tf.saved_model.load(str(out)).signatures["serving_default"](text=tf.constant(texts))
    enc = BertTokenizer.from_pretrained(minilm_dir)(texts, padding=True, return_tensors="np")
    real = enc["attention_mask"].astype(bool)
    assert not real.all()  # really padded
    logits = tf.function(lambda x: model(x).logits)({k: tf.constant(v) for k, v in enc.items()}).numpy()
    got = served["logits"].numpy()
    np.testing.assert_allclose(got[real], logits[real], atol=1e-5)
    assert np.abs(logits[~real]).max() > 0 and np.abs(got[~real]).max() == 0
