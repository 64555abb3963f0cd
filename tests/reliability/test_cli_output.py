"""What `tools/convert` prints and creates: only its own lines (no TensorFlow start-up noise),
exit 1 with a --debug hint for internal errors, outputs readable under the user's umask."""

import os
import stat
import subprocess
import sys

import pytest

from keras_bert.cli import convert
from keras_bert.cli.convert import main
from keras_bert.cli.quiet import NOISE

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _tool(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_CPP")}  # as a user runs it
    return subprocess.run(
        [sys.executable, os.path.join(ROOT, "tools", "convert"), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.mark.slow
def test_only_own_lines_on_success_and_failure(sources, tmp_path):
    ok = _tool("checkpoint", sources["hf"], tmp_path / "out", "--to", "hf")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout == ""
    assert ok.stderr.splitlines() == [f"wrote TFBertForMaskedLM (hf -> hf) to {tmp_path / 'out'}"]
    bad = _tool("inspect", tmp_path / "out" / "vocab.txt")
    assert bad.returncode == 3
    assert bad.stdout == ""
    assert bad.stderr.splitlines() == [
        f"keras-bert-convert: bad input: Unknown checkpoint format: {str(tmp_path / 'out' / 'vocab.txt')!r} "
        "is not safetensors, PyTorch, HDF5, Keras or TF1"
    ]


def test_noise_filter():
    assert NOISE.match("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR")
    assert NOISE.match("I0000 00:00:1795952498.908697    4605 port.cc:153] oneDNN custom operations are on.")
    assert not NOISE.match("keras-bert-convert: bad input: x")
    assert not NOISE.match("E0000 00:00:1795952498.908697    4605 foo.cc:1] a real error")


def test_internal_error_is_one_line_exit_1(monkeypatch, capsys, sources, tmp_path):
    def broken(args):
        raise RuntimeError("unexpected state\nsecond line")

    monkeypatch.setattr(convert, "run_checkpoint", broken)
    monkeypatch.setattr(convert, "REGISTRARS", list(convert.REGISTRARS))
    args = ["checkpoint", sources["hf"], str(tmp_path / "o"), "--to", "hf"]
    assert main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "keras-bert-convert: internal error: RuntimeError: unexpected state (rerun with --debug for the traceback)"
    ]
    with pytest.raises(RuntimeError, match="unexpected state"):
        main([*args, "--debug"])


@pytest.mark.parametrize("mask", [0o022, 0o077])
def test_converted_directory_follows_umask(sources, tmp_path, mask, capsys):
    old = os.umask(mask)
    try:
        assert main(["checkpoint", sources["hf"], str(tmp_path / "out"), "--to", "hf"]) == 0
    finally:
        os.umask(old)
    out = tmp_path / "out"
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o777 & ~mask
    for name in os.listdir(out):
        assert stat.S_IMODE(os.stat(out / name).st_mode) & 0o666 == 0o666 & ~mask, name


def test_force_replaces_and_leaves_nothing(sources, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale").write_text("old")
    assert main(["checkpoint", sources["hf"], str(out), "--to", "hf", "--force"]) == 0
    assert sorted(os.listdir(out)) == ["config.json", "model.safetensors", "vocab.txt"]
    assert sorted(os.listdir(tmp_path)) == ["out"]


@pytest.mark.slow
def test_export_modes_and_max_length(sources, tmp_path, capsys):
    import tensorflow as tf

    out = tmp_path / "models" / "tiny"
    old = os.umask(0o022)
    try:
        assert main(["export", sources["hf"], str(out), "--max-length", "64", "--task", "features"]) == 0
    finally:
        os.umask(old)
    version = out / "1"
    for root, dirs, files in os.walk(version):
        for name in dirs:
            assert stat.S_IMODE(os.stat(os.path.join(root, name)).st_mode) == 0o755, name
        for name in files:
            assert stat.S_IMODE(os.stat(os.path.join(root, name)).st_mode) & 0o044 == 0o044, name
    assert sorted(os.listdir(out)) == ["1"]
    assert sorted(os.listdir(out.parent)) == ["tiny"]
    served = tf.saved_model.load(str(version)).signatures["serving_default"]
    # 64 positions, max_length 64: a 300-word text is truncated, not an error.
    hidden = served(text=tf.constant([" ".join(["t7"] * 300)]))["last_hidden_state"]
    assert hidden.shape[:2] == (1, 64)
