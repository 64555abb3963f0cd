"""Keeps the CLI's stderr to its own lines: TensorFlow's start-up noise is dropped.

TensorFlow 2.21 writes absl/oneDNN/CUDA-stub lines straight to file descriptor 2 while it is
imported, before `TF_CPP_MIN_LOG_LEVEL` takes effect (`WARNING: All log messages before
absl::InitializeLog() ...`, `I0000 ... port.cc:153] oneDNN custom operations are on ...`).
`import_tensorflow_quietly` imports it with fd 2 sent to a temporary file, then writes back
every captured line that is not such an informational line, so a real import error still shows.
oneDNN itself stays as it is (turning it off would change the numerics).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
import warnings

# absl's pre-init banner and C++ INFO lines: `I0000 00:00:1795952498.908697    4605 port.cc:153] ...`.
NOISE = re.compile(r"^(WARNING: All log messages before absl::InitializeLog\(\)|I\d{4} [\d:.]+\s+\d+ \S+:\d+\] )")


def import_tensorflow_quietly():
    """Imports tensorflow (a no-op when it is already imported) without its start-up lines."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" in sys.modules:
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (embedded interpreters)
        _import()
        return
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 2)
        try:
            _import()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            kept = [line for line in capture.read().decode("utf-8", "replace").splitlines() if not NOISE.match(line)]
            if kept:
                print("\n".join(kept), file=sys.stderr)


def _import():
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        return  # the command that needs it says so
    logging.getLogger("absl").setLevel(logging.ERROR)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)


def silence_library_warnings():
    """Python warnings from TensorFlow and Keras internals are not the CLI's lines."""
    for module in ("tensorflow", "keras", "tf_keras", "absl", "h5py", "torch"):
        warnings.filterwarnings("ignore", module=rf"{module}(\.|$)")
