"""Keras models against transformers, for what was checked against our own twin only: relative
positions, head masks, the KV cache and cross-attention.

The checkpoints are tiny perturbed transformers models (save_pretrained). transformers 5 dropped
relative positions and head masks from BERT, so for those two the reference is transformers'
BertModel with one attention function registered through its public `AttentionInterface`: the
4.x formula (scores + relative terms, scaled, masked, softmax, times the head mask), written here
from the 4.x source, applied to the 4.x checkpoint layout (`...attention.self.distance_embedding`).
Everything else (embeddings, projections, LayerNorms, FFN, pooler, cache, cross-attention) is
transformers' own code.
"""

import json
import os

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file
from transformers.masking_utils import AttentionMaskInterface, eager_mask

import keras_bert
from tests.support.tiny import random_batch
from tests.support.twin import reference_cache, transformers

ATOL = 1e-4
REFERENCE_ATTENTION = "keras_bert_4x_reference"


def _attention_4x(module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kwargs):
    """transformers 4.x BertSelfAttention after the projections. query (B, H, Tq, D), key/value (B, H, Tk, D)."""
    scores = torch.matmul(query, key.transpose(2, 3))  # (B, H, Tq, Tk)
    distance_embedding = getattr(module, "distance_embedding", None)
    if distance_embedding is not None:
        q_len, k_len = query.shape[2], key.shape[2]
        left = torch.arange(k_len - q_len, k_len).view(-1, 1)  # query positions, after any cache
        right = torch.arange(k_len).view(1, -1)
        positions = distance_embedding[left - right + module.max_position_embeddings - 1]  # (Tq, Tk, D)
        scores = scores + torch.einsum("bhld,lrd->bhlr", query, positions)
        if module.relative_type == "relative_key_query":
            scores = scores + torch.einsum("bhrd,lrd->bhlr", key, positions)
    scores = scores * scaling
    if attention_mask is not None:  # additive (B, 1, Tq, Tk), from eager_mask
        scores = scores + attention_mask
    probs = torch.softmax(scores, dim=-1)
    head_mask = getattr(module, "head_mask", None)
    if head_mask is not None:
        probs = probs * head_mask.view(1, -1, 1, 1)
    return torch.matmul(probs, value).transpose(1, 2).contiguous(), probs


transformers.AttentionInterface.register(REFERENCE_ATTENTION, _attention_4x)
# Without a mask function of its own a registered implementation gets no padding mask at all.
AttentionMaskInterface.register(REFERENCE_ATTENTION, eager_mask)


def _as_4x_relative_checkpoint(path, relative_type, seed=1):
    """Adds perturbed 4.x distance embeddings (2 * max_positions - 1, head_dim) to a saved BertModel."""
    with open(os.path.join(path, "config.json")) as f:
        config = json.load(f)
    config["position_embedding_type"] = relative_type
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(config, f)
    weights_file = os.path.join(path, "model.safetensors")
    state = load_file(weights_file)
    g = torch.Generator().manual_seed(seed)
    head_dim = config["hidden_size"] // config["num_attention_heads"]
    for i in range(config["num_hidden_layers"]):
        shape = (2 * config["max_position_embeddings"] - 1, head_dim)
        state[f"encoder.layer.{i}.attention.self.distance_embedding.weight"] = torch.randn(shape, generator=g) * 0.1
    save_file(state, weights_file, metadata={"format": "pt"})
    return state, config


def _reference_model(path, state, config, head_mask=None):
    """transformers' BertModel with the 4.x attention function: distance embeddings and head mask attached."""
    model = transformers.BertModel.from_pretrained(path, attn_implementation=REFERENCE_ATTENTION).eval()
    relative = config.get("position_embedding_type", "absolute") != "absolute"
    if relative:  # 4.x adds no absolute position embeddings for relative models
        with torch.no_grad():
            model.embeddings.position_embeddings.weight.zero_()
    for i, layer in enumerate(model.encoder.layer):
        attention = layer.attention.self
        if relative:
            attention.distance_embedding = state[f"encoder.layer.{i}.attention.self.distance_embedding.weight"]
            attention.relative_type = config["position_embedding_type"]
            attention.max_position_embeddings = config["max_position_embeddings"]
        if head_mask is not None:
            attention.head_mask = torch.tensor(head_mask[i])
    return model


def _torch(batch):
    return {k: torch.tensor(np.asarray(v)).long() for k, v in batch.items()}


@pytest.mark.parametrize("position", ["absolute", "relative_key", "relative_key_query"])
def test_encoder_with_head_mask_equals_transformers(hf_checkpoint, position):
    path, _ = hf_checkpoint("BertModel")
    if position == "absolute":
        with open(os.path.join(path, "config.json")) as f:
            state, config = None, json.load(f)
    else:
        state, config = _as_4x_relative_checkpoint(path, position)
    head_mask = np.array([[1.0, 0.0, 1.0, 0.5], [1.0, 1.0, 0.0, 1.0]], "float32")  # (layers, heads)
    reference = _reference_model(path, state, config, head_mask)
    model = keras_bert.TFBertModel.from_pretrained(path)
    assert model.config.position_embedding_type == position
    batch = random_batch()
    ours = model(batch, output_hidden_states=True, output_attentions=True, head_mask=head_mask)
    with torch.no_grad():
        theirs = reference(**_torch(batch), output_hidden_states=True, output_attentions=True)
    valid = batch["attention_mask"].astype(bool)
    assert len(ours.hidden_states) == len(theirs.hidden_states) == 3
    for i, (a, b) in enumerate(zip(ours.hidden_states, theirs.hidden_states)):
        np.testing.assert_allclose(np.asarray(a)[valid], b.numpy()[valid], atol=ATOL, err_msg=f"hidden_states[{i}]")
    for i, (a, b) in enumerate(zip(ours.attentions, theirs.attentions)):
        a, b = np.asarray(a).transpose(0, 2, 1, 3), b.numpy().transpose(0, 2, 1, 3)  # (B, Tq, H, Tk)
        np.testing.assert_allclose(a[valid], b[valid], atol=ATOL, err_msg=f"attentions[{i}]")
    np.testing.assert_allclose(np.asarray(ours.pooler_output), theirs.pooler_output.numpy(), atol=ATOL)
    # The masked heads really are masked (so the head mask is not a no-op on both sides).
    assert np.abs(np.asarray(ours.attentions[0])[:, 1]).max() == 0.0


def _cross_inputs(seed=0):
    rng = np.random.default_rng(seed)
    encoder_hidden_states = rng.normal(size=(2, 5, 32)).astype("float32")
    encoder_attention_mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], "int32")
    return encoder_hidden_states, encoder_attention_mask


@pytest.mark.parametrize("cross", [False, True])
def test_cached_decode_equals_transformers(hf_checkpoint, cross):
    path, reference = hf_checkpoint("BertLMHeadModel", is_decoder=True, add_cross_attention=cross)
    model = keras_bert.TFBertLMHeadModel.from_pretrained(path)
    ids = np.random.default_rng(3).integers(1, 99, size=(2, 5)).astype("int32")
    ours_extra, theirs_extra = {}, {}
    if cross:
        states, mask = _cross_inputs()
        ours_extra = dict(encoder_hidden_states=states, encoder_attention_mask=mask)
        theirs_extra = {k: torch.tensor(v) for k, v in ours_extra.items()}
    # Prompt of 3 tokens, then 2 steps of one token from the cache, on both sides.
    ours = model(input_ids=ids[:, :3], use_cache=True, **ours_extra)
    with torch.no_grad():
        theirs = reference(input_ids=torch.tensor(ids[:, :3]).long(), use_cache=True, **theirs_extra)
    np.testing.assert_allclose(np.asarray(ours.logits), theirs.logits.numpy(), atol=ATOL, err_msg="prompt")
    for t in (3, 4):
        ours = model(input_ids=ids[:, t : t + 1], past_key_values=ours.past_key_values, use_cache=True, **ours_extra)
        with torch.no_grad():
            theirs = reference(
                input_ids=torch.tensor(ids[:, t : t + 1]).long(),
                **reference_cache(theirs),
                use_cache=True,
                **theirs_extra,
            )
        assert np.asarray(ours.logits).shape == (2, 1, 99)
        np.testing.assert_allclose(np.asarray(ours.logits), theirs.logits.numpy(), atol=ATOL, err_msg=f"step {t}")
    # The steps from the cache equal transformers' full pass over all 5 tokens.
    with torch.no_grad():
        full = reference(input_ids=torch.tensor(ids).long(), use_cache=False, **theirs_extra).logits.numpy()
    np.testing.assert_allclose(np.asarray(ours.logits), full[:, 4:], atol=ATOL)


def test_cross_attention_equals_transformers(hf_checkpoint):
    path, _ = hf_checkpoint("BertLMHeadModel", is_decoder=True, add_cross_attention=True)
    reference = transformers.BertLMHeadModel.from_pretrained(
        path, attn_implementation="eager"
    ).eval()  # returns weights
    model = keras_bert.TFBertLMHeadModel.from_pretrained(path)
    batch = random_batch(batch=2, length=6, seed=4)
    states, mask = _cross_inputs()
    ours = model(
        batch, encoder_hidden_states=states, encoder_attention_mask=mask, output_attentions=True, use_cache=False
    )
    with torch.no_grad():
        theirs = reference(
            **_torch(batch),
            encoder_hidden_states=torch.tensor(states),
            encoder_attention_mask=torch.tensor(mask),
            output_attentions=True,
            use_cache=False,
        )
    valid = batch["attention_mask"].astype(bool)
    np.testing.assert_allclose(np.asarray(ours.logits)[valid], theirs.logits.numpy()[valid], atol=ATOL)
    assert len(ours.cross_attentions) == len(theirs.cross_attentions) == 2
    for i, (a, b) in enumerate(zip(ours.cross_attentions, theirs.cross_attentions)):
        a, b = np.asarray(a).transpose(0, 2, 1, 3), b.numpy().transpose(0, 2, 1, 3)  # (B, Tq, H, Tk)
        np.testing.assert_allclose(a[valid], b[valid], atol=ATOL, err_msg=f"cross_attentions[{i}]")
    # The encoder padding is honoured: no weight on the two masked encoder positions.
    assert np.abs(np.asarray(ours.cross_attentions[0])[1, :, :, 3:]).max() == 0.0
