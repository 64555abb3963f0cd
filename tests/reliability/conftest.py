"""Shared sources for the reliability tests: one good tiny checkpoint per format (built once per
session, copied and damaged per case), and `run_cli`, which asserts the CLI's contract for a
failure: the exit code, ONE line on stderr naming the culprit, nothing at OUT, no temporaries."""

import json
import os
import shutil

import numpy as np
import pytest

from keras_bert import atomic
from tests.support.tiny import tiny_config

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def write_vocab(directory, n=99, tokens=None):
    tokens = SPECIALS + [f"t{i}" for i in range(n - len(SPECIALS))] if tokens is None else tokens
    with open(os.path.join(directory, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in tokens))


@pytest.fixture(scope="session")
def sources(tmp_path_factory):
    """{format: directory} of one tiny BertForMaskedLM in each format keras_bert reads, with vocab.txt."""
    import torch
    import transformers

    import keras_bert
    from tests.checkpoints import test_tf1 as tf1

    root = tmp_path_factory.mktemp("sources")
    torch.manual_seed(0)
    ref = transformers.BertForMaskedLM(transformers.BertConfig(**tiny_config())).eval()
    out = {}
    out["hf"] = str(root / "hf")
    ref.save_pretrained(out["hf"])
    out["bin"] = str(root / "bin")
    os.makedirs(out["bin"])
    torch.save(ref.state_dict(), os.path.join(out["bin"], "pytorch_model.bin"))
    shutil.copy(os.path.join(out["hf"], "config.json"), out["bin"])
    model = keras_bert.TFBertForMaskedLM.from_pretrained(out["hf"])
    out["tf-h5"] = str(root / "tfh5")
    model.save_pretrained(out["tf-h5"], format="tf-h5")
    out["keras"] = str(root / "keras")
    os.makedirs(out["keras"])
    model.save(os.path.join(out["keras"], "model.keras"))
    out["tf1"] = tf1.write_google_checkpoint(str(root / "tf1"), tf1.google_variables())
    for d in out.values():
        write_vocab(d)
    return out


@pytest.fixture
def src_copy(sources, tmp_path):
    """Factory: a private copy of the good `fmt` source, to damage."""

    def make(fmt="hf", name="src"):
        dst = tmp_path / f"{name}-{fmt}"
        shutil.copytree(sources[fmt], dst)
        return str(dst)

    return make


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f)


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def safetensors_bytes(header, data=b""):
    raw = json.dumps(header).encode()
    return len(raw).to_bytes(8, "little") + raw + data


def run_cli(capsys, args, code, culprit, out=None):
    """Runs `keras-bert-convert args` in-process and asserts a clean failure (see module doc).
    `culprit`: text (or tuple of alternatives) the one stderr line must contain."""
    from keras_bert.cli.convert import main

    assert main([str(a) for a in args]) == code
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, f"expected one stderr line, got {lines!r}"
    line = lines[0]
    assert line.startswith("keras-bert-convert:"), line
    assert "Traceback" not in captured.err
    alternatives = culprit if isinstance(culprit, tuple) else (culprit,)
    assert any(c in line for c in alternatives), f"{alternatives} not in {line!r}"
    if out is not None:
        out = str(out)
        assert not os.path.lexists(out), f"{out} was left behind"
        assert atomic.leftovers(os.path.dirname(os.path.abspath(out))) == []
    return line


def assert_no_temporaries(*directories):
    for d in directories:
        assert atomic.leftovers(str(d)) == [], d


def random_ids(n=2, length=8, vocab=99, seed=0):
    return np.random.default_rng(seed).integers(0, vocab, (n, length)).astype("int32")
