"""Int8 inference (`keras_bert.quantization`, `predict_fn(quantize="int8")`): the quantized matmul
equals a NumPy reference of the same quantization and is close to fp32; whole models agree with
fp32 (MiniLM: sentence-embedding cosine and a classifier's argmax); unpadded int8 matches padded
int8 at real positions; the fp32 model is untouched; bad values are refused by name."""

import gc
import os
import subprocess
import sys
import textwrap
from unittest import mock

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_bert
from keras_bert.quantization import int8_scope, int8_weights
from keras_bert.quantization.int8_matmul import QuantizedKernel, int8_matmul, reference_int8_matmul
from keras_bert.quantization.selection import quantizable_layers

GRANULARITIES = [(False, False), (False, True), (True, False), (True, True)]  # (per_row, per_channel)


def _operands(m=48, k=96, n=80, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((m, k)) * 2 + 0.3).astype("float32")
    x[3, 5] = 25.0  # an outlier, as BERT activations have
    w = (rng.standard_normal((k, n)) * 0.05 * rng.uniform(0.2, 3, n)).astype("float32")  # uneven columns
    b = rng.standard_normal(n).astype("float32")
    return x, w, b


def _tf_int8(x, kernel, bias, per_row):
    scale = tf.constant(kernel.scale) if kernel.per_channel else float(kernel.scale)
    return int8_matmul(
        tf.constant(x),
        tf.constant(kernel.values),
        scale,
        tf.constant(kernel.column_sums),
        tf.constant(kernel.integer_column_sums),
        None if bias is None else tf.constant(bias),
        per_row=per_row,
    ).numpy()


@pytest.mark.parametrize("per_row,per_channel", GRANULARITIES)
def test_int8_matmul_equals_numpy_reference_and_is_close_to_fp32(per_row, per_channel):
    x, w, b = _operands()
    kernel = QuantizedKernel.from_kernel(w, per_channel=per_channel)
    got = _tf_int8(x, kernel, b, per_row)
    ref = reference_int8_matmul(x, kernel, b, per_row=per_row)
    # The integer product is exact; float32 scaling differs from the float64 reference by ~1e-6
    # relative, and a value exactly half-way between two levels may round the other way (one level
    # of one activation: at most step * max|W|). Quantization error itself is ~100x larger.
    step = (2 * np.abs(x).max(1) if per_row else x.max() - min(x.min(), 0)) / 255
    one_level = np.max(step) * np.abs(w).max()
    assert np.abs(got - ref).max() <= one_level + 1e-5 * np.abs(ref).max()
    assert np.mean(np.abs(got - ref) > 1e-4 * np.abs(ref).max()) < 0.01  # nearly all equal outright
    exact = x @ w + b
    rel = np.abs(got - exact).max() / np.abs(exact).max()
    assert 1e-4 < rel < 0.03, rel  # quantized (not fp32 in disguise), and close


def test_int8_matmul_edge_inputs():
    _, w, b = _operands()
    for per_row, per_channel in GRANULARITIES:
        kernel = QuantizedKernel.from_kernel(w, per_channel=per_channel)
        zeros = _tf_int8(np.zeros((4, w.shape[0]), "float32"), kernel, b, per_row)
        np.testing.assert_allclose(zeros, np.broadcast_to(b, zeros.shape), atol=1e-5)
        empty = _tf_int8(np.zeros((0, w.shape[0]), "float32"), kernel, b, per_row)
        assert empty.shape == (0, w.shape[1])
    with pytest.raises(ValueError, match=r"2-D \(in, out\) kernel, got shape \(3, 4, 5\)"):
        QuantizedKernel.from_kernel(np.zeros((3, 4, 5)))


def test_per_channel_weights_keep_small_columns():
    """Per-column scales: a column 100x smaller than the largest keeps its precision."""
    _, w, _ = _operands()
    w[:, 0] *= 100
    err = {
        per_channel: np.abs(QuantizedKernel.from_kernel(w, per_channel).dequantized() - w)[:, 1:].max()
        for per_channel in (False, True)
    }
    assert err[True] < err[False] / 20


def _tiny_classifier(make_tiny_config, seed=0, **config):
    keras.utils.set_random_seed(seed)
    model = keras_bert.TFBertForSequenceClassification(make_tiny_config(num_labels=3, **config))
    model.build()
    rng = np.random.default_rng(seed)
    for v in model.weights:  # non-trivial weights: default init gives ~zero biases and unit LayerNorms
        v.assign(v.numpy() + rng.standard_normal(v.shape).astype("float32") * 0.05)
    return model


def test_which_layers_and_granularity(make_tiny_config):
    model = keras_bert.TFBertForMaskedLM(make_tiny_config())
    model.build()
    chosen = {layer.path.split("/", 1)[1]: g for layer, g in quantizable_layers(model)}
    expected = {
        f"bert/encoder/layer_{i}/{name}"
        for i in range(2)
        for name in (
            "attention/self/query",
            "attention/self/key",
            "attention/self/value",
            "attention/output/dense",
            "intermediate/dense",
            "output/dense",
        )
    } | {"cls/predictions/transform/dense"}
    assert set(chosen) == expected
    assert not chosen["bert/encoder/layer_0/attention/self/query"].per_row
    assert chosen["bert/encoder/layer_0/intermediate/dense"].per_row
    assert chosen["bert/encoder/layer_1/output/dense"].per_channel


def test_predict_fn_int8_close_to_fp32_and_model_unchanged(make_tiny_config, make_batch):
    model = _tiny_classifier(make_tiny_config)
    batch = make_batch(batch=6, length=16)
    before = model(batch, training=False).logits.numpy()
    weights = [v.numpy().copy() for v in model.weights]
    fp32 = keras_bert.predict_fn(model, outputs=["logits"])
    int8 = keras_bert.predict_fn(model, outputs=["logits"], quantize="int8")
    got = int8(**batch)["logits"].numpy()
    ref = fp32(**batch)["logits"].numpy()
    np.testing.assert_allclose(ref, before, atol=1e-5)
    assert 1e-6 < np.abs(got - ref).max() < 0.05 * np.abs(ref).max(), np.abs(got - ref).max()
    # Built and called the int8 function: the model's weights and fp32 outputs are what they were.
    for v, w in zip(model.weights, weights):
        np.testing.assert_array_equal(v.numpy(), w)
    np.testing.assert_array_equal(model(batch, training=False).logits.numpy(), before)
    np.testing.assert_array_equal(fp32(**batch)["logits"].numpy(), ref)
    int8(**make_batch(batch=2, length=7))
    assert int8.tracing_count == 1
    assert len(int8.int8_weights.layer_paths) == 12


def test_int8_weights_scope_only_inside(make_tiny_config, make_batch):
    model = _tiny_classifier(make_tiny_config)
    batch = make_batch(batch=2, length=8)
    weights = int8_weights(model)
    ref = model(batch, training=False).logits.numpy()
    with int8_scope(weights):
        quantized = model(batch, training=False).logits.numpy()
        with int8_scope(None):  # an inner fp32 scope wins
            np.testing.assert_array_equal(model(batch, training=False).logits.numpy(), ref)
    assert np.abs(quantized - ref).max() > 1e-6
    np.testing.assert_array_equal(model(batch, training=False).logits.numpy(), ref)


def test_unpadded_int8_matches_padded_int8_at_real_positions(make_tiny_config):
    keras.utils.set_random_seed(0)
    model = keras_bert.TFBertModel(make_tiny_config())
    model.build()
    rng = np.random.default_rng(1)
    for v in model.weights:
        v.assign(v.numpy() + rng.standard_normal(v.shape).astype("float32") * 0.05)
    mask = np.zeros((4, 12), "int32")
    for row, n in enumerate([12, 3, 7, 1]):
        mask[row, :n] = 1
    ids = np.where(mask == 1, rng.integers(1, 99, size=mask.shape), 0).astype("int32")
    padded = keras_bert.predict_fn(model, quantize="int8")(ids, mask)
    unpadded = keras_bert.predict_fn(model, quantize="int8", unpadded=True)(ids, mask)
    fp32 = keras_bert.predict_fn(model)(ids, mask)
    real = mask.astype(bool)
    a, b = padded["last_hidden_state"].numpy()[real], unpadded["last_hidden_state"].numpy()[real]
    ref = fp32["last_hidden_state"].numpy()[real]
    # Per-row layers see the same rows; the attention projections' per-tensor ranges also see the
    # padded rows on the padded path, so the two int8 results differ by quantization noise only:
    # well within int8's own distance to fp32.
    int8_error = np.abs(a - ref).max()
    assert np.abs(a - b).max() <= 1.5 * int8_error
    np.testing.assert_allclose(b, ref, atol=3 * int8_error)
    np.testing.assert_allclose(
        unpadded["pooler_output"].numpy(), padded["pooler_output"].numpy(), atol=1.5 * int8_error
    )


def test_refusals_name_the_value(make_tiny_config):
    model = _tiny_classifier(make_tiny_config)
    with pytest.raises(ValueError, match=r"quantize must be None or one of \('int8',\), got 'int4'"):
        keras_bert.predict_fn(model, quantize="int4")
    with pytest.raises(ValueError, match="XLA"):
        keras_bert.predict_fn(model, quantize="int8", jit_compile=True)


def test_keras_model_quantize_still_applies(make_tiny_config, make_batch):
    """Keras' own model.quantize("int8") quantizes BertDense as it does Dense (the subclass adds no
    state); predict_fn(quantize="int8") then refuses, naming the layer."""
    model = _tiny_classifier(make_tiny_config)
    batch = make_batch(batch=2, length=8)
    ref = model(batch, training=False).logits.numpy()
    frozen_at_collections = []
    collect = gc.collect
    with mock.patch.object(
        gc, "collect", lambda *a: frozen_at_collections.append(gc.get_freeze_count()) or collect(*a)
    ):
        model.quantize("int8")
    assert model.bert.encoder.layer[0].intermediate.dense.quantization_mode == "int8"
    # Keras collects once per replaced variable (17 kernels here); ours run over a frozen heap (cheap
    # in a big process), then one full collection frees the float kernels and the heap is thawed.
    assert len(frozen_at_collections) > 10 and all(frozen_at_collections[:-1]), frozen_at_collections
    assert frozen_at_collections[-1] == 0 and gc.get_freeze_count() == 0
    got = model(batch, training=False).logits.numpy()
    assert 1e-6 < np.abs(got - ref).max() < 0.05 * np.abs(ref).max()
    with pytest.raises(ValueError, match=r"encoder/layer_0/\S+ was quantized by Keras \(model.quantize\('int8'\)\)"):
        keras_bert.predict_fn(model, quantize="int8")


def test_jax_backend_refuses_int8(make_tiny_config):
    code = textwrap.dedent(
        """
        import keras_bert
        from keras_bert.quantization import check_quantize
        try:
            check_quantize("int8")
        except ValueError as e:
            print("REFUSED", e)
        """
    )
    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "REFUSED" in res.stdout and "TensorFlow backend" in res.stdout and "'jax'" in res.stdout, res.stdout


def _sentiment_rows():
    here = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "data")
    rows = []
    for name in ("sentiment_train.tsv", "sentiment_test.tsv"):
        with open(os.path.join(here, name), encoding="utf-8") as f:
            rows += [line.rstrip("\n").rsplit("\t", 1) for line in list(f)[1:] if line.strip()]
    return [text for text, _ in rows], np.array([label == "positive" for _, label in rows], "float64")


def _batched(fn, ids, mask, name, size=64):
    return np.concatenate([fn(ids[s : s + size], mask[s : s + size])[name].numpy() for s in range(0, len(ids), size)])


@pytest.mark.slow
def test_minilm_int8_agrees_with_fp32(minilm_dir):
    """On the 384 sentences of examples/data (sentiment): sentence embeddings (masked mean) have
    cosine >= 0.99 to fp32 for every sentence; a classifier head trained on the fp32 pooled outputs
    (ridge regression on the sentiment labels, as the demo classifier is trained) gives the same
    argmax on >= 99% of sentences.

    A fixed *random* 3-way head is also measured: its logits are ~0.03 apart (MiniLM's untrained
    pooler maps all sentences close together), int8 moves them by up to ~0.007, and its argmax agrees
    on ~94-97% of sentences (mixed_bfloat16: 99.5%). That is asserted only as a floor."""
    texts, positive = _sentiment_rows()
    assert len(texts) == 384
    tokenizer = keras_bert.BertTokenizerFast.from_pretrained(minilm_dir)
    enc = tokenizer(texts, padding="max_length", truncation=True, max_length=64, return_tensors="np")
    ids, mask = enc["input_ids"].astype("int32"), enc["attention_mask"].astype("int32")
    keras.utils.set_random_seed(0)
    model = keras_bert.TFBertForSequenceClassification.from_pretrained(minilm_dir, num_labels=3)
    outputs = ["last_hidden_state", "pooler_output"]
    encoders = {q: keras_bert.predict_fn(model.bert, outputs=outputs, quantize=q) for q in (None, "int8")}
    emb = {}
    for q, fn in encoders.items():
        h = _batched(fn, ids, mask, "last_hidden_state")
        emb[q] = (h * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
    cos = (emb[None] * emb["int8"]).sum(1) / np.linalg.norm(emb[None], axis=1) / np.linalg.norm(emb["int8"], axis=1)
    assert cos.min() >= 0.99, (cos.min(), cos.mean())
    assert cos.mean() < 0.99999  # quantized, not fp32 in disguise

    random_head = {
        q: _batched(keras_bert.predict_fn(model, ["logits"], quantize=q), ids, mask, "logits") for q in encoders
    }
    assert len(set(random_head[None].argmax(-1))) > 1
    assert (random_head[None].argmax(-1) == random_head["int8"].argmax(-1)).mean() >= 0.9

    # Trained head: ridge regression of one-hot sentiment on the fp32 pooled output (+ bias).
    pooled = np.c_[_batched(encoders[None], ids, mask, "pooler_output"), np.ones(len(texts))]
    targets = np.c_[1 - positive, positive, np.zeros_like(positive)]
    solution = np.linalg.solve(pooled.T @ pooled + 1e-2 * np.eye(pooled.shape[1]), pooled.T @ targets)
    model.classifier.kernel.assign(solution[:-1].astype("float32"))
    model.classifier.bias.assign(solution[-1].astype("float32"))
    logits = {q: _batched(keras_bert.predict_fn(model, ["logits"], quantize=q), ids, mask, "logits") for q in encoders}
    assert (logits[None].argmax(-1) == positive).mean() > 0.9  # the head is a working classifier
    assert (logits[None].argmax(-1) == logits["int8"].argmax(-1)).mean() >= 0.99


def test_quantize_leaves_a_callers_frozen_heap_frozen(make_tiny_config):
    """A heap the caller froze (e.g. a server after start-up) stays frozen through model.quantize."""
    model = _tiny_classifier(make_tiny_config)
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        model.quantize("int8")
        assert before > 0 and gc.get_freeze_count() > 0.9 * before  # not thawed (a few frozen objects die)
    finally:
        gc.unfreeze()
    assert model.bert.encoder.layer[0].attention.self_attention.query.quantization_mode == "int8"
