"""Checkpoint formats. Readers return `{canonical HF name: numpy array}`; see names.py."""

from keras_bert.checkpoints.hf_pytorch import CheckpointError, read_hf_weights, write_safetensors
from keras_bert.checkpoints.names import canonicalize


def load_checkpoint(path) -> dict:
    """Reads any supported checkpoint at `path` into canonical names."""
    return canonicalize(read_hf_weights(path))


__all__ = ["CheckpointError", "load_checkpoint", "read_hf_weights", "write_safetensors", "canonicalize"]
