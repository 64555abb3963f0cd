"""Byte offsets of TFBertTokenizer's word pieces in the input text, in the graph.

`TFBertTokenizer.tokenize_ids` normalizes whole strings before splitting them, which
loses positions. Here the same steps run in the other order: split the (UTF-8-repaired)
text into words and punctuation/CJK pieces *with offsets*, normalize each piece, then
WordPiece with offsets. A word piece's offsets are exact when normalizing its piece keeps
the piece's byte length (ASCII, most Latin text); otherwise the piece's whole span is
given. Rows where this order yields other ids than `tokenize_ids` (rare context cases,
e.g. Greek final sigma before a full stop) get offsets -1, so ids stay exact.
"""

import tensorflow as tf
import tensorflow_text as tf_text


def _split(pieces, starts, delim, keep):
    """Splits each string of `pieces` (P,) further; offsets shifted by `starts` (P,)."""
    parts, begin, end = tf_text.regex_split_with_offsets(pieces, delim, keep)
    shift = tf.expand_dims(starts, 1)
    return parts, begin + shift, end + shift


def _basic_pieces(layer, text):
    """(B,) text -> pieces (B, (P)) before normalization, with byte offsets."""
    if not layer.do_basic_tokenize:
        return tf_text.regex_split_with_offsets(text, layer._raw_space, "")
    isolated = layer._special_pattern
    if layer.tokenize_chinese_chars:
        isolated = f"(?:{isolated}|{layer._cjk})"
    words, begin, end = tf_text.regex_split_with_offsets(text, f"(?:{layer._space}|{isolated})", isolated)
    flat, flat_begin, flat_end = words.flat_values, begin.flat_values, end.flat_values  # (W,)
    keep = tf.strings.regex_full_match(flat, layer._keep_pattern)
    parts, p_begin, p_end = _split(flat, flat_begin, layer._punct, layer._punct)  # (W, (p))
    # Keep-words (special tokens, never_split) stay whole; the others split at punctuation.
    split = parts.with_flat_values(tf.repeat(~keep, parts.row_lengths()))

    def whole(values):  # (W, (0 or 1)): the word itself where it is kept whole
        return tf.RaggedTensor.from_row_lengths(tf.boolean_mask(values, keep), tf.cast(keep, tf.int64))

    pieces = tf.concat([tf.ragged.boolean_mask(parts, split), whole(flat)], axis=1)
    starts = tf.concat([tf.ragged.boolean_mask(p_begin, split), whole(flat_begin)], axis=1)
    ends = tf.concat([tf.ragged.boolean_mask(p_end, split), whole(flat_end)], axis=1)
    # (W, (p)) -> (B, (P))
    return (
        words.with_flat_values(pieces).merge_dims(1, 2),
        words.with_flat_values(starts).merge_dims(1, 2),
        words.with_flat_values(ends).merge_dims(1, 2),
    )


def _normalize(layer, pieces):
    """Per-piece normalization as `tokenize_ids` applies it to words (flat (P,) strings)."""
    if not layer.do_basic_tokenize:
        return pieces
    keep = tf.strings.regex_full_match(pieces, layer._keep_pattern)
    out = tf.strings.regex_replace(pieces, layer._dropped, "")
    out = tf_text.normalize_utf8(out, "NFC")
    if layer._lower is not None:
        out = layer._lower(out)
    if layer._strip:
        out = tf.strings.regex_replace(tf_text.normalize_utf8(out, "NFD"), layer._marks, "")
    return tf.where(keep, pieces, out)


def word_piece_offsets(layer, text):
    """(B,) strings -> (starts, ends), each (B, (T)) int64 byte offsets aligned with
    `layer.tokenize_ids(text)` (the text after invalid UTF-8 is replaced by U+FFFD)."""
    text = tf.strings.unicode_transcode(text, "UTF-8", "UTF-8", errors="replace", replacement_char=0xFFFD)
    reference = layer.tokenize_ids(text)
    # regex_split stops at NUL; U+0001 is dropped by the clean-up just like NUL, same byte length.
    pieces, starts, ends = _basic_pieces(layer, tf.strings.regex_replace(text, "\\x00", "\x01"))
    normalized = _normalize(layer, pieces.flat_values)
    nonempty = tf.strings.length(normalized) > 0
    normalized = tf.ragged.boolean_mask(pieces.with_flat_values(normalized), pieces.with_flat_values(nonempty))
    starts = tf.ragged.boolean_mask(starts, pieces.with_flat_values(nonempty))
    ends = tf.ragged.boolean_mask(ends, pieces.with_flat_values(nonempty))
    flat = normalized.flat_values  # (P,)
    ids, wp_begin, wp_end = layer.wordpiece_ids(flat, with_offsets=True)  # (P, (k))
    piece_start, piece_end = starts.flat_values, ends.flat_values
    exact = tf.equal(tf.cast(tf.strings.length(flat), tf.int64), piece_end - piece_start)  # (P,)
    k = ids.row_lengths()
    exact_k = tf.repeat(exact, k)
    start_k, end_k = tf.repeat(piece_start, k), tf.repeat(piece_end, k)
    tok_start = tf.where(exact_k, start_k + wp_begin.flat_values, start_k)
    tok_end = tf.where(exact_k, start_k + wp_end.flat_values, end_k)
    row_ids = normalized.with_flat_values(ids).merge_dims(1, 2)  # (B, (T))
    row_start = row_ids.with_flat_values(tok_start)
    row_end = row_ids.with_flat_values(tok_end)
    # Where this order of steps disagrees with tokenize_ids, give up on offsets for the row.
    same_len = tf.equal(row_ids.row_lengths(), reference.row_lengths())
    lengths = reference.row_lengths()
    safe_ids = tf.ragged.boolean_mask(row_ids, same_len)
    safe_ref = tf.ragged.boolean_mask(reference, same_len)
    equal_rows = tf.reduce_all(tf.equal(safe_ids.to_tensor(-1), safe_ref.to_tensor(-1)), axis=1)
    agree = tf.scatter_nd(tf.where(same_len), equal_rows, tf.shape(same_len, out_type=tf.int64))
    agree_t = tf.repeat(agree, lengths)
    fallback = -tf.ones_like(reference.flat_values)

    def pick(values):
        aligned = tf.ragged.boolean_mask(values, same_len)
        filled = tf.scatter_nd(
            tf.where(tf.repeat(same_len, lengths)),
            aligned.flat_values,
            tf.shape(reference.flat_values, out_type=tf.int64),
        )
        return reference.with_flat_values(tf.where(agree_t, filled, fallback))

    return pick(row_start), pick(row_end)


def model_input_offsets(layer, text, width):
    """(B,) strings -> (B, width, 2) int32 [start, end) byte offsets aligned with
    `layer(text)["input_ids"]` (single texts): (0, 0) for [CLS], [SEP] and padding,
    (-1, -1) for rows whose offsets could not be aligned (see module doc)."""
    starts, ends = word_piece_offsets(layer, text)
    if layer.truncation and layer.max_length is not None:
        keep = layer.max_length - 2
        starts, ends = starts[:, :keep], ends[:, :keep]
    pair = tf.stack([starts.flat_values, ends.flat_values], axis=-1)  # (T, 2)
    tokens = starts.with_flat_values(pair)  # (B, (T), 2)
    batch = tf.shape(text, out_type=tf.int64)[0]
    edge = tf.zeros([batch, 1, 2], tf.int64)
    framed = tf.concat([edge, tokens, edge], axis=1)  # [CLS] tokens [SEP]
    return tf.cast(framed.to_tensor(0, shape=tf.stack([batch, tf.cast(width, tf.int64), 2])), tf.int32)
