"""Helpers for the torch twin tests: tiny perturbed transformers models saved to disk, batches, tolerances."""

from __future__ import annotations

import pytest
import torch

from tests.support.tiny import tiny_config

transformers = pytest.importorskip("transformers")

# transformers 5 renamed the cache argument and output field `past_key_values` to `cache` (the old
# argument name is deprecated, removed in 5.40); keras_bert keeps the 4.x name on purpose.
REFERENCE_CACHE = (
    "cache"
    if "cache" in transformers.modeling_outputs.CausalLMOutputWithCrossAttentions.__dataclass_fields__
    else "past_key_values"
)


def reference_cache(output):
    """The KV cache of a transformers output, as keyword arguments for its next call."""
    return {REFERENCE_CACHE: output[REFERENCE_CACHE]}


TINY = tiny_config(hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)
ATOL = 1e-5


def hf_config(**overrides):
    return transformers.BertConfig(**{**TINY, **overrides})


@torch.no_grad()
def perturb(model: torch.nn.Module, scale: float = 0.1, seed: int = 0):
    """Adds noise to every parameter (biases and LayerNorm too), so init values prove nothing."""
    g = torch.Generator().manual_seed(seed)
    seen = set()
    for p in model.parameters():
        if id(p) in seen:
            continue
        seen.add(id(p))
        p.add_(torch.randn(p.shape, generator=g) * scale)
    return model


def make_hf(cls_name: str, directory, attn_implementation: str = "eager", seed: int = 0, **config_overrides):
    """A perturbed tiny transformers model of class `cls_name`, saved to `directory`, in eval mode."""
    torch.manual_seed(seed)
    cls = getattr(transformers, cls_name)
    model = cls(hf_config(**config_overrides))
    perturb(model, seed=seed)
    model.save_pretrained(directory)
    return cls.from_pretrained(directory, attn_implementation=attn_implementation).eval()


def batch(b: int = 3, t: int = 9, vocab: int = 99, seed: int = 1, pad_lengths=(9, 5, 1)):
    """input_ids, token_type_ids and a right-padded attention_mask (one row nearly all padding)."""
    g = torch.Generator().manual_seed(seed)
    input_ids = torch.randint(1, vocab, (b, t), generator=g)
    token_type_ids = torch.randint(0, 2, (b, t), generator=g)
    attention_mask = torch.zeros(b, t, dtype=torch.long)
    for i, n in enumerate(pad_lengths[:b]):
        attention_mask[i, :n] = 1
    input_ids = input_ids.masked_fill(attention_mask == 0, 0)
    return dict(input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask)


def assert_close(actual, expected, atol=ATOL, mask=None, what=""):
    actual, expected = actual.detach().float(), expected.detach().float()
    assert actual.shape == expected.shape, f"{what}: shape {tuple(actual.shape)} != {tuple(expected.shape)}"
    diff = (actual - expected).abs()
    if mask is not None:
        diff = diff[mask.bool()]
    assert torch.isfinite(actual).all(), f"{what}: non-finite values"
    assert diff.max().item() <= atol, f"{what}: max abs diff {diff.max().item():.3g} > {atol}"
