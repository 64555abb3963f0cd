"""The measured roofline: an fp32 (and bf16) GEMM with the shape of the BERT-base FFN at 8 x 128.

Model rates are reported as a fraction of the best GEMM rate of the same run, measured once at
the start and again interleaved with every inference point (same load, same threads).
"""

from __future__ import annotations

import numpy as np

from .timing import best_time

GEMM = (1024, 768, 3072)  # (M, K, N): the BERT-base FFN matmul at 8 x 128 tokens
GEMM_FLOP = 2 * GEMM[0] * GEMM[1] * GEMM[2]


def gemm_impl():
    """An fp32 TF GEMM to interleave with the models: the roofline under the same conditions."""
    import tensorflow as tf

    m, k, n = GEMM
    rng = np.random.default_rng(0)
    a, b = tf.constant(rng.standard_normal((m, k), "float32")), tf.constant(rng.standard_normal((k, n), "float32"))
    f = tf.function(lambda x, y: tf.matmul(x, y))
    return lambda *_: f(a, b).numpy()


def matmul_roofline(quick):
    """{dtype: {tf_gflops, torch_gflops, roofline_gflops}} for float32 and bfloat16."""
    import tensorflow as tf
    import torch

    m, k, n = GEMM
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((m, k), "float32"), rng.standard_normal((k, n), "float32")
    reps = 5 if quick else 15
    rows = {}
    for dtype in ("float32", "bfloat16"):
        ta, tb = tf.cast(a, dtype), tf.cast(b, dtype)
        f = tf.function(lambda x, y: tf.matmul(x, y))
        f(ta, tb).numpy()
        tf_t = best_time(lambda f=f, ta=ta, tb=tb: f(ta, tb).numpy(), reps, inner=4)
        pa, pb = torch.tensor(a).to(getattr(torch, dtype)), torch.tensor(b).to(getattr(torch, dtype))
        torch.matmul(pa, pb)
        pt_t = best_time(lambda pa=pa, pb=pb: torch.matmul(pa, pb), reps, inner=4)
        rows[dtype] = {"tf_gflops": GEMM_FLOP / tf_t / 1e9, "torch_gflops": GEMM_FLOP / pt_t / 1e9}
        rows[dtype]["roofline_gflops"] = max(rows[dtype]["tf_gflops"], rows[dtype]["torch_gflops"])
    return rows
