"""Twin checkpoints: save_pretrained -> transformers, legacy names, clear errors on bad files."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file, save_file

import keras_bert.torch as kt
from keras_bert.checkpoints import CheckpointError
from tests.support.twin import assert_close, batch, make_hf, transformers

HEADS = [
    "BertModel",
    "BertForPreTraining",
    "BertForMaskedLM",
    "BertForNextSentencePrediction",
    "BertForSequenceClassification",
    "BertForMultipleChoice",
    "BertForTokenClassification",
    "BertForQuestionAnswering",
    "BertLMHeadModel",
]


def _first_output(out):
    return out.last_hidden_state if hasattr(out, "last_hidden_state") and out.last_hidden_state is not None else out[0]


@pytest.mark.parametrize("name", HEADS)
def test_twin_save_loads_into_transformers(tmp_path, name):
    extra = {"is_decoder": True} if name == "BertLMHeadModel" else {}
    make_hf(name, tmp_path / "src", **extra)
    twin = getattr(kt, name).from_pretrained(tmp_path / "src")
    twin.save_pretrained(tmp_path / "out")
    config = json.loads((tmp_path / "out" / "config.json").read_text())
    assert config["architectures"] == [name]
    saved = load_file(str(tmp_path / "out" / "model.safetensors"))
    assert "cls.predictions.decoder.weight" not in saved and "cls.predictions.decoder.bias" not in saved
    if name == "BertModel":
        assert not any(k.startswith("bert.") for k in saved)
    else:
        assert all(k.startswith(("bert.", "cls.", "classifier.", "qa_outputs.")) for k in saved)
    hf, info = getattr(transformers, name).from_pretrained(
        tmp_path / "out", attn_implementation="eager", output_loading_info=True
    )
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"], info
    hf.eval()
    inputs = batch()
    if name == "BertForMultipleChoice":
        inputs = {k: v.unsqueeze(1).expand(-1, 2, -1).contiguous() for k, v in inputs.items()}
    with torch.no_grad():
        ref, out = hf(**inputs), twin(**inputs)
    assert_close(
        _first_output(out),
        _first_output(ref),
        mask=None if name != "BertModel" else inputs["attention_mask"][..., None].expand_as(ref.last_hidden_state),
    )
    # and back into the twin, identical
    again = getattr(kt, name).from_pretrained(tmp_path / "out")
    for k, v in twin.state_dict().items():
        assert torch.equal(again.state_dict()[k], v), k


def test_legacy_names_bin_and_prefix(tmp_path):
    """gamma/beta, position_ids buffers, .bin format, and a `bert.`-prefixed checkpoint into the bare model."""
    hf = make_hf("BertForPreTraining", tmp_path / "src")
    state = {}
    for k, v in hf.state_dict().items():
        if k in ("cls.predictions.decoder.weight",):
            continue
        k = k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
        state[k] = v.clone()
    state["bert.embeddings.position_ids"] = torch.arange(64)[None]
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    torch.save(state, legacy / "pytorch_model.bin")
    (legacy / "config.json").write_text((tmp_path / "src" / "config.json").read_text())
    base = kt.BertModel.from_pretrained(legacy)
    assert base.loading_info["missing_keys"] == []
    assert set(base.loading_info["unexpected_keys"]) == {
        "cls.predictions.bias",
        "cls.predictions.transform.dense.weight",
        "cls.predictions.transform.dense.bias",
        "cls.predictions.transform.LayerNorm.weight",
        "cls.predictions.transform.LayerNorm.bias",
        "cls.seq_relationship.weight",
        "cls.seq_relationship.bias",
    }
    pre = kt.BertForPreTraining.from_pretrained(legacy)
    assert pre.loading_info["missing_keys"] == [] and pre.loading_info["unexpected_keys"] == []
    inputs = batch()
    with torch.no_grad():
        ref = hf(**inputs)
        out = pre(**inputs)
        ref_base = transformers.BertModel.from_pretrained(tmp_path / "src", attn_implementation="eager").eval()(
            **inputs
        )
        out_base = base(**inputs)
    assert_close(out.prediction_logits, ref.prediction_logits)
    assert_close(out_base.pooler_output, ref_base.pooler_output)


def test_untied_decoder(tmp_path):
    hf = make_hf("BertForMaskedLM", tmp_path, tie_word_embeddings=False)
    twin = kt.BertForMaskedLM.from_pretrained(tmp_path)
    assert twin.cls.predictions.decoder.weight is not twin.bert.embeddings.word_embeddings.weight
    assert twin.loading_info["missing_keys"] == [] and twin.loading_info["unexpected_keys"] == []
    inputs = batch()
    with torch.no_grad():
        assert_close(twin(**inputs).logits, hf(**inputs).logits)
    twin.save_pretrained(tmp_path / "out")
    assert "cls.predictions.decoder.weight" in load_file(str(tmp_path / "out" / "model.safetensors"))


def _rewrite(src, dst, edit):
    os.makedirs(dst, exist_ok=True)
    state = load_file(os.path.join(src, "model.safetensors"))
    edit(state)
    save_file(state, os.path.join(dst, "model.safetensors"))
    with open(os.path.join(src, "config.json")) as f, open(os.path.join(dst, "config.json"), "w") as g:
        g.write(f.read())


def test_missing_key_raises(tmp_path):
    make_hf("BertModel", tmp_path / "src")
    _rewrite(tmp_path / "src", tmp_path / "bad", lambda s: s.pop("encoder.layer.1.output.dense.weight"))
    with pytest.raises(CheckpointError, match=r"bert\.encoder\.layer\.1\.output\.dense\.weight"):
        kt.BertModel.from_pretrained(tmp_path / "bad")
    model = kt.BertModel.from_pretrained(tmp_path / "bad", allow_missing_base=True)
    assert model.loading_info["missing_keys"] == ["bert.encoder.layer.1.output.dense.weight"]


def test_wrong_shape_raises_naming_key_and_shapes(tmp_path):
    make_hf("BertModel", tmp_path / "src")

    def edit(state):
        state["encoder.layer.0.attention.self.query.weight"] = np.zeros((32, 16), np.float32)

    _rewrite(tmp_path / "src", tmp_path / "bad", edit)
    with pytest.raises(CheckpointError) as err:
        kt.BertModel.from_pretrained(tmp_path / "bad")
    msg = str(err.value)
    assert "bert.encoder.layer.0.attention.self.query.weight" in msg and "(32, 32)" in msg and "(32, 16)" in msg
    # a config override that does not fit the weights is reported the same way
    with pytest.raises(CheckpointError, match=r"word_embeddings.*\(120, 32\).*\(99, 32\)"):
        kt.BertModel.from_pretrained(tmp_path / "src", vocab_size=120)


def test_missing_files_raise(tmp_path):
    with pytest.raises(FileNotFoundError, match="config.json"):
        kt.BertModel.from_pretrained(tmp_path)
    make_hf("BertModel", tmp_path / "src")
    os.remove(tmp_path / "src" / "model.safetensors")
    with pytest.raises(CheckpointError, match="No HF weights"):
        kt.BertModel.from_pretrained(tmp_path / "src")
