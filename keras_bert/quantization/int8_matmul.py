"""The one int8 matmul: `x @ W + b` on TensorFlow's oneDNN int8 kernel (u8 x s8 -> s32 -> f32).

Why this op and this convention: `QuantizedMatMulWithBiasAndDequantize` runs the product on the
CPU's int8 paths (AVX512-VNNI / AMX), 2.5-4x TF's fp32 GEMM here. Its MIN_FIRST mode adds a wrong
zero-point compensation (quantized units added to a float bias) in a single-threaded loop over the
whole weight on every call, so the activation is always handed over in SCALED mode (no zero point
in the kernel) and the zero point's share is added here, as an (N,) bias. Its scales are scalars,
so per-row / per-column scales are applied to its output. Legend: x (M, K) float32 activations,
W (K, N) weights quantized once, b (N,) bias, Q the int8 weights, sw their scale(s).

Weights (`QuantizedKernel`): Q = round(W / sw), sw = max|W| / 127 per tensor, or per output
column (`per_channel`: a few large columns, e.g. of BERT's FFN output, no longer flatten the rest).

Activations, quantized per call:
- per tensor: lo, hi = min(min(x), 0), max(max(x), 0); q = round((x - lo) * 255 / (hi - lo)),
  x ~ s q + lo with s = (hi - lo) / 255; y = s * (q @ Q) * sw + b + lo * colsum(Q * sw).
- per row (`per_row`): q = floor(x / s + z + 1/2) (round half up), x ~ s (q - z), with a scale
  s = max|x| / 127.5 per row and the zero point z = 127.5 for all rows (`row_scales`), so
  y = s * ((q @ Q) - z * colsum(Q)) * sw + b: the zero point's share is an (N,) vector, given to the
  kernel as its bias.

`reference_int8_matmul` is the same arithmetic in NumPy (the tests' reference).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Smallest activation range quantized: an all-zero input (or row) stays finite.
MIN_RANGE = 1e-6
#: Zero point of the per-row activation quantization (symmetric over 255 levels).
ZERO_POINT = 127.5


@dataclass(frozen=True)
class QuantizedKernel:
    """A Dense kernel (K, N) quantized once to int8, symmetric, per tensor or per output column."""

    values: np.ndarray  # (K, N) int8
    scale: np.ndarray  # float32: () per tensor or (N,) per column; W ~ values * scale
    per_channel: bool

    @classmethod
    def from_kernel(cls, kernel, per_channel: bool = False) -> QuantizedKernel:
        kernel = np.asarray(kernel, dtype=np.float32)
        if kernel.ndim != 2:
            raise ValueError(f"int8 quantization takes a 2-D (in, out) kernel, got shape {kernel.shape}")
        max_abs = np.abs(kernel).max(axis=0) if per_channel else np.abs(kernel).max(initial=0.0)
        scale = (np.maximum(max_abs, np.finfo(np.float32).tiny) / 127.0).astype(np.float32)
        values = np.clip(np.round(kernel / scale), -127, 127).astype(np.int8)
        return cls(values, scale, per_channel)

    @property
    def integer_column_sums(self) -> np.ndarray:
        """(N,) float32: sum over K of the int8 values (exact in float32 for K < 2**17)."""
        return self.values.astype(np.int64).sum(0).astype(np.float32)

    @property
    def column_sums(self) -> np.ndarray:
        """(N,) float32: sum over K of the dequantized kernel."""
        return (self.values.astype(np.float64) * self.scale.astype(np.float64)).sum(0).astype(np.float32)

    def dequantized(self) -> np.ndarray:
        return self.values.astype(np.float32) * self.scale


def row_scales(tf, x):
    """Per-row activation scales s (M,) and the zero point z = 127.5 shared by all rows: row m is
    quantized symmetrically over [-max|x_m|, max|x_m|]. (A zero point fitted to the tensor's sign
    balance, to give skewed GELU outputs all 255 levels, measured worse on MiniLM: one large
    negative outlier then sets it for every row.)"""
    m = tf.maximum(tf.reduce_max(x, axis=1), -tf.reduce_min(x, axis=1))  # (M,) max|x|: two reads, no |x| pass
    return tf.maximum(m, MIN_RANGE) / 127.5, ZERO_POINT


def int8_matmul(x, values, scale, column_sums, integer_column_sums, bias=None, per_row=False):
    """`x @ W + bias` with W quantized (see the module docstring).

    x (M, K) float32; values (K, N) int8 tensor or variable, or qint8 tensor; scale: a float (per tensor) or an (N,)
    float32 tensor (per column); column_sums / integer_column_sums (N,) float32 (`QuantizedKernel`);
    bias (N,) or None; per_row: activation scales per row instead of per tensor. -> (M, N) float32.
    """
    import tensorflow as tf

    x = tf.convert_to_tensor(x, tf.float32)
    per_channel = not isinstance(scale, float)
    weights = tf.convert_to_tensor(values)
    if weights.dtype != tf.qint8:
        weights = tf.raw_ops.Bitcast(input=weights, type=tf.qint8)  # (K, N), no copy
    kernel_scale = 1.0 if per_channel else scale  # the kernel applies a scalar weight scale only
    if per_row:
        s, zero = row_scales(tf, x)  # (M,), a scalar
        # q = floor(x / s + zero + 1/2), in [0, 255] by construction: the cast truncates a value in
        # [0.5, 255.5], so it rounds half up with no Round pass. Three elementwise ops measured faster
        # than QuantizeV2 with per-row (axis=0) ranges, which has no oneDNN kernel.
        q = tf.raw_ops.Bitcast(input=tf.cast(x * (1.0 / s)[:, None] + (zero + 0.5), tf.uint8), type=tf.quint8)
        kernel_bias = (-kernel_scale * zero) * integer_column_sums  # (N,): the zero point's share
        src_range = 255.0  # SCALED mode: source scale max(|min_a|, |max_a|) / 255 = 1, q as integers
    else:
        lo = tf.minimum(tf.reduce_min(x), 0.0)
        hi = tf.maximum(tf.maximum(tf.reduce_max(x), 0.0), lo + MIN_RANGE)
        q = tf.raw_ops.QuantizeV2(input=x, min_range=lo, max_range=hi, T=tf.quint8, mode="MIN_FIRST")
        # The zero point's share lo * colsum(W): in the kernel's bias, or after the column scales.
        kernel_bias = tf.zeros_like(column_sums) if per_channel else q.output_min * column_sums
        src_range = q.output_max - q.output_min  # SCALED mode: source scale (hi - lo) / 255
    y = tf.raw_ops.QuantizedMatMulWithBiasAndDequantize(
        a=q if per_row else q.output,
        b=weights,
        bias=kernel_bias,
        min_a=0.0,
        max_a=src_range,
        min_b=-127.0 * kernel_scale,
        max_b=127.0 * kernel_scale,
        min_freezed_output=0.0,
        max_freezed_output=0.0,
        Toutput=tf.float32,
        input_quant_mode="SCALED",
    )  # (M, N)
    if per_row:
        y = y * s[:, None]  # row scales
    if per_channel:
        y = y * scale  # column scales sw
        if not per_row:
            bias = (
                q.output_min * column_sums if bias is None else tf.cast(bias, tf.float32) + q.output_min * column_sums
            )
    if bias is not None:
        y = tf.nn.bias_add(y, tf.cast(bias, tf.float32))
    return y


def reference_int8_matmul(x: np.ndarray, kernel: QuantizedKernel, bias=None, per_row=False) -> np.ndarray:
    """NumPy twin of `int8_matmul` (same quantization, exact integer product)."""
    x = np.asarray(x, np.float64)
    if per_row:
        s = np.maximum(np.abs(x).max(axis=1, initial=0.0), MIN_RANGE)[:, None] / ZERO_POINT  # (M, 1)
        zero = ZERO_POINT
        q = np.clip(np.floor(x / s + zero + 0.5), 0, 255)
    else:
        lo = min(x.min(initial=0.0), 0.0)
        hi = max(x.max(initial=0.0), 0.0, lo + MIN_RANGE)
        q = np.clip(np.round((x - lo) * (255.0 / (hi - lo))), 0, 255)
        s, zero = (hi - lo) / 255.0, -lo / ((hi - lo) / 255.0)
    acc = (q.astype(np.int64) @ kernel.values.astype(np.int64)).astype(np.float64)  # exact
    y = s * (acc - zero * kernel.values.astype(np.int64).sum(0)) * kernel.scale.astype(np.float64)
    if bias is not None:
        y = y + np.asarray(bias, np.float64)
    return y.astype(np.float32)
