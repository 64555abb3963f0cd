"""The eight heads of the twin against transformers: logits and losses (labels with -100s)."""

from __future__ import annotations

import pytest
import torch

import keras_bert.torch as kt
from keras_bert import BertConfig
from tests.support.twin import assert_close, batch, hf_config, make_hf, transformers

B, T, V = 3, 9, 99


def _lm_labels(inputs, seed=5):
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, V, (B, T), generator=g)
    labels[torch.rand(B, T, generator=g) < 0.4] = -100
    labels[inputs["attention_mask"] == 0] = -100
    return labels


def _compare(twin_out, ref_out, fields):
    for f in fields:
        assert_close(getattr(twin_out, f), getattr(ref_out, f), what=f)


def _load(name, tmp_path, **config):
    hf = make_hf(name, tmp_path, **config)
    twin = getattr(kt, name).from_pretrained(tmp_path)
    assert twin.loading_info["missing_keys"] == [], twin.loading_info
    assert twin.loading_info["unexpected_keys"] == [], twin.loading_info
    assert set(twin.state_dict()) == set(hf.state_dict())
    return hf, twin


def test_pretraining(tmp_path):
    hf, twin = _load("BertForPreTraining", tmp_path)
    inputs = batch()
    kw = dict(labels=_lm_labels(inputs), next_sentence_label=torch.tensor([0, 1, 1]))
    with torch.no_grad():
        _compare(twin(**inputs, **kw), hf(**inputs, **kw), ("loss", "prediction_logits", "seq_relationship_logits"))
    # tied: one Parameter for decoder weight and word embeddings, one for the two biases
    assert twin.cls.predictions.decoder.weight is twin.bert.embeddings.word_embeddings.weight
    assert twin.cls.predictions.decoder.bias is twin.cls.predictions.bias


def test_masked_lm(tmp_path):
    hf, twin = _load("BertForMaskedLM", tmp_path)
    assert twin.bert.pooler is None
    inputs = batch()
    labels = _lm_labels(inputs)
    with torch.no_grad():
        out, ref = twin(**inputs, labels=labels), hf(**inputs, labels=labels)
    _compare(out, ref, ("loss", "logits"))
    tup = twin(**inputs, labels=labels, return_dict=False)
    assert len(tup) == 2 and torch.allclose(tup[0], out.loss)


def test_lm_head_model(tmp_path):
    hf, twin = _load("BertLMHeadModel", tmp_path, is_decoder=True)
    inputs = batch()
    labels = _lm_labels(inputs)
    with torch.no_grad():
        out, ref = twin(**inputs, labels=labels), hf(**inputs, labels=labels)
    _compare(out, ref, ("loss", "logits"))


def test_next_sentence_prediction(tmp_path):
    hf, twin = _load("BertForNextSentencePrediction", tmp_path)
    inputs = batch()
    labels = torch.tensor([1, 0, 1])
    with torch.no_grad():
        _compare(twin(**inputs, labels=labels), hf(**inputs, labels=labels), ("loss", "logits"))


@pytest.mark.parametrize(
    "problem_type,num_labels",
    [
        (None, 1),
        (None, 3),
        ("regression", 1),
        ("regression", 3),
        ("single_label_classification", 3),
        ("multi_label_classification", 3),
        ("multi_label_from_float", 3),
    ],
)
def test_sequence_classification(tmp_path, problem_type, num_labels):
    g = torch.Generator().manual_seed(2)
    if problem_type == "multi_label_from_float":  # inferred from float labels
        problem_type, labels = None, (torch.rand(B, num_labels, generator=g) > 0.5).float()
    elif problem_type in ("single_label_classification",) or (problem_type is None and num_labels > 1):
        labels = torch.randint(0, num_labels, (B,), generator=g)
    elif problem_type == "multi_label_classification":
        labels = (torch.rand(B, num_labels, generator=g) > 0.5).float()
    else:
        labels = (
            torch.randn(B, num_labels, generator=g).squeeze(-1)
            if num_labels == 1
            else torch.randn(B, num_labels, generator=g)
        )
    hf, twin = _load("BertForSequenceClassification", tmp_path, num_labels=num_labels, problem_type=problem_type)
    inputs = batch()
    with torch.no_grad():
        out, ref = twin(**inputs, labels=labels), hf(**inputs, labels=labels)
    _compare(out, ref, ("loss", "logits"))
    assert twin.config.problem_type == hf.config.problem_type


def test_multiple_choice(tmp_path):
    hf, twin = _load("BertForMultipleChoice", tmp_path)
    assert twin.classifier.out_features == 1
    base = batch(b=4, pad_lengths=(9, 5, 3, 7))
    inputs = {k: v.view(2, 2, T) for k, v in base.items()}  # (B=2, C=2, T)
    labels = torch.tensor([1, 0])
    with torch.no_grad():
        out, ref = twin(**inputs, labels=labels), hf(**inputs, labels=labels)
    _compare(out, ref, ("loss", "logits"))
    assert out.logits.shape == (2, 2)


def test_token_classification(tmp_path):
    hf, twin = _load("BertForTokenClassification", tmp_path, num_labels=5)
    assert twin.bert.pooler is None
    inputs = batch()
    g = torch.Generator().manual_seed(4)
    labels = torch.randint(0, 5, (B, T), generator=g)
    labels[inputs["attention_mask"] == 0] = -100
    with torch.no_grad():
        _compare(twin(**inputs, labels=labels), hf(**inputs, labels=labels), ("loss", "logits"))


def test_question_answering(tmp_path):
    hf, twin = _load("BertForQuestionAnswering", tmp_path)
    assert twin.bert.pooler is None
    inputs = batch()
    kw = dict(start_positions=torch.tensor([2, 40, 0]), end_positions=torch.tensor([[5], [1], [77]]))
    with torch.no_grad():
        _compare(twin(**inputs, **kw), hf(**inputs, **kw), ("loss", "start_logits", "end_logits"))


def test_base_checkpoint_into_head_initializes_only_head(tmp_path, caplog):
    make_hf("BertModel", tmp_path)
    with caplog.at_level("WARNING"):
        twin = kt.BertForSequenceClassification.from_pretrained(tmp_path, num_labels=4)
    info = twin.loading_info
    assert info["missing_keys"] == ["classifier.bias", "classifier.weight"]
    assert info["newly_initialized"] == info["missing_keys"] and info["unexpected_keys"] == []
    assert "classifier.weight" in caplog.text
    assert torch.all(twin.classifier.bias == 0)
    assert abs(twin.classifier.weight.std().item() - 0.02) < 0.01
    base = kt.BertModel.from_pretrained(tmp_path)
    for k, v in base.state_dict().items():
        assert torch.equal(twin.bert.state_dict()[k], v), k
    # A base checkpoint into MaskedLM: the transform is new, the decoder comes tied, the pooler is unexpected.
    mlm = kt.BertForMaskedLM.from_pretrained(tmp_path)
    assert set(mlm.loading_info["missing_keys"]) == {
        "cls.predictions.bias",
        "cls.predictions.transform.dense.weight",
        "cls.predictions.transform.dense.bias",
        "cls.predictions.transform.LayerNorm.weight",
        "cls.predictions.transform.LayerNorm.bias",
    }
    assert mlm.loading_info["unexpected_keys"] == ["bert.pooler.dense.bias", "bert.pooler.dense.weight"]
    assert torch.equal(mlm.cls.predictions.decoder.weight, base.embeddings.word_embeddings.weight)
    assert torch.all(mlm.cls.predictions.transform.LayerNorm.weight == 1)


def test_resize_token_embeddings(tmp_path):
    hf, twin = _load("BertForMaskedLM", tmp_path)
    hf.resize_token_embeddings(120, mean_resizing=False)
    old = twin.bert.embeddings.word_embeddings.weight.detach().clone()
    twin.resize_token_embeddings(120)
    emb = twin.bert.embeddings.word_embeddings.weight
    assert emb.shape == (120, 32) and twin.config.vocab_size == 120
    assert torch.equal(emb[:V], old)
    assert twin.cls.predictions.decoder.weight is emb and twin.cls.predictions.decoder.bias is twin.cls.predictions.bias
    assert twin.cls.predictions.bias.shape == (120,)
    inputs = batch()
    with torch.no_grad():
        out = twin(**inputs)
        ref = hf(**inputs)
    assert out.logits.shape == (B, T, 120)
    assert_close(out.logits[..., :V], ref.logits[..., :V], what="logits of old rows")
    twin.resize_token_embeddings(50)
    assert twin(**{k: v.clamp(max=49) for k, v in inputs.items()}).logits.shape == (B, T, 50)


def test_head_state_dict_names_equal_hf():
    torch.manual_seed(0)
    for name in (
        "BertForPreTraining",
        "BertForMaskedLM",
        "BertForNextSentencePrediction",
        "BertForSequenceClassification",
        "BertForMultipleChoice",
        "BertForTokenClassification",
        "BertForQuestionAnswering",
    ):
        hf = getattr(transformers, name)(hf_config())
        twin = getattr(kt, name)(BertConfig(**hf_config().to_dict()))
        assert list(twin.state_dict()) == list(hf.state_dict()), name
