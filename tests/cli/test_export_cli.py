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
