"""Canonical (HF PyTorch) names of a Keras model's variables, and loading by those names.

Child layers are created with fixed names equal to HF module names (`bert`,
`encoder`, `layer.0`, `attention`, `self`, `query`, ...), so a variable's
canonical name is the path of layer names plus the HF parameter name:
Dense kernel -> `weight` (transposed: Keras [in, out], torch [out, in]),
Dense bias -> `bias`, LayerNorm gamma/beta -> `weight`/`bias`,
Embedding -> `weight`, and a layer's own variables by their variable name.
"""

from __future__ import annotations

import logging

import keras
import numpy as np

from keras_bert.checkpoints.hf_pytorch import CheckpointError
from keras_bert.checkpoints.names import TIED_DECODER_WEIGHT

logger = logging.getLogger("keras_bert")


def named_variables(layer, prefix: str = ""):
    """Yields (canonical name, variable, transpose) for every weight under `layer`."""
    if isinstance(layer, keras.layers.Dense):
        yield prefix + "weight", layer.kernel, True
        if layer.use_bias:
            yield prefix + "bias", layer.bias, False
        return
    if isinstance(layer, keras.layers.LayerNormalization):
        yield prefix + "weight", layer.gamma, False
        yield prefix + "bias", layer.beta, False
        return
    if isinstance(layer, keras.layers.Embedding):
        yield prefix + "weight", layer.embeddings, False
        return
    for variable in layer._trainable_variables + layer._non_trainable_variables:
        yield prefix + variable.name, variable, False
    for child in layer._flatten_layers(include_self=False, recursive=False):
        yield from named_variables(child, prefix + child.name + ".")


def variable_table(model) -> dict:
    """{canonical name: (variable, transpose)}; builds the model's variables first."""
    if not model.built:
        model.build()
    table = {}
    for name, variable, transpose in named_variables(model):
        if name in table:
            raise RuntimeError(f"Two variables map to the checkpoint name {name!r}")
        table[name] = (variable, transpose)
    return table


def state_dict(model) -> dict[str, np.ndarray]:
    """The model's weights as {canonical name: array in torch layout}."""
    out = {}
    for name, (variable, transpose) in variable_table(model).items():
        value = keras.ops.convert_to_numpy(variable)
        out[name] = np.ascontiguousarray(value.T if transpose else value)
    return out


def load_state(model, state: dict[str, np.ndarray], source: str = "checkpoint", required_prefixes=("bert.",)) -> dict:
    """Assigns `state` (canonical names) to `model`'s variables.

    Missing weights under `required_prefixes` (the encoder) are an error; other
    missing weights (a new head, a pooler the checkpoint lacks) keep their fresh
    initialization and are reported as `newly_initialized`. Returns the loading
    info: missing_keys, unexpected_keys, newly_initialized.
    """
    table = variable_table(model)
    missing = [n for n in table if n not in state]
    fatal = [n for n in missing if n.startswith(required_prefixes) and not n.startswith("bert.pooler.")]
    if fatal:
        shown = ", ".join(fatal[:5]) + (f" (and {len(fatal) - 5} more)" if len(fatal) > 5 else "")
        raise CheckpointError(f"{source}: missing {len(fatal)} weight(s) the model needs: {shown}")
    for name, (variable, transpose) in table.items():
        if name not in state:
            continue
        value = np.asarray(state[name])
        if transpose:
            value = value.T
        if tuple(value.shape) != tuple(variable.shape):
            found = tuple(state[name].shape)
            expected = tuple(variable.shape[::-1] if transpose else variable.shape)
            raise CheckpointError(
                f"{source}: shape mismatch for {name!r}: model expects {expected}, checkpoint has {found}"
            )
        variable.assign(value.astype(variable.dtype, copy=False))
    unexpected = [n for n in state if n not in table]
    # Tensors HF itself ignores: a tied decoder copy, a pooler for heads without one.
    silent = {TIED_DECODER_WEIGHT} if any(n == "bert.embeddings.word_embeddings.weight" for n in table) else set()
    noisy = [n for n in unexpected if n not in silent and not n.startswith("bert.pooler.")]
    if noisy:
        logger.warning(
            "%s: %d unused weight(s) not used by %s: %s", source, len(noisy), type(model).__name__, noisy[:10]
        )
    if missing:
        logger.warning("%s: newly initialized weight(s) in %s: %s", source, type(model).__name__, missing)
    return {"missing_keys": missing, "unexpected_keys": unexpected, "newly_initialized": missing}
