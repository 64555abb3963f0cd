"""The peers' virtual environments: pinned, built once, cached, rebuilt when a build was cut short.

Each peer (transformers 4.57 TF, keras-hub, ONNX Runtime) needs packages the main .venv cannot
hold beside keras_bert (tf-keras, transformers 4.x, keras-hub's own Keras code paths, onnxruntime),
so it gets a virtual environment of its own:

    <root>/<name>-<hash>     root: ~/.cache/keras_bert/peers, or --peers-dir DIR
                             hash: first 10 hex digits of sha256 over the pinned install steps

A changed pin changes the hash, so the old environment is never reused by mistake. The marker
`.complete` is written last, after every pip step succeeded: a directory without it (a killed or
failed build) is removed and built again. pip's output goes to `<dir>.log` and each step is
announced on stderr, so a first run that spends minutes in pip says what it is doing.

`ensure(spec, root)` returns the environment's python, or raises `EnvError` naming the step and
the tail of pip's log; the section turns that into `error: ...` rows instead of crashing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass

MARKER = ".complete"
DEFAULT_ROOT = os.path.join(os.path.expanduser("~"), ".cache", "keras_bert", "peers")
BUILD_TIMEOUT_S = 3600
PROGRESS_S = 20  # seconds between progress lines while pip runs


def _main_transformers():
    """The transformers version of the main .venv (the ORT env exports with the same one)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("transformers")
    except PackageNotFoundError:
        return "5.24.0"


@dataclass(frozen=True)
class EnvSpec:
    """A named environment: pip install steps run in order (one step = one `pip install` call)."""

    name: str
    steps: tuple  # tuple of tuples of requirement strings

    @property
    def digest(self):
        text = json.dumps([list(s) for s in self.steps])
        return hashlib.sha256(text.encode()).hexdigest()[:10]

    @property
    def dirname(self):
        return f"{self.name}-{self.digest}"


SPECS = {
    "tf457": EnvSpec(
        "tf457",
        (
            (
                "tensorflow==2.21.0",
                "tf-keras==2.21.0",
                "tensorflow-text==2.21.1",
                "transformers==4.57.6",
                "safetensors==0.6.2",  # the release current with transformers 4.57
                "numpy",
            ),
        ),
    ),
    # safetensors: keras-hub's Hugging Face converter reads model.safetensors with it (not a keras-hub dependency)
    "kerashub": EnvSpec(
        "kerashub", (("keras-hub==0.32.0", "tensorflow==2.21.0", "tensorflow-text==2.21.1", "safetensors==0.8.0"),)
    ),
    # torch alone first (the CPU wheel), so nothing later pulls a CUDA build, as the Makefile does.
    "ort": EnvSpec(
        "ort",
        (
            ("torch==2.13.0",),
            (
                "onnxruntime==1.31.1",
                "onnx",
                "onnxscript",
                f"transformers=={_main_transformers()}",
                "safetensors",
                "numpy",
            ),
        ),
    ),
}


class EnvError(RuntimeError):
    """An environment could not be built; the message names the environment and the failed step."""


def env_dir(spec, root=None):
    return os.path.join(root or DEFAULT_ROOT, spec.dirname)


def python_of(path):
    return os.path.join(path, "bin", "python")


def is_complete(path):
    """True when the build at `path` finished (marker present and its python exists)."""
    return os.path.isfile(os.path.join(path, MARKER)) and os.path.isfile(python_of(path))


def run_with_progress(command, stdout, log, logfile, every_s=PROGRESS_S, timeout=BUILD_TIMEOUT_S):
    """`command` with its output to `stdout`; every `every_s` seconds `log` gets pip's latest line."""
    proc = subprocess.Popen(command, stdout=stdout, stderr=subprocess.STDOUT)
    started = time.monotonic()
    while True:
        try:
            return subprocess.CompletedProcess(command, proc.wait(timeout=every_s))
        except subprocess.TimeoutExpired:
            elapsed = time.monotonic() - started
            if elapsed > timeout:
                proc.kill()
                proc.wait()
                raise
            log(f"  peers: ... {elapsed:.0f} s: {_tail(logfile, n=120, lines=1)}")


def ensure(spec, root=None, log=None, runner=None):
    """The python of `spec`'s environment under `root`, built first when missing or incomplete.

    `log(message)` gets progress lines (default: stderr), also while pip runs; `runner(command,
    stdout)` runs one step (default `run_with_progress`; tests pass a fake to check the marker
    logic without pip).
    """
    log = log or (lambda m: print(m, file=sys.stderr, flush=True))
    path = env_dir(spec, root)
    if is_complete(path):
        return python_of(path)
    if os.path.exists(path):
        log(f"  peers: {spec.dirname}: incomplete build (no {MARKER}), rebuilding")
        shutil.rmtree(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    logfile = path + ".log"
    commands = [[sys.executable, "-m", "venv", path], [python_of(path), "-m", "pip", "install", "-q", "-U", "pip"]]
    commands += [[python_of(path), "-m", "pip", "install", "--progress-bar", "off", *step] for step in spec.steps]
    with open(logfile, "w") as out:
        for i, command in enumerate(commands, 1):
            log(f"  peers: building {spec.dirname} [{i}/{len(commands)}]: {' '.join(command[3:]) or 'venv'}")
            out.write(f"$ {' '.join(command)}\n")
            out.flush()
            try:
                if runner is None:
                    done = run_with_progress(command, out, log, logfile)
                else:
                    done = runner(command, stdout=out)
            except (OSError, subprocess.TimeoutExpired) as error:
                raise EnvError(f"{spec.name}: step {i} ({' '.join(command[3:])}) failed: {error}") from error
            if done.returncode != 0:
                raise EnvError(
                    f"{spec.name}: step {i} ({' '.join(command[3:])}) exited {done.returncode}; "
                    f"see {logfile}: {_tail(logfile)}"
                )
    with open(os.path.join(path, MARKER), "w") as f:
        f.write(json.dumps([list(s) for s in spec.steps]) + "\n")
    log(f"  peers: {spec.dirname} ready")
    return python_of(path)


def _tail(logfile, n=300, lines=3):
    """The last `lines` non-empty lines of `logfile`, joined, at most `n` characters."""
    try:
        with open(logfile) as f:
            text = f.read()
    except OSError:
        return ""
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " | ".join(kept[-lines:])[-n:]


if __name__ == "__main__":
    # Build (or check) environments by name: python -m benchmarking.peers.envs [--root DIR] tf457 kerashub ort
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default=None)
    parser.add_argument("names", nargs="*", default=list(SPECS))
    args = parser.parse_args()
    for name in args.names:
        try:
            print(name, ensure(SPECS[name], args.root))
        except EnvError as error:
            print(f"{name}: error: {error}")
