"""Checkpoint formats. Readers return `{canonical HF name: numpy array}`; see names.py."""

from keras_bert.checkpoints.hf_pytorch import CheckpointError, read_hf_weights, write_safetensors
from keras_bert.checkpoints.names import canonicalize

__all__ = ["CheckpointError", "read_hf_weights", "write_safetensors", "canonicalize"]
