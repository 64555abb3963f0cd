"""HF PyTorch checkpoints: every layout loads, save_pretrained is read by transformers, bad files fail clearly."""

import json
import os
import pickle

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file, save_file

from keras_bert import TFBertModel
from keras_bert.checkpoints import CheckpointError


def _hidden(model, batch):
    return np.asarray(model(batch).last_hidden_state)


def _torch_hidden(model, batch):
    with torch.no_grad():
        return model(**{k: torch.tensor(v).long() for k, v in batch.items()}).last_hidden_state.numpy()


def test_save_pretrained_loads_in_transformers(tmp_path, hf_checkpoint, make_batch):
    import transformers

    src, ref = hf_checkpoint()
    batch = make_batch()
    model = TFBertModel.from_pretrained(src)
    out = tmp_path / "ours"
    model.save_pretrained(out)
    assert sorted(os.listdir(out)) == ["config.json", "model.safetensors"]
    assert json.loads((out / "config.json").read_text())["architectures"] == ["BertModel"]
    loaded, info = transformers.BertModel.from_pretrained(out, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
    np.testing.assert_allclose(_torch_hidden(loaded.eval(), batch), _torch_hidden(ref, batch), atol=1e-6)
    # Same tensors as the source checkpoint, bit for bit, and back into keras_bert.
    a, b = load_file(os.path.join(src, "model.safetensors")), load_file(out / "model.safetensors")
    assert set(a) == set(b) and all(np.array_equal(a[k], b[k]) for k in a)
    np.testing.assert_array_equal(_hidden(TFBertModel.from_pretrained(out), batch), _hidden(model, batch))


def _state(path):
    return load_file(os.path.join(path, "model.safetensors"))


def test_pytorch_bin_prefix_legacy_names_and_buffers(tmp_path, hf_checkpoint, make_batch):
    src, ref = hf_checkpoint()
    batch = make_batch()
    expected = _torch_hidden(ref, batch)
    state = _state(src)
    # Old style: `bert.` prefix, LayerNorm gamma/beta, a position_ids buffer, saved as .bin.
    legacy = {}
    for k, v in state.items():
        k = "bert." + k
        k = k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
        legacy[k] = torch.tensor(v)
    legacy["bert.embeddings.position_ids"] = torch.arange(64)[None]
    d = tmp_path / "legacy"
    d.mkdir()
    torch.save(legacy, d / "pytorch_model.bin")
    (d / "config.json").write_text(open(os.path.join(src, "config.json")).read())
    np.testing.assert_allclose(_hidden(TFBertModel.from_pretrained(d), batch), expected, atol=1e-5)


def test_sharded_safetensors(tmp_path, hf_checkpoint, make_batch):
    src, ref = hf_checkpoint()
    batch = make_batch()
    state = _state(src)
    d = tmp_path / "sharded"
    d.mkdir()
    names = sorted(state)
    half = len(names) // 2
    weight_map = {}
    for i, chunk in enumerate((names[:half], names[half:])):
        shard = f"model-0000{i + 1}-of-00002.safetensors"
        save_file({k: state[k] for k in chunk}, d / shard)
        weight_map.update({k: shard for k in chunk})
    (d / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    (d / "config.json").write_text(open(os.path.join(src, "config.json")).read())
    np.testing.assert_allclose(_hidden(TFBertModel.from_pretrained(d), batch), _torch_hidden(ref, batch), atol=1e-5)


@pytest.fixture
def broken(tmp_path, hf_checkpoint):
    src, _ = hf_checkpoint()
    state = _state(src)
    config = open(os.path.join(src, "config.json")).read()

    def make(name, state=state, weights_file="model.safetensors", raw=None):
        d = tmp_path / name
        d.mkdir()
        (d / "config.json").write_text(config)
        if raw is not None:
            (d / weights_file).write_bytes(raw)
        else:
            save_file(state, d / weights_file)
        return d

    return make, state


def test_missing_key_names_key_and_file(broken):
    make, state = broken
    d = make("missing", state={k: v for k, v in state.items() if "layer.1.output.dense.weight" not in k})
    with pytest.raises(CheckpointError, match=r"missing.*encoder\.layer\.1\.output\.dense\.weight") as err:
        TFBertModel.from_pretrained(d)
    assert str(d) in str(err.value)


def test_wrong_shape_names_key_and_shapes(broken):
    make, state = broken
    bad = dict(state)
    bad["encoder.layer.0.attention.self.query.weight"] = np.zeros((32, 16), "float32")
    d = make("shape", state=bad)
    with pytest.raises(CheckpointError, match=r"query\.weight.*expects \(32, 32\).*has \(32, 16\)"):
        TFBertModel.from_pretrained(d)


def test_truncated_safetensors(broken, hf_checkpoint):
    make, _ = broken
    src, _ = hf_checkpoint(subdir="src2")
    raw = open(os.path.join(src, "model.safetensors"), "rb").read()
    d = make("truncated", raw=raw[: len(raw) // 2])
    with pytest.raises(CheckpointError, match=r"model\.safetensors.*truncated"):
        TFBertModel.from_pretrained(d)


def test_nonexistent_path():
    with pytest.raises(FileNotFoundError, match="does-not-exist"):
        TFBertModel.from_pretrained("/nonexistent/does-not-exist")


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_bin_with_pickled_code_is_refused(broken):
    make, _ = broken
    d = make("evil", weights_file="pytorch_model.bin", raw=pickle.dumps({"x": _Evil()}))
    with pytest.raises(CheckpointError, match=r"pytorch_model\.bin.*not a plain tensor state dict"):
        TFBertModel.from_pretrained(d)


def test_directory_without_weights(tmp_path, hf_checkpoint):
    src, _ = hf_checkpoint()
    os.remove(os.path.join(src, "model.safetensors"))
    with pytest.raises(CheckpointError, match="No HF weights"):
        TFBertModel.from_pretrained(src)
