"""A Hugging Face hub cache in huggingface_hub's own layout, built from local files (no network).

    <cache>/models--<org>--<name>/refs/main             the snapshot hash
    <cache>/models--<org>--<name>/snapshots/<hash>/...  the files (copies here; blobs are not needed)

Point `HF_HUB_CACHE` at `<cache>` and set `HF_HUB_OFFLINE=1`: `from_pretrained("<org>/<name>")` must
then resolve from it as it would on a machine that downloaded the model once.
"""

import hashlib
import os
import shutil

FILES = (
    "config.json",
    "model.safetensors",
    "vocab.txt",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
)


def add_model(cache_dir, repo_id: str, source_dir, files=FILES) -> str:
    """Copies `files` (those present) of `source_dir` into the cache as `repo_id`; returns the snapshot dir."""
    folder = os.path.join(os.fspath(cache_dir), "models--" + repo_id.replace("/", "--"))
    revision = hashlib.sha1(repo_id.encode()).hexdigest()
    snapshot = os.path.join(folder, "snapshots", revision)
    os.makedirs(snapshot, exist_ok=True)
    os.makedirs(os.path.join(folder, "refs"), exist_ok=True)
    with open(os.path.join(folder, "refs", "main"), "w") as f:
        f.write(revision)
    for name in files:
        source = os.path.join(os.fspath(source_dir), name)
        if os.path.exists(source):
            shutil.copyfile(source, os.path.join(snapshot, name))
    return snapshot
