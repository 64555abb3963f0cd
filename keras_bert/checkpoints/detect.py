"""Format auto-detection: which reader a path needs, by file names first, then by content.

Formats (`detect_format` returns the name):

    hf       model.safetensors, pytorch_model.bin, their sharded *.index.json
    tf-h5    tf_model.h5 (transformers 4.x TF), sharded with tf_model.h5.index.json
    tf1      Google TF1 checkpoint: bert_model.ckpt.index + .data-*, bert_config.json
    keras    Keras native: *.keras (model.save) or *.weights.h5 (model.save_weights)

In a directory holding several, the first in that order wins.
"""

from __future__ import annotations

import os

import numpy as np

from keras_bert.checkpoints import hf_pytorch, keras_native, tf1, tf_h5
from keras_bert.checkpoints.errors import CheckpointError, require_readable
from keras_bert.checkpoints.names import (
    CLASSIFIER_PREFIX,
    DECODER_WEIGHT,
    HEAD_CLASSES,
    MLM_PREFIX,
    NSP_PREFIX,
    POOLER_PREFIX,
    QA_PREFIX,
    WORD_EMBEDDINGS,
    guess_head,
)

__all__ = [
    "FORMATS",
    "HEAD_CLASSES",
    "detect_format",
    "read_weights",
    "heads_present",
    "guess_head",
    "check_config",
    "CheckpointError",
]
FORMATS = ("hf", "tf-h5", "tf1", "keras")
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def _sniff(path: str) -> str | None:
    """Format of a single file from its first bytes."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return None
    if head.startswith(_HDF5_MAGIC):
        import h5py

        try:
            with h5py.File(path, "r") as f:
                return "tf-h5" if ("layer_names" in f.attrs or "layer_names0" in f.attrs) else "keras"
        except OSError:
            return "tf-h5"  # truncated HDF5: let the reader name the problem
    if head.startswith(b"PK"):
        import zipfile

        try:
            names = zipfile.ZipFile(path).namelist()
        except zipfile.BadZipFile:
            return "hf"
        return "keras" if "metadata.json" in names and "model.weights.h5" in names else "hf"
    if len(head) >= 9 and head[8:9] == b"{":
        return "hf"  # safetensors: u64 header length, then the JSON header
    return None


def detect_format(path) -> tuple[str, str]:
    """(format, path to hand its reader) for a checkpoint file or directory."""
    path = os.fspath(path)
    if os.path.isdir(path):
        require_readable(path, "checkpoint directory")
        if hf_pytorch.find_hf_weights(path):
            return "hf", path
        for name in (tf_h5.TF_WEIGHTS, tf_h5.TF_INDEX):
            if os.path.exists(os.path.join(path, name)):
                return "tf-h5", os.path.join(path, name)
        if tf1.find_tf1_prefix(path):
            return "tf1", path
        found = keras_native.find_keras_native(path)
        if found:
            return "keras", found
        listing = ", ".join(sorted(os.listdir(path))[:10]) or "nothing"
        raise CheckpointError(
            f"Unknown checkpoint format in {path!r}: No HF weights (model.safetensors, pytorch_model.bin), "
            f"tf_model.h5, bert_model.ckpt.index or *.keras / *.weights.h5; it holds {listing}"
        )
    if not os.path.exists(path):
        if tf1.find_tf1_prefix(path):
            return "tf1", path
        raise CheckpointError(f"Checkpoint path {path!r} does not exist")
    require_readable(path)
    base = os.path.basename(path)
    if base.endswith(".index.json"):
        return ("tf-h5" if base.startswith("tf_model") else "hf"), path
    if base.endswith((".keras", ".weights.h5")):
        return "keras", path
    if base.endswith(".index") or ".data-" in base:
        return "tf1", path
    if base.endswith((".safetensors", ".bin", ".pt", ".pth")):
        return "hf", path
    sniffed = _sniff(path)
    if sniffed is None:
        raise CheckpointError(f"Unknown checkpoint format: {path!r} is not safetensors, PyTorch, HDF5, Keras or TF1")
    return sniffed, path


def read_weights(path) -> dict[str, np.ndarray]:
    """Reads any supported checkpoint. HF PyTorch names come back as stored (see
    `names.canonicalize`); every other format comes back in canonical names."""
    fmt, resolved = detect_format(path)
    if fmt == "hf":
        return hf_pytorch.read_hf_weights(resolved)
    if fmt == "tf-h5":
        return tf_h5.read_tf_h5(resolved)
    if fmt == "tf1":
        return tf1.read_tf1(resolved)
    return keras_native.read_keras_native(resolved)


# -- which model a checkpoint holds ------------------------------------------------------
def heads_present(state) -> list[str]:
    """Human names of the parts a canonical state holds beyond the encoder."""
    found = []
    if any(k.startswith(POOLER_PREFIX) for k in state):
        found.append("pooler")
    if any(k.startswith(MLM_PREFIX) for k in state):
        found.append("mlm (untied decoder)" if DECODER_WEIGHT in state else "mlm")
    if any(k.startswith(NSP_PREFIX) for k in state):
        found.append("nsp")
    if CLASSIFIER_PREFIX + "weight" in state:
        found.append(f"classifier({np.shape(state[CLASSIFIER_PREFIX + 'weight'])[0]} outputs)")
    if QA_PREFIX + "weight" in state:
        found.append("qa_outputs")
    return found


def check_config(state, config) -> list[str]:
    """Disagreements between a config and a canonical state (empty when they fit)."""
    problems = []
    emb = state.get(WORD_EMBEDDINGS)
    if emb is None:
        return [f"the weights have no {WORD_EMBEDDINGS}"]
    if tuple(emb.shape) != (config.vocab_size, config.hidden_size):
        problems.append(
            f"word embeddings are {tuple(emb.shape)} but config says vocab_size={config.vocab_size}, "
            f"hidden_size={config.hidden_size}"
        )
    layers = {int(k.split(".")[3]) for k in state if k.startswith("bert.encoder.layer.")}
    if layers and len(layers) != config.num_hidden_layers:
        problems.append(
            f"the weights hold {len(layers)} encoder layers but config says num_hidden_layers={config.num_hidden_layers}"
        )
    return problems
