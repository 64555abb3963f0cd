"""Hugging Face TensorFlow checkpoints (`tf_model.h5`), as transformers 4.x wrote them.

Layout of a single file (Keras 2 `save_weights`, called by `TFBert*.save_pretrained`):

    /                          attrs: layer_names = [b"bert", b"mlm___cls", ...]
                                      backend, keras_version
    /bert                      attrs: weight_names = [b"tf_bert_for_pre_training/bert/...:0", ...]
    /bert/tf_bert_for_pre_training/bert/embeddings/word_embeddings/weight:0   dataset
    /mlm___cls/tf_bert_for_pre_training/mlm___cls/predictions/bias:0         dataset

One group per top-level Keras layer of the TF model (`bert`, `mlm___cls`, `nsp___cls`,
`classifier`, `qa_outputs`; weightless dropout layers have empty `weight_names`), each
dataset stored under its full variable name, whose first component is the model name.
An attribute over 64 KB is split into `weight_names0`, `weight_names1`, ...

Sharded (`tf_model-00001-of-00002.h5` + `tf_model.h5.index.json`): each shard holds the
datasets at the variable name without the model name (`bert/embeddings/...:0`), listed
in the root attribute `layer_names`; the index maps full variable names to shards.

TF names -> canonical by the `TF_*` tables in names.py: `layer_._3` -> `layer.3`,
`X___cls` -> `cls`, `kernel` -> `weight` (transposed: Keras [in, out], torch [out, in]),
`gamma`/`beta` -> `weight`/`bias`, `position_embeddings/embeddings` -> `position_embeddings.weight`.
An untied MLM decoder (transformers 5 `tie_word_embeddings=False`, which transformers 4.x TF
never wrote) is `mlm___cls/predictions/decoder/kernel:0` [H, V] and `.../decoder/bias:0` [V].
"""

from __future__ import annotations

import os

import numpy as np

from keras_bert.checkpoints import names as N
from keras_bert.checkpoints.errors import CheckpointError
from keras_bert.checkpoints.shards import shard_files

TF_WEIGHTS = "tf_model.h5"
TF_INDEX = "tf_model.h5.index.json"
# Keras 2 splits attributes above this size (HDF5 object header limit).
_ATTR_LIMIT = 64512


def to_snake_case(name: str) -> str:
    """Keras 2's default layer name for a class: `TFBertForMaskedLM` -> `tf_bert_for_masked_lm`."""
    for pattern, replacement in N.TF_MODEL_NAME_RULES:
        name = pattern.sub(replacement, name)
    return name.lower()


def tf_to_canonical(name: str) -> tuple[str, bool]:
    """`bert/encoder/layer_._0/attention/self/query/kernel:0` -> (`bert.encoder.layer.0...query.weight`, True).

    `name` carries no model-name component. The flag says the array must be transposed.
    """
    parts = [N.TF_SCOPE.sub("", p) for p in N.TF_VARIABLE_SUFFIX.sub("", name).split("/")]
    parts = [N.TF_LAYER_INDEX.sub(r"layer.\1", p) for p in parts]
    parts[-1], transpose = N.TF_LEAVES.get(parts[-1], (parts[-1], False))
    return ".".join(parts), transpose


def canonical_to_tf(name: str, value: np.ndarray) -> tuple[str, np.ndarray]:
    """Inverse of `tf_to_canonical`: canonical name + torch-layout array -> (TF name without model name, array)."""
    parts = name.split(".")
    out = []
    i = 0
    while i < len(parts):
        if parts[i] == "layer" and i + 1 < len(parts) and parts[i + 1].isdigit():
            out.append(N.TF_LAYER_INDEX_FORMAT.format(parts[i + 1]))
            i += 2
            continue
        out.append(parts[i])
        i += 1
    if out[0] == "cls" and len(out) > 1:
        out[0] = N.TF_CLS_LAYERS.get(out[1], "cls")
    owner, last = out[-2] if len(out) > 1 else "", out[-1]
    if owner == N.TF_LAYERNORM:
        out[-1] = N.TF_LAYERNORM_LEAVES[last]
    elif last == "weight" and owner == N.TF_WORD_EMBEDDINGS:
        pass  # transformers 4.x: bert/embeddings/word_embeddings/weight:0
    elif last == "weight" and N.TF_TABLE_OWNERS.search(owner):
        out[-1] = "embeddings"
    elif last == "weight" and value.ndim == 2:
        out[-1] = "kernel"
        value = value.T
    return "/".join(out) + ":0", np.ascontiguousarray(value)


# -- attributes (Keras 2 `save_attributes_to_hdf5_group` / `load_attributes_from_hdf5_group`) --
def read_attribute(group, name: str) -> list[str]:
    if name in group.attrs:
        values = list(group.attrs[name])
    else:
        values, chunk = [], 0
        while f"{name}{chunk}" in group.attrs:
            values.extend(group.attrs[f"{name}{chunk}"])
            chunk += 1
    return [v.decode("utf8") if hasattr(v, "decode") else str(v) for v in values]


def write_attribute(group, name: str, values: list[str]):
    data = np.asarray([v.encode("utf8") for v in values]) if values else np.asarray([], dtype="S1")
    if data.nbytes <= _ATTR_LIMIT:
        group.attrs[name] = data
        return
    chunks = int(np.ceil(data.nbytes / _ATTR_LIMIT))
    for i, chunk in enumerate(np.array_split(data, chunks)):
        group.attrs[f"{name}{i}"] = chunk


# -- reading ---------------------------------------------------------------------------
def _strip_model_name(weight_name: str, layer_name: str) -> str:
    """transformers 4.x drops the first component (the model name) of every variable name."""
    head, _, rest = weight_name.partition("/")
    return weight_name if head == layer_name or not rest else rest


def read_h5_file(path: str) -> dict[str, np.ndarray]:
    """One `tf_model.h5` (or shard) -> {TF name without model name: array}."""
    import h5py

    out: dict[str, np.ndarray] = {}
    try:
        with h5py.File(path, "r") as f:
            layer_names = read_attribute(f, "layer_names")
            if not layer_names:
                raise CheckpointError(
                    f"{path!r} is an HDF5 file without a `layer_names` attribute: not a HF TF checkpoint"
                )
            for layer_name in layer_names:
                if layer_name not in f:
                    raise CheckpointError(f"{path!r}: layer {layer_name!r} listed in layer_names is missing")
                item = f[layer_name]
                if isinstance(item, h5py.Dataset):  # shard layout: the dataset itself, stripped name
                    out[layer_name] = np.asarray(item)
                    continue
                for weight_name in read_attribute(item, "weight_names"):
                    if weight_name not in item:
                        raise CheckpointError(f"{path!r}: weight {weight_name!r} of layer {layer_name!r} is missing")
                    out[_strip_model_name(weight_name, layer_name)] = np.asarray(item[weight_name])
    except CheckpointError:
        raise
    except (OSError, KeyError, ValueError, RuntimeError) as e:
        raise CheckpointError(f"Cannot read HDF5 file {path!r}: {e} (truncated or not a tf_model.h5?)") from None
    return out


def read_tf_h5(path: str) -> dict[str, np.ndarray]:
    """A `tf_model.h5`, its shard index, or a directory holding either -> {canonical name: torch-layout array}."""
    path = os.fspath(path)
    if os.path.isdir(path):
        for name in (TF_WEIGHTS, TF_INDEX):
            if os.path.exists(os.path.join(path, name)):
                path = os.path.join(path, name)
                break
        else:
            raise CheckpointError(f"No {TF_WEIGHTS} or {TF_INDEX} in {path!r}")
    if path.endswith(".index.json"):
        tf_state = {}
        for shard in shard_files(path):
            tf_state.update(read_h5_file(shard))
    else:
        tf_state = read_h5_file(path)
    out = {}
    for tf_name, value in tf_state.items():
        name, transpose = tf_to_canonical(tf_name)
        out[name] = np.ascontiguousarray(value.T) if transpose and value.ndim == 2 else value
    return out


# -- writing ---------------------------------------------------------------------------
def to_tf_layers(state: dict[str, np.ndarray], progress=None) -> dict[str, list[tuple[str, np.ndarray]]]:
    """Canonical state -> {TF layer name: [(TF name without model name, Keras-layout array)]}."""
    layers: dict[str, list] = {}
    items = state.items() if progress is None else progress(list(state.items()))
    for name, value in items:
        tf_name, array = canonical_to_tf(name, np.asarray(value))
        layers.setdefault(tf_name.split("/")[0], []).append((tf_name, array))
    return layers


def write_tf_h5(state: dict[str, np.ndarray], path: str, model_name: str, progress=None):
    """Writes canonical `state` as one Keras 2 `save_weights` file, as transformers 4.x's
    `TFBert*.save_pretrained` does. `model_name` is the TF model's name (`tf_bert_for_pre_training`).

    `state` is what the file holds (`names.checkpoint_state` of a model's state): tied
    aliases are not written, an untied decoder is."""
    import h5py

    layers = to_tf_layers(state, progress)
    order = [n for n in N.TF_LAYER_ORDER if n in layers] + sorted(n for n in layers if n not in N.TF_LAYER_ORDER)
    with h5py.File(path, "w") as f:
        write_attribute(f, "layer_names", order)
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.15.0"
        for layer_name in order:
            group = f.create_group(layer_name)
            names = [f"{model_name}/{tf_name}" for tf_name, _ in layers[layer_name]]
            write_attribute(group, "weight_names", names)
            for full, (_, array) in zip(names, layers[layer_name]):
                group.create_dataset(full, data=array)
