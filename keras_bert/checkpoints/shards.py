"""Shard indexes (`model.safetensors.index.json`, `pytorch_model.bin.index.json`,
`tf_model.h5.index.json`): one reader for every format.

An index is `{"metadata": {...}, "weight_map": {tensor name: shard file name}}`, the shard
names relative to the index's directory. A checkpoint is data from elsewhere, so a shard
name that leaves that directory (an absolute path, `..`, a symlink pointing outside) is
refused, naming the index and the entry, before anything is opened.
"""

from __future__ import annotations

import json
import os

from keras_bert.checkpoints.errors import CheckpointError


def _inside(path: str, directory: str) -> bool:
    return os.path.commonpath([path, directory]) == directory


def check_shard_name(index_path: str, tensor: str, shard) -> str:
    """`shard` if it is a relative file name that stays beside the index (no absolute path, no
    `..`); else CheckpointError naming the index and the entry. Used before a hub download too."""
    where = f"shard index {index_path!r}, entry {tensor!r} -> {shard!r}"
    if not isinstance(shard, str) or not shard:
        raise CheckpointError(f"Bad {where}: expected a shard file name")
    if os.path.isabs(shard) or os.path.splitdrive(shard)[0] or shard.startswith(("/", "\\")):
        raise CheckpointError(f"Refusing {where}: an absolute path; shards must lie beside the index")
    if ".." in shard.replace("\\", "/").split("/"):
        raise CheckpointError(f"Refusing {where}: `..` leaves the checkpoint directory")
    return shard


def _shard_path(index_path: str, directory: str, tensor: str, shard) -> str:
    where = f"shard index {index_path!r}, entry {tensor!r} -> {shard!r}"
    check_shard_name(index_path, tensor, shard)
    path = os.path.join(directory, shard)
    real_dir = os.path.realpath(directory)
    if not _inside(os.path.realpath(path), real_dir):
        raise CheckpointError(
            f"Refusing {where}: it resolves to {os.path.realpath(path)!r}, outside the checkpoint directory {real_dir!r}"
        )
    return path


def read_index(index_path: str) -> dict[str, str]:
    """{tensor name: shard path} of a shard index; every shard is checked to stay in the
    index's directory and to exist."""
    index_path = os.fspath(index_path)
    try:
        with open(index_path, encoding="utf-8") as f:
            weight_map = json.load(f)["weight_map"]
        items = list(weight_map.items())
    except (OSError, json.JSONDecodeError, KeyError, TypeError, AttributeError) as e:
        raise CheckpointError(
            f"Bad shard index {index_path!r}: {e!r} (expected JSON with a `weight_map` of tensor -> shard file)"
        ) from None
    directory = os.path.dirname(index_path) or "."
    out = {tensor: _shard_path(index_path, directory, tensor, shard) for tensor, shard in items}
    for shard in sorted(set(out.values())):
        if not os.path.exists(shard):
            raise CheckpointError(f"Shard {shard!r} listed in {index_path!r} does not exist")
    return out


def shard_files(index_path: str) -> list[str]:
    """The distinct shard paths of an index, sorted (see `read_index`)."""
    return sorted(set(read_index(index_path).values()))
