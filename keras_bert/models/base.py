"""`TFBertPreTrainedModel`: the base of every Keras model: config, inputs, checkpoint IO."""

from __future__ import annotations

import os
from collections.abc import Mapping

import keras

from keras_bert.checkpoints import load_checkpoint
from keras_bert.checkpoints.hf_pytorch import SAFE_WEIGHTS, write_safetensors
from keras_bert.checkpoints.keras_weights import load_state, state_dict
from keras_bert.checkpoints.names import BASE_PREFIX, TIED_DECODER_WEIGHT, to_base_model_names
from keras_bert.config import BertConfig
from keras_bert.layers.common import as_config

# Model inputs that may arrive inside a dict as the first argument (what `model.fit` passes).
INPUT_NAMES = (
    "input_ids",
    "attention_mask",
    "token_type_ids",
    "position_ids",
    "head_mask",
    "inputs_embeds",
    "encoder_hidden_states",
    "encoder_attention_mask",
    "past_key_values",
    "use_cache",
    "output_attentions",
    "output_hidden_states",
    "return_dict",
    "labels",
    "next_sentence_label",
    "start_positions",
    "end_positions",
)


def merge_inputs(input_ids, kwargs: dict) -> dict:
    """Folds a dict first argument into the keyword arguments; explicit keywords win."""
    if not isinstance(input_ids, Mapping):
        return {"input_ids": input_ids, **kwargs}
    unknown = sorted(set(input_ids) - set(INPUT_NAMES))
    if unknown:
        raise ValueError(f"Unknown model input(s) {unknown} in the input dict; expected names from {INPUT_NAMES}")
    merged = dict(kwargs)
    for name, value in input_ids.items():
        if merged.get(name) is None:
            merged[name] = value
    merged.setdefault("input_ids", None)
    return merged


class TFBertPreTrainedModel(keras.Model):
    """Config handling, `from_pretrained`/`save_pretrained` and `get_config` for all models.

    Subclasses set `hf_class_name` (the HF PyTorch class whose checkpoints they match)
    and create their layers with HF's module names.
    """

    hf_class_name = "BertModel"

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.config = as_config(config)
        self.loading_info = None

    # -- Keras serialization ----------------------------------------------------------
    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": keras.dtype_policies.serialize(self.dtype_policy),
            "config": self.config.to_dict(),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["dtype"] = keras.dtype_policies.deserialize(config["dtype"]) if config.get("dtype") else None
        return cls(**config)

    def build(self, input_shape=None):
        for layer in self._flatten_layers(include_self=False, recursive=False):
            if not layer.built:
                layer.build()
        self.built = True

    # -- checkpoints ------------------------------------------------------------------
    @classmethod
    def from_pretrained(cls, path, config: BertConfig | None = None, **overrides):
        """Builds the model from a checkpoint directory and loads its weights.

        `overrides` change config fields (e.g. `num_labels=3`); a head the checkpoint
        lacks is initialized fresh and listed in `model.loading_info["newly_initialized"]`.
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

    def hf_state_dict(self) -> dict:
        """Weights as {HF PyTorch name: numpy array}, named as `hf_class_name` saves them."""
        state = state_dict(self)
        if self.hf_class_name == "BertModel":
            return to_base_model_names(state)
        state.pop(TIED_DECODER_WEIGHT, None)
        return state

    def save_pretrained(self, directory, format: str = "hf"):
        """Writes `config.json` + `model.safetensors` in HF PyTorch naming."""
        if format != "hf":
            raise ValueError(f"Unknown save format {format!r}; supported: 'hf'")
        directory = os.fspath(directory)
        os.makedirs(directory, exist_ok=True)
        config = self.config.copy(architectures=[self.hf_class_name])
        weights = os.path.join(directory, SAFE_WEIGHTS)
        tmp = weights + ".tmp"
        try:
            write_safetensors(self.hf_state_dict(), tmp)
            os.replace(tmp, weights)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        config.save_pretrained(directory)

    @property
    def base_model_prefix(self) -> str:
        return BASE_PREFIX[:-1]
