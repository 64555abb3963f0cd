"""Unpadded execution (`keras_bert.unpadded`, `predict_fn(unpadded=True)`, `export_saved_model(
unpadded=True)`) equals the padded path (atol 1e-5) and transformers' PyTorch model (atol 1e-4) at
every position a user reads, on perturbed tiny checkpoints with mixed lengths (a full row, a row of
length 1, left padding) and on the real MiniLM checkpoint; padded positions of token-level outputs
are 0 (position 0 excepted)."""

import numpy as np
import pytest
import tensorflow as tf
import torch

import keras_bert
from keras_bert.unpadded import OUTPUTS, unpadded_outputs

T = 9
LENGTHS = [9, 1, 5, -6, 3, 7]  # real tokens per row; negative: left padded (the last 6 positions are real)
PADDED_ATOL = 1e-5  # same ops on the same rows; only matmul blocking differs
REFERENCE_ATOL = 1e-4  # another framework (PyTorch), as tests/models/test_predict_fn.py
CONFIGS = {"BertForSequenceClassification": {"num_labels": 3}, "BertForTokenClassification": {"num_labels": 5}}


def mixed_batch(lengths=LENGTHS, length=T, seed=0, vocab=99):
    rng = np.random.default_rng(seed)
    mask = np.zeros((len(lengths), length), "int32")
    for row, n in enumerate(lengths):
        if n >= 0:
            mask[row, :n] = 1
        else:
            mask[row, length + n :] = 1
    ids = np.where(mask == 1, rng.integers(1, vocab, size=mask.shape), 0).astype("int32")
    types = np.zeros_like(ids)
    types[:, length // 2 :] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def _inputs(hf_name, batch):
    if hf_name == "BertForMultipleChoice":
        return {k: v.reshape(len(LENGTHS) // 2, 2, T) for k, v in batch.items()}  # (B, C, T)
    return batch


def _read_positions(batch):
    """Positions whose values the unpadded path computes: real tokens and position 0."""
    read = batch["attention_mask"].astype(bool).copy()
    read[..., 0] = True
    return read


def _compare(name, actual, expected, batch, atol, token_level):
    actual, expected = np.asarray(actual, "float32"), np.asarray(expected, "float32")
    assert actual.shape == expected.shape, f"{name}: {actual.shape} != {expected.shape}"
    if not token_level:
        np.testing.assert_allclose(actual, expected, atol=atol, rtol=0, err_msg=name)
        return
    read = _read_positions(batch)
    np.testing.assert_allclose(actual[read], expected[read], atol=atol, rtol=0, err_msg=name)
    assert np.all(actual[~read] == 0), f"{name}: padded positions must hold 0"


SEQUENCE_LEVEL = {"BertForSequenceClassification", "BertForNextSentencePrediction", "BertForMultipleChoice"}


def _token_level(hf_name, name):
    """Whether output `name` of `hf_name` has a length axis (B, T, ...)."""
    return hf_name not in SEQUENCE_LEVEL and name not in ("pooler_output", "seq_relationship_logits")


@pytest.mark.parametrize("mode", ["eager", "predict_fn"])
@pytest.mark.parametrize("hf_name", sorted(OUTPUTS))
def test_unpadded_equals_padded_and_transformers(hf_checkpoint, hf_name, mode):
    path, reference = hf_checkpoint(hf_name, **CONFIGS.get(hf_name, {}))
    model = getattr(keras_bert, "TF" + hf_name).from_pretrained(path)
    batch = _inputs(hf_name, mixed_batch())
    if mode == "eager":
        ours = unpadded_outputs(model, **{k: tf.constant(v) for k, v in batch.items()})
    else:
        fn = keras_bert.predict_fn(model, unpadded=True)
        ours = fn(**batch)
        ours = fn(**_inputs(hf_name, mixed_batch(seed=1)))  # another batch: no retrace
        assert fn.tracing_count == 1
        batch = _inputs(hf_name, mixed_batch(seed=1))
        ours = fn(**batch)
    padded = keras_bert.predict_fn(model)(**batch)
    with torch.no_grad():
        theirs = reference(**{k: torch.tensor(v) for k, v in batch.items()})
    assert set(ours) == set(OUTPUTS[hf_name])
    for name in OUTPUTS[hf_name]:
        level = _token_level(hf_name, name)
        _compare(name, ours[name], padded[name], batch, PADDED_ATOL, level)
        _compare(name, ours[name], theirs[name].numpy(), batch, REFERENCE_ATOL, level)


@pytest.mark.parametrize("position_embedding_type", ["relative_key", "relative_key_query"])
def test_relative_positions_with_left_padding(tmp_path, make_tiny_config, position_embedding_type):
    """transformers 5 has no relative positions: the PyTorch twin (eager attention) is the reference."""
    import keras_bert.torch as twin
    from tests.support.tiny import perturb_

    torch.manual_seed(0)
    config = make_tiny_config(position_embedding_type=position_embedding_type)
    reference = perturb_(twin.BertModel(config, attn_implementation="eager")).eval()
    reference.save_pretrained(tmp_path)
    model = keras_bert.TFBertModel.from_pretrained(tmp_path)
    batch = mixed_batch(seed=2)
    ours = keras_bert.predict_fn(model, unpadded=True)(**batch)
    with torch.no_grad():
        theirs = reference(**{k: torch.tensor(v).long() for k, v in batch.items()})
    padded = model(**batch, training=False)
    for name in OUTPUTS["BertModel"]:
        level = name == "last_hidden_state"
        _compare(name, ours[name], padded[name], batch, PADDED_ATOL, level)
        _compare(name, ours[name], theirs[name].numpy(), batch, REFERENCE_ATOL, level)


def test_rows_without_real_tokens_and_padding_invariance(make_tiny_config):
    """A fully padded row is computed whole (the padded path's uniform attention, every position);
    changing the ids under padding changes nothing."""
    model = keras_bert.TFBertModel(make_tiny_config())
    model.build()
    batch = mixed_batch(lengths=[4, 0, 9])
    ours = unpadded_outputs(model, **batch)
    padded = model(**batch, training=False)
    np.testing.assert_allclose(ours["last_hidden_state"][1], padded["last_hidden_state"][1], atol=PADDED_ATOL)
    np.testing.assert_allclose(ours["pooler_output"], padded["pooler_output"], atol=PADDED_ATOL)
    has_tokens = batch["attention_mask"].any(axis=1, keepdims=True)  # the empty row is computed whole
    under_padding = (batch["attention_mask"] == 0) & has_tokens
    again = unpadded_outputs(model, **dict(batch, input_ids=np.where(under_padding, 7, batch["input_ids"])))
    for name in OUTPUTS["BertModel"]:
        np.testing.assert_array_equal(np.asarray(again[name]), np.asarray(ours[name]), err_msg=name)


def test_refusals_name_the_problem(make_tiny_config, make_batch):
    decoder = keras_bert.TFBertLMHeadModel(make_tiny_config(is_decoder=True))
    with pytest.raises(ValueError, match="is_decoder=True"):
        keras_bert.predict_fn(decoder, unpadded=True)
    encoder = keras_bert.TFBertModel(make_tiny_config())
    with pytest.raises(ValueError, match="XLA"):
        keras_bert.predict_fn(encoder, unpadded=True, jit_compile=True)
    batch = make_batch(2, 5)
    with pytest.raises(ValueError, match=r"padding mask of the ids' shape \(2, 5\)"):
        unpadded_outputs(encoder, batch["input_ids"], np.ones((2, 5, 5), "int32"))
    with pytest.raises(Exception, match="input_ids"):
        unpadded_outputs(encoder, np.full((2, 5), 99, "int32"), batch["attention_mask"])  # vocab_size=99


def test_pad_to_multiple_of(make_tiny_config):
    model = keras_bert.TFBertForTokenClassification(make_tiny_config(num_labels=4))
    model.build()
    batch = mixed_batch()
    ours = keras_bert.predict_fn(model, unpadded=True, pad_to_multiple_of=8)(**batch)  # T=9 -> 16 and back
    padded = model(**batch, training=False)
    _compare("logits", ours["logits"], padded["logits"], batch, PADDED_ATOL, True)


@pytest.mark.slow
def test_minilm_unpadded(minilm_dir, minilm_batch):
    from transformers import BertModel

    model = keras_bert.TFBertModel.from_pretrained(minilm_dir)
    batch = {k: v.astype("int32") for k, v in minilm_batch.items()}
    assert (batch["attention_mask"] == 0).any() and batch["attention_mask"].all(axis=1).any()
    ours = keras_bert.predict_fn(model, unpadded=True)(**batch)
    padded = keras_bert.predict_fn(model)(**batch)
    reference = BertModel.from_pretrained(minilm_dir).eval()
    with torch.no_grad():
        theirs = reference(**{k: torch.tensor(v, dtype=torch.long) for k, v in batch.items()})
    for name in OUTPUTS["BertModel"]:
        level = name == "last_hidden_state"
        _compare(name, ours[name], padded[name], batch, PADDED_ATOL, level)
        _compare(name, ours[name], theirs[name].numpy(), batch, REFERENCE_ATOL, level)


@pytest.mark.slow
@pytest.mark.parametrize("hf_name", ["BertModel", "BertForTokenClassification"])
def test_export_unpadded_serves_the_padded_export(tmp_path, minilm_dir, hf_name):
    """serving_default (text in) of an unpadded export equals the padded export's (1e-5) wherever
    the padded export's outputs are read; token-level tensors are 0 under padding."""
    from keras_bert.serving import export_saved_model
    from keras_bert.tokenization import BertTokenizer

    tokenizer = BertTokenizer.from_pretrained(minilm_dir)
    config = keras_bert.BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=37,
        max_position_embeddings=64,
        num_labels=3,
    )
    model = getattr(keras_bert, "TF" + hf_name)(config)
    model.build()
    texts = ["hello world", "a much longer sentence about the weather in the mountains", "x", ""]
    served = {}
    for unpadded in (False, True):
        path = export_saved_model(model, tokenizer, tmp_path / str(unpadded) / "1", max_length=32, unpadded=unpadded)
        served[unpadded] = {
            k: v.numpy() for k, v in tf.saved_model.load(path).signatures["serving_default"](text=texts).items()
        }
    mask = tokenizer(texts, padding=True, return_tensors="np")["attention_mask"]
    assert set(served[True]) == set(served[False])
    read = _read_positions({"attention_mask": mask})
    for name, expected in served[False].items():
        actual = served[True][name]
        assert actual.shape == expected.shape, name
        if expected.ndim >= 2 and expected.shape[:2] == mask.shape:  # per token: compare where read
            if expected.dtype.kind in "fc":
                _compare(name, actual, expected, {"attention_mask": mask}, PADDED_ATOL, True)
            else:  # e.g. label_id: the argmax of 0 logits (0) under padding, where the padded export has noise
                np.testing.assert_array_equal(actual[read], expected[read], err_msg=name)
        elif expected.dtype.kind in "fc":
            np.testing.assert_allclose(actual, expected, atol=PADDED_ATOL, err_msg=name)
        else:
            np.testing.assert_array_equal(actual, expected, err_msg=name)


def test_mixed_bfloat16(make_tiny_config):
    """Under mixed_bfloat16 the packed rows hold bfloat16 and the attention core still runs its
    softmax in float32: unpadded == padded within a few bfloat16 ulps (8-bit mantissa: 2**-8 of
    values below 1, atol 1e-2), and the output dtype is the padded path's."""
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        model = keras_bert.TFBertForMaskedLM(make_tiny_config())
        model.build()
    finally:
        keras.config.set_dtype_policy(previous)
    batch = mixed_batch()
    ours = keras_bert.predict_fn(model, unpadded=True)(**batch)["logits"]
    padded = keras_bert.predict_fn(model)(**batch)["logits"]
    assert ours.dtype == padded.dtype
    _compare("logits", np.asarray(ours, "float32"), np.asarray(padded, "float32"), batch, 1e-2, True)
