"""Read and write Hugging Face PyTorch-format weights as `{name: numpy array}`.

Formats: `model.safetensors`, `pytorch_model.bin` (read with
`torch.load(weights_only=True)`, so a pickle holding code is refused), and the
sharded variants with `*.index.json` (read by shards.py). Names come back exactly as
stored; the name table (`names.py`) canonicalizes them.
"""

from __future__ import annotations

import os

import numpy as np

from keras_bert.checkpoints.errors import CheckpointError, require_readable
from keras_bert.checkpoints.shards import read_index

SAFE_WEIGHTS = "model.safetensors"
SAFE_INDEX = "model.safetensors.index.json"
BIN_WEIGHTS = "pytorch_model.bin"
BIN_INDEX = "pytorch_model.bin.index.json"

__all__ = ["CheckpointError", "SAFE_WEIGHTS", "find_hf_weights", "read_hf_weights", "write_safetensors"]


def find_hf_weights(directory: str) -> str | None:
    """The weights file (or index) of an HF PyTorch checkpoint directory, or None."""
    for name in (SAFE_WEIGHTS, SAFE_INDEX, BIN_WEIGHTS, BIN_INDEX):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    return None


def read_safetensors(path: str) -> dict[str, np.ndarray]:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    require_readable(path)
    if os.path.isdir(path):
        raise CheckpointError(f"{path!r} is a directory, not a safetensors file")
    try:
        return load_file(path)
    except (SafetensorError, OSError, ValueError, OverflowError, MemoryError) as e:
        raise CheckpointError(
            f"Cannot read safetensors file {path!r}: {e} (truncated or not a safetensors file?)"
        ) from None


def read_torch_bin(path: str) -> dict[str, np.ndarray]:
    try:
        import torch
    except ImportError:
        raise CheckpointError(
            f"Reading {path!r} needs torch: pip install torch (or use a .safetensors checkpoint)"
        ) from None
    import pickle

    require_readable(path)
    if os.path.isdir(path):
        raise CheckpointError(f"{path!r} is a directory, not a PyTorch weights file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(
            f"Refusing to load {path!r}: it is not a plain tensor state dict (weights_only=True rejected it: {first})"
        ) from None
    except OSError as e:
        raise CheckpointError(f"Cannot read PyTorch file {path!r}: {e.strerror or e}") from None
    except Exception as e:  # noqa: BLE001 - torch.load on a non-checkpoint raises KeyError, ValueError, ...
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise CheckpointError(
            f"Cannot read PyTorch file {path!r}: not a PyTorch checkpoint ({type(e).__name__}: {first})"
        ) from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{path!r} does not hold a state dict of tensors")
    out = {}
    for k, v in state.items():
        v = v.detach().cpu()
        out[k] = v.float().numpy() if v.dtype == torch.bfloat16 else v.numpy()
    return out


def _read_one(path: str) -> dict[str, np.ndarray]:
    if path.endswith(".safetensors"):
        return read_safetensors(path)
    return read_torch_bin(path)


def read_sharded(index_path: str) -> dict[str, np.ndarray]:
    weight_map = read_index(index_path)
    out: dict[str, np.ndarray] = {}
    for shard_path in sorted(set(weight_map.values())):
        out.update(_read_one(shard_path))
    missing = set(weight_map) - set(out)
    if missing:
        raise CheckpointError(f"{index_path!r} lists tensors no shard holds: {sorted(missing)[:5]}")
    return out


def read_hf_weights(path: str) -> dict[str, np.ndarray]:
    """Reads a weights file, a shard index, or a directory holding either."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise CheckpointError(f"Checkpoint path {path!r} does not exist")
    if os.path.isdir(path):
        found = find_hf_weights(path)
        if found is None:
            raise CheckpointError(
                f"No HF weights in {path!r}: expected one of {SAFE_WEIGHTS}, {SAFE_INDEX}, {BIN_WEIGHTS}, {BIN_INDEX}"
            )
        path = found
    if path.endswith(".index.json"):
        return read_sharded(path)
    return _read_one(path)


def write_safetensors(state: dict[str, np.ndarray], path: str, metadata: dict | None = None):
    from safetensors.numpy import save_file

    save_file({k: np.ascontiguousarray(v) for k, v in state.items()}, path, metadata=metadata or {"format": "pt"})
