"""TFBertTokenizer's last step: [CLS] a [SEP] (b [SEP]) framed, truncated and padded, as dense ops.

The ragged route (boolean-mask each row to its kept length, concatenate ragged pieces for ids and
again for token types, convert both to dense) costs about as much as the FastBertTokenizer op
itself on a batch of short strings. Here each sequence is made dense once and every output
position picks its value by comparing its index with the kept lengths:

    position j of row i:  0 -> [CLS];  1..ka -> a[i, j-1];  ka+1 -> [SEP];
                          ka+2..ka+kb+1 -> b[i, j-ka-2];  ka+kb+2 -> [SEP] (pairs);  later -> [PAD]

with ka, kb the kept lengths of the row (see `tf_graph.truncate_lengths`).
"""

import tensorflow as tf


def frame(ids_a, ids_b, keep_a, keep_b, width, cls_id, sep_id, pad_id):
    """(B, (Ta)) and optional (B, (Tb)) int64 ids, (B,) kept lengths, scalar width ->
    (input_ids, token_type_ids, attention_mask), each (B, width) int64."""
    batch = tf.shape(ids_a.row_splits, out_type=tf.int64)[0] - 1
    pos = tf.range(width, dtype=tf.int64)[None, :]  # (1, W)
    ka = keep_a[:, None]  # (B, 1)
    a = ids_a.to_tensor(pad_id, shape=tf.stack([batch, width]))  # (B, W), cropped at W
    shifted = tf.concat([tf.fill([batch, 1], tf.constant(cls_id, tf.int64)), a[:, : tf.maximum(width - 1, 0)]], 1)
    ids = tf.where(pos <= ka, shifted, tf.constant(pad_id, tf.int64))  # [CLS] at 0, a at 1..ka
    ids = tf.where(pos == ka + 1, tf.constant(sep_id, tf.int64), ids)
    if ids_b is None:
        mask = pos < ka + 2
        return ids, tf.zeros_like(ids), tf.cast(mask, tf.int64)
    kb = keep_b[:, None]
    b = ids_b.to_tensor(pad_id, shape=tf.stack([batch, width]))  # (B, W)
    at = tf.clip_by_value(pos - ka - 2, 0, tf.maximum(width - 1, 0)) + tf.zeros_like(ka)  # (B, W)
    in_b = (pos >= ka + 2) & (pos <= ka + kb + 1)
    ids = tf.where(in_b, tf.gather(b, at, batch_dims=1), ids)
    ids = tf.where(pos == ka + kb + 2, tf.constant(sep_id, tf.int64), ids)
    types = tf.cast((pos >= ka + 2) & (pos <= ka + kb + 2), tf.int64)
    mask = pos < ka + kb + 3
    return ids, types, tf.cast(mask, tf.int64)
