"""Canonical (HF PyTorch) names of a Keras model's variables, and loading by those names.

Child layers are created with fixed names equal to HF module names (`bert`,
`encoder`, `attention`, `self`, `query`, ...; the encoder blocks `layer_0`, canonical
`layer.0`, because Keras layer names become torch parameter paths, which cannot hold "."; see
`names.canonical_part`), so a variable's canonical name is the path of layer names plus the HF
parameter name:
Dense kernel -> `weight` (transposed: Keras [in, out], torch [out, in]),
Dense bias -> `bias`, LayerNorm gamma/beta -> `weight`/`bias`,
Embedding -> `weight`, and a layer's own variables by their variable name.
An untied MLM decoder is a Dense layer `decoder` under `cls.predictions`, so its
variables are `cls.predictions.decoder.weight` / `.bias` like everything else.

Which checkpoint tensors a model takes (tied decoder copies, heads it lacks) is
decided by `names.resolve_state`; every tensor left out is logged with its reason.
Keras is imported inside the functions, so the module imports without it.
"""

from __future__ import annotations

import logging

import numpy as np

from keras_bert.checkpoints.errors import CheckpointError
from keras_bert.checkpoints.names import BASE_PREFIX, POOLER_PREFIX, canonical_part, is_redundant, resolve_state

logger = logging.getLogger("keras_bert")


def named_variables(layer, prefix: str = ""):
    """Yields (canonical name, variable, transpose) for every weight under `layer`."""
    import keras

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
        yield from named_variables(child, prefix + canonical_part(child.name) + ".")


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
    """The model's weights as {canonical name: array in torch layout} (what the model holds;
    `names.checkpoint_state` turns it into what a file holds)."""
    import keras

    out = {}
    for name, (variable, transpose) in variable_table(model).items():
        value = keras.ops.convert_to_numpy(variable)
        out[name] = np.ascontiguousarray(value.T if transpose else value)
    return out


def _shown(names: list[str], limit: int = 5) -> str:
    return ", ".join(names[:limit]) + (f" (and {len(names) - limit} more)" if len(names) > limit else "")


def load_state(
    model, state: dict[str, np.ndarray], source: str = "checkpoint", required_prefixes=(BASE_PREFIX,)
) -> dict:
    """Assigns `state` (canonical names) to `model`'s variables.

    Missing weights under `required_prefixes` (the encoder) are an error; other
    missing weights (a new head, a pooler the checkpoint lacks) keep their fresh
    initialization and are reported as `newly_initialized`. Tensors the model does not
    take are listed in `ignored` with the reason, and logged; `unexpected_keys` are those
    among them that are not tied copies (HF's meaning). Returns
    `{"missing_keys", "unexpected_keys", "newly_initialized", "ignored"}`.
    """
    table = variable_table(model)
    model_name = type(model).__name__
    taken, ignored = resolve_state(state, table, model.config, source=source, model_name=model_name)
    missing = [n for n in table if n not in taken]
    fatal = [n for n in missing if n.startswith(required_prefixes) and not n.startswith(POOLER_PREFIX)]
    if fatal:
        raise CheckpointError(f"{source}: missing {len(fatal)} weight(s) the model needs: {_shown(fatal)}")
    for name, (variable, transpose) in table.items():
        if name not in taken:
            continue
        value = np.asarray(taken[name])
        if transpose:
            value = value.T
        if tuple(value.shape) != tuple(variable.shape):
            found = tuple(np.shape(taken[name]))
            expected = tuple(variable.shape[::-1] if transpose else variable.shape)
            raise CheckpointError(
                f"{source}: shape mismatch for {name!r}: model expects {expected}, checkpoint has {found}"
            )
        variable.assign(value.astype(variable.dtype, copy=False))
    unexpected = [n for n, why in ignored.items() if not is_redundant(why)]
    for name, why in ignored.items():
        level = logging.INFO if is_redundant(why) else logging.WARNING
        logger.log(level, "%s: %s not loaded into %s: %s", source, name, model_name, why)
    if missing:
        logger.warning("%s: newly initialized weight(s) in %s: %s", source, model_name, missing)
    return {"missing_keys": missing, "unexpected_keys": unexpected, "newly_initialized": missing, "ignored": ignored}
