"""Packed (unpadded) rows: which positions of a (B, T) batch are computed, and the moves between
the batch layout (B, T, X) and the packed rows (P, X).

Everything in BERT except the attention core works token by token, so it can run on the P
positions that matter instead of all B * T: the embeddings, projections, feed-forward block,
LayerNorm and token-level heads. Attention needs the batch layout, so q, k and v are gathered
straight into (B, N, T, D), one gather each (skipped positions hold any row: the additive mask
removes their keys), and the context is gathered straight back to (P, H).

Kept positions: those with `attention_mask == 1`, plus position 0 of every row (the pooler and
NSP read it, also when it is padding) and every position of a row with no real token (the padded
path gives such a row uniform attention over all its positions). With those rules every kept
position has exactly the padded path's value. Rows are in batch-major order, so row b's first
kept position (its position 0) is packed row `row_starts[b]`.
"""

import keras
from keras import ops


class Packing:
    """Indices of the kept positions of a (B, T) batch; see the module docstring."""

    def __init__(self, attention_mask):
        mask = ops.cast(attention_mask, "int32")  # (B, T)
        shape = ops.shape(mask)
        self.batch, self.length = shape[0], shape[1]
        positions = ops.arange(self.length, dtype="int32")  # (T,)
        empty = ops.sum(mask, axis=1, keepdims=True) == 0  # (B, 1): rows without a real token
        keep = ops.logical_or(ops.logical_or(mask == 1, positions[None, :] == 0), empty)  # (B, T)
        flat = ops.reshape(keep, (-1,))  # (B*T,)
        self.flat_index = ops.cast(_true_indices(flat), "int32")  # (P,) into B*T
        self.positions = self.flat_index % self.length  # (P,) each row's position in its sequence
        self.batch_index = self.flat_index // self.length  # (P,)
        # Packed row of every batch position, P (a zero row appended in `to_batch`) where not kept:
        # to_batch is then one gather, which TF runs multi-threaded (its CPU scatter_nd is not).
        kept_flat = ops.cast(flat, "int32")
        packed_row = ops.cumsum(kept_flat) - 1  # (B*T,) at kept positions
        self.source_row = ops.where(flat, packed_row, ops.sum(kept_flat))  # (B*T,)
        # For attention's batch layout any row will do where not kept (row 0 here): such a position
        # is masked as a key (probability exactly 0 for any finite value) and its query's result
        # is never gathered back.
        self.attention_row = ops.reshape(ops.where(flat, packed_row, 0), (self.batch, 1, self.length))  # (B, 1, T)
        counts = ops.sum(ops.cast(keep, "int32"), axis=1)  # (B,)
        self.row_starts = ops.cumsum(counts) - counts  # (B,) packed row of each sequence's position 0

    def gather(self, x):
        """(B, T) -> (P,): the kept positions of a batch-layout tensor (ids, token types)."""
        return _take_rows(ops.reshape(x, (-1,)), self.flat_index)

    def to_batch(self, rows):
        """(P, X) -> (B, T, X), zeros at the positions that were not kept."""
        width = rows.shape[-1]
        rows = ops.concatenate([rows, ops.zeros((1, width), rows.dtype)], axis=0)  # (P + 1, X)
        flat = _take_rows(rows, self.source_row)  # (B*T, X)
        return ops.reshape(flat, (self.batch, self.length, width))

    def heads_to_batch(self, rows, heads, first, count):
        """rows (P, G*D), G heads of width D side by side -> heads first .. first+count-1 in
        attention's batch layout (B, count, T, D), in one gather (no transpose, no copy of the
        rest). For attention only: positions not kept hold some kept row's values (see
        `attention_row`)."""
        table = ops.reshape(rows, (-1, rows.shape[-1] // heads))  # (P*G, D)
        offsets = ops.reshape(ops.arange(first, first + count, dtype="int32"), (1, count, 1))
        return _take_rows(table, self.attention_row * heads + offsets)  # (B, count, T, D)

    def heads_to_rows(self, x):
        """(B, N, T, D) -> (P, N*D): the kept positions of attention's output, heads side by side,
        in one gather (no transpose)."""
        n, d = x.shape[1], x.shape[3]
        table = ops.reshape(x, (-1, d))  # (B*N*T, D)
        heads = ops.arange(n, dtype="int32")[None, :]  # (1, N)
        index = (self.batch_index[:, None] * n + heads) * self.length + self.positions[:, None]  # (P, N)
        return ops.reshape(_take_rows(table, index), (-1, n * d))

    def first_rows(self, rows):
        """(P, X) -> (B, X): each sequence's position 0 (the [CLS] row the pooler reads)."""
        return _take_rows(rows, self.row_starts)


def _true_indices(flat):
    """Indices of the True entries of a 1-D bool tensor, in order.

    Keras' one-argument `ops.where` on TensorFlow is `tf.unstack(tf.where(x))`; TFLite's converter
    cannot lower that unstack on a tensor of unknown length, so the TensorFlow backend takes the
    column of `tf.where` directly (`export_tflite(..., unpadded=True)` converts this graph).
    """
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.where(flat)[:, 0]
    return ops.nonzero(flat)[0]


def _take_rows(x, index):
    """`x[index]` along axis 0 for indices known to lie in [0, len(x)).

    Keras' `ops.take` on TensorFlow first maps negative indices (a compare, an add and a select
    around every gather); these indices are never negative, so TensorFlow gathers them directly:
    four fewer ops per gather in the graph and in a converted TFLite file (`export_tflite`).
    """
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.gather(x, index, axis=0)
    return ops.take(x, index, axis=0)
