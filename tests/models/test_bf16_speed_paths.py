"""bfloat16 inference paths (issue 17 item 3): the TensorFlow attention core keeps bfloat16 scores
(`keras_bert.layers.attention.softmax_in_compute_dtype`) without losing accuracy.

References: the float32-cast attention core (the path other backends and float16 take) on a tiny
model, and transformers' float32 PyTorch model on the real MiniLM checkpoint.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf
import torch

import keras_bert
from keras_bert.layers import attention

B, T = 4, 12
LENGTHS = [12, 7, 1, 0]  # real tokens per row; the last row is fully padded


def _bf16(builder, policy="mixed_bfloat16"):
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        model = builder()
        model.build()
    finally:
        keras.config.set_dtype_policy(previous)
    return model


def _batch(seed=0, vocab=99):
    rng = np.random.default_rng(seed)
    mask = np.zeros((B, T), "int32")
    for row, n in enumerate(LENGTHS):
        mask[row, :n] = 1
    ids = np.where(mask == 1, rng.integers(1, vocab, size=mask.shape), 0).astype("int32")
    return ids, mask


def _perturb(model, seed=0, scale=0.05):
    """Noise on every weight, so unit LayerNorms and zero biases hide nothing."""
    rng = np.random.default_rng(seed)
    for v in model.weights:
        v.assign(v.numpy() + rng.normal(0, scale, v.shape).astype(v.numpy().dtype))


@pytest.fixture
def tiny_bf16(make_tiny_config):
    # 2 heads of head_dim 16: the scale 1/4 is a power of two, so scaling bfloat16 scores is exact
    model = _bf16(lambda: keras_bert.TFBertModel(make_tiny_config(num_attention_heads=2)))
    _perturb(model)
    return model


def _float32_core(monkeypatch):
    monkeypatch.setattr(attention, "softmax_in_compute_dtype", lambda dtype: False)


def test_bf16_scores_stay_bf16_in_the_tensorflow_graph(tiny_bf16):
    """The speed path is active: the traced predict_fn graph runs Softmax on bfloat16 (no float32
    casts around it), and a float32 model still runs it on float32."""
    ids, mask = _batch()
    fn = keras_bert.predict_fn(tiny_bf16, outputs=["last_hidden_state"])
    fn(ids, mask)
    (function,) = fn._functions.values()
    graph = function.get_concrete_function().graph
    softmax = [op for op in graph.get_operations() if op.type == "Softmax"]
    assert len(softmax) == 2, [op.name for op in softmax]  # one per layer
    assert {op.get_attr("T") for op in softmax} == {tf.bfloat16}


@pytest.mark.parametrize("unpadded", [False, True], ids=["padded", "unpadded"])
def test_bf16_embedding_tables_are_not_cast_whole(tiny_bf16, unpadded):
    """`layers.embeddings.lookup`: the traced graph casts gathered rows, never a whole table
    (Keras' autocast of `Embedding` would cast the (V, H) word table on every call), and the
    embeddings equal Keras' own `Embedding` call."""
    ids, mask = _batch()
    fn = keras_bert.predict_fn(tiny_bf16, outputs=["last_hidden_state"], unpadded=unpadded)
    fn(ids, mask)
    (function,) = fn._functions.values()
    layer = tiny_bf16.bert.embeddings
    tables = {tuple(e.embeddings.shape) for e in (layer.word_embeddings, layer.token_type_embeddings)}
    tables.add(tuple(layer.position_embeddings.embeddings.shape))  # (V, H), (2, H), (P_max, H)
    casts = [op for op in function.get_concrete_function().graph.get_operations() if op.type == "Cast"]
    whole = [op.name for op in casts if tuple(op.inputs[0].shape) in tables]
    assert not whole, f"whole embedding tables cast: {whole}"

    ours = layer(input_ids=ids, token_type_ids=np.zeros_like(ids))
    x = layer.word_embeddings(ids) + layer.token_type_embeddings(np.zeros_like(ids))
    x = x + layer.position_embeddings(np.arange(T)[None])
    np.testing.assert_array_equal(np.asarray(ours, "float32"), np.asarray(layer.LayerNorm(x), "float32"))


def test_bf16_core_equals_float32_softmax(tiny_bf16, monkeypatch):
    """bfloat16 scores -> softmax (oneDNN accumulates in float32) equals the float32-cast core:
    with a power-of-two scale the same bfloat16 scores reach a softmax that rounds its float32
    result once; differences come only from the fused matmul's blocking (atol: 2 bfloat16 ulps of
    values in [1, 2), 2**-6; the hidden states are LayerNorm outputs of magnitude ~1)."""
    ids, mask = _batch()
    ours = keras_bert.predict_fn(tiny_bf16, outputs=["last_hidden_state"])(ids, mask)["last_hidden_state"]
    ours_eager = tiny_bf16(input_ids=ids, attention_mask=mask, output_attentions=True)
    _float32_core(monkeypatch)
    reference = keras_bert.predict_fn(tiny_bf16, outputs=["last_hidden_state"])(ids, mask)["last_hidden_state"]
    reference_eager = tiny_bf16(input_ids=ids, attention_mask=mask, output_attentions=True)

    assert ours.dtype == reference.dtype == tf.bfloat16
    ours, reference = np.asarray(ours, "float32"), np.asarray(reference, "float32")
    assert np.all(np.isfinite(ours))
    np.testing.assert_allclose(ours, reference, atol=2**-6, rtol=0)
    for got, want in zip(ours_eager.attentions, reference_eager.attentions):  # op by op: equal
        np.testing.assert_array_equal(np.asarray(got, "float32"), np.asarray(want, "float32"))


def test_bf16_masking(tiny_bf16):
    """The bfloat16 mask stays finite: padded keys get probability 0 and the fully padded row
    attends uniformly (as the float32 path and transformers), never NaN."""
    ids, mask = _batch()
    out = tiny_bf16(input_ids=ids, attention_mask=mask, output_attentions=True)
    for probs in out.attentions:
        probs = np.asarray(probs, "float32")  # (B, N, T, T)
        assert np.all(np.isfinite(probs))
        for row, n in enumerate(LENGTHS[:-1]):
            assert np.all(probs[row, :, :, n:] == 0), f"row {row}: padded keys got probability"
        np.testing.assert_allclose(probs[-1], 1.0 / T, rtol=2**-7)  # bfloat16 rounding of 1/12


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["mixed_bfloat16", "bfloat16"])
@pytest.mark.parametrize("unpadded", [False, True], ids=["padded", "unpadded"])
def test_minilm_bf16_close_to_float32_transformers(minilm_dir, minilm_batch, unpadded, policy):
    """MiniLM under mixed_bfloat16 (and under bfloat16: weights stored in bfloat16, as torch's
    `.to(torch.bfloat16)`; the README's inference advice) vs transformers in float32: sentence embeddings (masked mean,
    as sentence-transformers) cosine >= 0.99 (measured 0.99995), hidden states at real tokens within
    atol 0.08 (measured max 0.041: 6 layers of bfloat16 rounding; the largest hidden values are ~6,
    where a bfloat16 ulp is 2**-5 = 0.031) and mean error <= 0.006 (measured 0.003)."""
    import transformers

    model = _bf16(lambda: keras_bert.TFBertModel.from_pretrained(minilm_dir), policy)
    ids, mask = minilm_batch["input_ids"].astype("int32"), minilm_batch["attention_mask"].astype("int32")
    hidden = keras_bert.predict_fn(model, outputs=["last_hidden_state"], unpadded=unpadded)(ids, mask)
    hidden = np.asarray(hidden["last_hidden_state"], "float32")
    reference = transformers.BertModel.from_pretrained(minilm_dir).eval()
    with torch.no_grad():
        expected = reference(input_ids=torch.tensor(ids).long(), attention_mask=torch.tensor(mask).long())
    expected = expected.last_hidden_state.numpy()

    real = mask.astype(bool)
    error = np.abs(hidden - expected)[real]
    assert error.max() <= 0.08, error.max()
    assert error.mean() <= 0.006, error.mean()
    weights = mask[..., None].astype("float32")

    def embed(h):
        e = (h * weights).sum(1) / weights.sum(1)
        return e / np.linalg.norm(e, axis=1, keepdims=True)

    cosine = (embed(hidden) * embed(expected)).sum(1)
    assert cosine.min() >= 0.99, cosine
