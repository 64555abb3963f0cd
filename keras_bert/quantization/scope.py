"""Where quantized Dense layers find their int8 weights: a scope entered while tracing.

The Keras model stays fp32 and unchanged. `Int8Weights(model)` quantizes the chosen Dense kernels
once and holds them as non-trainable `tf.Variable`s (`Int8Weights`, keras_bert/quantization/
weights.py: a SavedModel stores them, tf.functions capture them); `with int8_scope(weights):` makes `BertDense.call` (keras_bert/layers/dense.py) run
`int8_matmul` for exactly those layers. Outside the scope, or for any other layer, Dense is fp32.

Which layers: every Dense of the encoder (Q/K/V, attention output, FFN in and out: ~all of BERT's
FLOPs) and the MLM head's transform, all of which run on every token. The pooler, classifiers and
QA/NSP projections see one row per sequence or output a few columns: int8 would not pay there
(quantizing the activation and reordering the weight cost more than the fp32 product) and would
only add error, so they stay fp32; the tied vocabulary projection is not a Dense and stays fp32.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass

MODES = ("int8",)

_active = threading.local()


def check_quantize(quantize):
    """None or "int8"; anything else is a ValueError naming the value. "int8" needs Keras on TensorFlow."""
    if quantize is None:
        return None
    if quantize not in MODES:
        raise ValueError(f"quantize must be None or one of {MODES}, got {quantize!r}")
    from keras_bert.backend import require_tensorflow_backend

    require_tensorflow_backend(f"quantize={quantize!r} (TensorFlow's oneDNN int8 kernels)")
    return quantize


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


def int8_weights(model):
    """Quantizes `model`'s quantizable Dense kernels once (the model is not modified): an
    `Int8Weights` (keras_bert/quantization/weights.py) to pass to `int8_scope`."""
    check_quantize("int8")
    from keras_bert.quantization.weights import Int8Weights

    return Int8Weights(model)


@contextlib.contextmanager
def int8_scope(weights):
    """Inside, `BertDense` layers listed in `weights` run int8 (`weights` None: a no-op scope)."""
    stack = getattr(_active, "stack", None)
    if stack is None:
        stack = _active.stack = []
    stack.append(weights)
    try:
        yield weights
    finally:
        stack.pop()


def active_kernel(layer):
    """The innermost scope's quantized kernel for `layer` (a callable `(x, bias) -> y`), or None (fp32)."""
    stack = getattr(_active, "stack", None)
    if not stack or stack[-1] is None:
        return None
    return stack[-1].lookup(layer)
