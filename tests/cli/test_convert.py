"""`tools/convert` / `keras-bert-convert`: conversions users rely on, inspect, and every bad input."""

import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file

from keras_bert.cli import convert
from keras_bert.cli.convert import main
from tests.checkpoints import test_tf1 as tf1_fixtures

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _vocab(directory, n=99):
    with open(os.path.join(directory, "vocab.txt"), "w") as f:
        f.write("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"t{i}" for i in range(n - 5)]) + "\n")


def _last_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    return err[-1] if err else ""


@pytest.fixture(scope="module")
def google(tmp_path_factory):
    variables = tf1_fixtures.google_variables()
    d = tf1_fixtures.write_google_checkpoint(str(tmp_path_factory.mktemp("g") / "google"), variables)
    return d, tf1_fixtures.reference_model(variables)


def test_tf1_to_hf_loads_in_transformers(tmp_path, google, make_batch, capsys):
    import transformers

    src, ref = google
    out = tmp_path / "hf"
    assert main(["checkpoint", src, str(out), "--to", "hf", "--verify"]) == 0
    assert "verify: max |diff|" in capsys.readouterr().err
    assert sorted(os.listdir(out)) == ["config.json", "model.safetensors", "vocab.txt"]
    assert [p for p in os.listdir(tmp_path) if p.startswith(".")] == []  # temporary directory gone
    loaded, info = transformers.BertForPreTraining.from_pretrained(out, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
    batch = {k: torch.tensor(v).long() for k, v in make_batch().items()}
    with torch.no_grad():
        got, want = loaded.eval()(**batch), ref(**batch)
    np.testing.assert_allclose(got.prediction_logits.numpy(), want.prediction_logits.numpy(), atol=1e-5)
    np.testing.assert_allclose(got.seq_relationship_logits.numpy(), want.seq_relationship_logits.numpy(), atol=1e-5)


def test_hf_keras_hf_round_trip_is_exact(tmp_path, hf_checkpoint):
    src, _ = hf_checkpoint("BertForSequenceClassification", num_labels=3)
    _vocab(src)
    assert main(["checkpoint", src, str(tmp_path / "k"), "--to", "keras", "--verify"]) == 0
    assert sorted(os.listdir(tmp_path / "k")) == ["config.json", "model.keras", "vocab.txt"]
    assert main(["checkpoint", str(tmp_path / "k"), str(tmp_path / "back"), "--to", "hf"]) == 0
    a, b = load_file(os.path.join(src, "model.safetensors")), load_file(tmp_path / "back" / "model.safetensors")
    assert set(a) == set(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert json.loads((tmp_path / "back" / "config.json").read_text())["architectures"] == [
        "BertForSequenceClassification"
    ]


def test_to_tf_h5_and_back(tmp_path, hf_checkpoint, make_batch):
    import keras_bert

    src, _ = hf_checkpoint("BertForMaskedLM")
    _vocab(src)
    out = tmp_path / "tf"
    assert main(["checkpoint", src, str(out), "--to", "tf-h5", "--verify"]) == 0
    assert sorted(os.listdir(out)) == ["config.json", "tf_model.h5", "vocab.txt"]
    batch = make_batch()
    a = keras_bert.TFBertForMaskedLM.from_pretrained(src)(batch).logits
    b = keras_bert.TFBertForMaskedLM.from_pretrained(out)(batch).logits
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # --head overrides detection; --force replaces the existing OUT.
    assert main(["checkpoint", src, str(out), "--to", "hf", "--head", "TFBertModel", "--force"]) == 0
    assert "model.safetensors" in os.listdir(out) and "tf_model.h5" not in os.listdir(out)
    assert json.loads((out / "config.json").read_text())["architectures"] == ["BertModel"]


def test_untied_decoder_through_every_format(tmp_path, hf_checkpoint, make_batch, capsys):
    """transformers 5 untied MaskedLM -> hf, tf-h5 and keras, each verified, each back to HF exactly."""
    import transformers

    src, ref = hf_checkpoint("BertForMaskedLM", tie_word_embeddings=False)
    _vocab(src)
    want = load_file(os.path.join(src, "model.safetensors"))
    batch = {k: torch.tensor(v).long() for k, v in make_batch().items()}
    for to in ("hf", "tf-h5", "keras"):
        out = tmp_path / f"out-{to}"
        assert main(["checkpoint", src, str(out), "--to", to, "--verify"]) == 0
        err = capsys.readouterr().err
        assert "verify: max |diff|" in err
        assert "cls.predictions.bias" in err and "unused by an untied decoder" in err  # said, not dropped
        back = tmp_path / f"out-{to}-hf"
        assert main(["checkpoint", str(out), str(back), "--to", "hf"]) == 0
        got = load_file(back / "model.safetensors")
        assert set(got) == set(want), to
        for name in ("cls.predictions.decoder.weight", "cls.predictions.decoder.bias"):
            np.testing.assert_array_equal(got[name], want[name], err_msg=f"{to}: {name}")
        np.testing.assert_array_equal(got["cls.predictions.bias"], want["cls.predictions.decoder.bias"])
        loaded, info = transformers.BertForMaskedLM.from_pretrained(back, output_loading_info=True)
        assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"], to
        with torch.no_grad():
            np.testing.assert_allclose(loaded.eval()(**batch).logits.numpy(), ref(**batch).logits.numpy(), atol=1e-5)


def test_inspect(google, capsys):
    src, _ = google
    assert main(["inspect", src]) == 0
    out = capsys.readouterr().out
    assert "format:        tf1" in out
    assert "heads present: pooler, mlm, nsp" in out
    assert "keras class:   TFBertForPreTraining" in out
    assert "vocab.txt 99 tokens, config vocab_size 99" in out
    n = sum(int(np.prod(v.shape)) for v in tf1_fixtures.google_variables().values())
    assert f"parameters:    {n:,} in 46 tensors" in out


def test_inspect_untied_decoder(hf_checkpoint, capsys):
    src, ref = hf_checkpoint("BertForMaskedLM", tie_word_embeddings=False)
    _vocab(src)
    assert main(["inspect", src]) == 0
    out = capsys.readouterr().out
    assert "heads present: mlm (untied decoder)" in out
    assert "keras class:   TFBertForMaskedLM" in out
    # Every stored tensor counts, the decoder and the unused cls.predictions.bias included.
    n = sum(int(np.prod(v.shape)) for k, v in ref.state_dict().items() if not k.endswith("position_ids"))
    assert f"parameters:    {n:,} in " in out


def _copy(src, dst):
    import shutil

    shutil.copytree(src, dst)
    return str(dst)


def test_bad_inputs_exit_3_and_leave_nothing(tmp_path, google, hf_checkpoint, capsys):
    src, _ = google
    out = tmp_path / "out"

    def fails(args, match, code=3):
        assert main(args) == code
        captured = capsys.readouterr()
        line = captured.err.strip().splitlines()[-1]
        assert line.startswith("keras-bert-convert:") and match in line, line
        assert not out.exists()
        return captured.out

    # Unknown format.
    unknown = tmp_path / "unknown"
    unknown.mkdir()
    (unknown / "weights.dat").write_bytes(b"\x00" * 64)
    fails(["checkpoint", str(unknown), str(out), "--to", "hf"], "Unknown checkpoint format")
    fails(["inspect", str(unknown / "weights.dat")], "Unknown checkpoint format")
    fails(["checkpoint", str(tmp_path / "nope"), str(out), "--to", "hf"], "does not exist")
    # Config / weights mismatch.
    bad = _copy(src, tmp_path / "mismatch")
    cfg = json.load(open(os.path.join(bad, "bert_config.json")))
    cfg["vocab_size"] = 120
    json.dump(cfg, open(os.path.join(bad, "bert_config.json"), "w"))
    fails(["checkpoint", bad, str(out), "--to", "hf"], "config does not fit the weights")
    fails(["inspect", bad], "config does not fit the weights")
    # Missing vocab: reported and refused, unless --no-vocab.
    novocab = _copy(src, tmp_path / "novocab")
    os.remove(os.path.join(novocab, "vocab.txt"))
    fails(["checkpoint", novocab, str(out), "--to", "hf"], "no vocab.txt")
    assert "vocab:         MISSING" in fails(["inspect", novocab], "no vocab.txt")
    assert main(["checkpoint", novocab, str(tmp_path / "weights_only"), "--to", "hf", "--no-vocab"]) == 0
    # A vocab.txt with more tokens than the embeddings.
    big = _copy(src, tmp_path / "bigvocab")
    _vocab(big, 150)
    fails(["checkpoint", big, str(out), "--to", "hf"], "150 tokens but config vocab_size is 99")
    # Truncated files: TF1 data, safetensors, h5.
    trunc = _copy(src, tmp_path / "trunc")
    data = os.path.join(trunc, "bert_model.ckpt.data-00000-of-00001")
    with open(data, "r+b") as f:
        f.truncate(100)
    fails(["checkpoint", trunc, str(out), "--to", "hf"], "Cannot read TF1 checkpoint")
    hf, _ = hf_checkpoint("BertModel", subdir="hf_trunc")
    _vocab(hf)
    st = os.path.join(hf, "model.safetensors")
    blob = open(st, "rb").read()
    open(st, "wb").write(blob[: len(blob) // 2])
    fails(["checkpoint", hf, str(out), "--to", "tf-h5"], "truncated")
    # Pickled code in a .bin.
    evil = tmp_path / "evil"
    evil.mkdir()
    (evil / "config.json").write_text(open(os.path.join(hf, "config.json")).read())
    _vocab(evil)

    class Code:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    with open(evil / "pytorch_model.bin", "wb") as f:
        pickle.dump({"x": Code()}, f)
    fails(["checkpoint", str(evil), str(out), "--to", "hf"], "Refusing to load")
    assert not (tmp_path / "pwned").exists()
    assert [p for p in os.listdir(tmp_path) if p.startswith(".")] == []


def test_usage_errors_exit_2(tmp_path, google, capsys):
    src, _ = google
    out = tmp_path / "exists"
    out.mkdir()
    (out / "keep").write_text("x")
    assert main(["checkpoint", src, str(out), "--to", "hf"]) == 2
    assert "exists; pass --force" in _last_line(capsys)
    assert os.listdir(out) == ["keep"]
    assert main(["checkpoint", src, str(tmp_path / "o"), "--to", "onnx"]) == 2
    assert "invalid choice" in _last_line(capsys)
    assert main(["checkpoint", src, str(tmp_path / "o"), "--to", "hf", "--head", "BertForNothing"]) == 2
    assert "unknown --head" in _last_line(capsys)
    assert main([]) == 2
    assert not (tmp_path / "o").exists()


def test_subcommands_can_be_registered(monkeypatch, capsys):
    def register(subparsers):
        p = subparsers.add_parser("hello")
        p.set_defaults(func=lambda args: print("hi") or 0)

    monkeypatch.setattr(convert, "REGISTRARS", convert.REGISTRARS + [register])
    assert main(["hello"]) == 0
    assert capsys.readouterr().out == "hi\n"


def test_executable(google):
    src, _ = google
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tools", "convert"), "inspect", src],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-500:]
    assert "format:        tf1" in result.stdout
    result = subprocess.run(
        [os.path.join(ROOT, "tools", "convert"), "inspect", "/nonexistent"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 3 and result.stderr.strip().splitlines()[-1].startswith(
        "keras-bert-convert: bad input:"
    )
