"""Rendering: Markdown tables per section, and the acceptance table against THRESHOLDS.

Every pass/fail threshold the report applies lives in THRESHOLDS (data, one place); the check
names are written from the same numbers, so a changed target changes its label too.
"""

from __future__ import annotations

import json

from .peers import contenders
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
    # peers section (issue #17 items 1-4); ratios are paired, over the fastest padded peer of the precision
    "unpadded/best padded peer": 1.4,  # item 1: keras_bert unpadded fp32, each table-B workload
    "int8/ORT int8": 1.0,  # item 2: the best keras_bert int8 row over ONNX Runtime int8 dynamic, each table-A point
    "bf16/best peer bf16": 1.0,  # item 3: keras_bert bf16 over the best peer bf16, each table-A point
    "tokenizer/transformers 4.57": 1.0,  # item 4: strings/s over transformers 4.57 TFBertTokenizer
    "tokenizer/Rust": 3.0,  # item 4: strings/s over the Rust tokenizers library
    "tokenizer exact": 1.0,  # item 4: share of rows equal to BertTokenizer's
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
    "peers": "### Peers: every contender in its own process, rounds interleaved, 2 threads each; throughput on REAL tokens (attention_mask == 1); vs best peer = paired ratio to the fastest padded peer (anything but keras_bert's TF model) of the same precision; max |diff| = last_hidden_state vs the fp32 twin",
    "peer_tokenizers": "### Peers, table C alone: every tokenizer in its own process, rounds interleaved, 2 threads each",
    "peer_int8": "### Peers, table A's int8 group alone: every contender in its own process, rounds interleaved, 2 threads each; throughput on REAL tokens; vs best peer = paired ratio to ONNX Runtime int8 (dynamic); max |diff| = last_hidden_state vs the fp32 twin",
    "unpadded": "### Unpadded execution, BERT-base fp32: tokens/s counted on real tokens, predict_fn padded vs unpadded=True (ratios: medians of paired per-repeat ratios, 95% bootstrap interval)",
    "acceptance": "### Acceptance",
}

# Sections made of peers rows (the full section, then its parts run alone), rendered by render_peers.
PEER_SECTIONS = ("peers", "peer_int8", "peer_tokenizers")

# The peers section's tables, by the rows' "table" key.
PEER_TABLES = {
    "A": "#### (A) BERT-base tokens/s on REAL tokens, rows padded to 128 with 25% padding (and 1x128 without padding: equal work)",
    "B": "#### (B) The unpadded goal: BERT-base fp32 real tokens/s, examples/data lengths (padded to the longest row) and 8x128 half padded",
    "C": "#### (C) Tokenizers, strings/s (batches of 256, max_length 128); exact = share of rows equal to BertTokenizer (pure Python)",
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
    checks += peer_checks(results)
    verdict = {True: "PASS", False: "FAIL", None: "info"}  # None: a line given for reference, not a check
    return [dict(check=c, value=v, ok=verdict[ok if ok is None else bool(ok)]) for c, v, ok in checks]


def _ratio_check(label, row, key, need):
    """(label, value, ok); a missing row or ratio fails with the reason as its value."""
    if row is None:
        return (label, "missing: no row", False)
    if key not in row:
        return (label, f"missing: {row.get('error', f'no {key!r}')}"[:160], False)
    return (label, row[key], row[key] >= need)


def peer_checks(results):
    """Issue #17 items 1-4 from the rows of each peers section present (peers, peer_int8,
    peer_tokenizers); nothing when none ran. With more than one, each line names its section."""
    present = [key for key in PEER_SECTIONS if key in results]
    checks, agreement = [], True
    for key in present:
        tag = f" [{key}]" if len(present) > 1 else ""
        lines, agreement = _peer_section_checks(results[key], results, agreement)
        checks += [(label + tag, value, ok) for label, value, ok in lines]
    return checks


def _int8_speed_checks(point, find, need, ort):
    """Item 2 at one table-A point: the best keras_bert int8 row over ORT int8 (naming the row),
    then the plain predict_fn(quantize="int8") row's ratio for reference (ok None: not a check)."""
    ours = [c.name for c in contenders.MODEL_GROUPS["int8"] if not c.peer]
    found = [row for row in (find("A", point, name) for name in ours) if row is not None]
    timed = [row for row in found if "vs best peer" in row and row.get("best peer") == ort]
    if timed:
        best = max(timed, key=lambda row: row["vs best peer"])
        label = f"item 2: best keras_bert int8 row ({best['contender']}) >= {need}x {ort}, {point}"
        out = [_ratio_check(label, best, "vs best peer", need)]
    else:
        plain = find("A", point, contenders.INT8_PLAIN)
        reason = plain if plain is not None else (found[0] if found else None)
        if any("vs best peer" in row for row in found):
            reason = dict(error=f"{ort} not timed")
        out = [
            _ratio_check(f"item 2: best keras_bert int8 row >= {need}x {ort}, {point}", reason, "vs best peer", need)
        ]
    plain = find("A", point, contenders.INT8_PLAIN)
    label = f"item 2 reference (not a check): {contenders.INT8_PLAIN} (predict_fn, padded) / {ort}, {point}"
    if plain is not None and "vs best peer" in plain and plain.get("best peer") == ort:
        out.append((label, plain["vs best peer"], None))
    else:
        reason = "no row" if plain is None else plain.get("error", f"{ort} not timed")
        out.append((label, f"missing: {reason}"[:160], None))
    return out


def _unpadded_checks(point, find, need):
    """Item 1 at one table-B point: the best keras_bert unpadded fp32 row (predict_fn or the packed
    TFLite file) over the best padded fp32 peer, naming the row; then, for reference, what skipping
    the padding alone gives at the peer's rate per computed token, 1 / (1 - padding share): every
    padded position costs the peer a real token's FLOPs. Above it = a faster rate per token."""
    ours = [c.name for c in contenders.MODEL_GROUPS["fp32"] if not c.peer and c.unpadded]
    found = [row for row in (find("B", point, name) for name in ours) if row is not None]
    timed = [row for row in found if "vs best peer" in row]
    if timed:
        best = max(timed, key=lambda row: row["vs best peer"])
        label = f"item 1: best keras_bert unpadded row ({best['contender']}) >= {need}x best padded fp32 peer, {point}"
    else:
        best = found[0] if found else None
        label = f"item 1: best keras_bert unpadded row >= {need}x best padded fp32 peer, {point}"
    out = [_ratio_check(label, best, "vs best peer", need)]
    padding = str((found[0] if found else {}).get("padding", "")).rstrip("%")
    if padding:
        label = f"item 1 reference (not a check): skipping the padding alone, 1 / (1 - padding), {point}"
        out.append((label, round(1 / (1 - float(padding) / 100), 3), None))
    return out


def _peer_section_checks(rows, results, agreement):
    """(lines, agreement still to add) for one peers section's rows; the precision section's int8
    agreement lines join item 2 once (where `agreement` is True and item 2 applies)."""
    t = THRESHOLDS
    models = [r for r in rows if r.get("table") in ("A", "B")]
    points = {(r["table"], r["point"]) for r in models}
    precisions = {r.get("precision") for r in models}
    int8_only = precisions == {"int8"}  # section peer_int8: item 2 alone

    def find(table, point, contender):
        return next((r for r in models if (r["table"], r["point"], r["contender"]) == (table, point, contender)), None)

    checks = []
    for table, point in sorted(points):
        if table == "B":
            checks += _unpadded_checks(point, find, t["unpadded/best padded peer"])
    ort = next(c.name for c in contenders.MODEL_GROUPS["int8"] if c.peer)
    a_points = [point for table, point in sorted(points) if table == "A"]
    for point in a_points:
        checks += _int8_speed_checks(point, find, t["int8/ORT int8"], ort)
    for r in results.get("precision", []) if agreement and a_points else []:
        if "int8" in r.get("variant", ""):
            need = t["argmax_agreement"]
            checks.append(
                _ratio_check(f"item 2: {r['variant']} argmax agreement >= {_pct(need)}", r, "argmax_agreement", need)
            )
            need = t["cosine_min"]
            checks.append(
                _ratio_check(f"item 2: {r['variant']} embedding cosine >= {need} (min)", r, "cosine_min", need)
            )
    agreement = agreement and not a_points
    for point in [] if int8_only else a_points:
        need = t["bf16/best peer bf16"]
        row = find("A", point, "keras_bert bf16")
        label = f"item 3: keras_bert bf16 >= {need}x best peer bf16, {point}"
        checks.append(_ratio_check(label, row, "vs best peer", need))
    tokenizer = [r for r in rows if r.get("table") == "C"]
    for corpus in dict.fromkeys(r["corpus"] for r in tokenizer):
        row = next(
            (r for r in tokenizer if r["corpus"] == corpus and r["contender"] == contenders.TOKENIZER_OURS), None
        )
        need = t["tokenizer/transformers 4.57"]
        label = f"item 4: keras_bert tokenizer >= {need}x transformers 4.57 TFBertTokenizer, {corpus}"
        checks.append(_ratio_check(label, row, "vs transformers 4.57", need))
        need = t["tokenizer/Rust"]
        checks.append(
            _ratio_check(f"item 4: keras_bert tokenizer >= {need}x Rust tokenizers, {corpus}", row, "vs Rust", need)
        )
        need = t["tokenizer exact"]
        checks.append(
            _ratio_check(f"item 4: keras_bert tokenizer exact on {_pct(need)} of rows, {corpus}", row, "exact", need)
        )
    return checks, agreement


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
        if key in PEER_SECTIONS and key in results:
            out.append(title + "\n")
            out.append(render_peers(results[key]))
        elif key in results:
            out.append(title + "\n")
            cols = None
            if key in COLUMNS:
                present = {c for r in results[key] for c in r}
                cols = [c for c in COLUMNS[key] if c in present]
            out.append(table(results[key], cols))
    return "\n".join(out)


def render_peers(rows):
    """The peers header (GEMM rate, load) and tables A, B, C."""
    out = []
    for r in rows:
        if r.get("table") == "header":
            fields = ", ".join(f"{k} {v}" for k, v in r.items() if k != "table")
            out.append(f"Machine during the peers section: {fields}\n")
    for key, title in PEER_TABLES.items():
        part = [{k: v for k, v in r.items() if k != "table"} for r in rows if r.get("table") == key]
        if part:
            columns = list(dict.fromkeys(k for r in part for k in r if k != "error"))
            columns += ["error"] if any("error" in r for r in part) else []
            out.append(title + "\n")
            out.append(table(part, columns))
    return "\n".join(out)
