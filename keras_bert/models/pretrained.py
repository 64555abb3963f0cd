"""Checkpoint IO for any keras_bert Keras model: `load_pretrained(cls, path)`, `save_pretrained(model, dir)`.

Class-agnostic: the model class comes in as an argument, the weights go through
`keras_bert.checkpoints` (format detection, readers and writers, the one name table), which never
imports the models. A model names its weights by walking its layers (`keras_weights`), so nothing
here lists weight names.
"""

from __future__ import annotations

import os

from keras_bert.checkpoints import load_checkpoint
from keras_bert.checkpoints.hf_pytorch import SAFE_WEIGHTS, write_safetensors
from keras_bert.checkpoints.keras_weights import load_state, state_dict
from keras_bert.checkpoints.names import checkpoint_state, to_base_model_names
from keras_bert.config import BertConfig

SAVE_FORMATS = ("hf", "tf-h5")


def load_pretrained(cls, path, config: BertConfig | None = None, **overrides):
    """Builds `cls` from a checkpoint directory and loads its weights.

    `overrides` change config fields (e.g. `num_labels=3`); a head the checkpoint lacks is
    initialized fresh and listed in `model.loading_info["newly_initialized"]`; every checkpoint
    tensor the model does not take is listed with its reason in `loading_info["ignored"]`.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"Checkpoint path {path!r} does not exist")
    if config is None:
        config = BertConfig.from_pretrained(path, **overrides)
    elif overrides:
        config = config.copy(**overrides)
    state = load_checkpoint(path)
    model = cls(config)
    model.build()
    model.loading_info = load_state(model, state, source=path)
    return model


def hf_state_dict(model) -> dict:
    """The model's weights as {HF PyTorch name: numpy array}, as its transformers class saves them."""
    state = checkpoint_state(state_dict(model), model.config)
    if model.spec.hf_name == "BertModel":
        return to_base_model_names(state)
    return state


def save_pretrained(model, directory, format: str = "hf"):
    """Writes `config.json` plus the weights (to a temporary file, then renamed).

    `format="hf"`: `model.safetensors` in HF PyTorch naming (transformers v5 reads it).
    `format="tf-h5"`: `tf_model.h5` laid out as transformers 4.x `TFBert*.save_pretrained` writes it.
    """
    if format not in SAVE_FORMATS:
        raise ValueError(f"Unknown save format {format!r}; supported: {', '.join(SAVE_FORMATS)}")
    directory = os.fspath(directory)
    os.makedirs(directory, exist_ok=True)
    if format == "hf":
        weights = os.path.join(directory, SAFE_WEIGHTS)

        def write(tmp):
            write_safetensors(hf_state_dict(model), tmp)
    else:
        from keras_bert.checkpoints.tf_h5 import TF_WEIGHTS, to_snake_case, write_tf_h5

        weights = os.path.join(directory, TF_WEIGHTS)

        def write(tmp):
            state = checkpoint_state(state_dict(model), model.config)
            write_tf_h5(state, tmp, to_snake_case("TF" + model.spec.hf_name))

    tmp = weights + ".tmp"
    try:
        write(tmp)
        os.replace(tmp, weights)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    model.config.copy(architectures=[model.spec.hf_name]).save_pretrained(directory)
