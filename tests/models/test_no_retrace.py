"""`keras_bert.predict_fn`: one trace serves every batch size and length (no timing here)."""

import numpy as np
import pytest

import keras_bert


def _batch(rng, batch, length):
    ids = rng.integers(1, 99, size=(batch, length)).astype("int32")
    mask = np.ones((batch, length), "int32")
    mask[0, length // 2 :] = 0  # one padded row
    return ids, mask


@pytest.mark.parametrize("kwargs", [{}, {"jit_compile": True, "pad_to_multiple_of": 16}])
def test_predict_fn_never_retraces_for_new_shapes(make_tiny_config, kwargs):
    model = keras_bert.TFBertModel(make_tiny_config())
    fn = keras_bert.predict_fn(model, **kwargs)
    rng = np.random.default_rng(0)
    fn(*_batch(rng, 2, 8))  # warm-up: the one and only trace
    assert fn.tracing_count == 1
    for batch, length in [(1, 5), (3, 17), (4, 8), (2, 33), (5, 1), (1, 40), (3, 9), (2, 16)]:
        ids, mask = _batch(rng, batch, length)
        out = fn(ids, mask)
        assert out["last_hidden_state"].shape == (batch, length, 32)
        assert out["pooler_output"].shape == (batch, 32)
    assert fn.tracing_count == 1


def test_predict_fn_matches_eager_call(make_tiny_config):
    model = keras_bert.TFBertModel(make_tiny_config())
    ids, mask = _batch(np.random.default_rng(1), 3, 11)
    expected = model(input_ids=ids, attention_mask=mask)
    for kwargs in ({}, {"pad_to_multiple_of": 8}):
        out = keras_bert.predict_fn(model, **kwargs)(ids, mask)
        valid = mask.astype(bool)
        np.testing.assert_allclose(
            np.asarray(out["last_hidden_state"])[valid], np.asarray(expected.last_hidden_state)[valid], atol=1e-5
        )
        np.testing.assert_allclose(np.asarray(out["pooler_output"]), np.asarray(expected.pooler_output), atol=1e-5)


def test_predict_fn_selects_outputs_and_checks_buckets(make_tiny_config):
    model = keras_bert.TFBertForSequenceClassification(make_tiny_config(num_labels=3))
    fn = keras_bert.predict_fn(model, outputs=["logits"])
    out = fn(np.ones((2, 6), "int32"))
    assert list(out) == ["logits"] and out["logits"].shape == (2, 3)
    with pytest.raises(ValueError, match="pad_to_multiple_of"):
        keras_bert.predict_fn(model, pad_to_multiple_of=0)
