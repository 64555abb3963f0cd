"""Process settings for a fair run: 2 threads in every framework, passive OpenMP waits, tuned malloc.

They must be in place before TensorFlow and torch initialise their thread pools, so
`cli.main` calls `set_environment` before importing any section, then `configure_process`.
Nothing here runs at import time.
"""

from __future__ import annotations

import ctypes
import os
import platform

THREADS = 2

# Variables read by the libraries when they start; `setdefault`, so a caller's choice wins.
ENVIRONMENT = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "OMP_NUM_THREADS": str(THREADS),
    "MKL_NUM_THREADS": str(THREADS),
    "RAYON_NUM_THREADS": str(THREADS),  # the Rust tokenizers' pool
    "RAYON_RS_NUM_CPUS": str(THREADS),
    "TOKENIZERS_PARALLELISM": "false",
    # GNU OpenMP's default spin-waiting makes torch many times slower on a loaded 2-core machine
    # (measured: MiniLM 1x128 138 -> 3,271 tokens/s); passive waiting gives the twin its best case.
    "OMP_WAIT_POLICY": "PASSIVE",
}


def set_environment():
    """Set ENVIRONMENT's variables not already set; call before importing TensorFlow or torch."""
    for key, value in ENVIRONMENT.items():
        os.environ.setdefault(key, value)


def tune_malloc():
    """Make glibc keep freed large blocks for reuse instead of unmapping them after every call.

    By default glibc serves blocks above its (adaptive) mmap threshold with mmap and returns
    them on free, so every forward pass page-faults its activations in again: the twin took
    ~26k minor faults per BERT-base 8x128 forward with SDPA and ~13-19k with eager attention
    (about 4% of its time, and a different share for each variant). A fixed threshold does not
    reach the 50 MB FFN activations at 4,096 tokens (glibc caps it at 32 MiB), so mmap is
    turned off (M_MMAP_MAX = 0) and the heap is kept (1 GiB trim threshold): 0 faults per
    forward after warm-up, for every framework in the process. `--default-malloc` keeps
    glibc's defaults, to see the difference.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return "default (no glibc)"
    m_trim_threshold, m_mmap_max = -1, -4
    if libc.mallopt(m_mmap_max, 0) and libc.mallopt(m_trim_threshold, 1 << 30):
        return "glibc mmap_max=0 trim_threshold=1GiB"
    return "glibc defaults (mallopt failed)"


def configure_process(default_malloc=False):
    """Threads for TF and torch, and malloc; returns the malloc setting for the report."""
    import tensorflow as tf
    import torch

    tf.get_logger().setLevel("ERROR")
    tf.config.threading.set_intra_op_parallelism_threads(THREADS)
    tf.config.threading.set_inter_op_parallelism_threads(THREADS)
    torch.set_num_threads(THREADS)
    torch.set_num_interop_threads(THREADS)
    return "glibc defaults" if default_malloc else tune_malloc()


def describe_machine(malloc):
    """CPU, ISA flags, load and library versions: the header of every report."""
    import keras
    import tensorflow as tf
    import torch

    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
        cpu = next(line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name"))
        flags = next(line for line in info.splitlines() if line.startswith("flags"))
        isa = [f for f in ("avx512f", "avx512_bf16", "amx_bf16", "avx512_vnni") if f" {f}" in flags]
    except (OSError, StopIteration):
        isa = []
    return dict(
        load_average=load_average(),
        omp_wait_policy=os.environ.get("OMP_WAIT_POLICY"),
        malloc=malloc,
        cpu=cpu,
        cores=os.cpu_count(),
        isa=isa,
        threads=THREADS,
        python=platform.python_version(),
        tensorflow=tf.__version__,
        keras=keras.__version__,
        torch=torch.__version__,
        transformers=_version("transformers"),
        onednn=os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default (on)"),
    )


def load_average():
    return [round(x, 2) for x in os.getloadavg()]


def _version(module):
    try:
        return __import__(module).__version__
    except ImportError:
        return None
