"""Checkpoint formats. Readers return `{canonical HF name: numpy array}`; see names.py.

`load_checkpoint(path)` detects the format (detect.py): HF PyTorch (safetensors, .bin,
sharded), HF TF `tf_model.h5` (sharded too), Google TF1 `bert_model.ckpt`, Keras native.
Which tensors a model takes is `names.resolve_state`; what a file holds for a model is
`names.checkpoint_state`. Nothing here imports TensorFlow, Keras, torch or
`keras_bert.models` at import time.
"""

from keras_bert.checkpoints.errors import CheckpointError
from keras_bert.checkpoints.hf_pytorch import read_hf_weights, write_safetensors
from keras_bert.checkpoints.names import canonicalize, checkpoint_state, resolve_state


def load_checkpoint(path) -> dict:
    """Reads any supported checkpoint at `path` into canonical names."""
    from keras_bert.checkpoints.detect import read_weights

    return canonicalize(read_weights(path))


def detect_format(path) -> str:
    """`hf`, `tf-h5`, `tf1` or `keras`; raises CheckpointError for anything else."""
    from keras_bert.checkpoints.detect import detect_format as detect

    return detect(path)[0]


__all__ = [
    "CheckpointError",
    "load_checkpoint",
    "detect_format",
    "read_hf_weights",
    "write_safetensors",
    "canonicalize",
    "resolve_state",
    "checkpoint_state",
]
