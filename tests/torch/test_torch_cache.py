"""Decoder mode: causal mask, cross-attention and incremental decoding with the KV cache."""

from __future__ import annotations

import pytest
import torch

import keras_bert.torch as kt
from tests.support.twin import assert_close, make_hf, reference_cache

B, T, TE, H = 2, 8, 5, 32


def _inputs(seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, 99, (B, T), generator=g)
    encoder_hidden_states = torch.randn(B, TE, H, generator=g)
    encoder_attention_mask = torch.tensor([[1] * TE, [1] * 3 + [0] * (TE - 3)])
    return ids, encoder_hidden_states, encoder_attention_mask


def _incremental(model, ids, steps, **cross):
    """Feeds ids in chunks of the given sizes, carrying the cache; returns the concatenated logits."""
    past, logits, start = None, [], 0
    for n in steps:
        chunk = ids[:, start : start + n]
        mask = torch.ones(B, start + n, dtype=torch.long)
        out = model(chunk, attention_mask=mask, past_key_values=past, use_cache=True, **cross)
        past = out.past_key_values
        logits.append(out.logits)
        start += n
    return torch.cat(logits, dim=1), past


@pytest.mark.parametrize("impl", ["sdpa", "eager"])
@pytest.mark.parametrize("cross", [False, True])
@pytest.mark.parametrize("position_embedding_type", ["absolute", "relative_key_query"])
def test_incremental_equals_full(tmp_path, impl, cross, position_embedding_type):
    make_hf("BertLMHeadModel", tmp_path, is_decoder=True, add_cross_attention=cross)
    relative = position_embedding_type != "absolute"
    model = kt.BertLMHeadModel.from_pretrained(
        tmp_path, attn_implementation=impl, allow_missing_base=relative, position_embedding_type=position_embedding_type
    )
    if relative:  # the distance tables are new: give them non-trivial values
        torch.manual_seed(1)
        for layer in model.bert.encoder.layer:
            torch.nn.init.normal_(layer.attention.self.distance_embedding.weight, std=0.3)
    ids, enc, enc_mask = _inputs()
    kw = dict(encoder_hidden_states=enc, encoder_attention_mask=enc_mask) if cross else {}
    with torch.no_grad():
        full = model(ids, **kw, use_cache=False).logits
        step, past = _incremental(model, ids, [4, 1, 2, 1], **kw)
    assert_close(step, full, what="incremental logits")
    assert len(past) == 2
    for entry in past:
        assert len(entry) == (4 if cross else 2)
        assert entry[0].shape == entry[1].shape == (B, 4, T, 8)
        if cross:
            assert entry[2].shape == entry[3].shape == (B, 4, TE, 8)


@pytest.mark.parametrize("cross", [False, True])
def test_decoder_parity_with_hf(tmp_path, cross):
    """Causal and cross-attention logits, and HF's own incremental path, equal the twin's."""
    hf = make_hf("BertLMHeadModel", tmp_path, is_decoder=True, add_cross_attention=cross)
    twin = kt.BertLMHeadModel.from_pretrained(tmp_path)
    ids, enc, enc_mask = _inputs(seed=3)
    kw = dict(encoder_hidden_states=enc, encoder_attention_mask=enc_mask) if cross else {}
    labels = ids.clone()
    labels[:, :2] = -100
    with torch.no_grad():
        ref = hf(ids, **kw, labels=labels, output_attentions=True)
        out = twin(ids, **kw, labels=labels, output_attentions=True)
        assert_close(out.logits, ref.logits, what="logits")
        assert_close(out.loss, ref.loss, what="loss")
        for a, r in zip(out.attentions, ref.attentions):
            assert_close(a, r, what="attentions")
        if cross:
            assert len(out.cross_attentions) == len(ref.cross_attentions) == 2
            for a, r in zip(out.cross_attentions, ref.cross_attentions):
                assert_close(a, r, what="cross_attentions")
        # HF decoding with its own cache object, one token at a time after a prefix of 5.
        first = hf(ids[:, :5], **kw, use_cache=True)
        nxt = hf(ids[:, 5:6], **kw, **reference_cache(first), use_cache=True)
        mine, _ = _incremental(twin, ids[:, :6], [5, 1], **kw)
    assert_close(mine[:, 5], nxt.logits[:, 0], what="next-token logits vs HF cache")


def test_causal_mask_hides_the_future(tmp_path):
    make_hf("BertModel", tmp_path, is_decoder=True)
    model = kt.BertModel.from_pretrained(tmp_path)
    ids, _, _ = _inputs()
    changed = ids.clone()
    changed[:, 5:] = 3
    with torch.no_grad():
        a = model(ids, use_cache=False).last_hidden_state
        b = model(changed, use_cache=False).last_hidden_state
    assert_close(a[:, :5], b[:, :5], what="prefix")
    assert (a[:, 5:] - b[:, 5:]).abs().max() > 1e-3


def test_encoder_ignores_cache_and_cross_without_config(tmp_path):
    make_hf("BertModel", tmp_path)
    model = kt.BertModel.from_pretrained(tmp_path)
    ids, enc, _ = _inputs()
    out = model(ids, use_cache=True)
    assert out.past_key_values is None  # encoders never cache, as HF
    dec_dir = tmp_path / "dec"
    make_hf("BertModel", dec_dir, is_decoder=True)
    dec = kt.BertModel.from_pretrained(dec_dir)
    with pytest.raises(ValueError, match="add_cross_attention"):
        dec(ids, encoder_hidden_states=enc)
