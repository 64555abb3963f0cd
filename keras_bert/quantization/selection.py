"""Which Dense layers `quantize="int8"` runs in int8, and how finely each is quantized.

Which layers: every Dense of the encoder (Q/K/V, attention output, FFN in and out: ~all of BERT's
FLOPs) and the MLM head's transform, all of which run on every token. The pooler, classifiers and
QA/NSP projections see one row per sequence or output a few columns: int8 would not pay there
(quantizing the activation and reordering the weight cost more than the fp32 product) and would
only add error, so they stay fp32; the tied vocabulary projection is not a Dense and stays fp32.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Granularity:
    """How one layer is quantized: activation scales per row (token) or per tensor, weight scales
    per output column or per tensor (keras_bert/quantization/int8_matmul.py)."""

    per_row: bool
    per_channel: bool


#: Layer kind -> granularity. Measured on MiniLM (256 sentences, sentence-embedding cosine vs fp32,
#: min / mean): everything per tensor 0.93 / 0.95; the FFN output's weight per column fixes most
#: (a few output columns are ~10x the rest): 0.983 / 0.991; the FFN's activations per row (GELU
#: outputs and LayerNorm outputs with token outliers) too: 0.991 / 0.995. The attention
#: projections lose nothing measurable per tensor (Q/K/V/output alone: >= 0.9987), and per tensor
#: costs nothing after the kernel, so they stay per tensor.
GRANULARITY = {
    "attention": Granularity(per_row=False, per_channel=False),
    "intermediate": Granularity(per_row=True, per_channel=False),
    "output": Granularity(per_row=True, per_channel=True),
    "transform": Granularity(per_row=True, per_channel=True),
}


def granularity(path: str) -> Granularity:
    """The granularity of the Dense layer at Keras path `path` (see GRANULARITY)."""
    if "/attention/" in path or "/crossattention/" in path:
        return GRANULARITY["attention"]
    if "/intermediate/" in path:
        return GRANULARITY["intermediate"]
    if "/transform/" in path:
        return GRANULARITY["transform"]
    return GRANULARITY["output"]


def quantizable_layers(model) -> list:
    """(layer, Granularity) for the Dense layers `quantize="int8"` runs in int8 (see the module
    docstring), in model order."""
    from keras_bert.layers.dense import BertDense
    from keras_bert.layers.encoder import TFBertEncoder
    from keras_bert.layers.heads import TFBertPredictionHeadTransform

    found, seen = [], set()
    for outer in model._flatten_layers(include_self=True, recursive=True):
        if isinstance(outer, (TFBertEncoder, TFBertPredictionHeadTransform)):
            for layer in outer._flatten_layers(include_self=False, recursive=True):
                if isinstance(layer, BertDense) and id(layer) not in seen:
                    seen.add(id(layer))
                    found.append((layer, granularity(layer.path)))
    return found
