"""`BertLayerNorm` inside `fused_layer_norm()` (what predict_fn traces): oneDNN's one-op LayerNorm,
checked against a float64 NumPy LayerNorm; the op is really in predict_fn's graph; outside the
scope, eagerly, or when differentiated the layer is Keras' own. Inside `lowering("tflite")` (what
export_tflite traces): the short formula, against the same NumPy LayerNorm."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_bert
from keras_bert.layers.layer_norm import BertLayerNorm, fused_layer_norm, onednn_layer_norm_available
from keras_bert.layers.lowering import current_target, lowering

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TensorFlow backend only")


def _numpy_layer_norm(x, gamma, beta, eps):
    x = np.asarray(x, np.float64)
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * np.asarray(gamma, np.float64) + np.asarray(beta, np.float64)


def _layer(dtype, hidden=48, seed=0):
    layer = BertLayerNorm(epsilon=1e-12, dtype=dtype)
    layer.build((None, None, hidden))
    rng = np.random.default_rng(seed)
    layer.gamma.assign(rng.normal(1.0, 0.3, hidden).astype("float32"))
    layer.beta.assign(rng.normal(0.0, 0.3, hidden).astype("float32"))
    return layer


def _ops(fn, *args):
    return {op.type for op in fn.get_concrete_function(*args).graph.get_operations()}


def test_onednn_layer_norm_is_available_here():
    # TensorFlow's x86 Linux wheels ship the kernel; if this fails the fused path silently stays off.
    assert onednn_layer_norm_available()


@pytest.mark.parametrize("dtype, atol", [("float32", 2e-5), ("bfloat16", 0.07)])
def test_fused_matches_numpy(dtype, atol):
    layer = _layer(dtype)
    x = np.random.default_rng(1).normal(2.0, 3.0, (3, 17, 48)).astype("float32")
    want = _numpy_layer_norm(
        x if dtype == "float32" else tf.cast(tf.cast(x, tf.bfloat16), tf.float32).numpy(),
        layer.gamma.numpy(),
        layer.beta.numpy(),
        1e-12,
    )

    @tf.function
    def fused(t):
        with fused_layer_norm():
            return layer(t)

    assert "_MklLayerNorm" in _ops(fused, tf.TensorSpec([None, None, 48], tf.float32))
    got = fused(tf.constant(x))
    assert got.dtype == tf.as_dtype(dtype)
    np.testing.assert_allclose(tf.cast(got, tf.float32).numpy(), want, atol=atol)
    keras_out = tf.cast(layer(tf.constant(x)), tf.float32).numpy()  # eager: Keras' LayerNorm
    np.testing.assert_allclose(keras_out, want, atol=atol * 2)


def test_outside_the_scope_or_eager_is_keras():
    layer = _layer("float32")

    @tf.function
    def plain(t):
        return layer(t)

    assert "_MklLayerNorm" not in _ops(plain, tf.TensorSpec([None, 48], tf.float32))
    x = tf.constant(np.random.default_rng(2).normal(size=(4, 48)).astype("float32"))
    with fused_layer_norm():
        eager = layer(x)  # eager: no graph to put the op in
    np.testing.assert_allclose(eager.numpy(), plain(x).numpy(), atol=1e-6)  # graph rewrites: ~2e-7


def test_predict_fn_graph_uses_it_and_matches_the_model(make_tiny_config, make_batch):
    config = make_tiny_config()
    model = keras_bert.TFBertModel(config)
    model.build()
    batch = make_batch(vocab=config.vocab_size)
    ids, mask, types = batch["input_ids"], batch["attention_mask"], batch["token_type_ids"]
    fn = keras_bert.predict_fn(model, ["last_hidden_state"])
    got = fn(ids, mask, types)["last_hidden_state"].numpy()
    graph_ops = {op.type for f in fn._functions.values() for op in f.get_concrete_function().graph.get_operations()}
    assert "_MklLayerNorm" in graph_ops
    want = model(input_ids=ids, attention_mask=mask, token_type_ids=types, training=False)["last_hidden_state"]
    real = np.asarray(mask, bool)
    np.testing.assert_allclose(got[real], want.numpy()[real], atol=1e-5)


def test_tflite_lowering_matches_numpy():
    layer = _layer("float32")
    x = np.random.default_rng(3).normal(2.0, 3.0, (3, 17, 48)).astype("float32")
    want = _numpy_layer_norm(x, layer.gamma.numpy(), layer.beta.numpy(), 1e-12)

    @tf.function
    def short(t):
        with lowering("tflite"):
            return layer(t)

    graph_ops = _ops(short, tf.TensorSpec([None, None, 48], tf.float32))
    assert "Rsqrt" in graph_ops and "SquaredDifference" not in graph_ops  # not Keras' formula
    np.testing.assert_allclose(short(tf.constant(x)).numpy(), want, atol=2e-5)


def test_lowering_scopes_nest_and_refuse_unknown_targets():
    assert current_target() is None
    with lowering("tflite"):
        with fused_layer_norm():
            assert current_target() == "onednn"
        assert current_target() == "tflite"
    assert current_target() is None
    with pytest.raises(ValueError, match="xla"):
        with lowering("xla"):
            pass
