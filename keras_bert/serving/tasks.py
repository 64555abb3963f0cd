"""Task outputs computed in the graph from the head's raw outputs (TensorFlow ops only)."""

import tensorflow as tf

TASKS = (
    "features",
    "classification",
    "token-classification",
    "question-answering",
    "fill-mask",
    "multiple-choice",
    "pretraining",
)
PAIR_TASKS = ("question-answering", "multiple-choice")
MAX_ANSWER_TOKENS = 30
TOP_K = 5


def masked_mean(hidden, mask):
    """Mean of hidden (B, T, H) over real tokens; an all-padding row gives zeros."""
    mask = tf.cast(mask, hidden.dtype)[:, :, None]  # (B, T, 1)
    total = tf.reduce_sum(hidden * mask, axis=1)
    count = tf.reduce_sum(mask, axis=1)
    return total / tf.maximum(count, 1.0)


def wordpieces_to_text(tokens):
    """Joins word pieces (B, N) into text (B,): "un ##want ##ed" -> "unwanted"."""
    joined = tf.strings.reduce_join(tokens, axis=-1, separator=" ")
    joined = tf.strings.regex_replace(joined, " ##", "")
    return tf.strings.strip(tf.strings.regex_replace(joined, " +", " "))


def classification(out, config, labels_table):
    logits = tf.cast(out["logits"], tf.float32)
    if config.problem_type == "multi_label_classification":
        probabilities = tf.sigmoid(logits)
    elif config.num_labels == 1:
        probabilities = logits
    else:
        probabilities = tf.nn.softmax(logits, axis=-1)
    label_id = tf.argmax(logits, axis=-1, output_type=tf.int32)
    return {
        "logits": logits,
        "probabilities": probabilities,
        "label_id": label_id,
        "label": labels_table.lookup(tf.cast(label_id, tf.int64)),
    }


def token_classification(out, inputs, labels_table, id_to_token, offsets):
    """Per word piece: logits, label, the piece and its [start, end) byte offsets in the text."""
    logits = tf.cast(out["logits"], tf.float32)  # (B, T, L)
    label_id = tf.argmax(logits, axis=-1, output_type=tf.int32)  # (B, T)
    real = tf.cast(inputs["attention_mask"], tf.bool)
    tokens = tf.where(real, id_to_token.lookup(tf.cast(inputs["input_ids"], tf.int64)), "")
    labels = tf.where(real, labels_table.lookup(tf.cast(label_id, tf.int64)), "")
    return {"logits": logits, "label_id": label_id, "label": labels, "tokens": tokens, "offsets": offsets}


def question_answering(out, inputs, id_to_token):
    """Best span (start <= end < start + 30) inside the context (segment 1, before the last
    [SEP]); `answer` is its text from the word pieces, `score` = p(start) * p(end)."""
    start = tf.cast(out["start_logits"], tf.float32)  # (B, T)
    end = tf.cast(out["end_logits"], tf.float32)
    mask = tf.cast(inputs["attention_mask"], tf.bool)
    context = tf.logical_and(tf.equal(inputs["token_type_ids"], 1), mask)
    # The final [SEP] of each row is not part of the context.
    last = tf.reduce_sum(tf.cast(mask, tf.int32), axis=1) - 1  # (B,)
    positions = tf.range(tf.shape(start)[1])[None, :]  # (1, T)
    context = tf.logical_and(context, positions < last[:, None])
    neg = tf.fill(tf.shape(start), tf.float32.min)
    p_start = tf.nn.softmax(tf.where(mask, start, neg), axis=-1)
    p_end = tf.nn.softmax(tf.where(mask, end, neg), axis=-1)
    p_start = tf.where(context, p_start, 0.0)
    p_end = tf.where(context, p_end, 0.0)
    pair = p_start[:, :, None] * p_end[:, None, :]  # (B, T, T): start i, end j
    gap = positions[0][None, :] - positions[0][:, None]  # (T, T): j - i
    band = tf.logical_and(gap >= 0, gap < MAX_ANSWER_TOKENS)  # start <= end < start + 30
    pair = tf.where(band[None], pair, 0.0)
    length = tf.shape(start)[1]
    best = tf.argmax(tf.reshape(pair, [tf.shape(start)[0], -1]), axis=-1, output_type=tf.int32)
    best_start, best_end = best // length, best % length
    score = tf.reduce_max(tf.reshape(pair, [tf.shape(start)[0], -1]), axis=-1)
    span = tf.logical_and(positions >= best_start[:, None], positions <= best_end[:, None])
    tokens = id_to_token.lookup(tf.cast(inputs["input_ids"], tf.int64))
    picked = tf.ragged.boolean_mask(tokens, tf.logical_and(span, (score > 0)[:, None]))
    return {
        "start_logits": start,
        "end_logits": end,
        "answer": wordpieces_to_text(picked),
        "answer_start": best_start,
        "answer_end": best_end,
        "score": score,
    }


def fill_mask(out, inputs, mask_token_id, id_to_token):
    """Top-5 tokens and probabilities at each [MASK]: (B, M, 5), M = most masks in a row;
    `mask_positions` (B, M) gives their token index (-1 for padding)."""
    logits = tf.cast(out["logits"], tf.float32)  # (B, T, V)
    is_mask = tf.equal(inputs["input_ids"], mask_token_id)  # (B, T)
    probs = tf.nn.softmax(tf.ragged.boolean_mask(logits, is_mask).to_tensor(), axis=-1)  # (B, M, V)
    scores, ids = tf.math.top_k(probs, k=TOP_K)  # (B, M, 5)
    counts = tf.reduce_sum(tf.cast(is_mask, tf.int32), axis=1)
    valid = tf.sequence_mask(counts, tf.shape(ids)[1])  # (B, M)
    positions = tf.ragged.boolean_mask(tf.broadcast_to(tf.range(tf.shape(is_mask)[1]), tf.shape(is_mask)), is_mask)
    return {
        "token_strings": tf.where(valid[:, :, None], id_to_token.lookup(tf.cast(ids, tf.int64)), ""),
        "token_ids": tf.where(valid[:, :, None], ids, -1),
        "scores": tf.where(valid[:, :, None], scores, 0.0),
        "mask_positions": positions.to_tensor(-1),
    }


def features(out, inputs):
    result = {
        "last_hidden_state": tf.cast(out["last_hidden_state"], tf.float32),
        "sentence_embedding": masked_mean(tf.cast(out["last_hidden_state"], tf.float32), inputs["attention_mask"]),
    }
    if out.get("pooler_output") is not None:
        result["pooler_output"] = tf.cast(out["pooler_output"], tf.float32)
    return result
