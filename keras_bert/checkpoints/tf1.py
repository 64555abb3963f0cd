"""Google's original TF1 BERT checkpoints (`bert_model.ckpt.index` + `.data-*`).

Variable names are those of google-research/bert `modeling.py` and `run_*.py`:

    bert/embeddings/word_embeddings                  [V, H]   (no `/weight` suffix)
    bert/embeddings/{position,token_type}_embeddings
    bert/embeddings/LayerNorm/{gamma,beta}
    bert/encoder/layer_0/attention/self/query/{kernel,bias}   kernel [in, out]
    bert/pooler/dense/{kernel,bias}
    cls/predictions/transform/dense/..., cls/predictions/output_bias
    cls/seq_relationship/output_weights              [2, H]   (already [out, in])
    output_weights / output_bias                     run_classifier.py head [num_labels, H]
    cls/squad/output_weights / output_bias           run_squad.py head [2, H]

Optimizer slots (`.../adam_m`, `.../adam_v`), `global_step` and other training state
are skipped. The fixed names and skip patterns are the `TF1_*` tables in names.py.
Reading needs TensorFlow (`tf.train.load_checkpoint`).

Google's BERT has no untied MLM decoder (its output layer is always the word-embedding
matrix), so a TF1 checkpoint never holds `cls.predictions.decoder.*`; and we write no TF1
checkpoints: an untied model is saved as HF safetensors, tf_model.h5 or Keras native.
"""

from __future__ import annotations

import glob
import logging
import os
import re

import numpy as np

from keras_bert.checkpoints import names as N
from keras_bert.checkpoints.errors import CheckpointError

logger = logging.getLogger("keras_bert")


def tf1_to_canonical(name: str) -> tuple[str | None, bool]:
    """Google name -> (canonical name, transpose?); (None, False) for training state."""
    if N.TF1_SKIP.search(name):
        return None, False
    if name in N.TF1_FIXED:
        return N.TF1_FIXED[name], False
    parts = [N.TF1_LAYER_INDEX.sub(r"layer.\1", p) for p in name.split("/")]
    if parts[-1].endswith(N.TF1_TABLE_SUFFIX):
        return ".".join(parts + ["weight"]), False
    parts[-1], transpose = N.TF1_LEAVES.get(parts[-1], (parts[-1], False))
    return ".".join(parts), transpose


def find_tf1_prefix(path: str) -> str | None:
    """The checkpoint prefix (`dir/bert_model.ckpt`) for a directory, an `.index` file or a prefix."""
    path = os.fspath(path)
    if os.path.isdir(path):
        state = os.path.join(path, "checkpoint")
        if os.path.exists(state):
            try:
                import tensorflow as tf

                latest = tf.train.latest_checkpoint(path)
                if latest:
                    return latest
            except Exception:  # noqa: BLE001 - a broken `checkpoint` file falls back to globbing
                pass
        indexes = sorted(glob.glob(os.path.join(path, "*.index")))
        indexes = [p for p in indexes if not p.endswith(".index.json")]
        if not indexes:
            return None
        preferred = [p for p in indexes if os.path.basename(p).startswith("bert_model.ckpt")]
        return (preferred or indexes)[-1][: -len(".index")]
    if path.endswith(".index") and os.path.exists(path):
        return path[: -len(".index")]
    if re.search(r"\.data-\d+-of-\d+$", path):
        return re.sub(r"\.data-\d+-of-\d+$", "", path)
    if os.path.exists(path + ".index"):
        return path
    return None


def read_tf1(path: str) -> dict[str, np.ndarray]:
    """A TF1 checkpoint (directory, prefix or `.index` file) -> {canonical name: torch-layout array}."""
    prefix = find_tf1_prefix(path)
    if prefix is None:
        raise CheckpointError(f"No TF1 checkpoint (*.ckpt.index) at {os.fspath(path)!r}")
    import tensorflow as tf

    try:
        reader = tf.train.load_checkpoint(prefix)
        shapes = reader.get_variable_to_shape_map()
    except Exception as e:  # noqa: BLE001 - TF raises DataLossError, NotFoundError, ...
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(
            f"Cannot read TF1 checkpoint {prefix!r}: {first} (truncated or missing .data file?)"
        ) from None
    out: dict[str, np.ndarray] = {}
    skipped = []
    for name in sorted(shapes):
        canonical, transpose = tf1_to_canonical(name)
        if canonical is None:
            skipped.append(name)
            continue
        try:
            value = np.asarray(reader.get_tensor(name))
        except Exception as e:  # noqa: BLE001
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise CheckpointError(
                f"Cannot read TF1 checkpoint {prefix!r}: tensor {name!r}: {first} (truncated or corrupt .data file?)"
            ) from None
        out[canonical] = np.ascontiguousarray(value.T) if transpose and value.ndim == 2 else value
    if not out:
        raise CheckpointError(
            f"TF1 checkpoint {prefix!r} holds no model weights (only {len(skipped)} training variables)"
        )
    logger.debug("%s: skipped %d optimizer/training variables", prefix, len(skipped))
    return out
