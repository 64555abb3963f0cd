"""Keras 3's distribution API for BERT on JAX, and the names that port FlaxBert code.

transformers v5 removed `FlaxBert*`; its users scaled with `jax.sharding` and `pjit` over a
`params` tree. Keras 3 gives the same on the JAX backend through `keras.distribution`:
`DataParallel` replicates the weights and shards each batch over the devices; `ModelParallel`
shards weights by a `LayoutMap` of variable-path regexes. `bert_layout_map` is that map for
BERT, Megatron style, as keras-hub writes one per backbone:

    column-parallel  (None, "model")   query/key/value, intermediate.dense, pooler, embeddings
    row-parallel     ("model", None)   attention.output.dense, output.dense (the FFN's second GEMM)

A Dense kernel is [in, out]: column-parallel splits the outputs, row-parallel the inputs, so
each block's two GEMMs need one reduction between them. Embedding tables [V, H] are split on
H, which divides by the usual mesh sizes where BERT's vocabulary (30,522) does not. Biases,
LayerNorms and heads stay replicated. Every dimension split over "model" must divide by its
size; `bert_layout_map(mesh, config)` checks that up front and names the dimension.

`hf_names(model)` gives the HF (transformers PyTorch) name of each of a model's variables, in
`model.trainable_variables` order, so a FlaxBert script keyed by parameter names can keep its
names: `params = dict(zip(hf_names(model), model.trainable_variables))`. The values are in
Keras layout (Dense kernels [in, out], as Flax keeps them), not transposed to torch's.

Nothing here imports TensorFlow; the checks in `check_variables` read JAX shardings.
"""

from __future__ import annotations

MODEL_AXIS = "model"
BATCH_AXIS = "batch"

# Variable-path regexes (matched in full against `variable.path`) -> layout by axis role.
# Paths look like `tf_bert_model/bert/encoder/layer_._0/attention/self/query/kernel`; the
# block segment is matched loosely (`layer[^/]*`) so `layer.0` and `layer_._0` both fit.
_COLUMN = "column"  # (None, model): split the output features
_ROW = "row"  # (model, None): split the input features
_TABLE = "table"  # (None, model): split the hidden size of an embedding table
LAYOUT_RULES = {
    r".*/attention/self/(query|key|value)/kernel": _COLUMN,
    r".*/intermediate/dense/kernel": _COLUMN,
    r".*/pooler/dense/kernel": _COLUMN,
    r".*/attention/output/dense/kernel": _ROW,
    r".*/layer[^/]*/output/dense/kernel": _ROW,
    r".*/embeddings/(word|position|token_type)_embeddings/embeddings": _TABLE,
}


def is_distribution(obj) -> bool:
    """True for a `keras.distribution.Distribution` (DataParallel, ModelParallel, ...)."""
    from keras.src.distribution.distribution_lib import Distribution  # not exported under keras.distribution

    return isinstance(obj, Distribution)


def bert_layout_map(device_mesh, config=None, model_axis: str = MODEL_AXIS):
    """A `keras.distribution.LayoutMap` sharding BERT's embedding and dense kernels over `model_axis`.

    Args:
        device_mesh: a `keras.distribution.DeviceMesh` with an axis named `model_axis`
            (e.g. shape (1, 2), axis_names ("batch", "model")).
        config: optional `BertConfig`; when given, every split dimension (hidden_size,
            intermediate_size) is checked to divide by the model axis size.
        model_axis: the mesh axis the weights are split over.

    Example:
        mesh = keras.distribution.DeviceMesh((1, 2), ["batch", "model"], keras.distribution.list_devices())
        distribution = keras.distribution.ModelParallel(layout_map=bert_layout_map(mesh), batch_dim_name="batch")
        with distribution.scope():
            model = TFBertForSequenceClassification.from_pretrained(path)
    """
    import keras

    axes = list(device_mesh.axis_names)
    if model_axis not in axes:
        raise ValueError(f"The device mesh has axes {axes}; bert_layout_map needs an axis named {model_axis!r}")
    if config is not None:
        size = device_mesh.shape[axes.index(model_axis)]
        for name in ("hidden_size", "intermediate_size"):
            value = getattr(config, name)
            if value % size:
                raise ValueError(
                    f"config.{name}={value} does not divide by the {model_axis!r} axis size {size}; "
                    f"choose a mesh whose {model_axis!r} axis divides it"
                )
    spec = {_COLUMN: (None, model_axis), _ROW: (model_axis, None), _TABLE: (None, model_axis)}
    layout_map = keras.distribution.LayoutMap(device_mesh)
    for pattern, role in LAYOUT_RULES.items():
        layout_map[pattern] = spec[role]
    return layout_map


def check_variables(model, distribution, optimizer=None):
    """Raises ValueError naming the first variable not laid out over `distribution`'s devices.

    A model (or an optimizer: its iteration counter is made in `__init__`) created outside
    `distribution.scope()` holds its variables on one device, and the jitted train step then
    mixes devices. Build the model (e.g. `from_pretrained`) and the optimizer inside the scope.
    """
    import jax

    if not model.built:
        raise ValueError("Build the model (e.g. from_pretrained or model.build()) inside distribution.scope()")
    mesh_devices = {str(d).lower() for d in distribution.device_mesh.devices.flatten().tolist()}  # "cpu:0"
    owners = [("model", model.trainable_variables + model.non_trainable_variables)]
    if optimizer is not None and not isinstance(optimizer, str):
        owners.append(("optimizer", optimizer.variables))
    for owner, variables in owners:
        for variable in variables:
            value = variable.value
            sharding = getattr(value, "sharding", None)
            held = sorted(str(d).lower() for d in sharding.device_set) if sharding is not None else []
            if not isinstance(value, jax.Array) or set(held) != mesh_devices:
                raise ValueError(
                    f"Variable {variable.path!r} lives on {held}, not on the {len(mesh_devices)} devices of "
                    f"{type(distribution).__name__}; create the {owner} inside `with distribution.scope():`"
                )


def hf_names(model, variables=None) -> list[str]:
    """HF checkpoint names of `variables` (default `model.trainable_variables`), in their order.

    Example:
        params = dict(zip(hf_names(model), model.trainable_variables))
        params["bert.encoder.layer.0.attention.self.query.weight"].shape  # Keras layout (in, out)
    """
    from keras_bert.checkpoints.keras_weights import variable_table

    by_id = {id(variable): name for name, (variable, _) in variable_table(model).items()}
    variables = model.trainable_variables if variables is None else variables
    names = []
    for variable in variables:
        name = by_id.get(id(variable))
        if name is None:
            raise KeyError(f"Variable {variable.path!r} has no checkpoint name in {type(model).__name__}")
        names.append(name)
    return names


__all__ = ["BATCH_AXIS", "MODEL_AXIS", "bert_layout_map", "check_variables", "hf_names", "is_distribution"]
