"""Each example script runs on tiny settings through its `main(argv)` and reaches a result."""

import importlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.support.xla import TWO_HOST_DEVICES

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "examples")
SCRIPTS = [
    "text_classification",
    "token_classification",
    "question_answering",
    "multiple_choice",
    "pretrain_mlm",
    "sentence_embeddings",
]


@pytest.fixture(autouse=True)
def _examples_importable(monkeypatch):
    """The scripts import their sibling `_common` as programs do (their folder first on sys.path);
    in-process that path entry lives for one test only."""
    monkeypatch.syspath_prepend(EXAMPLES)


def _example(name):
    return importlib.import_module(name)


@pytest.fixture(autouse=True)
def _float32_policy():
    import keras

    yield
    keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("name", SCRIPTS)
def test_help(name, capsys):
    with pytest.raises(SystemExit) as exit_info:
        _example(name).main(["--help"])
    assert exit_info.value.code == 0
    assert "--model" in capsys.readouterr().out


def test_script_runs_as_a_program():
    proc = subprocess.run(
        [sys.executable, os.path.join(EXAMPLES, "text_classification.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "--workers" in proc.stdout and "sentiment_train.tsv" in proc.stdout


COMMON = ["--quiet", "--epochs", "2", "--seed", "0"]


@pytest.mark.slow
def test_text_classification_beats_chance(minilm_dir, tmp_path):
    r = _example("text_classification").main(
        COMMON
        + [
            "--model",
            minilm_dir,
            "--max-train-examples",
            "128",
            "--max-eval-examples",
            "64",
            "--max-length",
            "32",
            "--learning-rate",
            "3e-4",
            "--output-dir",
            str(tmp_path),
        ]
    )
    assert r["labels"] == ["negative", "positive"]
    assert r["accuracy"] >= 0.75, r
    assert r["loss"][-1] < r["loss"][0]
    assert (tmp_path / "checkpoint.weights.h5").exists() and (tmp_path / "model" / "config.json").exists()


@pytest.mark.slow
def test_token_classification_beats_all_o(minilm_dir):
    r = _example("token_classification").main(
        COMMON
        + [
            "--model",
            minilm_dir,
            "--max-train-examples",
            "96",
            "--max-eval-examples",
            "32",
            "--max-length",
            "32",
            "--learning-rate",
            "3e-4",
        ]
    )
    assert r["accuracy"] > r["majority_baseline"] + 0.1, r
    assert r["entity_accuracy"] > 0.3, r
    assert r["loss"][-1] < r["loss"][0]


@pytest.mark.slow
def test_question_answering_finds_spans(minilm_dir):
    qa = _example("question_answering")
    r = qa.main(
        COMMON
        + [
            "--model",
            minilm_dir,
            "--max-train-examples",
            "48",
            "--max-eval-examples",
            "12",
            "--max-length",
            "64",
            "--stride",
            "16",
            "--learning-rate",
            "3e-4",
        ]
    )
    contexts = {e["id"]: e["context"] for e in qa.read_squad(qa._common.data_path("qa_test.json"), 12)}
    assert r["windows"] > 12  # contexts were split into several overlapping windows
    for qid, answer in r["predictions"].items():
        assert answer and answer in contexts[qid], (qid, answer)
    assert r["loss"][-1] < r["loss"][0]


def test_question_answering_windows_cover_context(minilm_dir):
    qa = _example("question_answering")
    from keras_bert.tokenization import BertTokenizerFast

    tok = BertTokenizerFast.from_pretrained(minilm_dir)
    ex = qa.read_squad(qa._common.data_path("qa_train.json"), 1)[0]
    feats = qa.windows(tok, ex, max_length=48, stride=12)
    assert len(feats) > 2
    n_ctx = len(tok(ex["context"], add_special_tokens=False)["input_ids"])
    room = 48 - len(tok(ex["question"], add_special_tokens=False)["input_ids"]) - 3
    assert [f["context_start"] for f in feats] == list(range(0, n_ctx - room + (room - 12), room - 12))[: len(feats)]
    assert all(len(f["input_ids"]) <= 48 for f in feats)
    # The labelled span maps back to the answer text in every window that holds it.
    answer = ex["answers"][0]
    found = 0
    for f in feats:
        s, e = qa.label_window(f, answer)
        if s:
            found += 1
            assert ex["context"][f["offsets"][s][0] : f["offsets"][e][1]] == answer["text"]
    assert found >= 1


@pytest.mark.slow
def test_multiple_choice_beats_chance(minilm_dir):
    r = _example("multiple_choice").main(
        COMMON
        + [
            "--model",
            minilm_dir,
            "--max-train-examples",
            "64",
            "--max-eval-examples",
            "32",
            "--max-length",
            "24",
            "--learning-rate",
            "3e-4",
        ]
    )
    assert r["accuracy"] > r["chance"] + 0.15, r


@pytest.mark.slow
def test_pretrain_mlm_loss_falls(minilm_dir):
    r = _example("pretrain_mlm").main(
        [
            "--quiet",
            "--model",
            minilm_dir,
            "--epochs",
            "1",
            "--steps-per-epoch",
            "6",
            "--max-length",
            "32",
            "--learning-rate",
            "3e-4",
            "--eval-batches",
            "2",
        ]
    )
    assert r["loss_after"] < r["loss_before"] - 0.5, r


@pytest.mark.slow
def test_sentence_embeddings_match_sentence_transformers(minilm_dir):
    import sentence_transformers as st  # a declared test dependency (setup.cfg extras "test"): missing is an error

    r = _example("sentence_embeddings").main(["--model", minilm_dir])
    reference = st.SentenceTransformer(minilm_dir, device="cpu").encode(r["sentences"], convert_to_numpy=True)
    np.testing.assert_allclose(r["embeddings"], reference, atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(r["embeddings"], axis=1), 1.0, atol=1e-5)
    assert r["similarity"][0, 1] > r["similarity"][0, 4]  # the guitar sentences are closer than the weather


def _run_backend_example(name, argv, backend="jax", **env):
    """Runs examples/NAME.py's main(argv) in a KERAS_BACKEND=`backend` process; returns its result dict."""
    code = (
        f"import json, sys; sys.path.insert(0, {EXAMPLES!r}); import {name}; print(json.dumps({name}.main({argv!r})))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=900,
        env=dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3", **env),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_jax_functional_training_step_lowers_the_loss(minilm_dir):
    r = _run_backend_example(
        "jax_functional", ["--model", minilm_dir, "--steps", "6", "--batch-size", "8", "--learning-rate", "3e-4"]
    )
    assert len(r["losses"]) == 6
    assert np.mean(r["losses"][-2:]) < np.mean(r["losses"][:2]), r["losses"]
    assert r["accuracy_stateful"] == r["accuracy_after"]  # the functional params written back are the model


@pytest.mark.slow
def test_jax_data_parallel_trains_on_two_devices_and_model_parallel_agrees(minilm_dir):
    r = _run_backend_example(
        "jax_data_parallel",
        ["--model", minilm_dir, "--steps", "4", "--batch-size", "8", "--learning-rate", "3e-4"],
        XLA_FLAGS=TWO_HOST_DEVICES,
    )
    assert r["devices"] == 2
    assert r["losses"][1] < r["losses"][0], r["losses"]
    assert r["query_spec"] == [None, "model"]
    assert r["model_parallel_gap"] < 1e-4


@pytest.mark.slow
def test_torch_fine_tune_trains_without_tensorflow_and_the_twin_reloads_it(minilm_dir, tmp_path):
    r = _run_backend_example(
        "torch_fine_tune",
        ["--model", minilm_dir, "--epochs", "2", "--output-dir", str(tmp_path / "out")],
        backend="torch",
    )
    assert r["losses"][-1] < r["losses"][0], r["losses"]
    assert r["accuracy_after"] > r["accuracy_before"], r
    assert r["twin_gap"] < 1e-4
    assert r["tensorflow_imported"] is False
    assert os.path.isfile(tmp_path / "out" / "model.safetensors")


@pytest.mark.slow
def test_sentence_embeddings_tflite_int8(minilm_dir):
    """--tflite-int8: the int8 TFLite encoder's embeddings stay within cosine 0.99 of sentence-transformers'."""
    import sentence_transformers as st

    r = _example("sentence_embeddings").main(["--model", minilm_dir, "--tflite-int8"])
    reference = st.SentenceTransformer(minilm_dir, device="cpu").encode(r["sentences"], convert_to_numpy=True)
    cosine = (r["embeddings"] * reference).sum(1) / np.linalg.norm(reference, axis=1)
    assert cosine.min() >= 0.99, cosine
    assert np.abs(r["embeddings"] - reference).max() > 1e-4  # quantized, not the float32 path
    assert r["similarity"][0, 1] > r["similarity"][0, 4]
