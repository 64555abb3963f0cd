"""The MLM decoder, tied and untied, in every format we read and write (transformers 5 semantics).

Reference: transformers 5 `BertForMaskedLM`, `BertForPreTraining`, `BertLMHeadModel` with
`tie_word_embeddings=False`, perturbed so every tensor differs from every other, saved with
`save_pretrained` (safetensors: `cls.predictions.decoder.weight`, `.decoder.bias` and an unused
`cls.predictions.bias`) and as a torch `.bin` state dict.
"""

import json
import logging
import os

import h5py
import numpy as np
import pytest
import torch

from keras_bert.checkpoints import CheckpointError, checkpoint_state, load_checkpoint, resolve_state
from keras_bert.checkpoints.names import DECODER_BIAS, DECODER_WEIGHT, MLM_BIAS, WORD_EMBEDDINGS, is_redundant
from keras_bert.checkpoints.shards import read_index
from keras_bert.checkpoints.tf_h5 import read_tf_h5, write_tf_h5
from keras_bert.config import BertConfig
from tests.support.tiny import perturb_, tiny_config

UNTIED = ["BertForMaskedLM", "BertForPreTraining", "BertLMHeadModel"]


def _torch_model(class_name, seed=0, **overrides):
    import transformers

    config = tiny_config(tie_word_embeddings=False, is_decoder=class_name == "BertLMHeadModel", **overrides)
    torch.manual_seed(seed)
    return perturb_(getattr(transformers, class_name)(transformers.BertConfig(**config)), seed=seed).eval()


def _numpy_state(model):
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def _keras_like_names(model):
    """The canonical names a Keras model with an untied decoder holds: no cls.predictions.bias."""
    return {k for k in model.state_dict() if not k.endswith("position_ids") and k != MLM_BIAS}


@pytest.fixture(scope="module")
def untied_dirs(tmp_path_factory):
    """{class name: (safetensors dir, .bin dir, torch model)}."""
    out = {}
    for class_name in UNTIED:
        model = _torch_model(class_name)
        root = tmp_path_factory.mktemp(class_name)
        model.save_pretrained(root / "st")
        (root / "bin").mkdir()
        torch.save(model.state_dict(), root / "bin" / "pytorch_model.bin")
        (root / "bin" / "config.json").write_text((root / "st" / "config.json").read_text())
        out[class_name] = (root / "st", root / "bin", model)
    return out


@pytest.mark.parametrize("layout", ["st", "bin"])
@pytest.mark.parametrize("class_name", UNTIED)
def test_readers_keep_the_untied_decoder(untied_dirs, class_name, layout):
    st, bin_dir, model = untied_dirs[class_name]
    ref = _numpy_state(model)
    assert not np.allclose(ref[DECODER_WEIGHT], ref[WORD_EMBEDDINGS])  # really untied
    assert not np.allclose(ref[DECODER_BIAS], ref[MLM_BIAS])  # and the unused bias really differs
    state = load_checkpoint(st if layout == "st" else bin_dir)
    np.testing.assert_array_equal(state[DECODER_WEIGHT], ref[DECODER_WEIGHT])
    np.testing.assert_array_equal(state[DECODER_BIAS], ref[DECODER_BIAS])
    config = BertConfig.from_pretrained(st)
    assert config.tie_word_embeddings is False
    taken, ignored = resolve_state(state, _keras_like_names(model), config, model_name="TF" + class_name)
    np.testing.assert_array_equal(taken[DECODER_WEIGHT], ref[DECODER_WEIGHT])
    np.testing.assert_array_equal(taken[DECODER_BIAS], ref[DECODER_BIAS])
    assert ignored == {MLM_BIAS: "unused by an untied decoder"}
    assert is_redundant(ignored[MLM_BIAS])  # every untied file carries it: not "unexpected"
    assert set(taken) == _keras_like_names(model)


def test_transformers4_file_without_decoder_bias(untied_dirs):
    """transformers 4.x shared one Parameter between decoder.bias and bias: either may be absent."""
    st, _, model = untied_dirs["BertForMaskedLM"]
    state = load_checkpoint(st)
    state[MLM_BIAS] = state.pop(DECODER_BIAS)
    config = BertConfig.from_pretrained(st)
    taken, ignored = resolve_state(state, _keras_like_names(model), config)
    np.testing.assert_array_equal(taken[DECODER_BIAS], model.cls.predictions.decoder.bias.detach().numpy())
    assert ignored == {MLM_BIAS: "unused by an untied decoder"}
    # A model that keeps both biases (the twin, like transformers 5) gets each from the other.
    both = _keras_like_names(model) | {MLM_BIAS}
    taken, ignored = resolve_state(
        {k: v for k, v in state.items() if k != MLM_BIAS} | {DECODER_BIAS: state[MLM_BIAS]}, both, config
    )
    np.testing.assert_array_equal(taken[MLM_BIAS], taken[DECODER_BIAS])
    assert ignored == {}


@pytest.mark.parametrize("class_name", UNTIED)
def test_tf_h5_writer_and_reader_round_trip_the_decoder(tmp_path, untied_dirs, class_name):
    st, _, model = untied_dirs[class_name]
    ref = _numpy_state(model)
    config = BertConfig.from_pretrained(st)
    state = resolve_state(load_checkpoint(st), _keras_like_names(model), config)[0]
    written = checkpoint_state(state, config)
    np.testing.assert_array_equal(written[MLM_BIAS], ref[DECODER_BIAS])  # the copy transformers 4.x reads
    write_tf_h5(written, tmp_path / "tf_model.h5", "tf_bert_for_masked_lm")
    with h5py.File(tmp_path / "tf_model.h5", "r") as f:
        group = f["mlm___cls"]
        kernel = np.asarray(group["tf_bert_for_masked_lm/mlm___cls/predictions/decoder/kernel:0"])
        bias = np.asarray(group["tf_bert_for_masked_lm/mlm___cls/predictions/decoder/bias:0"])
    np.testing.assert_array_equal(kernel, ref[DECODER_WEIGHT].T)  # Keras layout [H, V]
    assert kernel.shape == (32, 99)
    np.testing.assert_array_equal(bias, ref[DECODER_BIAS])
    back = read_tf_h5(tmp_path / "tf_model.h5")
    assert set(back) == set(written)
    for name in back:
        np.testing.assert_array_equal(back[name], written[name], err_msg=name)
    np.testing.assert_array_equal(back[DECODER_WEIGHT], ref[DECODER_WEIGHT])


def test_untied_safetensors_from_checkpoint_state_load_in_transformers(tmp_path, untied_dirs):
    import transformers

    from keras_bert.checkpoints import write_safetensors

    st, _, model = untied_dirs["BertForMaskedLM"]
    config = BertConfig.from_pretrained(st)
    state = resolve_state(load_checkpoint(st), _keras_like_names(model), config)[0]
    out = tmp_path / "ours"
    out.mkdir()
    write_safetensors(checkpoint_state(state, config), str(out / "model.safetensors"))
    (out / "config.json").write_text((st / "config.json").read_text())
    loaded, info = transformers.BertForMaskedLM.from_pretrained(out, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
    ids = torch.tensor([[5, 7, 11, 13, 2]])
    with torch.no_grad():
        np.testing.assert_allclose(loaded.eval()(ids).logits.numpy(), model(ids).logits.numpy(), atol=1e-6)


def test_tied_model_refuses_an_untied_decoder(untied_dirs):
    import keras_bert

    st, _, _ = untied_dirs["BertForMaskedLM"]
    state = load_checkpoint(st)
    tied = BertConfig.from_pretrained(st, tie_word_embeddings=True)
    wanted = {k for k in state if not k.startswith("cls.predictions.decoder")}
    with pytest.raises(
        CheckpointError, match=r"cls\.predictions\.decoder\.weight.*untied decoder.*tie_word_embeddings=False"
    ):
        resolve_state(state, wanted, tied, source="ckpt")
    with pytest.raises(CheckpointError, match=r"tie_word_embeddings=False") as err:
        keras_bert.TFBertForMaskedLM.from_pretrained(st, tie_word_embeddings=True)
    assert str(st) in str(err.value)


def test_tied_checkpoint_redundant_decoder_is_ignored_with_reason(tmp_path, hf_checkpoint, make_batch, caplog):
    """transformers 4.x `.bin` files carry the tied decoder weight and bias as copies."""
    import keras_bert

    src, ref = hf_checkpoint("BertForMaskedLM")
    state = {k: v.clone() for k, v in ref.state_dict().items()}
    state[DECODER_WEIGHT] = state[WORD_EMBEDDINGS].clone()
    state[DECODER_BIAS] = state[MLM_BIAS].clone()
    d = tmp_path / "v4"
    d.mkdir()
    torch.save(state, d / "pytorch_model.bin")
    (d / "config.json").write_text(open(os.path.join(src, "config.json")).read())
    assert json.loads((d / "config.json").read_text()).get("tie_word_embeddings", True) is True
    with caplog.at_level(logging.INFO, logger="keras_bert"):
        model = keras_bert.TFBertForMaskedLM.from_pretrained(d)
    info = model.loading_info
    # The bias copy is the same values as cls.predictions.bias: canonicalize already folded it.
    assert info["ignored"] == {DECODER_WEIGHT: "tied to bert.embeddings.word_embeddings.weight"}
    assert info["missing_keys"] == [] and info["unexpected_keys"] == []
    assert "tied to bert.embeddings.word_embeddings.weight" in caplog.text
    batch = make_batch()
    with torch.no_grad():
        want = ref(**{k: torch.tensor(v).long() for k, v in batch.items()}).logits.numpy()
    np.testing.assert_allclose(np.asarray(model(batch).logits), want, atol=1e-5)


def test_ignored_reasons_for_heads_a_model_lacks(untied_dirs):
    st, _, model = untied_dirs["BertForPreTraining"]
    state = load_checkpoint(st)
    wanted = {k for k in state if k.startswith("bert.") and not k.startswith("bert.pooler.")}
    taken, ignored = resolve_state(state, wanted, BertConfig.from_pretrained(st), model_name="TFBertModel")
    assert set(taken) == wanted
    assert ignored["bert.pooler.dense.weight"] == "TFBertModel has no pooler"
    assert ignored[DECODER_WEIGHT] == "TFBertModel has no MLM head"
    assert ignored["cls.seq_relationship.weight"] == "TFBertModel has no NSP head"
    assert set(ignored) == set(state) - wanted


def test_canonicalize_folds_only_identical_decoder_bias():
    from keras_bert.checkpoints.names import canonicalize

    a, b = np.arange(3.0), np.arange(3.0) + 1
    assert set(canonicalize({MLM_BIAS: a, DECODER_BIAS: a.copy()})) == {MLM_BIAS}
    np.testing.assert_array_equal(canonicalize({DECODER_BIAS: b})[MLM_BIAS], b)
    kept = canonicalize({MLM_BIAS: a, DECODER_BIAS: b})
    np.testing.assert_array_equal(kept[DECODER_BIAS], b)
    # A tied model: a differing decoder bias is an untied decoder too; a model without an MLM head ignores it.
    cfg = BertConfig(vocab_size=3, hidden_size=2, num_attention_heads=1)
    with pytest.raises(CheckpointError, match=r"decoder\.bias.*tie_word_embeddings=False"):
        resolve_state(kept, {MLM_BIAS}, cfg)
    assert resolve_state(kept, {WORD_EMBEDDINGS}, cfg, model_name="TFBertModel")[1] == {
        MLM_BIAS: "TFBertModel has no MLM head",
        DECODER_BIAS: "TFBertModel has no MLM head",
    }


def test_tied_checkpoint_state_drops_aliases():
    state = {WORD_EMBEDDINGS: np.ones((3, 2)), DECODER_WEIGHT: np.ones((3, 2)), DECODER_BIAS: np.arange(3.0)}
    out = checkpoint_state(state, BertConfig(vocab_size=3, hidden_size=2, num_attention_heads=1))
    assert set(out) == {WORD_EMBEDDINGS, MLM_BIAS}
    np.testing.assert_array_equal(out[MLM_BIAS], np.arange(3.0))


# -- shard indexes --------------------------------------------------------------------------
def _index(directory, weight_map, name="model.safetensors.index.json"):
    path = directory / name
    path.write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    return path


@pytest.mark.parametrize("name", ["model.safetensors.index.json", "tf_model.h5.index.json"])
def test_shard_outside_the_directory_is_refused(tmp_path, name):
    d = tmp_path / "ckpt"
    d.mkdir()
    (tmp_path / "x").write_bytes(b"")
    _index(d, {"a.weight": "../x"}, name)
    with pytest.raises(CheckpointError, match=rf"{name}.*'a\.weight' -> '\.\./x'.*leaves the checkpoint directory"):
        load_checkpoint(d)
    _index(d, {"a.weight": str(tmp_path / "x")}, name)
    with pytest.raises(CheckpointError, match=r"'a\.weight'.*absolute path"):
        load_checkpoint(d / name)


def test_symlinked_shard_pointing_outside_is_refused(tmp_path):
    d = tmp_path / "ckpt"
    d.mkdir()
    (tmp_path / "secret.safetensors").write_bytes(b"")
    os.symlink(tmp_path / "secret.safetensors", d / "model-00001-of-00001.safetensors")
    index = _index(d, {"a.weight": "model-00001-of-00001.safetensors"})
    with pytest.raises(CheckpointError, match=r"'a\.weight'.*outside the checkpoint directory"):
        read_index(index)
    # A shard in a subdirectory of the checkpoint is fine.
    (d / "sub").mkdir()
    (d / "sub" / "s.safetensors").write_bytes(b"")
    assert read_index(_index(d, {"a.weight": "sub/s.safetensors"})) == {"a.weight": str(d / "sub" / "s.safetensors")}
