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

SAVE_FORMATS = ("hf", "tf-h5")


# Keras model constructor keywords from_pretrained passes on (transformers 4.x TF hands unknown
# keywords to keras.Model.__init__, which takes these and rejects the rest).
KERAS_MODEL_KWARGS = ("name", "dtype", "trainable")


def load_pretrained(cls, name_or_path, *model_args, **kwargs):
    """Builds `cls` from a checkpoint (a local directory or file, or a hub name in the local
    Hugging Face cache; see `keras_bert.hub.resolve`) and loads its weights.

    Keywords as in transformers 4.x `TFPreTrainedModel.from_pretrained`: `config=` (a BertConfig or
    a path / hub name of one), config overrides (`num_labels=3`, `output_hidden_states=True`, ...),
    hub arguments (`cache_dir`, `revision`, `local_files_only`, `token`, `force_download`,
    `subfolder`), `from_pt` (no effect: every format is read), `ignore_mismatched_sizes` (a head of
    a different size is re-initialized and listed in `loading_info["mismatched_keys"]`),
    `output_loading_info=True` (returns `(model, loading_info)`), and Keras' `name` / `dtype` /
    `trainable`. Any other keyword is a TypeError naming it.

    A head the checkpoint lacks is initialized fresh and listed in
    `model.loading_info["newly_initialized"]`; every checkpoint tensor the model does not take is
    listed with its reason in `loading_info["ignored"]`.

    Example:
        >>> model = TFBertForSequenceClassification.from_pretrained("bert-base-uncased", num_labels=3)
        >>> model, info = TFBertModel.from_pretrained(path, output_loading_info=True)
    """
    from keras_bert import hub
    from keras_bert.checkpoints.keras_weights import variable_table
    from keras_bert.config import load_model_config

    if model_args:
        raise TypeError(
            f"{cls.__name__}.from_pretrained takes no extra positional arguments, got {len(model_args)}; "
            "pass config= and other options by keyword"
        )
    args = hub.split_pretrained_kwargs(kwargs, model_kwargs=KERAS_MODEL_KWARGS)
    weights = directory = hub.resolve(name_or_path, "model", **args.hub)
    if os.path.isfile(directory):  # a weights file: transformers 4.x reads it with config= given
        if args.config is None:
            raise OSError(
                f"{cls.__name__}.from_pretrained({os.fspath(name_or_path)!r}): a file, not a checkpoint directory; "
                "pass the directory holding config.json and the weights, or pass config= to load this weights file"
            )
        directory = os.path.dirname(os.path.abspath(directory))
    config = load_model_config(directory, args, cls.__name__)
    config.name_or_path = os.fspath(name_or_path)
    state = load_checkpoint(weights)
    model = cls(config, **args.model_kwargs)
    model.build()
    shapes = {n: tuple(v.shape[::-1] if t else v.shape) for n, (v, t) in variable_table(model).items()}
    state, mismatched = hub.drop_mismatched(state, shapes, weights, args.ignore_mismatched_sizes)
    model.loading_info = load_state(model, state, source=weights)
    model.loading_info["mismatched_keys"] = mismatched
    model.load_extras(directory)
    return (model, model.loading_info) if args.output_loading_info else model


def hf_state_dict(model) -> dict:
    """The model's weights as {HF PyTorch name: numpy array}, as its transformers class saves them."""
    state = checkpoint_state(state_dict(model), model.config)
    if model.spec.hf_name == "BertModel":
        return to_base_model_names(state)
    return state


def save_pretrained(model, directory, format: str = "hf"):
    """Writes `config.json` plus the weights into `directory` (created with umask modes; other
    files there are kept). The weights go to a temporary file that is renamed in when complete
    (`keras_bert.atomic.atomic_file`), so an interrupted save never leaves half a weights file.

    `format="hf"`: `model.safetensors` in HF PyTorch naming (transformers v5 reads it).
    `format="tf-h5"`: `tf_model.h5` laid out as transformers 4.x `TFBert*.save_pretrained` writes it.
    """
    if format not in SAVE_FORMATS:
        raise ValueError(f"Unknown save format {format!r}; supported: {', '.join(SAVE_FORMATS)}")
    from keras_bert.atomic import atomic_file, check_target

    directory = os.fspath(directory)
    if os.path.lexists(directory) and not os.path.isdir(directory):
        raise NotADirectoryError(20, f"save_pretrained: {directory!r} is a file, not a directory", directory)
    check_target(os.path.join(directory, "config.json"))
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

    with atomic_file(weights) as tmp:
        write(tmp)
    model.config.copy(architectures=[model.spec.hf_name]).save_pretrained(directory)
    model.save_extras(directory)
