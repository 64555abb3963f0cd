"""The decoding loops of `generate()`: greedy / sampling and beam search, each one `tf.while_loop`.

Sequences live in a buffer preallocated to `max_length` (B, L_max); step `cur_len` writes column
`cur_len`. The loops run eagerly (a Python loop, growing cache) or inside one XLA compilation (fixed
cache): the code is the same. They follow transformers' `_sample` and `_beam_search` (the vectorised
beam search that transformers 4.x TF introduced and transformers 5 kept), so tokens agree one for one.
"""

from __future__ import annotations

import tensorflow as tf
from keras import ops

from keras_bert.generation import logits_process

BIG_NEG = -1.0e9


def _dynamic_update(buffer, update, start):
    """buffer with `update` written at `start` (dynamic_update_slice: XLA keeps one buffer)."""
    return ops.slice_update(buffer, [tf.cast(i, tf.int32) for i in start], tf.cast(update, buffer.dtype))


def _set_column(buffer, column, values):
    """buffer[..., column] = values; buffer (..., L), values (...)."""
    return _dynamic_update(buffer, values[..., None], [0] * (len(buffer.shape) - 1) + [column])


MASK32 = 0xFFFFFFFF


def _fmix32(h):
    """MurmurHash3's 32-bit finalizer on int64 holding 32-bit values (products wrap, then are masked)."""
    h = tf.bitwise.bitwise_xor(h, tf.bitwise.right_shift(h, 16))
    h = tf.bitwise.bitwise_and(h * 0x85EBCA6B, MASK32)
    h = tf.bitwise.bitwise_xor(h, tf.bitwise.right_shift(h, 13))
    h = tf.bitwise.bitwise_and(h * 0xC2B2AE35, MASK32)
    return tf.bitwise.bitwise_xor(h, tf.bitwise.right_shift(h, 16))


def _gumbel(shape, seed, step):
    """Gumbel noise (shape (R, C)) of one step: argmax(scores + noise) samples softmax(scores), its top-k
    samples without replacement. A counter-based hash of (seed, step, index) in integer ops, because
    TensorFlow's stateless kernels draw other numbers under XLA than eagerly; this draws the same."""
    seed = tf.cast(seed, tf.int64)
    key = seed[0] * 0x9E3779B1 + seed[1] * 0x85EBCA77 + tf.cast(step, tf.int64) * 0xC2B2AE3D
    key = _fmix32(tf.bitwise.bitwise_and(key, MASK32))
    index = tf.range(tf.cast(shape[0], tf.int64) * tf.cast(shape[1], tf.int64), dtype=tf.int64)
    bits = _fmix32(tf.bitwise.bitwise_and(_fmix32(tf.bitwise.bitwise_xor(index, key)) + key, MASK32))
    u = (tf.cast(tf.bitwise.right_shift(bits, 8), tf.float32) + 0.5) / float(1 << 24)  # (0, 1)
    return tf.reshape(-tf.math.log(-tf.math.log(u)), shape)


def _is_eos(tokens, eos_ids):
    if not eos_ids:
        return tf.zeros_like(tokens, dtype=tf.bool)
    return tf.reduce_any(tf.equal(tokens[..., None], tf.constant(eos_ids, tokens.dtype)), axis=-1)


def _record(buffer, index, scores):
    """buffer[index] = scores when scores are recorded; buffer (steps, B, V) or a (0,) placeholder."""
    if len(buffer.shape) == 1:
        return buffer
    return _dynamic_update(buffer, scores[None], [index, 0, 0])


def greedy_or_sample(decoder, ids, mask, max_length, processors, eos_ids, pad_id, sample_seed, output_scores):
    """Greedy search (`sample_seed is None`) or multinomial sampling. Returns (buffer (B, L_max), cur_len,
    scores (steps, B, V) or a placeholder); columns >= cur_len are padding."""
    batch, prompt_length = ids.shape[0] or tf.shape(ids)[0], ids.shape[1]
    buffer = tf.concat([ids, tf.fill([batch, max_length - prompt_length], tf.constant(pad_id or 0, ids.dtype))], 1)
    full_mask = tf.concat([mask, tf.ones([batch, max_length - prompt_length], mask.dtype)], 1)  # (B, L_max)
    logits, cache = decoder.prefill(ids, mask)
    scores_buffer = tf.zeros([max_length - prompt_length, batch, logits.shape[-1]]) if output_scores else tf.zeros([0])

    def body(cur_len, buffer, unfinished, logits, cache, scores_buffer):
        scores = logits_process.apply(processors, buffer, cur_len, logits)
        scores_buffer = _record(scores_buffer, cur_len - prompt_length, scores)
        if sample_seed is None:
            tokens = tf.argmax(scores, axis=-1, output_type=ids.dtype)  # (B,)
        else:
            tokens = tf.argmax(scores + _gumbel(tf.shape(scores), sample_seed, cur_len), axis=-1, output_type=ids.dtype)
        if eos_ids:
            tokens = tf.where(unfinished, tokens, tf.constant(pad_id, ids.dtype))
            unfinished = tf.logical_and(unfinished, tf.logical_not(_is_eos(tokens, eos_ids)))
        buffer = _set_column(buffer, cur_len, tokens)
        cur_len = cur_len + 1
        go_on = tf.logical_and(cur_len < max_length, tf.reduce_any(unfinished))
        logits, cache = tf.cond(
            go_on,
            lambda: decoder.step(tokens[:, None], cache, cur_len - 1, full_mask),
            lambda: (logits, cache),
        )
        return cur_len, buffer, unfinished, logits, cache, scores_buffer

    def cond(cur_len, buffer, unfinished, *rest):
        return tf.logical_and(cur_len < max_length, tf.reduce_any(unfinished))

    state = (tf.constant(prompt_length), buffer, tf.ones([batch], tf.bool), logits, cache, scores_buffer)
    cur_len, buffer, _, _, _, scores_buffer = tf.while_loop(cond, body, state)
    return buffer, cur_len, scores_buffer


def beam_search(
    decoder,
    ids,
    mask,
    max_length,
    num_beams,
    processors,
    eos_ids,
    fill_value,
    length_penalty,
    early_stopping,
    sample_seed,
    output_scores,
):
    """Beam search over `ids` (B*K, T0) already repeated K times per prompt. Returns (sequences (B, K,
    L_max), beam_scores (B, K), beam_indices (B, K, L_max - T0), scores (steps, B*K, V) or a placeholder)."""
    flat_batch, prompt_length = ids.shape[0], ids.shape[1]
    batch, k = flat_batch // num_beams, num_beams
    keep = max(2, 1 + len(eos_ids)) * k  # candidates kept per step
    top_k_mask = tf.concat([tf.ones([k], tf.bool), tf.zeros([keep - k], tf.bool)], 0)
    generated = max_length - prompt_length

    running = tf.concat([ids, tf.fill([flat_batch, generated], tf.constant(fill_value, ids.dtype))], 1)
    running = tf.reshape(running, [batch, k, max_length])  # (B, K, L_max)
    full_mask = tf.concat([mask, tf.ones([flat_batch, generated], mask.dtype)], 1)
    running_scores = tf.concat([tf.zeros([batch, 1]), tf.fill([batch, k - 1], BIG_NEG)], 1)  # (B, K)
    logits, cache = decoder.prefill(ids, mask)
    vocab = logits.shape[-1]
    state = dict(
        cur_len=tf.constant(prompt_length),
        go_on=tf.constant(True),
        running=running,
        running_scores=running_scores,
        running_indices=tf.fill([batch, k, generated], -1),
        sequences=running,
        beam_scores=tf.fill([batch, k], BIG_NEG),
        beam_indices=tf.fill([batch, k, generated], -1),
        finished=tf.zeros([batch, k], tf.bool),
        improvable=tf.ones([batch, 1], tf.bool),
        logits=logits,
        cache=cache,
        scores=tf.zeros([generated, flat_batch, vocab]) if output_scores else tf.zeros([0]),
    )

    def penalty(length):
        return tf.cast(tf.pow(tf.cast(length, tf.float64), float(length_penalty)), tf.float32)

    def gather(x, index):
        return tf.gather(x, index, batch_dims=1)

    def body(s):
        cur_len = s["cur_len"]
        log_probs = tf.nn.log_softmax(s["logits"], axis=-1)  # (B*K, V)
        log_probs = logits_process.apply(
            processors, tf.reshape(s["running"], [flat_batch, max_length]), cur_len, log_probs
        )
        scores = _record(s["scores"], cur_len - prompt_length, log_probs)
        accumulated = tf.reshape(log_probs, [batch, k, vocab]) + s["running_scores"][:, :, None]
        accumulated = tf.reshape(accumulated, [batch, k * vocab])
        if sample_seed is None:
            top_log_probs, top_index = tf.math.top_k(accumulated, keep)
        else:  # sampling without replacement: Gumbel top-k, then ordered by score
            _, top_index = tf.math.top_k(accumulated + _gumbel(tf.shape(accumulated), sample_seed, cur_len), keep)
            top_log_probs = gather(accumulated, top_index)
            order = tf.argsort(top_log_probs, axis=-1, direction="DESCENDING", stable=True)
            top_log_probs, top_index = gather(top_log_probs, order), gather(top_index, order)
        source_beam = top_index // vocab  # (B, keep)
        tokens = tf.cast(top_index % vocab, ids.dtype)
        top_running = _set_column(gather(s["running"], source_beam), cur_len, tokens)  # (B, keep, L_max)
        flat_source = source_beam + tf.range(batch)[:, None] * k
        top_indices = _set_column(gather(s["running_indices"], source_beam), cur_len - prompt_length, flat_source)
        hits = tf.logical_or(_is_eos(tokens, eos_ids), cur_len + 1 >= max_length)  # (B, keep)

        # Beams that go on: the best K candidates that did not just finish.
        running_log_probs = top_log_probs + tf.cast(hits, tf.float32) * BIG_NEG
        next_index = tf.math.top_k(running_log_probs, k).indices
        running = gather(top_running, next_index)
        running_scores = gather(running_log_probs, next_index)
        running_indices = gather(top_indices, next_index)

        # Finished hypotheses: merge the ones that just finished (among the top K) with the kept ones.
        just_finished = tf.logical_and(hits, top_k_mask[None, :])
        finished_scores = top_log_probs / penalty(cur_len + 1 - prompt_length)
        full = tf.reduce_all(s["finished"], axis=-1, keepdims=True)
        if early_stopping is True:
            finished_scores += tf.cast(full, tf.float32) * BIG_NEG
        finished_scores += tf.cast(tf.logical_not(s["improvable"]), tf.float32) * BIG_NEG
        finished_scores += tf.cast(tf.logical_not(just_finished), tf.float32) * BIG_NEG
        merged_scores = tf.concat([s["beam_scores"], finished_scores], 1)
        best = tf.math.top_k(merged_scores, k).indices
        sequences = gather(tf.concat([s["sequences"], top_running], 1), best)
        beam_scores = gather(merged_scores, best)
        beam_indices = gather(tf.concat([s["beam_indices"], top_indices], 1), best)
        finished = gather(tf.concat([s["finished"], just_finished], 1), best)

        reorder = tf.reshape(running_indices[:, :, cur_len - prompt_length], [flat_batch])
        cur_len = cur_len + 1
        if early_stopping == "never" and length_penalty > 0.0:
            best_length = max_length - prompt_length
        else:
            best_length = cur_len - prompt_length
        best_running = running_scores[:, :1] / penalty(best_length)
        worst_finished = tf.where(finished, tf.reduce_min(beam_scores, axis=1, keepdims=True), BIG_NEG)
        improvable = tf.logical_and(s["improvable"], tf.reduce_any(best_running > worst_finished, -1, keepdims=True))
        go_on = tf.reduce_any(improvable)
        if early_stopping is True:
            go_on = tf.logical_and(go_on, tf.logical_not(tf.reduce_all(finished)))
        go_on = tf.logical_and(go_on, tf.logical_not(tf.reduce_all(hits)))
        go_on = tf.logical_and(go_on, cur_len < max_length)

        def advance():
            last = tf.reshape(running, [flat_batch, max_length])
            last = tf.gather(last, [cur_len - 1], axis=1)  # (B*K, 1)
            return decoder.step(last, decoder.reorder(s["cache"], reorder), cur_len - 1, full_mask)

        logits, cache = tf.cond(go_on, advance, lambda: (s["logits"], s["cache"]))
        return (
            dict(
                cur_len=cur_len,
                go_on=go_on,
                running=running,
                running_scores=running_scores,
                running_indices=running_indices,
                sequences=sequences,
                beam_scores=beam_scores,
                beam_indices=beam_indices,
                finished=finished,
                improvable=improvable,
                logits=logits,
                cache=cache,
                scores=scores,
            ),
        )

    (s,) = tf.while_loop(lambda s: s["go_on"], body, (state,))
    return s["sequences"], s["beam_scores"], s["beam_indices"], s["scores"], s["cur_len"]
