"""Keras-native weights: a `.keras` archive (`model.save`) or a `.weights.h5` file (`model.save_weights`).

Keras 3 stores variables by object path (`bert/encoder/layer/tf_bert_layer/...`), not
by checkpoint name, so reading builds the keras_bert model and lets Keras load it:

- `model.keras`: self-describing (class and BertConfig inside the archive).
- `*.weights.h5`: needs `config.json` in the same directory; the class comes from its
  `architectures`, else from the head groups present in the file (`cls/predictions`,
  `cls/seq_relationship`, `classifier`, `qa_outputs`, `bert/pooler`).

A directory is read when it holds exactly one `*.keras` or `*.weights.h5` file
(`model.keras` / `model.weights.h5` win). Needs TensorFlow/Keras.
"""

from __future__ import annotations

import glob
import os

import numpy as np

from keras_bert.checkpoints.hf_pytorch import CheckpointError

KERAS_MODEL = "model.keras"
KERAS_WEIGHTS = "model.weights.h5"


def find_keras_native(directory: str) -> str | None:
    for name in (KERAS_MODEL, KERAS_WEIGHTS):
        if os.path.exists(os.path.join(directory, name)):
            return os.path.join(directory, name)
    found = sorted(glob.glob(os.path.join(directory, "*.keras")) + glob.glob(os.path.join(directory, "*.weights.h5")))
    return found[0] if len(found) == 1 else None


def _h5_heads(path: str) -> set[str]:
    import h5py

    with h5py.File(path, "r") as f:
        return {
            n for n in ("cls/predictions", "cls/seq_relationship", "classifier", "qa_outputs", "bert/pooler") if n in f
        }


def keras_class_from_groups(heads: set[str]) -> str:
    if "cls/predictions" in heads and "cls/seq_relationship" in heads:
        return "TFBertForPreTraining"
    if "cls/predictions" in heads:
        return "TFBertForMaskedLM"
    if "cls/seq_relationship" in heads:
        return "TFBertForNextSentencePrediction"
    if "qa_outputs" in heads:
        return "TFBertForQuestionAnswering"
    if "classifier" in heads:
        return "TFBertForSequenceClassification" if "bert/pooler" in heads else "TFBertForTokenClassification"
    return "TFBertModel"


def load_keras_native_model(path: str):
    """The keras_bert model stored at `path` (a `.keras`/`.weights.h5` file or a directory)."""
    import keras

    import keras_bert.models as models
    from keras_bert.config import BertConfig

    path = os.fspath(path)
    if os.path.isdir(path):
        found = find_keras_native(path)
        if found is None:
            raise CheckpointError(f"No single *.keras or *.weights.h5 file in {path!r}")
        path = found
    try:
        if path.endswith(".keras"):
            model = keras.saving.load_model(path, compile=False)
            if not isinstance(model, models.TFBertPreTrainedModel):
                raise CheckpointError(f"{path!r} holds a {type(model).__name__}, not a keras_bert model")
            return model
        config_path = os.path.join(os.path.dirname(path) or ".", "config.json")
        if not os.path.exists(config_path):
            raise CheckpointError(f"{path!r} holds Keras weights only; put its config.json beside it")
        config = BertConfig.from_json_file(config_path)
        name = (
            "TF" + config.architectures[0].removeprefix("TF")
            if config.architectures
            else keras_class_from_groups(_h5_heads(path))
        )
        cls = getattr(models, name, None)
        if cls is None:
            raise CheckpointError(f"{config_path!r}: unknown architecture {config.architectures[0]!r}")
        model = cls(config)
        model.build()
        model.load_weights(path)
        return model
    except CheckpointError:
        raise
    except Exception as e:  # noqa: BLE001 - Keras raises ValueError, OSError, zipfile errors, ...
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(f"Cannot read Keras weights {path!r}: {first}") from None


def read_keras_native(path: str) -> dict[str, np.ndarray]:
    """{canonical name: torch-layout array} of the Keras-native model at `path`."""
    from keras_bert.checkpoints.keras_weights import state_dict

    return state_dict(load_keras_native_model(path))
