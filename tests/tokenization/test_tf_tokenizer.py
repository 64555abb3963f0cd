"""TFBertTokenizer: exact parity with BertTokenizer, graph modes, SavedModel, config."""

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keras_bert.tokenization import BertTokenizer, TFBertTokenizer
from tests.support.graph import string_batch_function
from tests.support.tokenizer_corpus import (
    GOLDEN_VOCAB,
    REAL_VOCAB_DIR,
    SENTENCES,
    fragment_text,
    seeded_corpus,
    write_vocab,
)

VOCAB = os.path.join(REAL_VOCAB_DIR, "vocab.txt")
CORPUS = seeded_corpus(1500, seed=2)
KEYS = ("input_ids", "token_type_ids", "attention_mask")
_LAYERS = {}


def _layer(lower=True, **options):
    key = (lower, tuple(sorted(options.items())))
    if key not in _LAYERS:
        py = BertTokenizer(VOCAB, do_lower_case=lower, **options.pop("py", {}))
        layer = TFBertTokenizer.from_tokenizer(py, **options)
        _LAYERS[key] = (py, layer, string_batch_function(layer))
    return _LAYERS[key]


def _reference(py, texts, pairs, padding, truncation, max_length):
    kw = dict(padding=True if padding == "longest" else padding, truncation=truncation, max_length=max_length)
    return py(list(texts), list(pairs) if pairs is not None else None, **kw)


def _assert_equal(got, want, texts):
    for key in KEYS:
        g = got[key].numpy()
        # Rows the reference leaves longer than max_length (no truncation) set
        # the width of the rectangular output; pad the others to it.
        rows = [list(r) + [0] * (g.shape[1] - len(r)) for r in want[key]]
        w = np.asarray(rows).reshape(g.shape) if rows else np.zeros(g.shape)
        if not np.array_equal(g, w):
            bad = [i for i in range(len(g)) if not np.array_equal(g[i], w[i])]
            raise AssertionError(f"{key} differs on rows {bad[:5]}: {[texts[i] for i in bad[:3]]!r}")


@pytest.mark.parametrize("lower", [True, False], ids=["lower", "cased"])
@pytest.mark.parametrize("padding", ["longest", "max_length"])
def test_corpus_parity_singles_and_pairs(lower, padding):
    py, _, fn = _layer(lower, max_length=48, padding=padding, truncation=True)
    texts, pairs = CORPUS, CORPUS[::-1]
    _assert_equal(fn(tf.constant(texts)), _reference(py, texts, None, padding, True, 48), texts)
    _assert_equal(fn(tf.constant(texts), tf.constant(pairs)), _reference(py, texts, pairs, padding, True, 48), texts)


@pytest.mark.parametrize("truncation", ["only_first", "only_second", False])
def test_corpus_parity_truncation_strategies(truncation):
    padding = "max_length" if truncation is False else "longest"
    py, _, fn = _layer(True, max_length=12, padding=padding, truncation=truncation)
    texts, pairs = CORPUS[:500], CORPUS[500:1000]
    _assert_equal(
        fn(tf.constant(texts), tf.constant(pairs)), _reference(py, texts, pairs, padding, truncation or None, 12), texts
    )
    _assert_equal(fn(tf.constant(texts)), _reference(py, texts, None, padding, truncation or None, 12), texts)
    if truncation is False:
        longest = max(len(r) for r in py(texts)["input_ids"])
        assert fn(tf.constant(texts))["input_ids"].shape[1] == max(12, longest)


@pytest.mark.parametrize(
    "options",
    [
        dict(py=dict(strip_accents=True)),
        dict(py=dict(strip_accents=False)),
        dict(py=dict(tokenize_chinese_chars=False)),
        dict(py=dict(do_basic_tokenize=False)),
        dict(py=dict(never_split=("Hello", "naïve", "hello", "x[y"))),
    ],
    ids=["strip", "nostrip", "nocjk", "nobasic", "never_split"],
)
def test_option_parity(options):
    lower = "strip_accents" not in options["py"] or options["py"]["strip_accents"] is False
    py, _, fn = _layer_with(lower, options["py"])
    texts = CORPUS[:600] + ["Hello naïve NAÏVE hello x[y X[Y"]
    _assert_equal(fn(tf.constant(texts)), _reference(py, texts, None, "longest", True, 64), texts)


def _layer_with(lower, py_options):
    py = BertTokenizer(VOCAB, do_lower_case=lower, **py_options)
    layer = TFBertTokenizer.from_tokenizer(py, max_length=64)
    return py, layer, tf.function(lambda a: layer(a))


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    texts=st.lists(fragment_text(), min_size=1, max_size=24),
    lower=st.booleans(),
    padding=st.sampled_from(["longest", "max_length"]),
    use_pair=st.booleans(),
)
def test_fuzz_parity(texts, lower, padding, use_pair):
    py, _, fn = _layer(lower, max_length=32, padding=padding, truncation=True)
    pairs = texts[::-1] if use_pair else None
    got = fn(tf.constant(texts), tf.constant(pairs)) if use_pair else fn(tf.constant(texts))
    _assert_equal(got, _reference(py, texts, pairs, padding, True, 32), texts)


def test_golden_and_patched_characters(tmp_path):
    py = BertTokenizer(write_vocab(tmp_path, GOLDEN_VOCAB))
    layer = TFBertTokenizer.from_tokenizer(py)
    out = layer(tf.constant(["UNwant\u00e9d,running"]))
    assert out["input_ids"].numpy().tolist() == [[1, 9, 6, 7, 12, 10, 11, 2]]
    assert out["input_ids"].dtype == tf.int64  # as transformers 4.x
    # Characters where tf.strings.lower differs from str.lower, and sigma contexts.
    py, layer, _ = _layer(True, max_length=64)
    texts = ["\u2c2f\ua7c0\U00010570 ΑΣ ΑΣ.Β ΑΣΣΣ Σ A\u02b0Σ İ ß ﬁ"]
    _assert_equal(layer(tf.constant(texts)), _reference(py, texts, None, "longest", True, 64), texts)


def test_eager_function_and_dataset_agree():
    py, layer, fn = _layer(True, max_length=24, padding="max_length", truncation=True)
    texts = SENTENCES + CORPUS[:30]
    eager = layer(tf.constant(texts), tf.constant(texts[::-1]))
    graph = fn(tf.constant(texts), tf.constant(texts[::-1]))
    for key in KEYS:
        np.testing.assert_array_equal(eager[key], graph[key])
    ds = tf.data.Dataset.from_tensor_slices((texts, texts[::-1]))
    batched = next(iter(ds.batch(len(texts)).map(lambda a, b: layer(a, b))))
    rows = [r for r in ds.map(lambda a, b: layer(a[None], b[None]))]
    for key in KEYS:
        np.testing.assert_array_equal(batched[key], eager[key])
        np.testing.assert_array_equal(np.concatenate([r[key] for r in rows]), eager[key])


def test_functional_model_and_keras_save(tmp_path):
    _, layer, _ = _layer(True, max_length=16, padding="max_length", truncation=True)
    inp = keras.Input(shape=(), dtype="string")
    model = keras.Model(inp, layer(inp))
    texts = tf.constant(SENTENCES)
    want = layer(texts)
    got = model(texts)
    for key in KEYS:
        np.testing.assert_array_equal(got[key], want[key])
    path = str(tmp_path / "m.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    for key in KEYS:
        np.testing.assert_array_equal(restored(texts)[key], want[key])


def test_get_config_round_trip():
    py = BertTokenizer(VOCAB, do_lower_case=False, never_split=["Foo"], strip_accents=True)
    layer = TFBertTokenizer.from_tokenizer(
        py,
        max_length=20,
        padding="max_length",
        pad_to_multiple_of=4,
        truncation="longest_first",
        return_token_type_ids=False,
        return_attention_mask=True,
        output_dtype="int32",
    )
    config = layer.get_config()
    # The vocabulary travels in the config as transformers' vocab_list (and as a .keras asset).
    assert "vocab_file" not in config and config["vocab_list"] == py.convert_ids_to_tokens(list(range(len(py.vocab))))
    clone = TFBertTokenizer.from_config(config)
    assert clone.get_config() == config
    clone.load_assets(REAL_VOCAB_DIR)  # what Keras does after from_config: same vocabulary, same ids
    assert clone.get_config() == config
    strings = SENTENCES + ["Foo naïve [MASK]"]
    texts = tf.constant(strings)
    a, b = layer(texts, texts), clone(texts, texts)
    assert list(a) == ["input_ids", "attention_mask"] and a["input_ids"].dtype == tf.int32
    assert a["input_ids"].shape[1] == 20
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    want = py(strings, max_length=20, padding="max_length", truncation=True)["input_ids"]
    np.testing.assert_array_equal(layer(texts)["input_ids"], want)


def test_saved_model_in_fresh_process(tmp_path):
    _, layer, _ = _layer(True, max_length=32, padding="longest", truncation=True)
    module = tf.Module()
    module.layer = layer
    module.serve = tf.function(
        lambda a, b: layer(a, b), input_signature=[tf.TensorSpec([None], tf.string), tf.TensorSpec([None], tf.string)]
    )
    export = str(tmp_path / "saved")
    tf.saved_model.save(module, export)
    # The vocabulary must travel as an asset of the SavedModel.
    assert any(f.endswith("vocab.txt") for f in os.listdir(os.path.join(export, "assets")))
    texts = SENTENCES + CORPUS[:40]
    want = layer(tf.constant(texts), tf.constant(texts[::-1]))
    np.save(tmp_path / "texts.npy", np.array([t.encode("utf-8") for t in texts], dtype=object))
    script = textwrap.dedent(f"""
        import sys, numpy as np, tensorflow as tf, tensorflow_text
        m = tf.saved_model.load({export!r})
        t = np.load({str(tmp_path / "texts.npy")!r}, allow_pickle=True)
        out = m.serve(tf.constant(list(t)), tf.constant(list(t[::-1])))
        assert "keras_bert" not in sys.modules
        for k in sorted(out):
            np.save({str(tmp_path)!r} + "/" + k + ".npy", out[k].numpy())
    """)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert res.returncode == 0, res.stderr[-2000:]
    for key in KEYS:
        np.testing.assert_array_equal(np.load(tmp_path / f"{key}.npy"), want[key])


def test_bad_input(tmp_path):
    py, layer, fn = _layer(True, max_length=16, padding="longest", truncation=True)
    raw = [b"caf\xc3\xa9 \xff\xfe bad\xc3", b"", b"\x00", b"\xed\xa0\x80x"]
    got = layer(tf.constant(raw))
    want = py([r.decode("utf-8", "replace") for r in raw], padding=True)
    assert got["input_ids"].numpy().tolist() == want["input_ids"]
    empty = fn(tf.constant([], tf.string))
    assert empty["input_ids"].shape == (0, 0)
    _, mlayer, _ = _layer(True, max_length=16, padding="max_length", truncation=True)
    assert mlayer(tf.constant([], tf.string))["input_ids"].shape == (0, 16)
    with pytest.raises(ValueError, match=r"'a' twice \(lines 5 and 6\)"):
        TFBertTokenizer(write_vocab(tmp_path, ["[CLS]", "[SEP]", "[PAD]", "[MASK]", "a", "a"]))
    with pytest.raises(ValueError, match="padding"):
        TFBertTokenizer(VOCAB, padding="left")


@pytest.mark.parametrize("lower", [True, False], ids=["lower", "cased"])
def test_corpus_parity_with_the_original_python_tokenizer(lower):
    """transformers' BertTokenizerLegacy (the original Python tokenizer) on the corpus, singles and pairs."""
    from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

    legacy = BertTokenizerLegacy(VOCAB, do_lower_case=lower)
    _, layer, fn = _layer(lower, max_length=48, padding="longest", truncation=True)
    texts, pairs = CORPUS[:700], CORPUS[700:1400]
    for got, want in (
        (fn(tf.constant(texts)), legacy(texts, padding=True, truncation=True, max_length=48)),
        (
            fn(tf.constant(texts), tf.constant(pairs)),
            legacy(texts, pairs, padding=True, truncation=True, max_length=48),
        ),
    ):
        for key in want.keys():
            np.testing.assert_array_equal(got[key], np.asarray(want[key]), err_msg=key)
    ragged = layer.unpaired_tokenize(texts[:50]).to_list()
    assert ragged == [legacy.encode(t, add_special_tokens=False) for t in texts[:50]]
