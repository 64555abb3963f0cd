"""model.fit out of the box for every head, user losses and metrics, mixed precision, resizing."""

import keras
import numpy as np
import pytest

import keras_bert

N, T = 16, 8


def _data(kind, num_labels=3, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, 99, size=(N, T)).astype("int32")
    x = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
    if kind == "mlm":
        labels = np.where(rng.random((N, T)) < 0.3, ids, -100)
        labels[:, 1] = ids[:, 1]
        return x, {"labels": labels}
    if kind == "causal":  # a learnable rule: each next token is the previous one + 1
        ids = ((ids[:, :1] + np.arange(T)) % 98 + 1).astype("int32")
        return {"input_ids": ids, "attention_mask": np.ones_like(ids)}, {"labels": ids}
    if kind == "class":
        return x, {"labels": rng.integers(0, num_labels, (N,))}
    if kind == "regression":
        return x, {"labels": rng.normal(size=(N,)).astype("float32")}
    if kind == "multi":
        return x, {"labels": (rng.random((N, num_labels)) < 0.5).astype("float32")}
    if kind == "token":
        return x, {"labels": ids % num_labels}
    if kind == "qa":
        return x, {"start_positions": rng.integers(0, T, (N,)), "end_positions": rng.integers(0, T, (N,))}
    if kind == "pretraining":
        _, mlm = _data("mlm", seed=seed)
        return x, {**mlm, "next_sentence_label": rng.integers(0, 2, (N,))}
    if kind == "choice":
        x = {k: v.reshape(N // 2, 2, T) for k, v in x.items()}
        return x, {"labels": rng.integers(0, 2, (N // 2,))}
    raise KeyError(kind)


CASES = [
    ("TFBertForPreTraining", "pretraining", {}),
    ("TFBertLMHeadModel", "causal", {"is_decoder": True}),
    ("TFBertForMaskedLM", "mlm", {}),
    ("TFBertForNextSentencePrediction", "class", {"num_labels": 2}),
    ("TFBertForSequenceClassification", "class", {"num_labels": 3}),
    ("TFBertForSequenceClassification", "regression", {"num_labels": 1}),
    ("TFBertForSequenceClassification", "multi", {"num_labels": 3, "problem_type": "multi_label_classification"}),
    ("TFBertForMultipleChoice", "choice", {}),
    ("TFBertForTokenClassification", "token", {"num_labels": 3}),
    ("TFBertForQuestionAnswering", "qa", {}),
]


def _fit(model, x, y=None, **compile_kw):
    keras.utils.set_random_seed(0)
    model.compile(optimizer=keras.optimizers.Adam(5e-3), **compile_kw)
    history = model.fit(x, y, batch_size=len(next(iter(x.values()))), epochs=20, verbose=0, shuffle=False)
    return history.history


@pytest.mark.slow
@pytest.mark.parametrize("cls_name, kind, overrides", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_fit_halves_the_builtin_loss(make_tiny_config, cls_name, kind, overrides):
    keras.utils.set_random_seed(0)
    model = getattr(keras_bert, cls_name)(make_tiny_config(**overrides))
    x, labels = _data(kind, overrides.get("num_labels", 3))
    history = _fit(model, {**x, **labels})  # labels inside the x dict
    assert len(history["loss"]) == 20
    assert history["loss"][-1] <= 0.5 * history["loss"][0], history["loss"]


def test_labels_as_y_equal_labels_in_x(make_tiny_config):
    x, labels = _data("class")
    losses = []
    for as_y in (False, True):
        keras.utils.set_random_seed(0)
        model = keras_bert.TFBertForSequenceClassification(make_tiny_config(num_labels=3))
        h = _fit(model, x, labels["labels"]) if as_y else _fit(model, {**x, **labels})
        losses.append(h["loss"])
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-5)


def test_user_loss_on_logits_and_metrics(make_tiny_config):
    keras.utils.set_random_seed(0)
    model = keras_bert.TFBertForSequenceClassification(make_tiny_config(num_labels=3))
    x, labels = _data("class")
    history = _fit(
        model,
        x,
        labels["labels"],
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["sparse_categorical_accuracy"],
    )
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["sparse_categorical_accuracy"][-1] == 1.0
    # Metrics also work with the built-in loss and labels inside x (token level skips -100).
    keras.utils.set_random_seed(0)
    tagger = keras_bert.TFBertForTokenClassification(make_tiny_config(num_labels=3))
    x, labels = _data("token")
    labels["labels"][:, 0] = -100
    history = _fit(tagger, {**x, **labels}, metrics=["sparse_categorical_accuracy"])
    assert history["sparse_categorical_accuracy"][-1] > 0.9


def test_fit_without_labels_explains(make_tiny_config):
    model = keras_bert.TFBertForSequenceClassification(make_tiny_config())
    model.compile(optimizer="adam")
    x, _ = _data("class")
    with pytest.raises(ValueError, match="no labels"):
        model.fit(x, epochs=1, verbose=0)


@pytest.fixture
def bf16():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    yield
    keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("cls_name, kind, overrides", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_every_head_runs_in_mixed_bfloat16(bf16, make_tiny_config, cls_name, kind, overrides):
    model = getattr(keras_bert, cls_name)(make_tiny_config(**overrides))
    x, labels = _data(kind, overrides.get("num_labels", 3))
    x["attention_mask"][..., -2:] = 0
    out = model({**x, **labels}, output_attentions=True)
    assert np.isfinite(float(out.loss))
    assert out.loss.dtype == "float32"
    logits = model.logits(out)
    for value in logits if isinstance(logits, tuple) else (logits,):
        assert value.dtype == "bfloat16"
        assert np.isfinite(np.asarray(keras.ops.cast(value, "float32"))).all()
    # Softmax ran in float32: each row of probabilities sums to 1 before the bf16 cast.
    probs = np.asarray(keras.ops.cast(out.attentions[0], "float32"))
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=2e-2)
    layer_norm = model.bert.embeddings.LayerNorm
    assert layer_norm.variable_dtype == "float32" and layer_norm.compute_dtype == "bfloat16"


@pytest.mark.slow
def test_minilm_bf16_close_to_fp32(minilm_dir, minilm_batch):
    reference = np.asarray(keras_bert.TFBertModel.from_pretrained(minilm_dir)(minilm_batch).last_hidden_state)
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        out = keras_bert.TFBertModel.from_pretrained(minilm_dir)(minilm_batch).last_hidden_state
    finally:
        keras.mixed_precision.set_global_policy("float32")
    out = np.asarray(keras.ops.cast(out, "float32"))
    valid = minilm_batch["attention_mask"].astype(bool)
    assert np.isfinite(out).all()
    relative = np.linalg.norm(out[valid] - reference[valid]) / np.linalg.norm(reference[valid])
    assert relative < 2e-2, relative


def test_resize_token_embeddings(make_tiny_config, make_batch):
    model = keras_bert.TFBertForMaskedLM(make_tiny_config())
    batch = make_batch()
    before = np.asarray(model(batch).logits)
    old = np.asarray(model.get_input_embeddings().embeddings)
    model.resize_token_embeddings(120)
    assert model.config.vocab_size == 120
    assert tuple(model.get_input_embeddings().embeddings.shape) == (120, 32)
    assert tuple(model.cls.predictions.bias.shape) == (120,)
    np.testing.assert_array_equal(np.asarray(model.get_input_embeddings().embeddings)[:99], old)
    after = np.asarray(model(batch).logits)
    assert after.shape[-1] == 120
    np.testing.assert_allclose(after[..., :99], before, atol=1e-5)
    assert len(model.trainable_variables) == len({id(v) for v in model.trainable_variables})
    state = model.hf_state_dict()
    assert state["bert.embeddings.word_embeddings.weight"].shape == (120, 32)
    model.resize_token_embeddings(50)
    small = dict(batch, input_ids=batch["input_ids"] % 50)
    assert np.asarray(model(small).logits).shape[-1] == 50
    # Still trains after resizing.
    model.compile(optimizer="adam")
    x, labels = _data("mlm")
    x["input_ids"] %= 50
    history = model.fit(
        {**x, "labels": np.where(labels["labels"] >= 0, labels["labels"] % 50, -100)}, epochs=2, verbose=0
    )
    assert np.isfinite(history.history["loss"]).all()
