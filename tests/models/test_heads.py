"""Every Keras head equals transformers' PyTorch head (logits and loss) on perturbed tiny checkpoints."""

import numpy as np
import pytest
import torch

import keras_bert

B, T, C = 3, 9, 2


def _labels(name, rng, batch, num_labels=2):
    mask = batch["attention_mask"]
    if name == "token":
        labels = rng.integers(0, num_labels, size=(B, T))
        labels[mask == 0] = -100
        labels[:, 0] = -100
        return {"labels": labels}
    if name == "mlm":
        labels = rng.integers(0, 99, size=(B, T))
        labels[rng.random((B, T)) < 0.5] = -100
        labels[0, 1] = 5  # at least one counted position
        return {"labels": labels}
    if name == "class":
        return {"labels": rng.integers(0, num_labels, size=(B,))}
    raise KeyError(name)


CASES = {
    # HF class: (config overrides, label builder)
    "BertForPreTraining": (
        {},
        lambda rng, b: {**_labels("mlm", rng, b), "next_sentence_label": rng.integers(0, 2, (B,))},
    ),
    "BertLMHeadModel": ({"is_decoder": True}, lambda rng, b: _labels("mlm", rng, b)),
    "BertForMaskedLM": ({}, lambda rng, b: _labels("mlm", rng, b)),
    "BertForNextSentencePrediction": ({}, lambda rng, b: _labels("class", rng, b)),
    "BertForSequenceClassification": ({"num_labels": 3}, lambda rng, b: _labels("class", rng, b, 3)),
    "BertForTokenClassification": ({"num_labels": 5}, lambda rng, b: _labels("token", rng, b, 5)),
    "BertForQuestionAnswering": (
        {},
        lambda rng, b: {"start_positions": np.array([1, 4, 30]), "end_positions": np.array([2, 40, 6])},
    ),
}


def _torch(batch):
    return {k: torch.tensor(np.asarray(v)) for k, v in batch.items()}


def _compare(keras_out, torch_out, names, atol=1e-4):
    for name in names:
        ours, ref = np.asarray(keras_out[name], dtype="float32"), torch_out[name].detach().numpy()
        assert ours.shape == ref.shape, name
        np.testing.assert_allclose(ours, ref, atol=atol, rtol=0, err_msg=name)


@pytest.mark.parametrize("hf_name", sorted(CASES))
def test_head_matches_transformers(hf_checkpoint, make_batch, hf_name):
    overrides, make_labels = CASES[hf_name]
    path, ref = hf_checkpoint(hf_name, **overrides)
    batch = make_batch(B, T)
    labels = make_labels(np.random.default_rng(1), batch)
    model = getattr(keras_bert, "TF" + hf_name).from_pretrained(path)
    assert model.loading_info["missing_keys"] == []
    ours = model({**batch, **labels})
    with torch.no_grad():
        theirs = ref(**_torch({**batch, **labels}))
    names = [n for n in ours.keys() if n not in ("past_key_values",)]
    _compare(ours, theirs, names)
    assert "loss" in names


@pytest.mark.parametrize(
    "problem_type, num_labels",
    [("regression", 1), ("single_label_classification", 3), ("multi_label_classification", 3), (None, 1), (None, 3)],
)
def test_sequence_classification_problem_types(hf_checkpoint, make_batch, problem_type, num_labels):
    path, ref = hf_checkpoint("BertForSequenceClassification", num_labels=num_labels, problem_type=problem_type)
    batch = make_batch(B, T)
    rng = np.random.default_rng(2)
    if problem_type == "regression" or (problem_type is None and num_labels == 1):
        labels = rng.normal(size=(B,)).astype("float32")
    elif problem_type == "multi_label_classification":
        labels = (rng.random((B, num_labels)) < 0.5).astype("float32")
    else:
        labels = rng.integers(0, num_labels, (B,))
    model = keras_bert.TFBertForSequenceClassification.from_pretrained(path)
    ours = model({**batch, "labels": labels})
    with torch.no_grad():
        theirs = ref(**_torch({**batch, "labels": labels}))
    _compare(ours, theirs, ["loss", "logits"])


def test_multiple_choice_matches_transformers(hf_checkpoint, make_batch):
    path, ref = hf_checkpoint("BertForMultipleChoice")
    flat = make_batch(B * C, T)
    batch = {k: v.reshape(B, C, T) for k, v in flat.items()}
    labels = np.array([0, 1, 1])
    ours = keras_bert.TFBertForMultipleChoice.from_pretrained(path)({**batch, "labels": labels})
    with torch.no_grad():
        theirs = ref(**_torch({**batch, "labels": labels}))
    assert tuple(ours.logits.shape) == (B, C)
    _compare(ours, theirs, ["loss", "logits"])


def test_hidden_states_and_attentions_of_a_head(hf_checkpoint, make_batch):
    path, ref = hf_checkpoint("BertForTokenClassification", num_labels=4)
    batch = make_batch(B, T)
    ours = keras_bert.TFBertForTokenClassification.from_pretrained(path)(
        batch, output_hidden_states=True, output_attentions=True
    )
    ref.config._attn_implementation = "eager"
    with torch.no_grad():
        theirs = ref(**_torch(batch), output_hidden_states=True, output_attentions=True)
    valid = batch["attention_mask"].astype(bool)
    for a, b in zip(ours.hidden_states, theirs.hidden_states):
        np.testing.assert_allclose(np.asarray(a)[valid], b.numpy()[valid], atol=1e-4)
    for a, b in zip(ours.attentions, theirs.attentions):
        np.testing.assert_allclose(np.asarray(a), b.numpy(), atol=1e-5)


def test_base_checkpoint_into_head_reports_new_weights(hf_checkpoint, make_batch):
    path, ref = hf_checkpoint("BertModel")
    model = keras_bert.TFBertForSequenceClassification.from_pretrained(path, num_labels=3)
    assert sorted(model.loading_info["newly_initialized"]) == ["classifier.bias", "classifier.weight"]
    assert model.config.num_labels == 3
    batch = make_batch(B, T)
    # The encoder is the checkpoint's: the pooled output equals transformers'.
    with torch.no_grad():
        pooled = ref(**_torch(batch)).pooler_output.numpy()
    ours = model.bert(**batch).pooler_output
    np.testing.assert_allclose(np.asarray(ours), pooled, atol=1e-5)
    mlm = keras_bert.TFBertForMaskedLM.from_pretrained(path)
    assert sorted(mlm.loading_info["newly_initialized"]) == [
        "cls.predictions.bias",
        "cls.predictions.transform.LayerNorm.bias",
        "cls.predictions.transform.LayerNorm.weight",
        "cls.predictions.transform.dense.bias",
        "cls.predictions.transform.dense.weight",
    ]


def test_decoder_is_tied_to_word_embeddings(make_tiny_config):
    model = keras_bert.TFBertForMaskedLM(make_tiny_config())
    model.build()
    names = [v.path for v in model.weights]
    assert sum("word_embeddings" in n for n in names) == 1
    assert "cls.predictions.decoder.weight" not in model.hf_state_dict()


@pytest.mark.parametrize("cls_name", ["TFBertForSequenceClassification", "TFBertForQuestionAnswering"])
def test_head_save_pretrained_loads_in_transformers(tmp_path, hf_checkpoint, make_batch, cls_name):
    import transformers

    hf_name = cls_name[2:]
    path, ref = hf_checkpoint(hf_name)
    model = getattr(keras_bert, cls_name).from_pretrained(path)
    model.save_pretrained(tmp_path / "out")
    loaded, info = getattr(transformers, hf_name).from_pretrained(tmp_path / "out", output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]
    batch = make_batch(B, T)
    with torch.no_grad():
        a, b = loaded.eval()(**_torch(batch)), ref(**_torch(batch))
    for name in model.logit_names:
        np.testing.assert_array_equal(a[name].numpy(), b[name].numpy())


@pytest.mark.parametrize(
    "cls_name", ["TFBertForSequenceClassification", "TFBertForMaskedLM", "TFBertForMultipleChoice"]
)
def test_head_keras_file_and_config_round_trip(tmp_path, make_tiny_config, make_batch, cls_name):
    import keras

    config = make_tiny_config(num_labels=3, id2label={0: "a", 1: "b", 2: "c"}, classifier_dropout=0.2)
    model = getattr(keras_bert, cls_name)(config, name="custom")
    batch = make_batch(B, T)
    if cls_name == "TFBertForMultipleChoice":
        batch = {k: np.stack([v, v[::-1]], 1) for k, v in batch.items()}
    expected = np.asarray(model.logits(model(batch)))
    clone = type(model).from_config(model.get_config())
    assert clone.config == model.config and clone.name == "custom"
    path = tmp_path / "head.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model) and loaded.config.id2label == {0: "a", 1: "b", 2: "c"}
    np.testing.assert_allclose(np.asarray(loaded.logits(loaded(batch))), expected, atol=1e-6)
