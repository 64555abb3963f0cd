"""Format auto-detection and Keras-native weights behind from_pretrained."""

import os

import numpy as np
import pytest
import torch

import keras_bert
from keras_bert.checkpoints import CheckpointError, detect_format, load_checkpoint
from keras_bert.checkpoints.detect import guess_head


def test_detects_every_format(tmp_path, hf_checkpoint):
    src, _ = hf_checkpoint("BertForPreTraining")
    assert detect_format(src) == "hf"
    assert detect_format(os.path.join(src, "model.safetensors")) == "hf"
    model = keras_bert.TFBertForPreTraining.from_pretrained(src)
    model.save_pretrained(tmp_path / "tf", format="tf-h5")
    assert detect_format(tmp_path / "tf") == "tf-h5"
    # Renamed files are recognized by content.
    os.rename(tmp_path / "tf" / "tf_model.h5", tmp_path / "weights.h5")
    assert detect_format(tmp_path / "weights.h5") == "tf-h5"
    renamed = tmp_path / "weights.dat"
    renamed.write_bytes(open(os.path.join(src, "model.safetensors"), "rb").read())
    assert detect_format(renamed) == "hf"
    model.save_weights(tmp_path / "m.weights.h5")
    assert detect_format(tmp_path / "m.weights.h5") == "keras"
    with pytest.raises(CheckpointError, match="Unknown checkpoint format"):
        detect_format(tmp_path / "tf")  # only config.json left
    with pytest.raises(CheckpointError, match="does not exist"):
        detect_format(tmp_path / "missing")


def test_keras_native_directories(tmp_path, hf_checkpoint, make_batch):
    from keras_bert.torch import BertForSequenceClassification

    src, ref = hf_checkpoint("BertForSequenceClassification", num_labels=3)
    model = keras_bert.TFBertForSequenceClassification.from_pretrained(src)
    batch = make_batch()
    want = np.asarray(model(batch).logits)
    cfg = model.config.copy(architectures=["BertForSequenceClassification"])
    # config.json + model.weights.h5 (model.save_weights)
    w = tmp_path / "weights"
    cfg.save_pretrained(w)
    model.save_weights(w / "model.weights.h5")
    assert detect_format(w) == "keras"
    np.testing.assert_array_equal(
        np.asarray(keras_bert.TFBertForSequenceClassification.from_pretrained(w)(batch).logits), want
    )
    # Without `architectures`, the class comes from the groups in the file.
    cfg.copy(architectures=None).save_pretrained(w)
    assert set(load_checkpoint(w)) == set(model.hf_state_dict())
    # config.json + model.keras (model.save); the .keras file alone is self-describing.
    k = tmp_path / "keras"
    cfg.save_pretrained(k)
    model.save(k / "model.keras")
    np.testing.assert_array_equal(
        np.asarray(keras_bert.TFBertForSequenceClassification.from_pretrained(k)(batch).logits), want
    )
    state = load_checkpoint(k / "model.keras")
    assert guess_head(state) == "BertForSequenceClassification"
    with torch.no_grad():
        twin = BertForSequenceClassification.from_pretrained(k)
        got = twin(**{n: torch.tensor(v).long() for n, v in batch.items()}).logits.numpy()
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_weights_without_config_is_clear(tmp_path, hf_checkpoint):
    src, _ = hf_checkpoint("BertModel")
    model = keras_bert.TFBertModel.from_pretrained(src)
    model.save_weights(tmp_path / "x.weights.h5")
    with pytest.raises(CheckpointError, match="config.json beside it"):
        load_checkpoint(tmp_path / "x.weights.h5")


def test_guess_head_from_weights():
    w = {"bert.embeddings.word_embeddings.weight": np.zeros((2, 2))}
    assert guess_head(w) == "BertModel"
    assert guess_head({**w, "cls.predictions.bias": 0, "cls.seq_relationship.weight": 0}) == "BertForPreTraining"
    assert guess_head({**w, "cls.predictions.bias": 0}) == "BertForMaskedLM"
    assert guess_head({**w, "qa_outputs.weight": 0}) == "BertForQuestionAnswering"
    assert guess_head({**w, "classifier.weight": 0, "bert.pooler.dense.weight": 0}) == "BertForSequenceClassification"
    assert guess_head({**w, "classifier.weight": 0}) == "BertForTokenClassification"
    cfg = keras_bert.BertConfig(architectures=["TFBertForMultipleChoice"])
    assert guess_head({**w, "classifier.weight": 0}, cfg) == "BertForMultipleChoice"


def test_keras_native_classes_come_from_the_registry(tmp_path, make_tiny_config, monkeypatch):
    """Checkpoint code never imports keras_bert.models: a class missing from the Keras registry
    is a clear error, and `classes=` supplies classes explicitly."""
    import keras

    from keras_bert.checkpoints.keras_native import load_keras_native_model
    from keras_bert.checkpoints.keras_weights import state_dict

    model = keras_bert.TFBertForMaskedLM(make_tiny_config())
    model.build()
    model.save(tmp_path / "model.keras")
    model.config.copy(architectures=["BertForMaskedLM"]).save_pretrained(tmp_path / "w")
    model.save_weights(tmp_path / "w" / "model.weights.h5")
    registered = keras.saving.get_registered_object("keras_bert>TFBertForMaskedLM")
    assert registered is keras_bert.TFBertForMaskedLM
    monkeypatch.setattr(keras.saving, "get_registered_object", lambda name, *args, **kwargs: None)
    for path in (tmp_path / "model.keras", tmp_path / "w"):
        with pytest.raises(CheckpointError, match=r"'TFBertForMaskedLM' is not registered.*import keras_bert\.models"):
            load_keras_native_model(path)
    loaded = load_keras_native_model(tmp_path / "w", classes={"TFBertForMaskedLM": registered})
    assert type(loaded) is registered
    want, got = state_dict(model), state_dict(loaded)
    assert set(got) == set(want)
    for name in want:
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)
