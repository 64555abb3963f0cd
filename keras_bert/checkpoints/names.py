"""The one name table: HF PyTorch state-dict names are the canonical names.

Every reader turns its format into canonical names; every model (Keras and twin)
exposes its weights under canonical names. Canonical names carry the `bert.`
prefix for the encoder (`bert.embeddings.word_embeddings.weight`) and HF's names
for the heads (`cls.predictions.bias`, `classifier.weight`, ...).
"""

from __future__ import annotations

import re

import numpy as np

BASE_PREFIX = "bert."
_BASE_ROOTS = ("embeddings.", "encoder.", "pooler.")
# Tensors that are never weights: legacy buffers and decoder copies tied elsewhere.
_BUFFERS = re.compile(r"(^|\.)(position_ids|token_type_ids)$")
TIED_DECODER_WEIGHT = "cls.predictions.decoder.weight"
TIED_DECODER_BIAS = "cls.predictions.decoder.bias"
WORD_EMBEDDINGS = "bert.embeddings.word_embeddings.weight"


def canonical_name(name: str) -> str:
    """`encoder.layer.0...LayerNorm.gamma` -> `bert.encoder.layer.0...LayerNorm.weight`."""
    if name.startswith(_BASE_ROOTS):
        name = BASE_PREFIX + name
    if ".LayerNorm." in name or name.endswith("LayerNorm"):
        name = re.sub(r"\.gamma$", ".weight", name)
        name = re.sub(r"\.beta$", ".bias", name)
    return name


def canonicalize(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Canonical names, legacy buffers dropped, tied decoder copies folded."""
    out: dict[str, np.ndarray] = {}
    for name, value in state.items():
        if _BUFFERS.search(name):
            continue
        out[canonical_name(name)] = value
    # The decoder weight is tied to the word embeddings; its bias to cls.predictions.bias.
    decoder_bias = out.pop(TIED_DECODER_BIAS, None)
    if decoder_bias is not None and "cls.predictions.bias" not in out:
        out["cls.predictions.bias"] = decoder_bias
    return out


def to_base_model_names(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Canonical -> the names HF's bare `BertModel` saves (no `bert.` prefix, no heads)."""
    return {k[len(BASE_PREFIX) :]: v for k, v in state.items() if k.startswith(BASE_PREFIX)}


def is_base_only(names) -> bool:
    return all(n.startswith(BASE_PREFIX) for n in names)
