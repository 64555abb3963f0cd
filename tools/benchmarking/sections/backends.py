"""(e) Backends: tokens/s of the same TFBertModel on Keras' TensorFlow, JAX and torch backends.

A process has one Keras backend, so each implementation lives in its own worker process
(this file run as a script), loads the same checkpoint, warms up, then answers "run" lines
on stdin with one forward pass each. The parent times those calls with `timing.interleaved`,
as the other sections time in-process calls: the implementations take turns, the order
rotated per repeat, and a speed ratio is the median of per-repeat paired ratios. The pipe
round trip (~0.1 ms) is far below a call (0.1-3 s) and lands on every backend alike.

    keras tensorflow   `keras_bert.predict_fn` (tf.function), as a TF Serving export runs it
    keras jax          `jax.jit` of `model.stateless_call` (what FlaxBert users ran)
    keras torch        eager `model(...)` under `torch.inference_mode` (Keras' torch backend)
    twin sdpa          `keras_bert.torch.BertModel` (PyTorch SDPA): the reference

Each worker also returns a slice of its last_hidden_state, so the table says that every
backend computed the same numbers (max |diff| vs the twin) and not only how fast.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

# name -> (KERAS_BACKEND for the worker, kind)
IMPLS = {
    "keras tensorflow (tf.function)": ("tensorflow", "keras"),
    "keras jax (jit)": ("jax", "keras"),
    "keras torch (eager)": ("torch", "keras"),
    "twin sdpa": ("torch", "twin"),
}
REFERENCE = "keras tensorflow (tf.function)"  # ratios are speed over this one
TWIN = "twin sdpa"
POINTS = {"bert-base": (8, 128), "minilm": (32, 128)}
REPEATS = {"quick": 3, "full": 7}
PROBE = (slice(0, 2), slice(0, 8), slice(0, 8))  # the output slice each worker returns
START_TIMEOUT_S = 600


def run(context):
    from .. import environment, timing

    repeats = REPEATS["quick" if context.quick else "full"]
    min_seconds = 0.0 if context.quick else 0.5
    points = [(name, context.checkpoints[name], batch, length) for name, (batch, length) in POINTS.items()]
    workers = {name: Worker(name, backend, kind, points, environment) for name, (backend, kind) in IMPLS.items()}
    rows = []
    try:
        ready = {name: w.wait_ready() for name, w in workers.items()}
        for index, (model_name, _, batch, length) in enumerate(points):
            live = {name: w for name, w in workers.items() if "error" not in ready[name]}
            times = timing.interleaved(
                {name: (lambda w=w, i=index: w.call(i)) for name, w in live.items()},
                lambda: (),
                repeats,
                min_seconds=min_seconds,
                warmup=False,
            )
            point_ready = {name: {**r, **r.get("points", [{}] * len(points))[index]} for name, r in ready.items()}
            rows += point_rows(model_name, batch, length, point_ready, times)
            rates = ", ".join(f"{r['impl']} {r.get('tokens/s', r.get('error'))}" for r in rows[-len(IMPLS) :])
            print(f"  backends {model_name} {batch}x{length}: {rates}", file=sys.stderr, flush=True)
    finally:
        for w in workers.values():
            w.close()
    from ..report import table

    print(table(rows), file=sys.stderr, flush=True)  # the section's table, also when report has no title for it
    return rows


def point_rows(model_name, batch, length, ready, times):
    """One row per implementation: tokens/s, speed over TensorFlow (paired), agreement with the twin."""
    import numpy as np

    from .. import timing

    twin = np.array(ready[TWIN]["probe"]) if "probe" in ready.get(TWIN, {}) else None
    rows = []
    for name, (backend, _) in IMPLS.items():
        row = dict(model=model_name, batch=batch, length=length, impl=name, backend=ready[name].get("backend", backend))
        if name not in times:
            row["error"] = ready[name]["error"][:120]
            rows.append(row)
            continue
        seconds = statistics.median(times[name])
        row["tokens/s"] = round(batch * length / seconds, 1)
        if REFERENCE in times:
            row["vs tensorflow"] = round(timing.paired_ratio(times, name, REFERENCE), 3)
        if twin is not None:
            row["max |diff| vs twin"] = float(f"{np.abs(np.array(ready[name]['probe']) - twin).max():.2e}")
        row["warm-up s"] = ready[name]["warm_s"]
        rows.append(row)
    return rows


class Worker:
    """One implementation in its own process: `call(i)` runs one forward pass of point i there and waits."""

    def __init__(self, name, backend, kind, points, environment):
        tools = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        root = os.path.dirname(tools)
        env = dict(os.environ, KERAS_BACKEND=backend, PYTHONPATH=os.pathsep.join([root, tools]))
        for key, value in environment.ENVIRONMENT.items():
            env.setdefault(key, value)
        self.name = name
        spec = json.dumps([[path, batch, length] for _, path, batch, length in points])
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), kind, spec],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )

    def wait_ready(self):
        line = self.proc.stdout.readline()
        if not line:
            return {"error": f"worker exited with code {self.proc.wait(timeout=START_TIMEOUT_S)} before it was ready"}
        return json.loads(line)

    def call(self, index):
        self.proc.stdin.write(f"run {index}\n")
        self.proc.stdin.flush()
        if self.proc.stdout.readline().strip() != "ok":
            raise RuntimeError(f"{self.name}: the worker stopped answering")

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()


# -- the worker process -----------------------------------------------------------------------------
def make_forward(kind, path, ids, mask):
    """A no-argument callable running one forward pass to a NumPy last_hidden_state."""
    import numpy as np

    if kind == "twin":
        import torch

        import keras_bert.torch as twin

        model = twin.BertModel.from_pretrained(path, attn_implementation="sdpa").eval()
        t_ids, t_mask = torch.from_numpy(ids).long(), torch.from_numpy(mask)

        def forward():
            with torch.inference_mode():
                return model(input_ids=t_ids, attention_mask=t_mask).last_hidden_state.numpy()

        return forward
    import keras

    import keras_bert

    backend = keras.config.backend()
    model = keras_bert.TFBertModel.from_pretrained(path)
    if backend == "tensorflow":
        fn = keras_bert.predict_fn(model, outputs=["last_hidden_state"])
        return lambda: fn(ids, mask)["last_hidden_state"].numpy()
    if backend == "jax":
        import jax

        params = [v.value for v in model.trainable_variables]
        state = [v.value for v in model.non_trainable_variables]
        inputs = {"input_ids": jax.numpy.asarray(ids), "attention_mask": jax.numpy.asarray(mask)}

        @jax.jit
        def run(params, state, inputs):
            return model.stateless_call(params, state, inputs, return_dict=False)[0][0]

        return lambda: np.asarray(run(params, state, inputs))
    if backend == "torch":
        import torch

        inputs = {"input_ids": ids, "attention_mask": mask}

        def forward():
            with torch.inference_mode():
                return keras.ops.convert_to_numpy(model(inputs, training=False).last_hidden_state)

        return forward
    raise ValueError(f"unknown Keras backend {backend!r}; expected tensorflow, jax or torch")


def worker_main(kind, spec):
    """Loads and warms every point's model, says so on stdout, then runs `run I` lines."""
    import time

    from benchmarking import environment
    from benchmarking.workload import random_batch

    environment.tune_malloc()
    forwards, points = [], []
    try:
        set_threads(kind)
        for path, batch, length in json.loads(spec):
            with open(os.path.join(path, "config.json")) as f:
                vocab = json.load(f)["vocab_size"]
            ids, mask = random_batch(batch, length, vocab)
            started = time.perf_counter()
            forward = make_forward(kind, path, ids, mask)
            out = forward()  # traces / compiles
            forward()
            forwards.append(forward)
            probe = out[PROBE].astype("float64").tolist()
            points.append(dict(warm_s=round(time.perf_counter() - started, 1), probe=probe))
        ready = dict(points=points, backend=_backend(kind))
    except Exception as error:  # noqa: BLE001 (reported in the table instead of failing the whole benchmark)
        ready = {"error": f"{type(error).__name__}: {error}"}
    print(json.dumps(ready), flush=True)
    if "error" in ready:
        return
    for line in sys.stdin:
        command = line.split()
        if len(command) != 2 or command[0] != "run":
            break
        forwards[int(command[1])]()
        print("ok", flush=True)


def set_threads(kind):
    """2 threads (environment.THREADS via OMP_NUM_THREADS), set before the framework starts its pools."""
    threads = int(os.environ["OMP_NUM_THREADS"])
    backend = "torch" if kind == "twin" else os.environ.get("KERAS_BACKEND")
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    elif backend == "torch":
        import torch

        torch.set_num_threads(threads)


def _backend(kind):
    if kind == "twin":
        return "torch (twin)"
    import keras

    return keras.config.backend()


if __name__ == "__main__":
    worker_main(sys.argv[1], sys.argv[2])
