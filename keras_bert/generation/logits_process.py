"""Logits processors of `generate()`, as transformers applies them, written for one fixed-size buffer.

Every processor takes `(ids, cur_len, scores)`: `ids` (B, L_max) int32 is the preallocated sequence
buffer of which only the first `cur_len` positions are written, `scores` (B, V) float32 are the next-token
scores. Nothing depends on `cur_len` through a Python value, so one XLA compilation serves every step.
The order (`build_processors`) is transformers': repetition penalty, no-repeat n-grams, bad words,
minimum length, minimum new tokens, then (sampling only) temperature, top-k, top-p.
"""

from __future__ import annotations

import tensorflow as tf

NEG_INF = float("-inf")


def _written(ids, cur_len):
    """(B, L_max) bool: positions already written."""
    return tf.range(tf.shape(ids)[1])[None, :] < cur_len


def _scatter_tokens(tokens, flags, vocab_size):
    """(B, V) bool: for each row, the tokens (B, W) whose flag (B, W) is set. A scatter, so memory is
    O(B * W), not the O(B * W * V) of a one-hot; ids outside [0, V) are dropped."""
    batch, width = tf.shape(tokens)[0], tf.shape(tokens)[1]
    inside = tf.logical_and(flags, tf.logical_and(tokens >= 0, tokens < vocab_size))
    rows = tf.repeat(tf.range(batch)[:, None], width, axis=1)  # (B, W)
    index = tf.stack([rows, tf.clip_by_value(tokens, 0, vocab_size - 1)], axis=-1)  # (B, W, 2)
    hits = tf.tensor_scatter_nd_max(
        tf.zeros([batch, vocab_size], tf.int32), tf.reshape(index, [-1, 2]), tf.reshape(tf.cast(inside, tf.int32), [-1])
    )
    return hits > 0


def _tokens_present(ids, cur_len, vocab_size):
    """(B, V) bool: the token occurs in ids[:, :cur_len]."""
    return _scatter_tokens(ids, _written(ids, cur_len), vocab_size)


def repetition_penalty(penalty, ignore_before=None):
    """CTRL's penalty: a seen token's score is divided by `penalty` (multiplied when negative).
    `ignore_before` (B,): leading (left-padding) positions of each row that do not count (transformers)."""

    def process(ids, cur_len, scores):
        if ignore_before is not None:
            lead = tf.range(tf.shape(ids)[1])[None, :] < ignore_before[:, None]
            ids = tf.where(lead, -1, ids)  # out of vocabulary: not counted
        seen = _tokens_present(ids, cur_len, tf.shape(scores)[1])
        penalized = tf.where(scores < 0, scores * penalty, scores / penalty)
        return tf.where(seen, penalized, scores)

    return process


def no_repeat_ngram(n):
    """Bans any token that would repeat an n-gram already in ids[:, :cur_len]."""

    def process(ids, cur_len, scores):
        length = ids.shape[1]
        if length is None or length < n:
            return scores
        starts = length - n + 1
        # windows[b, i] = ids[b, i : i + n], (B, W, n)
        windows = tf.stack([ids[:, j : j + starts] for j in range(n)], axis=-1)
        prefix_start = tf.maximum(cur_len - (n - 1), 0)
        prefix = tf.slice(ids, [0, prefix_start], [-1, n - 1]) if n > 1 else ids[:, :0]  # (B, n-1)
        same = tf.reduce_all(tf.equal(windows[:, :, : n - 1], prefix[:, None, :]), axis=-1)  # (B, W)
        complete = tf.range(starts)[None, :] <= cur_len - n  # the whole n-gram is written
        match = tf.logical_and(same, complete)
        banned = _scatter_tokens(windows[:, :, n - 1], match, tf.shape(scores)[1])  # (B, V)
        return tf.where(banned, NEG_INF, scores)

    return process


def bad_words(bad_words_ids):
    """Bans the last token of each listed sequence when the sequence's other tokens end ids[:, :cur_len]."""
    for seq in bad_words_ids:
        if not isinstance(seq, (list, tuple)) or not seq or not all(isinstance(t, int) and t >= 0 for t in seq):
            raise ValueError(f"bad_words_ids must be a list of non-empty lists of token ids, got entry {seq!r}")

    def process(ids, cur_len, scores):
        vocab = tf.shape(scores)[1]
        banned = tf.zeros_like(scores, dtype=tf.bool)
        for seq in bad_words_ids:
            *prefix, last = seq
            hit = tf.ones(tf.shape(ids)[:1], dtype=tf.bool)
            if prefix:
                k = len(prefix)
                tail = tf.slice(ids, [0, tf.maximum(cur_len - k, 0)], [-1, k])  # (B, k)
                hit = tf.logical_and(tf.reduce_all(tf.equal(tail, tf.constant(prefix, ids.dtype)), -1), cur_len >= k)
            banned = tf.logical_or(banned, tf.logical_and(hit[:, None], tf.one_hot(last, vocab) > 0))
        return tf.where(banned, NEG_INF, scores)

    return process


def min_length(minimum, eos_ids):
    """No end-of-sequence token while fewer than `minimum` tokens (prompt included) are written."""

    def process(ids, cur_len, scores):
        is_eos = tf.reduce_any(tf.one_hot(eos_ids, tf.shape(scores)[1]) > 0, axis=0)  # (V,)
        return tf.where(tf.logical_and(is_eos[None, :], cur_len < minimum), NEG_INF, scores)

    return process


def temperature(value):
    def process(ids, cur_len, scores):
        return scores / value

    return process


def top_k(k, min_tokens_to_keep=1):
    """Keeps the k best scores (ties with the k-th kept), the rest set to -inf."""

    def process(ids, cur_len, scores):
        kk = min(max(k, min_tokens_to_keep), scores.shape[-1])
        kth = tf.math.top_k(scores, kk).values[:, -1:]  # (B, 1)
        return tf.where(scores < kth, NEG_INF, scores)

    return process


def top_p(p, min_tokens_to_keep=1):
    """Nucleus filtering: drops the least likely tokens whose cumulative probability is <= 1 - p."""

    def process(ids, cur_len, scores):
        order = tf.argsort(scores, axis=-1, direction="ASCENDING", stable=True)  # (B, V)
        ascending = tf.gather(scores, order, batch_dims=1)
        cumulative = tf.cumsum(tf.nn.softmax(ascending, axis=-1), axis=-1)
        remove_sorted = cumulative <= (1 - p)
        vocab = scores.shape[-1]
        keep_last = tf.range(vocab) >= vocab - min_tokens_to_keep
        remove_sorted = tf.logical_and(remove_sorted, tf.logical_not(keep_last)[None, :])
        # Back to vocabulary order: position order[b, j] gets remove_sorted[b, j].
        remove = tf.scatter_nd(
            tf.stack([tf.repeat(tf.range(tf.shape(scores)[0])[:, None], vocab, axis=1), order], axis=-1),
            remove_sorted,
            tf.shape(scores),
        )
        return tf.where(remove, NEG_INF, scores)

    return process


def build_processors(config, prompt_mask, eos_ids: list, sampling: bool):
    """The processors `config` asks for, in transformers' order. prompt_mask: (B, T0) of the prompt."""
    prompt_length = prompt_mask.shape[1]
    processors = []
    if config.repetition_penalty is not None and config.repetition_penalty != 1.0:
        ignore_before = tf.argmax(tf.not_equal(prompt_mask, 0), axis=1, output_type=tf.int32)  # left padding
        processors.append(repetition_penalty(float(config.repetition_penalty), ignore_before))
    if config.no_repeat_ngram_size:
        processors.append(no_repeat_ngram(int(config.no_repeat_ngram_size)))
    if config.bad_words_ids:
        words = [list(w) for w in config.bad_words_ids if not (len(w) == 1 and w[0] in eos_ids)]
        if words:
            processors.append(bad_words(words))
    if eos_ids and config.min_length and config.min_length > 0:
        processors.append(min_length(int(config.min_length), eos_ids))
    if eos_ids and config.min_new_tokens and config.min_new_tokens > 0:
        processors.append(min_length(prompt_length + int(config.min_new_tokens), eos_ids))
    if sampling:
        keep = len(eos_ids) + 1 if config.num_beams > 1 else 1  # beams keep a non-eos continuation
        if config.temperature is not None and config.temperature != 1.0:
            processors.append(temperature(float(config.temperature)))
        if config.top_k is not None and config.top_k != 0:
            processors.append(top_k(int(config.top_k), keep))
        if config.top_p is not None and config.top_p < 1.0:
            processors.append(top_p(float(config.top_p), keep))
    return processors


def apply(processors, ids, cur_len, scores):
    for process in processors:
        scores = process(ids, cur_len, scores)
    return scores
