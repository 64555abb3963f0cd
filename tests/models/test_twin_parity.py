"""Keras model == PyTorch twin on the same weights, for every position type and activation.

The twin is not the only reference: tests/models/test_reference_parity.py checks relative
positions, head masks, the KV cache and cross-attention of the Keras models against transformers."""

import numpy as np
import pytest
import torch

import keras_bert
import keras_bert.torch as twin


def _perturbed_twin(cls, config, seed=0):
    torch.manual_seed(seed)
    model = cls(config, attn_implementation="eager").eval()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=g) * 0.05)
    return model


def _t(batch):
    return {k: torch.tensor(np.asarray(v)).long() for k, v in batch.items()}


@pytest.mark.parametrize("position", ["absolute", "relative_key", "relative_key_query"])
@pytest.mark.parametrize("act", ["gelu", "gelu_new", "relu", "silu", "tanh"])
def test_keras_equals_twin(tmp_path, make_tiny_config, make_batch, position, act):
    config = make_tiny_config(position_embedding_type=position, hidden_act=act)
    reference = _perturbed_twin(twin.BertModel, config)
    reference.save_pretrained(tmp_path)
    model = keras_bert.TFBertModel.from_pretrained(tmp_path)
    batch = make_batch()
    head_mask = np.array([[1.0, 0.0, 1.0, 0.5], [1.0, 1.0, 0.0, 1.0]], "float32")
    ours = model(batch, output_hidden_states=True, output_attentions=True, head_mask=head_mask)
    with torch.no_grad():
        theirs = reference(
            **_t(batch), output_hidden_states=True, output_attentions=True, head_mask=torch.tensor(head_mask)
        )
    valid = batch["attention_mask"].astype(bool)
    for a, b in zip(ours.hidden_states, theirs.hidden_states):
        np.testing.assert_allclose(np.asarray(a)[valid], b.numpy()[valid], atol=1e-5)
    for a, b in zip(ours.attentions, theirs.attentions):
        np.testing.assert_allclose(np.asarray(a), b.numpy(), atol=1e-5)
    np.testing.assert_allclose(np.asarray(ours.pooler_output), theirs.pooler_output.numpy(), atol=1e-5)


def _decoder_config(make_tiny_config, cross, position="absolute"):
    return make_tiny_config(is_decoder=True, add_cross_attention=cross, position_embedding_type=position)


@pytest.mark.parametrize("cross", [False, True])
@pytest.mark.parametrize("position", ["absolute", "relative_key_query"])
def test_incremental_decoding_equals_full_recomputation(tmp_path, make_tiny_config, cross, position):
    config = _decoder_config(make_tiny_config, cross, position)
    reference = _perturbed_twin(twin.BertLMHeadModel, config)
    reference.save_pretrained(tmp_path)
    model = keras_bert.TFBertLMHeadModel.from_pretrained(tmp_path)
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 99, size=(2, 7)).astype("int32")
    extra = {}
    if cross:
        extra["encoder_hidden_states"] = rng.normal(size=(2, 5, 32)).astype("float32")
        extra["encoder_attention_mask"] = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], "int32")
    full = np.asarray(model(input_ids=ids, use_cache=False, **extra).logits)
    # Prompt of 3 tokens, then one token at a time from the cache.
    out = model(input_ids=ids[:, :3], use_cache=True, **extra)
    steps = [np.asarray(out.logits)]
    past = out.past_key_values
    for t in range(3, 7):
        out = model(input_ids=ids[:, t : t + 1], past_key_values=past, use_cache=True, **extra)
        past = out.past_key_values
        steps.append(np.asarray(out.logits))
    np.testing.assert_allclose(np.concatenate(steps, axis=1), full, atol=1e-5)
    # ... and the twin agrees with Keras on the full pass.
    with torch.no_grad():
        theirs = reference(input_ids=torch.tensor(ids).long(), **{k: torch.tensor(v) for k, v in extra.items()})
    np.testing.assert_allclose(full, theirs.logits.numpy(), atol=1e-5)


def test_causal_mask_hides_the_future(make_tiny_config):
    model = keras_bert.TFBertLMHeadModel(_decoder_config(make_tiny_config, False))
    ids = np.array([[5, 6, 7, 8]], "int32")
    a = np.asarray(model(input_ids=ids).logits)
    b = np.asarray(model(input_ids=np.array([[5, 6, 9, 9]], "int32")).logits)
    np.testing.assert_allclose(a[:, :2], b[:, :2], atol=1e-6)
    assert not np.allclose(a[:, 2:], b[:, 2:])
