"""Which Keras backend runs the models, and the one gate for features that need TensorFlow.

The models, heads, losses, `fit`/`evaluate`/`predict`, checkpoints (safetensors, `tf_model.h5`
through h5py, `.keras`) and the Python and Rust tokenizers are written in `keras.ops` / NumPy and
run on every Keras 3 backend (`KERAS_BACKEND=tensorflow`, `jax` or `torch`). A few features are
TensorFlow programs by nature: `TFBertTokenizer` (tensorflow-text), SavedModel export, the
`tf.data` helpers (`prepare_tf_dataset`), the TF1 checkpoint reader, `keras_bert.train` with a
`tf.distribute` strategy and `generate()`. They import TensorFlow only when used, through
`require_tensorflow`, so on JAX and torch nothing imports TensorFlow until one of them runs, and
one that cannot says what to install.

This module imports neither Keras nor TensorFlow: `backend()` reads Keras' choice when Keras is
already imported and the same sources Keras reads (`KERAS_BACKEND`, `~/.keras/keras.json`)
otherwise.
"""

from __future__ import annotations

import json
import os
import sys

TENSORFLOW_PIN = "tensorflow==2.21.*"
BACKENDS = ("tensorflow", "jax", "torch")


def backend() -> str:
    """The active Keras backend name: 'tensorflow', 'jax', 'torch' (or 'numpy')."""
    keras = sys.modules.get("keras")
    if keras is not None and hasattr(keras, "backend"):
        return keras.backend.backend()
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    try:
        with open(os.path.join(home, "keras.json")) as f:
            return json.load(f).get("backend", "tensorflow")
    except (OSError, ValueError):
        return "tensorflow"


def is_tensorflow() -> bool:
    return backend() == "tensorflow"


def require_tensorflow(feature: str):
    """Imports and returns `tensorflow` for `feature` (a short description such as
    "TFBertTokenizer"), or raises ImportError naming the feature and what to install."""
    try:
        import tensorflow as tf
    except ImportError as error:
        raise ImportError(
            f"{feature} needs TensorFlow, which is not installed (Keras backend: {backend()}): "
            f"pip install '{TENSORFLOW_PIN}'. The models, checkpoints and the BertTokenizer / "
            "BertTokenizerFast tokenizers run without it on the jax and torch backends."
        ) from error
    return tf


def require_tensorflow_backend(feature: str):
    """Raises ValueError unless Keras runs on TensorFlow: for features whose tensors must be
    TensorFlow tensors (graph functions, tf.distribute). Returns `tensorflow`; imports it only on
    the TensorFlow backend."""
    if not is_tensorflow():
        raise ValueError(
            f"{feature} needs the TensorFlow backend of Keras, but KERAS_BACKEND is {backend()!r}; "
            "set KERAS_BACKEND=tensorflow before importing keras (or use the jax/torch tools: "
            "keras.distribution, model.stateless_call)"
        )
    return require_tensorflow(feature)
