"""Text-in SavedModels: same numbers in a fresh TF-only process, CLI tools, no retracing, threads."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_bert
import keras_bert.serving.export as export_module
from keras_bert.serving import UnservableOpError, check_serving_ops, export_saved_model
from keras_bert.serving.export import ServingModule
from keras_bert.tokenization import BertTokenizer, TFBertTokenizer

LONG = " ".join(["supercalifragilistic"] * 300)  # far over max_length
TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "I loved this movie, it was wonderful!",
    "Terrible service; I will never come back.",
    "",
    " ",
    LONG,
    "Ünïcödé naïve café — 東京タワー and emoji 🙂👍🏽 ZWJ 👩‍👩‍👧",
    "ß İstanbul ΣΊΣΥΦΟΣ ﬁne ＦＵＬＬＷＩＤＴＨ",
    "control\x00chars\ufffd and\r\nnew lines\ttabs",
    "[MASK] and [SEP] written inside text",
] + [f"sentence number {i} about {w}" for i, w in enumerate(["cats", "dogs", "the weather", "BERT", "Keras"] * 8)]
assert len(TEXTS) == 50

FRESH = textwrap.dedent(
    """
    import json, sys
    import numpy as np, tensorflow as tf, tensorflow_text
    args = json.loads(sys.argv[1])
    model = tf.saved_model.load(args["path"])
    fn = model.signatures[args.get("signature", "serving_default")]
    out = fn(**{k: tf.constant(v) for k, v in args["inputs"].items()})
    assert "keras_bert" not in sys.modules, "keras_bert was imported"
    np.savez(args["out"], **{k: v.numpy() for k, v in out.items()})
    """
)


def run_fresh(path, inputs, out, signature="serving_default"):
    """Runs a signature in a new process that imports only tensorflow and tensorflow_text."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    args = json.dumps({"path": str(path), "inputs": inputs, "out": str(out), "signature": signature})
    res = subprocess.run([sys.executable, "-c", FRESH, args], capture_output=True, text=True, env=env, cwd="/")
    assert res.returncode == 0, res.stderr[-3000:]
    return dict(np.load(str(out) + ".npz" if not str(out).endswith(".npz") else out, allow_pickle=True))


def compiled(model):
    """The in-process model as serving runs it: traced (graph mode, same fused kernels)."""
    return tf.function(lambda inputs: model(inputs, training=False))


@pytest.mark.slow
def test_minilm_features_in_fresh_process(tmp_path, minilm_dir):
    model = keras_bert.TFBertModel.from_pretrained(minilm_dir)
    tokenizer = BertTokenizer.from_pretrained(minilm_dir)
    path = export_saved_model(model, tokenizer, tmp_path / "minilm" / "1", max_length=128)
    got = run_fresh(path, {"text": TEXTS}, tmp_path / "out")
    enc = tokenizer(TEXTS, padding=True, truncation=True, max_length=128, return_tensors="np")
    ref = compiled(model)({k: tf.constant(v, tf.int32) for k, v in enc.items()})
    valid = enc["attention_mask"].astype(bool)
    assert got["last_hidden_state"].shape == (50, valid.shape[1], 384)
    np.testing.assert_allclose(got["last_hidden_state"][valid], ref.last_hidden_state.numpy()[valid], atol=1e-5)
    np.testing.assert_allclose(got["pooler_output"], ref.pooler_output.numpy(), atol=1e-5)
    mask = valid[:, :, None]
    mean = (ref.last_hidden_state.numpy() * mask).sum(1) / mask.sum(1)
    np.testing.assert_allclose(got["sentence_embedding"], mean, atol=1e-5)
    # The vocabulary and the label map are assets of the SavedModel.
    assert {"vocab.txt", "labels.txt"} <= set(os.listdir(os.path.join(path, "assets")))


@pytest.fixture(scope="module")
def classifier(tmp_path_factory, minilm_dir):
    """A small classifier (tiny encoder, the MiniLM vocabulary) fine-tuned for a few steps."""
    tokenizer = BertTokenizer.from_pretrained(minilm_dir)
    config = keras_bert.BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
        id2label={0: "negative", 1: "positive"},
    )
    keras.utils.set_random_seed(0)
    model = keras_bert.TFBertForSequenceClassification(config)
    texts = ["good movie", "great fun", "bad film", "awful plot", "loved it", "hated it"]
    enc = tokenizer(texts, padding=True, return_tensors="np")
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.fit({**enc, "labels": np.array([1, 1, 0, 0, 1, 0])}, epochs=3, verbose=0)
    path = export_saved_model(model, tokenizer, tmp_path_factory.mktemp("cls") / "classifier" / "1", max_length=64)
    return model, tokenizer, path


def test_classifier_in_fresh_process(tmp_path, classifier):
    model, tokenizer, path = classifier
    got = run_fresh(path, {"text": TEXTS}, tmp_path / "out")
    enc = tokenizer(TEXTS, padding=True, truncation=True, max_length=64, return_tensors="np")
    logits = compiled(model)({k: tf.constant(v, tf.int32) for k, v in enc.items()}).logits.numpy()
    np.testing.assert_allclose(got["logits"], logits, atol=1e-5)
    np.testing.assert_allclose(got["probabilities"], tf.nn.softmax(logits).numpy(), atol=1e-5)
    np.testing.assert_array_equal(got["label_id"], logits.argmax(-1))
    assert [s.decode() for s in got["label"]] == [["negative", "positive"][i] for i in logits.argmax(-1)]
    # serving_ids returns the raw head outputs for clients that tokenize themselves.
    ids = run_fresh(path, {k: v.tolist() for k, v in enc.items()}, tmp_path / "ids", signature="serving_ids")
    np.testing.assert_allclose(ids["logits"], logits, atol=1e-5)


def test_saved_model_cli_show_and_run(classifier, tmp_path):
    _, _, path = classifier
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    shown = subprocess.run([cli, "show", "--dir", path, "--all"], capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr[-2000:]
    # Any rank is declared (a scalar text is a batch of one); the rank is checked when a request runs.
    assert "inputs['text'] tensor_info:\n        dtype: DT_STRING\n        shape: unknown_rank" in shown.stdout
    assert "inputs['input_ids'] tensor_info:\n        dtype: DT_INT32" in shown.stdout
    # TF Serving and saved_model_cli need tensorflow-text's ops registered: load them first.
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import tensorflow_text; from tensorflow.python.tools.saved_model_cli import main; main()",
            "run",
            "--dir",
            path,
            "--tag_set",
            "serve",
            "--signature_def",
            "serving_default",
            "--input_exprs",
            'text=["a great movie", "a bad one"]',
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Result for output key label:" in run.stdout and "Result for output key probabilities:" in run.stdout


def test_no_retracing_across_batch_sizes_and_lengths(classifier, minilm_dir, tmp_path):
    model, tokenizer, _ = classifier
    module = ServingModule(
        model, TFBertTokenizer.from_tokenizer(tokenizer, max_length=64), "classification", str(tmp_path)
    )
    rng = np.random.default_rng(0)
    words = ["good", "bad", "movie", "plot", "wonderful", "x", "naïve", "東"]
    for batch in list(range(1, 65, 7)) + [64]:
        length = int(rng.integers(0, 80))
        texts = [" ".join(rng.choice(words, size=length)) for _ in range(batch)]
        module.serve_text(tf.constant(texts))
        ids = tokenizer(texts, padding=True, truncation=True, max_length=64, return_tensors="np")
        module.serve_ids(*(tf.constant(ids[k], tf.int32) for k in ("input_ids", "attention_mask", "token_type_ids")))
    assert module.serve_text.experimental_get_tracing_count() == 1
    assert module.serve_ids.experimental_get_tracing_count() == 1


def _rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_threads_give_identical_answers_and_memory_is_flat(classifier):
    _, _, path = classifier
    fn = tf.saved_model.load(path).signatures["serving_default"]
    requests = [tf.constant([TEXTS[i % 50], TEXTS[(3 * i) % 50]]) for i in range(200)]
    expected = [fn(text=r)["logits"].numpy() for r in requests]
    for r in requests[:50]:  # warm-up, then measure
        fn(text=r)
    before = _rss_mb()
    results = {}

    def worker(tid):
        results[tid] = [fn(text=r)["logits"].numpy() for r in requests]

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    growth = _rss_mb() - before
    for tid in range(4):
        for got, want in zip(results[tid], expected):
            np.testing.assert_array_equal(got, want)
    assert growth < 64, f"resident memory grew by {growth:.1f} MiB over 800 requests"


def test_op_check_names_unservable_ops(tmp_path):
    module = tf.Module()
    module.f = tf.function(
        lambda x: tf.py_function(lambda a: a + 1, [x], tf.float32), input_signature=[tf.TensorSpec([None], tf.float32)]
    )
    tf.saved_model.save(module, str(tmp_path / "py"))
    with pytest.raises(UnservableOpError, match="EagerPyFunc"):
        check_serving_ops(str(tmp_path / "py"))


def test_export_refuses_existing_path_and_leaves_nothing_on_failure(classifier, tmp_path, monkeypatch):
    model, tokenizer, path = classifier
    with pytest.raises(FileExistsError, match="exists"):
        export_saved_model(model, tokenizer, path)
    with pytest.raises(ValueError, match="Unknown task"):
        export_saved_model(model, tokenizer, tmp_path / "bad" / "1", task="summarization")
    assert not (tmp_path / "bad").exists()  # rejected before anything was created
    # A failure after the SavedModel is fully written: the op check rejects it.
    checked = []

    def reject(staged):
        checked.append(sorted(os.listdir(staged)))
        raise UnservableOpError("rejected by the test")

    monkeypatch.setattr(export_module, "check_serving_ops", reject)
    parent = tmp_path / "late"
    with pytest.raises(UnservableOpError, match="rejected by the test"):
        export_saved_model(model, tokenizer, parent / "1")
    assert checked and "saved_model.pb" in checked[0], checked  # it failed late, with files on disk
    assert os.listdir(parent) == []  # no version directory, no staging directory
    # With overwrite=True a failed export keeps the previous version untouched.
    shutil.copytree(path, parent / "2")
    before = (parent / "2" / "saved_model.pb").read_bytes()
    with pytest.raises(UnservableOpError, match="rejected by the test"):
        export_saved_model(model, tokenizer, parent / "2", overwrite=True)
    assert os.listdir(parent) == ["2"] and (parent / "2" / "saved_model.pb").read_bytes() == before
