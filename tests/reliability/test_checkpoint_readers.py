"""Checkpoint readers and `from_pretrained` / `save_pretrained` against bad files: one error type
(CheckpointError, or OSError for paths as in transformers 4.x) whose message names the file."""

import os
import stat

import numpy as np
import pytest

import keras_bert
from keras_bert.checkpoints import CheckpointError, load_checkpoint
from keras_bert.checkpoints.hf_pytorch import read_safetensors
from tests.reliability.conftest import safetensors_bytes


def test_from_pretrained_weights_file_without_config_is_a_clear_error(sources):
    path = os.path.join(sources["hf"], "model.safetensors")
    with pytest.raises(OSError, match=r"model\.safetensors'\): a file, not a checkpoint directory.*config="):
        keras_bert.TFBertForMaskedLM.from_pretrained(path)


@pytest.mark.parametrize("fmt, name", [("hf", "model.safetensors"), ("bin", "pytorch_model.bin")])
def test_from_pretrained_weights_file_with_config_loads_it(sources, fmt, name, make_batch):
    """transformers 4.x: a weights file plus config= loads that file."""
    want = keras_bert.TFBertForMaskedLM.from_pretrained(sources["hf"])
    config = keras_bert.BertConfig.from_pretrained(sources["hf"])
    got = keras_bert.TFBertForMaskedLM.from_pretrained(os.path.join(sources[fmt], name), config=config)
    batch = make_batch()
    np.testing.assert_allclose(got(batch).logits.numpy(), want(batch).logits.numpy(), atol=1e-6)


def test_unreadable_safetensors_says_permission_denied(src_copy, monkeypatch):
    src = src_copy("hf")
    path = os.path.join(src, "model.safetensors")
    os.chmod(path, 0)
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, m, **kw: os.fspath(p) != path and real(p, m, **kw))  # root reads 000
    try:
        for load in (lambda: load_checkpoint(src), lambda: keras_bert.TFBertModel.from_pretrained(src)):
            with pytest.raises(
                CheckpointError, match=r"Cannot read checkpoint file '.*model\.safetensors': permission denied"
            ):
                load()
    finally:
        os.chmod(path, 0o644)


def _without_root_file_access(argv):
    """argv run so that file modes bind: as root, without the capabilities that bypass them
    (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), through util-linux's setpriv."""
    import shutil

    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    assert setpriv, "running as root: this test needs util-linux's setpriv to drop CAP_DAC_OVERRIDE"
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}", *argv]


def test_unreadable_safetensors_real_permissions(src_copy):
    """The real denial, not a patched os.access: a child process that cannot read the file (as root,
    without the capabilities that bypass file modes) gets the one-line error naming the file."""
    import subprocess
    import sys

    src = src_copy("hf")
    path = os.path.join(src, "model.safetensors")
    os.chmod(path, 0)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    code = (
        "from keras_bert.checkpoints import CheckpointError, load_checkpoint\n"
        f"try:\n    load_checkpoint({src!r})\nexcept CheckpointError as e:\n    print('ERROR', e)\n"
    )
    # KERAS_BACKEND=jax: reading safetensors needs no TensorFlow start-up.
    env = dict(os.environ, PYTHONPATH=repo, PYTHONDONTWRITEBYTECODE="1", KERAS_BACKEND="jax")
    try:
        res = subprocess.run(
            _without_root_file_access([sys.executable, "-c", code]),
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        os.chmod(path, 0o644)
    assert res.returncode == 0, res.stderr[-2000:]
    assert f"ERROR Cannot read checkpoint file '{path}': permission denied" in res.stdout, res.stdout


FORGED = {
    "not-json": b"\x08\0\0\0\0\0\0\0{notjson",
    "short": b"\x01\x02",
    "length-past-end": (1000).to_bytes(8, "little") + b"{}",
    "huge-length": (2**63).to_bytes(8, "little"),
    "offsets-past-end": safetensors_bytes({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 4),
    "bad-dtype": safetensors_bytes({"w": {"dtype": "X", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4),
    "shape-product": safetensors_bytes({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 4]}}, b"\0" * 4),
    "entry-not-dict": safetensors_bytes({"w": 5}),
}


@pytest.mark.parametrize("kind", sorted(FORGED))
def test_forged_safetensors(tmp_path, kind):
    path = tmp_path / "model.safetensors"
    path.write_bytes(FORGED[kind])
    with pytest.raises(CheckpointError, match=r"model\.safetensors"):
        read_safetensors(str(path))
    with pytest.raises(CheckpointError, match=r"model\.safetensors"):
        load_checkpoint(str(tmp_path))


@pytest.mark.parametrize("fmt", ["hf", "bin", "tf-h5", "keras"])
def test_truncated_file_through_from_pretrained(src_copy, sources, fmt):
    import shutil

    src = src_copy(fmt)
    if fmt == "keras":  # from_pretrained reads config.json first
        shutil.copy(os.path.join(sources["hf"], "config.json"), src)
    name = {"hf": "model.safetensors", "bin": "pytorch_model.bin", "tf-h5": "tf_model.h5", "keras": "model.keras"}[fmt]
    path = os.path.join(src, name)
    blob = open(path, "rb").read()
    open(path, "wb").write(blob[: len(blob) // 3])
    with pytest.raises(CheckpointError, match=name.replace(".", r"\.")):
        keras_bert.TFBertForMaskedLM.from_pretrained(src)


def test_plain_text_bin(tmp_path):
    (tmp_path / "pytorch_model.bin").write_text("e" * 200)
    with pytest.raises(CheckpointError, match=r"pytorch_model\.bin'.*not a PyTorch checkpoint"):
        load_checkpoint(str(tmp_path))


def test_keras_load_passes_safe_mode(src_copy, monkeypatch):
    import keras

    seen = {}
    real = keras.saving.load_model

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(keras.saving, "load_model", spy)
    load_checkpoint(src_copy("keras"))
    assert seen.get("safe_mode") is True


@pytest.mark.parametrize("fmt", ["hf", "tf-h5"])
def test_save_pretrained_is_atomic_and_follows_umask(tmp_path, fmt, monkeypatch, make_tiny_config):
    from keras_bert import atomic
    from keras_bert.checkpoints import hf_pytorch

    model = keras_bert.TFBertModel(make_tiny_config())
    model.build()
    out = tmp_path / "saved"
    old = os.umask(0o027)
    try:
        model.save_pretrained(out, format=fmt)
    finally:
        os.umask(old)
    weights = out / ("model.safetensors" if fmt == "hf" else "tf_model.h5")
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o750
    assert stat.S_IMODE(os.stat(weights).st_mode) == 0o640
    before = weights.read_bytes()
    if fmt == "hf":  # a failing writer leaves the previous weights and no temporary
        monkeypatch.setattr("keras_bert.models.pretrained.write_safetensors", _fail)
        with pytest.raises(OSError, match="disk full"):
            model.save_pretrained(out)
        assert weights.read_bytes() == before
    assert atomic.leftovers(out) == []
    assert hf_pytorch  # imported: the module monkeypatch names


def _fail(state, path):
    open(path, "wb").write(b"half")
    raise OSError(28, "disk full")


def test_save_pretrained_onto_a_file(tmp_path, make_tiny_config):
    (tmp_path / "f").write_text("x")
    model = keras_bert.TFBertModel(make_tiny_config())
    with pytest.raises(NotADirectoryError, match="'.*/f' is a file"):
        model.save_pretrained(tmp_path / "f")
    with pytest.raises(NotADirectoryError, match="is a file"):
        model.save_pretrained(tmp_path / "f" / "sub")
    assert os.listdir(tmp_path) == ["f"]


@pytest.mark.parametrize(
    "shard",
    ["/etc/passwd", "../x.safetensors", "a/../../x.safetensors", "..\\x.safetensors", "\\\\host\\x", "", 7, None],
)
def test_shard_names_checked_before_any_download(shard):
    """hub.resolve downloads the shards an index names: each name is checked first."""
    from keras_bert.checkpoints.shards import check_shard_name

    with pytest.raises(CheckpointError, match=r"shard index 'repo/model\.safetensors\.index\.json', entry 'w'"):
        check_shard_name("repo/model.safetensors.index.json", "w", shard)
    assert check_shard_name("i.json", "w", "model-00001-of-00002.safetensors") == "model-00001-of-00002.safetensors"
