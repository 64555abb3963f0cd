"""Rendering: Markdown tables per section, and the acceptance table against THRESHOLDS.

Every pass/fail threshold the report applies lives in THRESHOLDS (data, one place); the check
names are written from the same numbers, so a changed target changes its label too.
"""

from __future__ import annotations

import json

from .roofline import GEMM

THRESHOLDS = {
    "keras/sdpa": 1.0,  # keras tokens/s over twin SDPA, batch > 1
    "keras/sdpa batch 1": 0.9,  # the same at batch 1, where per-call overhead dominates
    "sdpa/eager": 1.0,  # twin SDPA no slower than twin eager
    "twin/transformers": 0.95,  # twin within 5% of transformers
    "keras %roof": 85,  # keras at BERT-base 8x128, % of the measured GEMM roofline
    "train vs twin": 1.1,  # keras train step time over the twin's, at most
    "retraces": 0,  # predict_fn traces after warm-up
    "cosine_min": 0.99,  # bf16/int8 embedding cosine vs fp32, worst sentence
    "argmax_agreement": 0.99,  # bf16/int8 classifier argmax agreement with fp32
    "checked/unchecked": 0.99,  # input checks cost < 1% (or an interval containing 1)
}
ROOFLINE_POINT = ("bert-base", 8, 128)

# Section titles, in report order.
TITLES = {
    "inference": "### (a) Inference, tokens/s (fp32, median; %roof = achieved GFLOP/s / best fp32 GEMM GFLOP/s of the run; gemm_gflops = the GEMM interleaved at that point; ratios are medians of paired per-repeat ratios; twin sdpa/eager columns and their ratio come from the A/B loop of single calls, with a 95% bootstrap interval)",
    "retrace": "### Retraces after warm-up (20 calls, mixed batch sizes and lengths)",
    "training": "### (b) Training step, sequence classification, AdamW (seconds, median)",
    "precision": "### (c') bf16 / int8 inference: speed and agreement vs fp32",
    "input_checks": "### Input checks: cost of in-graph input validation, BERT-base fp32 (checked/unchecked = speed ratio from the paired A/B loop, with its 95% bootstrap interval)",
    "tokenizer": "### (c) Tokenizer",
    "serving": "### (d) Serving",
    "backends": "### (e) Backends, tokens/s (fp32, one worker process per backend, paired ratios vs TensorFlow)",
    "unpadded": "### Unpadded execution, BERT-base fp32: tokens/s counted on real tokens, predict_fn padded vs unpadded=True (ratios: medians of paired per-repeat ratios, 95% bootstrap interval)",
    "acceptance": "### Acceptance",
}

# Column order where the rows' own order would scatter related columns.
COLUMNS = {
    "inference": [
        "model",
        "batch",
        "length",
        "keras tf.function",
        "keras XLA",
        "twin sdpa",
        "twin eager",
        "transformers sdpa",
        "keras/sdpa",
        "sdpa/eager",
        "sdpa/eager CI95",
        "A/B rounds",
        "twin/transformers",
        "gemm_gflops",
        "keras tf.function %roof",
        "keras XLA %roof",
        "twin sdpa %roof",
        "skipped",
    ],
}


def _pct(fraction):
    return f"{100 * fraction:.0f}%"


def _point(r):
    return f"{r['model']} {r['batch']}x{r['length']}"


def acceptance(results):
    """[{check, value, ok: "PASS" | "FAIL"}] for every threshold that applies to `results`."""
    t = THRESHOLDS
    checks = []
    inf = [r for r in results.get("inference", []) if "skipped" not in r]
    for r in inf:
        need = t["keras/sdpa batch 1"] if r["batch"] == 1 else t["keras/sdpa"]
        checks.append((f"keras >= {need}x twin sdpa, {_point(r)}", r["keras/sdpa"], r["keras/sdpa"] >= need))
        need = t["sdpa/eager"]
        checks.append((f"twin sdpa >= twin eager, {_point(r)}", r["sdpa/eager"], r["sdpa/eager"] >= need))
        if "twin/transformers" in r:
            need = t["twin/transformers"]
            label = f"twin within {_pct(1 - need)} of transformers, {_point(r)}"
            checks.append((label, r["twin/transformers"], r["twin/transformers"] >= need))
    for r in inf:
        if (r["model"], r["batch"], r["length"]) == ROOFLINE_POINT:
            best = max(r["keras tf.function %roof"], r.get("keras XLA %roof", 0))
            need = t["keras %roof"]
            checks.append((f"keras >= {need}% of matmul roofline, {_point(r)}", best, best >= need))
    train = results.get("training", [])
    if train:
        best = min(r["vs_twin"] for r in train if r["impl"].startswith("keras"))
        need = t["train vs twin"]
        checks.append((f"keras train step <= {need}x twin ({train[0]['model']})", best, best <= need))
    for r in results.get("retrace", []):
        if r["function"].startswith("predict_fn"):
            n, need = r["traces_after_warmup"], t["retraces"]
            most = "zero" if need == 0 else f"<= {need}"
            checks.append((f"{most} retraces: {r['function']}", n, n <= need))
    for r in results.get("precision", []):
        if r["variant"] != "fp32":
            need = t["cosine_min"]
            checks.append(
                (f"{r['variant']} embedding cosine >= {need} (min)", r["cosine_min"], r["cosine_min"] >= need)
            )
            need = t["argmax_agreement"]
            value = r["argmax_agreement"]
            checks.append((f"{r['variant']} argmax agreement >= {_pct(need)}", value, value >= need))
    for r in results.get("input_checks", []):
        need, ratio = t["checked/unchecked"], r["checked/unchecked"]
        ok = ratio >= need or r["CI95 low"] <= 1.0 <= r["CI95 high"]
        checks.append((f"input checks cost < {_pct(1 - need)}, {_point(r)}", ratio, ok))
    return [dict(check=c, value=v, ok="PASS" if ok else "FAIL") for c, v, ok in checks]


def table(rows, columns=None):
    """A Markdown table of `rows` (dicts); columns in first-seen order unless given."""
    if not rows:
        return "(no rows)\n"
    columns = columns or list(dict.fromkeys(k for r in rows for k in r))
    out = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for r in rows:
        out.append("| " + " | ".join(fmt(r.get(c, "")) for c in columns) + " |")
    return "\n".join(out) + "\n"


def fmt(v):
    if isinstance(v, float):
        return f"{v:.5g}" if abs(v) < 10 else f"{v:,.1f}"
    return str(v)


def render(results):
    """The whole report: machine, roofline, then one table per section present, acceptance last."""
    out = [f"Machine: {json.dumps(results['machine'])}\n"]
    m, k, n = GEMM
    out.append(f"### Roofline (GEMM {m}x{k} @ {k}x{n}, GFLOP/s)\n")
    roof = results["roofline"]
    out.append(table([dict(dtype=d, **{c: round(v, 1) for c, v in r.items()}) for d, r in roof.items()]))
    for key, title in TITLES.items():
        if key in results:
            out.append(title + "\n")
            cols = None
            if key in COLUMNS:
                present = {c for r in results[key] for c in r}
                cols = [c for c in COLUMNS[key] if c in present]
            out.append(table(results[key], cols))
    return "\n".join(out)
