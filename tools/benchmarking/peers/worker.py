"""A contender's worker process: load, warm up, say "ready" on stdout, then answer "run I" lines.

    python worker.py KIND SPEC.json

SPEC.json: {"checkpoint": dir, "points": [path, ...], "task": "model" | "tokenizer", ...}. A model
point is an `.npz` of batches (batches.save); a tokenizer point is a JSON list of strings. The
ready line is JSON: {"points": [{"warm_s", "probe" | "ids"}, ...], "version": ...} or {"error": ...}.
Then "run I" runs one pass over point I (every batch of it) and answers "ok"; anything else ends.

This file and the modules it loads for a peer (peer_envs.py, runner.py, batches.py,
benchmarking.environment) never import keras_bert: the peer environments do not have it (they get
tools/ on sys.path, not the repository root). Main-venv kinds (main_venv.py) import keras_bert.
"""

from __future__ import annotations

import json
import os
import sys
import time

PROBE_ROWS, PROBE_POSITIONS, PROBE_DIMS = 2, 8, 8


def probe(hidden, mask):
    """last_hidden_state[:2, :8, :8] as float64 lists, zero at padded positions (rows keep >= 8 real tokens)."""
    import numpy as np

    h = np.asarray(hidden, dtype="float64")[:PROBE_ROWS, :PROBE_POSITIONS, :PROBE_DIMS]
    m = np.asarray(mask)[:PROBE_ROWS, :PROBE_POSITIONS, None]
    return (h * m).tolist()


MAIN_VENV = ("keras_bert", "transformers5", "twin", "rust")  # kinds whose runners live in main_venv.py


def describe(error, n=400):
    """`Type: message` on one line; a multi-line message (TF's "in user code: ...") keeps its first and last lines."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()] or [""]
    text = lines[0] if len(lines) == 1 else f"{lines[0]} ... {lines[-1]}"
    return f"{type(error).__name__}: {text}"[:n]


def factory(kind):
    """The module whose `make(kind, spec)` builds this kind's runner: main_venv or peer_envs."""
    if kind.startswith(MAIN_VENV):
        from benchmarking.peers import main_venv as module
    else:
        from benchmarking.peers import peer_envs as module
    return module


def load_points(spec):
    if spec["task"] == "tokenizer":
        out = []
        for path in spec["points"]:
            with open(path, encoding="utf-8") as f:
                out.append(json.load(f))
        return out
    from benchmarking.peers import batches

    return [batches.load(path) for path in spec["points"]]


def main(kind, spec_path, make=None):
    """Serve one contender; `make(kind, spec)` builds its runner (default: main_venv or peer_envs by kind)."""
    from benchmarking import environment

    with open(spec_path) as f:
        spec = json.load(f)
    calls, ready = [], {"points": []}
    try:
        environment.tune_malloc()
        make = make or factory(kind).make
        started = time.perf_counter()
        runner = make(kind, spec)  # runner(point) -> per-batch outputs; runner.version
        ready["load_s"] = round(time.perf_counter() - started, 1)
        ready["version"] = getattr(runner, "version", "")
        for index, point in enumerate(load_points(spec)):
            started = time.perf_counter()
            out = runner.result(point)  # traces / compiles; the probe or the id rows
            if index == 0:
                runner(point)  # one more untimed pass: caches settle (later points reuse the trace)
            entry = {"warm_s": round(time.perf_counter() - started, 1)}
            if spec["task"] == "tokenizer":
                entry["ids"] = out
            else:
                entry["probe"] = probe(out[0], point[0][1])
            ready["points"].append(entry)
            calls.append(lambda runner=runner, point=point: runner(point))
    except Exception as error:  # noqa: BLE001 (reported in the contender's rows instead of failing the run)
        ready = {"error": describe(error)}
    print(json.dumps(ready), flush=True)
    if "error" in ready:
        return
    for line in sys.stdin:
        command = line.split()
        if len(command) != 2 or command[0] != "run":
            break
        calls[int(command[1])]()
        print("ok", flush=True)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))  # tools/
    main(sys.argv[1], sys.argv[2])
