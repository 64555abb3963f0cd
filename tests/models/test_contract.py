"""One contract, three implementations: keras_bert (Keras), the twin (torch) and transformers.

Every head x {tied, untied LM decoder} x {encoder, decoder, decoder with cross-attention} x
{all labels, one label set, no labels} runs on all three from one perturbed transformers
checkpoint; logits and losses must agree (1e-4), a loss must be present on all three or on none,
and an inferred `problem_type` must be written back to the config by all three. Any drift between
the frameworks fails here instead of waiting to be found by reading.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch
import transformers

import keras_bert
import keras_bert.torch as twin
from keras_bert.contract import HEADS
from tests.support.tiny import perturb_, tiny_config

ATOL = 1e-4
B, C, T, TE = 2, 3, 6, 5  # batch, choices, length, encoder length
MODES = ("encoder", "decoder", "cross")


def _cases():
    for name, spec in HEADS.items():
        ties = (True, False) if spec.mlm else (True,)
        takes_encoder = "encoder_hidden_states" in inspect.signature(getattr(transformers, name).forward).parameters
        for tied in ties:
            for mode in MODES:
                if mode == "cross" and not takes_encoder:
                    continue  # transformers' head takes no encoder_hidden_states
                yield pytest.param(name, tied, mode, id=f"{name}-{'tied' if tied else 'untied'}-{mode}")


def _config(tied: bool, mode: str, name: str = "BertModel") -> dict:
    return tiny_config(
        num_labels=2 if name == "BertForQuestionAnswering" else 3,  # transformers splits QA logits in two
        tie_word_embeddings=tied,
        is_decoder=mode != "encoder",
        add_cross_attention=mode == "cross",
    )


def _inputs(name: str, mode: str, rng) -> dict:
    shape = (B, C, T) if HEADS[name].input_rank == 3 else (B, T)
    ids = rng.integers(1, 99, shape)
    mask = np.ones(shape, "int64")
    mask[0, ..., T - 2 :] = 0  # a padded row
    types = np.zeros(shape, "int64")
    types[..., T // 2 :] = 1
    inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
    if mode == "cross":
        inputs["encoder_hidden_states"] = rng.normal(size=(B, TE, 32)).astype("float32")
        enc_mask = np.ones((B, TE), "int64")
        enc_mask[1, -2:] = 0
        inputs["encoder_attention_mask"] = enc_mask
    return inputs


def _labels(name: str, rng) -> dict:
    if name in ("BertForMaskedLM", "BertLMHeadModel", "BertForTokenClassification"):
        high = 99 if name != "BertForTokenClassification" else 3
        labels = rng.integers(0, high, (B, T))
        labels[:, ::3] = -100
        return {"labels": labels}
    if name == "BertForPreTraining":
        labels = rng.integers(0, 99, (B, T))
        labels[:, 1::2] = -100
        return {"labels": labels, "next_sentence_label": rng.integers(0, 2, (B,))}
    if name == "BertForQuestionAnswering":
        return {"start_positions": rng.integers(0, T, (B,)), "end_positions": rng.integers(0, T, (B,))}
    if name == "BertForNextSentencePrediction":
        return {"labels": rng.integers(0, 2, (B,))}
    if name in ("BertForSequenceClassification", "BertForMultipleChoice"):
        return {"labels": rng.integers(0, 3, (B,))}
    return {}


def _label_sets(name: str, rng) -> dict:
    full = _labels(name, rng)
    sets = {"all": full, "none": {}}
    if len(full) > 1:
        first = next(iter(full))
        sets["one"] = {first: full[first]}
    return sets


def _run_reference(model, inputs, labels):
    with torch.no_grad():
        args = {k: torch.tensor(v) for k, v in {**inputs, **labels}.items()}
        return model(**args, return_dict=True)


def _run_twin(model, inputs, labels):
    with torch.no_grad():
        args = {k: torch.tensor(v) for k, v in {**inputs, **labels}.items()}
        return model(**args)


def _run_keras(model, inputs, labels):
    cast = {k: (v.astype("int32") if v.dtype == np.int64 else v) for k, v in {**inputs, **labels}.items()}
    return model(**cast)


def _field(record, name):
    value = getattr(record, name, None)
    if value is None:
        return None
    return value.detach().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


@pytest.mark.slow
@pytest.mark.parametrize("name,tied,mode", list(_cases()))
def test_keras_twin_and_transformers_agree(name, tied, mode, tmp_path):
    config = _config(tied, mode, name)
    torch.manual_seed(0)
    reference = perturb_(getattr(transformers, name)(transformers.BertConfig(**config))).eval()
    reference.save_pretrained(tmp_path)
    keras_model = getattr(keras_bert, "TF" + name).from_pretrained(tmp_path)
    twin_model = getattr(twin, name).from_pretrained(tmp_path).eval()
    # Nothing the checkpoint holds may be dropped without a reason.
    ignored = (keras_model.loading_info or {}).get("ignored", {})
    assert all(isinstance(reason, str) and reason for reason in ignored.values()), ignored

    rng = np.random.default_rng(0)
    inputs = _inputs(name, mode, rng)
    spec = HEADS[name]
    for label_set, labels in _label_sets(name, rng).items():
        for model in (reference, twin_model, keras_model):
            model.config.problem_type = None
        ref = _run_reference(reference, inputs, labels)
        outs = {"twin": _run_twin(twin_model, inputs, labels), "keras": _run_keras(keras_model, inputs, labels)}
        for who, out in outs.items():
            where = f"{who} {name} tied={tied} {mode} labels={label_set}"
            for logit in spec.logit_names + (("pooler_output",) if name == "BertModel" else ()):
                expected, actual = _field(ref, logit), _field(out, logit)
                assert actual is not None and expected is not None, f"{where}: {logit} missing"
                np.testing.assert_allclose(actual, expected, atol=ATOL, rtol=0, err_msg=f"{where}: {logit}")
            expected_loss, actual_loss = _field(ref, "loss"), _field(out, "loss")
            assert (actual_loss is None) == (expected_loss is None), f"{where}: loss presence differs"
            if expected_loss is not None:
                np.testing.assert_allclose(actual_loss, expected_loss, atol=ATOL, rtol=0, err_msg=f"{where}: loss")
        if name == "BertForSequenceClassification":
            written = {reference.config.problem_type, twin_model.config.problem_type, keras_model.config.problem_type}
            assert len(written) == 1, f"problem_type written back differently: {written}"


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["encoder", "decoder"])
def test_encoder_hidden_states_without_cross_attention(mode, tmp_path):
    """An encoder ignores encoder_hidden_states; a decoder without cross-attention rejects them."""
    config = _config(True, mode)
    reference = perturb_(transformers.BertModel(transformers.BertConfig(**config))).eval()
    reference.save_pretrained(tmp_path)
    keras_model = keras_bert.TFBertModel.from_pretrained(tmp_path)
    twin_model = twin.BertModel.from_pretrained(tmp_path).eval()
    rng = np.random.default_rng(1)
    inputs = _inputs("BertModel", "cross", rng)
    plain = {k: v for k, v in inputs.items() if not k.startswith("encoder_")}
    runs = {
        "transformers": lambda i: _run_reference(reference, i, {}),
        "twin": lambda i: _run_twin(twin_model, i, {}),
        "keras": lambda i: _run_keras(keras_model, i, {}),
    }
    for who, run in runs.items():
        if mode == "decoder":
            with pytest.raises(ValueError, match="cross"):
                run(inputs)
        else:
            np.testing.assert_allclose(
                _field(run(inputs), "last_hidden_state"), _field(run(plain), "last_hidden_state"), atol=0, err_msg=who
            )
