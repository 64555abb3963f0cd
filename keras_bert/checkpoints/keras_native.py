"""Keras-native weights: a `.keras` archive (`model.save`) or a `.weights.h5` file (`model.save_weights`).

Keras 3 stores variables by object path (`bert/encoder/layer/tf_bert_layer/...`), not
by checkpoint name, so reading builds the keras_bert model and lets Keras load it:

- `model.keras`: self-describing (class and BertConfig inside the archive).
- `*.weights.h5`: needs `config.json` in the same directory; the class comes from its
  `architectures`, else from the head groups present in the file (`names.KERAS_GROUPS`:
  `cls/predictions`, `cls/seq_relationship`, `classifier`, `qa_outputs`, `bert/pooler`).

A directory is read when it holds exactly one `*.keras` or `*.weights.h5` file
(`model.keras` / `model.weights.h5` win). Needs TensorFlow/Keras.

Checkpoint code never imports `keras_bert.models` (that would close an import cycle):
model classes come from the Keras registry (`keras_bert>TFBertForMaskedLM`), where they
register when `keras_bert.models` is imported, or as the `classes` argument.
"""

from __future__ import annotations

import glob
import json
import os
import zipfile

import numpy as np

from keras_bert.checkpoints.errors import CheckpointError
from keras_bert.checkpoints.names import HEAD_CLASSES, KERAS_GROUPS, guess_head

KERAS_MODEL = "model.keras"
KERAS_WEIGHTS = "model.weights.h5"
REGISTRY_PACKAGE = "keras_bert"


def find_keras_native(directory: str) -> str | None:
    for name in (KERAS_MODEL, KERAS_WEIGHTS):
        if os.path.exists(os.path.join(directory, name)):
            return os.path.join(directory, name)
    found = sorted(glob.glob(os.path.join(directory, "*.keras")) + glob.glob(os.path.join(directory, "*.weights.h5")))
    return found[0] if len(found) == 1 else None


def _h5_parts(path: str) -> set[str]:
    """Canonical prefixes (`names.KERAS_GROUPS`) of the parts a `.weights.h5` file holds."""
    import h5py

    with h5py.File(path, "r") as f:
        return {prefix for group, prefix in KERAS_GROUPS.items() if group in f}


def registered_class(name: str, path: str, classes=None):
    """The keras_bert model class `name` (`TFBertForMaskedLM`): from `classes` (a mapping
    name -> class) when given, else from the Keras registry."""
    if classes is not None and name in classes:
        return classes[name]
    import keras

    cls = keras.saving.get_registered_object(f"{REGISTRY_PACKAGE}>{name}")
    if cls is None:
        raise CheckpointError(
            f"Cannot read {path!r}: model class {name!r} is not registered with Keras as "
            f"'{REGISTRY_PACKAGE}>{name}'; import keras_bert.models (or keras_bert) before loading Keras-native files"
        )
    return cls


def _archive_class(path: str) -> str | None:
    """The registered name (`keras_bert>TFBertModel`) of the model in a `.keras` archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None  # let Keras name the problem
    return config.get("registered_name") if isinstance(config, dict) else None


def load_keras_native_model(path: str, classes=None):
    """The keras_bert model stored at `path` (a `.keras`/`.weights.h5` file or a directory).

    `classes` optionally maps class names (`TFBertModel`) to classes; by default they come
    from the Keras registry, so `keras_bert.models` must have been imported.
    """
    import keras

    from keras_bert.config import BertConfig

    path = os.fspath(path)
    if os.path.isdir(path):
        found = find_keras_native(path)
        if found is None:
            raise CheckpointError(f"No single *.keras or *.weights.h5 file in {path!r}")
        path = found
    try:
        if path.endswith(".keras"):
            registered = _archive_class(path)
            package, _, name = (registered or "").partition(">")
            if package != REGISTRY_PACKAGE:
                raise CheckpointError(
                    f"{path!r} holds a {registered or 'model of unknown class'}, not a keras_bert model"
                )
            cls = registered_class(name, path, classes)
            custom = {registered: cls} if classes is not None else None
            # safe_mode=True (explicit, not the default): a Lambda layer's pickled code is refused.
            model = keras.saving.load_model(path, compile=False, custom_objects=custom, safe_mode=True)
            if not hasattr(model, "hf_class_name"):
                raise CheckpointError(f"{path!r} holds a {type(model).__name__}, not a keras_bert model")
            return model
        config_path = os.path.join(os.path.dirname(path) or ".", "config.json")
        if not os.path.exists(config_path):
            raise CheckpointError(f"{path!r} holds Keras weights only; put its config.json beside it")
        config = BertConfig.from_json_file(config_path)
        if config.architectures and config.architectures[0].removeprefix("TF") not in HEAD_CLASSES:
            raise CheckpointError(
                f"{config_path!r}: unknown architecture {config.architectures[0]!r}; expected one of {HEAD_CLASSES}"
            )
        name = "TF" + guess_head(_h5_parts(path), config)
        model = registered_class(name, path, classes)(config)
        model.build()
        model.load_weights(path)
        return model
    except CheckpointError:
        raise
    except Exception as e:  # noqa: BLE001 - Keras raises ValueError, OSError, zipfile errors, ...
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(f"Cannot read Keras weights {path!r}: {first}") from None


def read_keras_native(path: str, classes=None) -> dict[str, np.ndarray]:
    """{canonical name: torch-layout array} of what the Keras-native model at `path` would
    write to a checkpoint (`names.checkpoint_state`: no tied aliases)."""
    from keras_bert.checkpoints.keras_weights import state_dict
    from keras_bert.checkpoints.names import checkpoint_state

    model = load_keras_native_model(path, classes)
    return checkpoint_state(state_dict(model), model.config)
