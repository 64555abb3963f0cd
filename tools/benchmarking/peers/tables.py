"""Rows of tables A, B and C from the workers' ready lines and timings (pure functions, tested).

    A  BERT-base, 1x128 and 8x128 with 25% padding, 1x128 without; fp32 / bf16 / int8 groups
    B  BERT-base fp32 on the unpadded goal's workloads (examples/data b8, b32; half-padded 8x128)
    C  tokenizers, strings/s, ASCII and multilingual corpora

"real tok/s" counts real tokens (attention_mask == 1) over the median seconds of a pass.
"vs best peer" = median over repeats of the paired ratio to the fastest padded peer of the same
group (contenders.py says who is a peer), so 1.25 means 25% more real tokens/s than that peer.
"max |diff|" = largest |difference| of last_hidden_state[:2, :8, :8] (real positions) from the
fp32 twin's on the first batch of the point: ~1e-6 for fp32 (keras-hub ~5e-4: tanh GELU), ~1e-2
to 5e-2 for bf16 or int8; a peer that loaded the wrong weights shows ~1.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import numpy as np

from .. import timing


@dataclass(frozen=True)
class Point:
    table: str  # "A" or "B"
    label: str  # e.g. "8x128 25% pad", "examples/data b32"
    real_tokens: int  # per pass
    padding: float  # share of positions that are padding, over the pass
    path: str = ""  # the .npz the workers read


def best_peer(times, contenders):
    """The name of the fastest padded peer in `times` (lowest median seconds), or None."""
    peers = [c.name for c in contenders if c.peer and not c.unpadded and c.name in times]
    return min(peers, key=lambda n: statistics.median(times[n])) if peers else None


def model_rows(group, points, contenders, ready, times, reference):
    """One row per (point, contender) of a precision group.

    ready: {name: ready line}; times: [{name: [s, ...]}] per point; reference: [probe] per point
    (the fp32 twin's) or None.
    """
    rows = []
    for index, point in enumerate(points):
        point_times = times[index] if index < len(times) else {}
        best = best_peer(point_times, contenders)
        for c in contenders:
            row = dict(table=point.table, point=point.label, padding=f"{100 * point.padding:.1f}%", precision=group)
            row["contender"] = c.name
            info = ready.get(c.name, {})
            if c.name not in point_times:
                row["error"] = one_line(info.get("error", "not timed"))
                rows.append(row)
                continue
            row["real tok/s"] = round(point.real_tokens / statistics.median(point_times[c.name]), 1)
            if best is not None:
                row["vs best peer"] = timing.paired_ratio(point_times, c.name, best)  # unrounded: checks compare it
                row["best peer"] = best
            probes = info.get("points", [])
            if reference is not None and index < len(probes) and reference[index] is not None:
                diff = np.abs(np.asarray(probes[index]["probe"]) - np.asarray(reference[index])).max()
                row["max |diff|"] = float(f"{diff:.2e}")
            row["version"] = info.get("version", "")
            rows.append(row)
    return rows


def tokenizer_rows(corpora, contenders, ready, times, reference_ids, tf457, rust):
    """One row per (corpus, contender): strings/s, paired ratios over tf457 and Rust, exactness.

    corpora: [(label, n_strings)]; reference_ids: [[ids per row] per corpus] from the pure-Python
    BertTokenizer; exactness = share of rows whose ids equal the reference's.
    """
    rows = []
    for index, (label, n) in enumerate(corpora):
        point_times = times[index] if index < len(times) else {}
        for c in contenders:
            row = dict(table="C", corpus=label, strings=n, contender=c.name)
            info = ready.get(c.name, {})
            if c.name not in point_times:
                row["error"] = one_line(info.get("error", "not timed"))
                rows.append(row)
                continue
            row["strings/s"] = round(n / statistics.median(point_times[c.name]), 1)
            for key, other in (("vs transformers 4.57", tf457), ("vs Rust", rust)):
                if other in point_times and other != c.name:
                    row[key] = timing.paired_ratio(point_times, c.name, other)
            got = info["points"][index]["ids"]
            row["exact"] = exact_share(got, reference_ids[index])
            row["version"] = info.get("version", "")
            rows.append(row)
    return rows


def exact_share(rows, reference):
    """Share of rows equal to the reference's (a missing row counts as unequal)."""
    if not reference:
        return 0.0
    return sum(list(a) == list(b) for a, b in zip(rows, reference)) / len(reference)  # unrounded: 100% means all


def one_line(text, n=200):
    """`text` fit for a Markdown cell: one line, no pipes, at most n characters."""
    return " ".join(str(text).split()).replace("|", "/")[:n]
