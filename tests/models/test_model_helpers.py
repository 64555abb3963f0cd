"""transformers 4.x TFPreTrainedModel helpers: embeddings, LM head and bias, parameter counts,
dummy inputs, `hf_compute_loss`, class attributes. Numbers against transformers 5 and NumPy."""

import sys
import types

import keras
import numpy as np
import pytest
import torch
import transformers
from transformers.loss import loss_utils

from keras_bert import BertConfig
from keras_bert.models.bert_model import TFBertModel
from keras_bert.models.lm_heads import TFBertForMaskedLM, TFBertForNextSentencePrediction, TFBertForPreTraining
from keras_bert.models.task_heads import (
    TFBertForMultipleChoice,
    TFBertForQuestionAnswering,
    TFBertForSequenceClassification,
    TFBertForTokenClassification,
)
from tests.support.tiny import random_batch, tiny_config

CLASSES = {
    "BertModel": TFBertModel,
    "BertForMaskedLM": TFBertForMaskedLM,
    "BertForPreTraining": TFBertForPreTraining,
    "BertForSequenceClassification": TFBertForSequenceClassification,
    "BertForMultipleChoice": TFBertForMultipleChoice,
    "BertForQuestionAnswering": TFBertForQuestionAnswering,
}
RNG = np.random.default_rng(0)


def ours(name, **config):
    model = CLASSES[name](BertConfig(**tiny_config(**config)))
    model.build()
    return model


def theirs(name, **config):
    return getattr(transformers, name)(transformers.BertConfig(**tiny_config(**config)))


# tie_word_embeddings only matters with an LM head: untied cases for those heads only.
PARAMETER_CASES = [(name, True) for name in CLASSES] + [
    (name, False) for name in ("BertForMaskedLM", "BertForPreTraining")
]


@pytest.mark.parametrize("name,tied", PARAMETER_CASES)
def test_num_parameters_match_transformers(name, tied):
    model, reference = ours(name, tie_word_embeddings=tied), theirs(name, tie_word_embeddings=tied)
    # Untied, transformers 5 keeps `cls.predictions.bias` beside `decoder.bias` but never uses it
    # (forward is `decoder(transform(x))`); we hold only the decoder's own bias.
    unused = 0 if tied else reference.cls.predictions.bias.numel()
    assert unused == 0 or reference.cls.predictions.bias is not reference.cls.predictions.decoder.bias
    for kwargs in ({}, {"only_trainable": True}, {"exclude_embeddings": True}):
        assert model.num_parameters(**kwargs) == reference.num_parameters(**kwargs) - unused, kwargs
    model.bert.embeddings.trainable = False
    frozen = sum(int(np.prod(v.shape)) for v in model.bert.embeddings.weights)
    assert model.num_parameters(only_trainable=True) == reference.num_parameters() - unused - frozen


def test_output_embeddings_and_bias_as_transformers(hf_checkpoint):
    for tied in (True, False):
        path, reference = hf_checkpoint("BertForMaskedLM", subdir=f"mlm{tied}", tie_word_embeddings=tied)
        model = TFBertForMaskedLM.from_pretrained(path)
        out = model.get_output_embeddings()
        expected = reference.get_output_embeddings().weight.detach().numpy()  # (V, H)
        if tied:
            assert out is model.get_input_embeddings()
            matrix = keras.ops.convert_to_numpy(out.embeddings)
        else:
            assert out is model.cls.predictions.decoder
            matrix = keras.ops.convert_to_numpy(out.kernel).T
        np.testing.assert_allclose(matrix, expected, rtol=0, atol=0)
        bias = model.get_bias()
        assert list(bias) == ["bias"]
        want = reference.cls.predictions.decoder.bias.detach().numpy()
        np.testing.assert_allclose(keras.ops.convert_to_numpy(bias["bias"]), want, rtol=0, atol=0)
        assert model.get_lm_head() is model.cls.predictions
    for name in ("BertModel", "BertForSequenceClassification", "BertForQuestionAnswering"):
        assert ours(name).get_output_embeddings() is None
        assert theirs(name).get_output_embeddings() is None
        assert ours(name).get_bias() is None and ours(name).get_lm_head() is None
        assert ours(name).get_prefix_bias_name() is None
    assert ours("BertForMaskedLM").get_prefix_bias_name().endswith("/cls/predictions")


def _mlm_logits_reference(model, batch, matrix, bias):
    """NumPy: transform(last hidden state) @ matrix.T + bias."""
    hidden = model.bert(**batch).last_hidden_state
    x = keras.ops.convert_to_numpy(model.cls.predictions.transform(hidden)).astype(np.float64)
    return x @ matrix.T.astype(np.float64) + bias


@pytest.mark.parametrize("tied", [True, False])
def test_set_output_embeddings_and_bias_change_the_logits(tied):
    model = ours("BertForMaskedLM", tie_word_embeddings=tied)
    batch = random_batch()
    matrix = RNG.normal(0, 0.1, (99, 32)).astype("float32")
    bias = RNG.normal(0, 0.1, (99,)).astype("float32")
    model.set_output_embeddings(matrix)
    model.set_bias({"bias": bias})
    logits = keras.ops.convert_to_numpy(model(batch).logits)
    np.testing.assert_allclose(logits, _mlm_logits_reference(model, batch, matrix, bias), rtol=1e-4, atol=1e-5)
    if tied:  # the tied decoder is the word-embedding matrix
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(model.get_input_embeddings().embeddings), matrix)
    with pytest.raises(ValueError, match=r"shape \(99,\), got \(98,\)"):
        model.set_bias({"bias": np.zeros(98, "float32")})
    with pytest.raises(ValueError, match=r"\(99, 32\) matrix, got shape \(99, 31\)|vocab_size, 32\) matrix"):
        model.set_output_embeddings(np.zeros((99, 31), "float32"))


def test_set_input_embeddings():
    model = ours("BertModel")
    matrix = RNG.normal(0, 0.1, (120, 32)).astype("float32")
    model.set_input_embeddings(matrix)  # no LM head: the vocabulary may change size (4.x)
    assert model.config.vocab_size == 120 and model.get_input_embeddings().input_dim == 120
    ids = np.array([[119, 5, 0]], "int32")
    got = keras.ops.convert_to_numpy(model.bert.embeddings.word_embeddings(ids))
    np.testing.assert_array_equal(got, matrix[ids])
    model(input_ids=ids)  # ids up to 119 are valid now
    mlm = ours("BertForMaskedLM")
    with pytest.raises(ValueError, match=r"resize_token_embeddings\(120\)"):
        mlm.set_input_embeddings(matrix)
    with pytest.raises(ValueError, match=r"\(vocab_size, 32\) matrix, got shape \(99,\)"):
        mlm.set_input_embeddings(np.zeros(99))


def test_class_attributes_and_dummy_inputs():
    model = ours("BertForSequenceClassification")
    assert model.config_class is BertConfig and model.main_input_name == "input_ids"
    assert model.framework == "tf" and model.base_model_prefix == "bert"
    assert TFBertForMaskedLM.can_generate() is False and model.can_generate() is False
    dummies = model.dummy_inputs
    assert {k: tuple(v.shape) for k, v in dummies.items()} == {
        "input_ids": (1, 2),
        "attention_mask": (1, 2),
        "token_type_ids": (1, 2),
    }
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(dummies["token_type_ids"]), 0)
    assert tuple(model(model.dummy_inputs).logits.shape) == (1, 2)
    choice = ours("BertForMultipleChoice")
    assert tuple(choice.dummy_inputs["input_ids"].shape) == (1, 2, 2)
    assert tuple(choice(choice.dummy_inputs).logits.shape) == (1, 2)


def test_prepare_tf_dataset_delegates(monkeypatch):
    calls = []
    stub = types.ModuleType("keras_bert.models.tf_dataset")
    stub.prepare_tf_dataset = lambda model, *a, **k: calls.append((model, a, k)) or "dataset"
    monkeypatch.setitem(sys.modules, "keras_bert.models.tf_dataset", stub)
    model = ours("BertModel")
    assert model.prepare_tf_dataset("ds", batch_size=4, shuffle=False) == "dataset"
    assert calls == [(model, ("ds",), {"batch_size": 4, "shuffle": False})]


# -- hf_compute_loss: transformers 5's loss functions (means) and NumPy (per element) -------
def _np_ce(labels, logits):
    """Per-element softmax cross-entropy in float64; 0 where the label is negative."""
    logits = logits.astype(np.float64)
    logp = logits - logits.max(-1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(-1, keepdims=True))
    safe = np.where(labels >= 0, labels, 0)
    picked = np.take_along_axis(logp, safe[..., None], -1)[..., 0]
    return np.where(labels >= 0, -picked, 0.0)


def _np(x):
    return keras.ops.convert_to_numpy(x)


def test_hf_compute_loss_token_level_heads():
    logits = RNG.normal(size=(3, 7, 11)).astype("float32")
    labels = RNG.integers(0, 11, (3, 7)).astype("int32")
    labels[0, :3] = -100
    reference = loss_utils.ForMaskedLMLoss(torch.tensor(logits), torch.tensor(labels).long(), vocab_size=11).item()
    for name in ("BertForMaskedLM", "BertForTokenClassification"):
        cls = TFBertForTokenClassification if name == "BertForTokenClassification" else TFBertForMaskedLM
        model = cls(BertConfig(**tiny_config(num_labels=11)))
        loss = _np(model.hf_compute_loss(labels, logits))
        assert loss.shape == (1,)
        np.testing.assert_allclose(loss[0], reference, rtol=1e-5, atol=1e-6)


def test_hf_compute_loss_pretraining_and_nsp():
    model = ours("BertForPreTraining")
    mlm = RNG.normal(size=(2, 5, 99)).astype("float32")
    nsp = RNG.normal(size=(2, 2)).astype("float32")
    labels = RNG.integers(0, 99, (2, 5)).astype("int32")
    labels[:, ::2] = -100
    nsl = np.array([1, 0], "int32")
    loss = _np(model.hf_compute_loss({"labels": labels, "next_sentence_label": nsl}, (mlm, nsp)))
    expected = _np_ce(labels, mlm).sum() / (labels >= 0).sum() + _np_ce(nsl, nsp).mean()
    assert loss.shape == (1,)
    np.testing.assert_allclose(loss[0], expected, rtol=1e-5, atol=1e-6)
    per_example = _np(TFBertForNextSentencePrediction(BertConfig(**tiny_config())).hf_compute_loss(nsl, nsp))
    np.testing.assert_allclose(per_example, _np_ce(nsl, nsp), rtol=1e-5, atol=1e-6)
    masked = np.array([-100, 0], "int32")
    got = _np(TFBertForNextSentencePrediction(BertConfig(**tiny_config())).hf_compute_loss(masked, nsp))
    np.testing.assert_allclose(got, [0.0, _np_ce(masked, nsp)[1]], rtol=1e-5, atol=1e-6)


def test_hf_compute_loss_sequence_and_choice_per_example():
    logits = RNG.normal(size=(4, 3)).astype("float32")
    labels = np.array([0, 2, 1, 2], "int32")
    for cls in (TFBertForSequenceClassification, TFBertForMultipleChoice):
        model = cls(BertConfig(**tiny_config(num_labels=3)))
        loss = _np(model.hf_compute_loss(labels, logits))
        assert loss.shape == (4,)
        np.testing.assert_allclose(loss, _np_ce(labels, logits), rtol=1e-5, atol=1e-6)
        reference = loss_utils.ForSequenceClassificationLoss(
            torch.tensor(labels).long(), torch.tensor(logits), transformers.BertConfig(num_labels=3)
        ).item()
        np.testing.assert_allclose(loss.mean(), reference, rtol=1e-5, atol=1e-6)
    regression = TFBertForSequenceClassification(BertConfig(**tiny_config(num_labels=1)))
    scores = RNG.normal(size=(4, 1)).astype("float32")
    targets = RNG.normal(size=(4,)).astype("float32")
    np.testing.assert_allclose(
        _np(regression.hf_compute_loss(targets, scores)), (scores[:, 0] - targets) ** 2, rtol=1e-5, atol=1e-6
    )
    multi = TFBertForSequenceClassification(
        BertConfig(**tiny_config(num_labels=3, problem_type="multi_label_classification"))
    )
    hot = (RNG.random((4, 3)) > 0.5).astype("float32")
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor(logits), torch.tensor(hot), reduction="none"
    ).mean(-1)
    np.testing.assert_allclose(_np(multi.hf_compute_loss(hot, logits)), expected.numpy(), rtol=1e-5, atol=1e-6)


def test_hf_compute_loss_question_answering():
    model = ours("BertForQuestionAnswering")
    start, end = RNG.normal(size=(2, 3, 6)).astype("float32")
    starts, ends = np.array([1, 5, 0], "int32"), np.array([2, 5, 9], "int32")  # 9 is outside [0, 6)
    loss = _np(model.hf_compute_loss({"start_position": starts, "end_position": ends}, (start, end)))
    expected = (_np_ce(starts, start) + _np_ce(np.where(ends < 6, ends, -1), end)) / 2
    np.testing.assert_allclose(loss, expected, rtol=1e-5, atol=1e-6)
    plural = _np(model.hf_compute_loss({"start_positions": starts, "end_positions": ends}, (start, end)))
    np.testing.assert_array_equal(plural, loss)
    inside = np.array([1, 5, 0], "int32")
    reference = loss_utils.ForQuestionAnsweringLoss(
        torch.tensor(start), torch.tensor(end), torch.tensor(inside).long(), torch.tensor(inside).long()
    ).item()
    both = _np(model.hf_compute_loss({"start_position": inside, "end_position": inside}, (start, end)))
    np.testing.assert_allclose(both.mean(), reference, rtol=1e-5, atol=1e-6)
    with pytest.raises(NotImplementedError, match="TFBertModel"):
        ours("BertModel").hf_compute_loss(starts, start)
