"""Peers: keras_bert against what users would really pick, each in its own process, rounds interleaved.

    python tools/benchmark.py --sections peers [--quick] [--peers-dir DIR]

The first run builds three pinned virtual environments (transformers 4.57 TF + tf-keras, keras-hub,
ONNX Runtime; see peers/envs.py) under ~/.cache/keras_bert/peers (or --peers-dir) and exports the
BERT-base checkpoint to ONNX (plain, ORT-optimized, int8 dynamic; cached per checkpoint content)
and to TFLite files (keras_bert.export_tflite, each in its own process, under tflite/, cached per
checkpoint content and keras_bert's source (TFLITE_SOURCES: a change re-exports); later runs
reuse them. Every contender loads the same HF checkpoint directory (random BERT-base weights
written by workload.make_checkpoints), runs in its own worker process with 2 threads, and the
parent times one pass over a point's batches per turn, turns rotated per repeat. Section
peer_int8 runs table A's int8 group alone (its max |diff| reference, the fp32 twin, then runs in
the parent process); section peer_tokenizers, table C alone.

Tables (all throughput on REAL tokens; "vs best peer" = paired ratio to the fastest padded peer
of the same precision; peer = anything but keras_bert's TF model, the twin included):
    A  BERT-base 1x128 and 8x128, rows padded to 128 with exactly 25% padding, and 1x128 without
       padding (equal work for the unpadded rows); fp32, bf16, int8
    B  BERT-base fp32, examples/data sentence lengths at batch 8 and 32 (padded to the longest row)
       and 8x128 with half the positions padded: keras_bert unpadded vs every padded contender
    C  tokenizers, strings/s, 256 strings per call, max_length 128: ASCII (60 vocabulary words)
       and multilingual corpora; "exact" = share of rows equal to keras_bert's BertTokenizer
The header row gives the run's fp32 GEMM roofline and the load average before and after.
A contender that could not be built or run has an `error` column instead of numbers.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

from .. import environment
from ..peers import batches, contenders, envs, pool, tables
from ..workload import minilm_dir

PLAN = {
    # batches per timed pass for each point, repeats, min seconds per timing, tokenizer corpus size
    "quick": dict(a1=4, a8=1, b8=4, b32=1, half=2, repeats=3, min_seconds=0.0, strings=1024),
    "full": dict(a1=8, a8=2, b8=16, b32=4, half=4, repeats=7, min_seconds=0.5, strings=4096),
}
EXPORT_TIMEOUT_S = 1200
log = pool.log_stderr


def run(context, tokenizers_only=False, model_groups=None):
    """Header + tables A, B, C; with tokenizers_only, header + table C (section peer_tokenizers);
    with model_groups (names in contenders.MODEL_GROUPS), header + those groups' table-A rows only
    (section peer_int8), building only the environments they need."""
    plan = PLAN["quick" if context.quick else "full"]
    root = getattr(context, "peers_dir", None) or envs.DEFAULT_ROOT
    work = os.path.join(context.workdir, "peers")
    os.makedirs(work, exist_ok=True)
    header = dict(table="header", gemm_fp32_gflops=round(context.roofline_gflops, 1))
    header.update(repeats=plan["repeats"], min_seconds_per_timing=plan["min_seconds"])
    header["load_average_start"] = environment.load_average()
    pythons = build_envs(root, needed_envs(tokenizers_only, model_groups))
    rows = [] if tokenizers_only else model_tables(context, plan, pythons, root, work, model_groups)
    if model_groups is None:
        rows += tokenizer_table(plan, pythons, work)
    header["load_average_end"] = environment.load_average()
    return [header] + rows


def needed_envs(tokenizers_only=False, model_groups=None):
    """The environment names a run needs (None: all of them)."""
    if tokenizers_only:
        return {c.env for c in contenders.TOKENIZERS if c.env}
    if model_groups is not None:
        return {c.env for g in model_groups for c in contenders.MODEL_GROUPS[g] if c.env}
    return None


def model_tables(context, plan, pythons, root, work, groups=None):
    """Tables A and B: every model contender, each precision group in turn; with `groups`, only
    those groups, on table A's points (max |diff| then against the twin run in this process)."""
    checkpoint = context.checkpoints["bert-base"]
    names = list(contenders.MODEL_GROUPS) if groups is None else list(groups)
    needs_onnx = any(c.env == "ort" for g in names for c in contenders.MODEL_GROUPS[g])
    onnx = export_onnx(pythons, checkpoint, root, work) if needs_onnx else {}
    points = model_points(plan, work, "AB" if groups is None else "A")
    tflite_kinds = [c.kind for g in names for c in contenders.MODEL_GROUPS[g] if contenders.is_tflite(c.kind)]
    tflite = export_tflite(checkpoint, root, work, tflite_kinds) if tflite_kinds else {}
    rows, reference = [], None
    if "fp32" not in names:
        reference = reference_in_process(checkpoint, points)
    for group in names:
        members = contenders.MODEL_GROUPS[group]
        group_points = points if group == "fp32" else [p for p in points if p.table == "A"]
        spec = dict(checkpoint=checkpoint, points=[p.path for p in group_points], task="model", onnx=onnx)
        spec["tflite"] = tflite
        ready, times = run_group(f"model-{group}", members, spec, pythons, work, len(group_points), plan)
        if group == "fp32":
            reference = reference_probes(ready.get(contenders.REFERENCE, {}), len(points))
        rows += tables.model_rows(group, group_points, members, ready, times, reference)
    return rows


def build_envs(root, names=None):
    """{env name: python path, or an "error: ..." string} for every environment a contender needs
    (or those in `names`)."""
    out = {}
    for name, spec in envs.SPECS.items():
        if names is not None and name not in names:
            continue
        try:
            out[name] = envs.ensure(spec, root)
        except (envs.EnvError, OSError) as error:
            out[name] = f"error: {error}"
            log(f"{name}: {out[name]}")
    return out


def checkpoint_key(checkpoint):
    """A short hash of config.json and model.safetensors: the ONNX cache key."""
    digest = hashlib.sha256()
    for name in ("config.json", "model.safetensors"):
        with open(os.path.join(checkpoint, name), "rb") as f:
            for chunk in iter(lambda: f.read(1 << 24), b""):
                digest.update(chunk)
    return digest.hexdigest()[:12]


def tflite_file(kind):
    """(file name, tflite_export.py options) of a TFLite contender kind, e.g.
    keras_bert-int8-tflite-packed -> ("int8-packed.tflite", ["--quantize", "int8", "--unpadded"])."""
    precision, packed = kind.split("-")[1], kind.endswith("-packed")
    options = (["--quantize", precision] if precision != "fp32" else []) + (["--unpadded"] if packed else [])
    return f"{precision}{'-packed' if packed else ''}.tflite", options


# keras_bert's files that shape the exported graph: the whole package (the layers, the models'
# masks, inference's frozen weights and serving/tflite.py all do; a narrower list goes stale).
TFLITE_SOURCES = ("**/*.py",)


def source_key(package_dir=None):
    """A short hash of keras_bert's TFLITE_SOURCES (names and contents): a code change re-exports."""
    import glob
    import importlib.util

    if package_dir is None:
        package_dir = importlib.util.find_spec("keras_bert").submodule_search_locations[0]
    digest = hashlib.sha256()
    for pattern in TFLITE_SOURCES:
        for path in sorted(glob.glob(os.path.join(package_dir, pattern), recursive=True)):
            digest.update(os.path.relpath(path, package_dir).encode() + b"\0")
            with open(path, "rb") as f:
                digest.update(f.read())
    return digest.hexdigest()[:12]


def tflite_dir(root, checkpoint, package_dir=None):
    """Where the TFLite exports of `checkpoint` are cached, keyed by the checkpoint's content and
    keras_bert's source (export_tflite below writes them there, atomically)."""
    return os.path.join(root, "tflite", f"bert-base-{checkpoint_key(checkpoint)}-src-{source_key(package_dir)}")


def tflite_path(root, checkpoint, kind="keras_bert-int8-tflite", package_dir=None):
    """The cached TFLite file of contender `kind` for `checkpoint` (under tflite_dir)."""
    return os.path.join(tflite_dir(root, checkpoint, package_dir), tflite_file(kind)[0])


def reference_in_process(checkpoint, points):
    """[probe] per point: the fp32 twin's (contenders.REFERENCE) on each point's first batch, run
    here through the same runner its worker uses; None (no max |diff| column) if it fails."""
    from ..peers import main_venv, worker

    kind = next(c.kind for g in contenders.MODEL_GROUPS.values() for c in g if c.name == contenders.REFERENCE)
    try:
        runner = main_venv.make(kind, dict(checkpoint=checkpoint))
        out = []
        for point in points:
            first = batches.load(point.path)[:1]
            out.append(worker.probe(runner(first)[0], first[0][1]))
        return out
    except Exception as error:  # noqa: BLE001 (the table loses its max |diff| column, not its numbers)
        log(f"reference {contenders.REFERENCE} in process failed: {worker.describe(error)}")
        return None


def export_onnx(pythons, checkpoint, root, work):
    """{"fp32" | "optimized" | "int8": .onnx path} (peers/onnx_export.py in the ort env), or {"error": ...}."""
    from ..peers import onnx_export

    python = pythons.get("ort", "error: no ort environment")
    if python.startswith("error"):
        return {"error": python}
    out = os.path.join(root, "onnx", f"bert-base-{checkpoint_key(checkpoint)}")
    if not os.path.isfile(os.path.join(out, onnx_export.MARKER)):
        log(f"exporting {checkpoint} to ONNX under {out}")
        error = run_export(
            "ONNX", [python, onnx_export.__file__, checkpoint, out], os.path.join(work, "onnx_export.log")
        )
        if error:
            return {"error": error}
    return {k: os.path.join(out, v) for k, v in onnx_export.FILES.items()}


def export_tflite(checkpoint, root, work, kinds=("keras_bert-int8-tflite",)):
    """{kind: .tflite path, or {"error": ...}} for each TFLite contender kind: peers/tflite_export.py
    in a main-venv process of its own per file, one after the other, so a conversion's memory peak
    (~4-5 GB for BERT-base) never meets another's or the workers'."""
    from ..peers import tflite_export

    out = {}
    directory = tflite_dir(root, checkpoint)  # hashes the checkpoint and the source once, not per kind
    for kind in kinds:
        path = os.path.join(directory, tflite_file(kind)[0])
        if not os.path.isfile(path):
            log(f"exporting {checkpoint} to a TFLite file at {path}")
            command = [sys.executable, tflite_export.__file__, checkpoint, path] + tflite_file(kind)[1]
            logfile = os.path.join(work, f"tflite_export-{kind}.log")
            # the keras_bert of this checkout, as the main-venv workers get it (pool.Worker)
            error = run_export("TFLite", command, logfile, {"PYTHONPATH": pool.ROOT})
            if error or not os.path.isfile(path):
                out[kind] = {"error": error or f"TFLite export wrote no {path}"}
                continue
        out[kind] = path
    return out


def run_export(what, command, logfile, extra_env=None):
    """Run an export command, its output to `logfile`; None, or the error (exit code, last lines)."""
    with open(logfile, "w") as f:
        try:
            done = subprocess.run(
                command,
                stdout=f,
                stderr=subprocess.STDOUT,
                env=dict(os.environ, **environment.ENVIRONMENT, **(extra_env or {})),
                timeout=EXPORT_TIMEOUT_S,
            )
            code = done.returncode
        except subprocess.TimeoutExpired:
            code = f"timeout after {EXPORT_TIMEOUT_S} s"
    if code == 0:
        return None
    with open(logfile) as f:
        tail = " | ".join(f.read().strip().splitlines()[-2:])[-300:]
    return f"{what} export failed ({code}): {tail}"


def model_points(plan, work, tables_wanted="AB"):
    """Table A's and B's points (those of `tables_wanted`), their batches written to .npz files under `work`."""
    specs = [
        ("A", "1x128 25% pad", lambda: batches.fixed_padding_batches(1, 128, 0.25, plan["a1"], seed=1)),
        ("A", "8x128 25% pad", lambda: batches.fixed_padding_batches(8, 128, 0.25, plan["a8"], seed=2)),
        # Equal work: no padding for unpadded rows (TFLite's, predict_fn(unpadded=True)) to skip.
        ("A", "1x128 no padding", lambda: batches.fixed_padding_batches(1, 128, 0.0, plan["a1"], seed=4)),
        ("B", "examples/data b8", lambda: batches.example_batches(8, plan["b8"])),
        ("B", "examples/data b32", lambda: batches.example_batches(32, plan["b32"])),
        ("B", "8x128 half padded", lambda: batches.fixed_padding_batches(8, 128, 0.5, plan["half"], seed=3)),
    ]
    points = []
    for i, (table, label, make) in enumerate(specs):
        if table not in tables_wanted:
            continue
        made = make()
        path = batches.save(made, os.path.join(work, f"point{i}.npz"))
        points.append(tables.Point(table, label, batches.real_tokens(made), batches.padding_share(made), path))
    return points


def run_group(tag, members, spec, pythons, work, n_points, plan):
    """Start one worker per contender, wait for all, time every point; ({name: ready}, [times per point])."""
    spec_path = os.path.join(work, f"{tag}.json")
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    workers = []
    try:
        for c in members:
            python = sys.executable if c.env is None else pythons[c.env]
            if python.startswith("error"):
                workers.append(pool.FailedWorker(c.name, python))
            elif c.kind.startswith("ort-") and "error" in spec.get("onnx", {}):
                workers.append(pool.FailedWorker(c.name, spec["onnx"]["error"]))
            elif contenders.is_tflite(c.kind) and isinstance(spec.get("tflite", {}).get(c.kind), dict):
                workers.append(pool.FailedWorker(c.name, spec["tflite"][c.kind]["error"]))
            else:
                log_path = os.path.join(work, f"{tag}-{c.kind}.log")
                try:
                    workers.append(pool.Worker(c.name, python, c.kind, spec_path, c.env is None, log_path))
                except OSError as error:
                    workers.append(pool.FailedWorker(c.name, f"could not start {python}: {error}"))
        ready = {w.name: w.wait_ready() for w in workers}
        for name, r in ready.items():
            if "error" in r:
                log(f"{tag}: {name}: {r['error']}")
        log(f"{tag}: {sum(w.ok for w in workers)}/{len(workers)} workers ready, timing {n_points} points")
        times = pool.time_points(workers, n_points, plan["repeats"], plan["min_seconds"], lambda m: log(f"{tag}: {m}"))
        ready = {w.name: w.ready for w in workers}  # a worker that died while timed carries its error now
    finally:
        for w in workers:
            w.close()
    return ready, times


def reference_probes(ready, n_points):
    probes = ready.get("points", [])
    return [probes[i]["probe"] if i < len(probes) else None for i in range(n_points)]


def tokenizer_table(plan, pythons, work):
    from keras_bert.tokenization import BertTokenizer

    vocab_dir = minilm_dir()
    n = plan["strings"]
    corpora = [
        ("ASCII (60 vocabulary words)", batches.ascii_corpus(os.path.join(vocab_dir, "vocab.txt"), n)),
        ("multilingual", batches.multilingual_corpus(n)),
    ]
    paths = []
    for i, (_, texts) in enumerate(corpora):
        paths.append(os.path.join(work, f"corpus{i}.json"))
        with open(paths[-1], "w", encoding="utf-8") as f:
            json.dump(texts, f)
    slow = BertTokenizer.from_pretrained(vocab_dir)
    reference = [slow(texts, truncation=True, max_length=128)["input_ids"] for _, texts in corpora]
    spec = dict(checkpoint=vocab_dir, points=paths, task="tokenizer", max_length=128, batch=256)
    ready, times = run_group("tokenizers", contenders.TOKENIZERS, spec, pythons, work, len(corpora), plan)
    return tables.tokenizer_rows(
        [(label, len(texts)) for label, texts in corpora],
        contenders.TOKENIZERS,
        ready,
        times,
        reference,
        contenders.TOKENIZER_TF457,
        contenders.TOKENIZER_RUST,
    )
