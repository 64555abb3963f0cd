"""The fast path of TFBertTokenizer: one FastBertTokenizer op for text it provably gets right.

tensorflow-text's `FastBertTokenizer` (normalization, pre-tokenization and WordPiece in one C++
op) is 4-5x faster than the exact pipeline of `tf_pipeline` but differs from `BertTokenizer` on
some characters (ß, capital sigma, controls, compatibility characters, combining marks ...).
`FastPath` sends a string to it only when

- every character is in the stored safe table for the layer's case mode (`tf_fast_tables`,
  derived and re-checked by `tf_fast_safe`: code points that normalize and split exactly as the
  reference does, alone and in context, and cannot interact with their neighbours),
- it contains no special token (the reference keeps `[CLS]`... whole, the op splits them), and
- the op's ids for it hold no [UNK]: the op's word limit counts normalized bytes (100), the
  reference's counts characters (100), so a word the op calls too long may not be; such strings,
  like those with a genuine [UNK], are redone exactly.

The special-token check costs no pass over the text when every special token starts with ASCII
punctuation (`[CLS]`, `<s>` ...): the op splits such a character off as a word of its own, so a
string holding a special token has that character's id (or [UNK], if the vocabulary lacks it)
among its ids. Only rows with such an id are then searched for special tokens, and those that
hold one are redone exactly, like rows with an [UNK]. Other special tokens are looked for with a
regular expression before the op. The op and the safe-character check run on the two halves of
the batch as separate ops, which TensorFlow runs on two inter-op threads.

Everything else goes to the caller's exact tokenizer, and the two ragged results are put back in
the input order. `TFBertTokenizer` applies it twice: to whole strings, and to the space-separated
words of the strings that did not qualify, so that one ß costs one word on the exact path rather
than its whole string (the reference tokenizes text separated by U+0020 part by part: no
normalization, special token or word crosses a space).
"""

import unicodedata

import tensorflow as tf
import tensorflow_text as tf_text

from keras_bert.tokenization import tf_fast_tables, tf_graph
from keras_bert.tokenization import unicode_tables as ut

MAX_BYTES_PER_WORD = 100  # the reference's limit is 100 characters, which take at least 100 bytes
MIN_ELIGIBLE_SHARE = 0.5  # below it a batch goes to the exact tokenizer whole (see FastPath.__call__)


def fast_mode(do_basic_tokenize, never_split, tokenize_chinese_chars, do_lower_case, strips_accents):
    """The safe table's mode ("uncased" or "cased") for these options, or None (exact path only).

    The op can lowercase-and-strip-accents or do neither, always splits CJK ideographs, and knows no
    never_split words; other option sets, and a Python or tensorflow-text whose Unicode data is not
    the one the table was derived with, keep the exact path.
    """
    if not do_basic_tokenize or never_split or not tokenize_chinese_chars:
        return None
    if unicodedata.unidata_version != tf_fast_tables.UNIDATA_VERSION:
        return None
    if tf_text.__version__ != tf_fast_tables.TF_TEXT_VERSION:
        return None
    if do_lower_case and strips_accents:
        return "uncased"
    if not do_lower_case and not strips_accents:
        return "cased"
    return None


class FastPath(tf.Module):
    """Routes strings between FastBertTokenizer and an exact tokenizer; see the module docstring.

    Args:
        vocab: the vocabulary (list of tokens, id = position).
        mode: "uncased" or "cased" (see `fast_mode`).
        unk_token, unk_id: the unknown token and its id.
        specials: the special tokens the reference keeps whole.
    """

    def __init__(self, vocab, mode, unk_token, unk_id, specials):
        super().__init__()
        self.tokenizer = tf_text.FastBertTokenizer(
            vocab=vocab,
            suffix_indicator="##",
            max_bytes_per_word=MAX_BYTES_PER_WORD,
            token_out_type=tf.int64,
            unknown_token=unk_token,
            lower_case_nfd_strip_accents=mode == "uncased",
        )
        self.safe_pattern = ut.ranges_to_class(tf_fast_tables.SAFE_RANGES[mode]) + "*"
        self.unk_id = unk_id
        self.special_pattern = "(?s).*" + tf_graph.literal_alternation(specials) + ".*"
        firsts = {t[0] for t in specials}
        # Checked after the op (see the module docstring), or None: before it, by the pattern.
        self.start_ids = None
        if all(c.isascii() and ut.is_punctuation(c) for c in firsts):
            self.start_ids = [unk_id] + [i for i, t in enumerate(vocab) if t in firsts]

    def eligible(self, text):
        """(N,) strings -> (N,) bool: every character safe (and, without start_ids, no special token)."""
        safe = tf.concat([tf.strings.regex_full_match(t, self.safe_pattern) for t in _halves(text)], 0)
        if self.start_ids is not None:
            return safe
        return safe & ~tf.strings.regex_full_match(text, self.special_pattern)

    def _tokenize(self, text):
        """(N,) strings -> (N, (T)) op ids, the two halves of the batch as two ops (two threads)."""
        first, second = (self.tokenizer.tokenize(t) for t in _halves(text))
        splits = tf.concat([first.row_splits, second.row_splits[1:] + first.row_splits[-1]], 0)
        return tf.RaggedTensor.from_row_splits(tf.concat([first.values, second.values], 0), splits, validate=False)

    def _flagged(self, ids):
        """(N, (T)) op ids -> (N, (T)) bool: [UNK]s and special-token starts (rows to look at again)."""
        flat = ids.flat_values
        hit = tf.equal(flat, self.unk_id)
        for i in self.start_ids or ():
            hit |= tf.equal(flat, i)
        return ids.with_flat_values(hit)

    def _redo(self, text, ids):
        """(N,) strings, their op ids -> (N,) bool: rows to redo exactly (an [UNK] or a special token)."""
        unknown = tf.reduce_any(tf.equal(ids, self.unk_id), axis=1)
        if self.start_ids is None:
            return unknown
        flagged = tf.reduce_any(self._flagged(ids), axis=1)
        return unknown | (flagged & tf.strings.regex_full_match(text, self.special_pattern))

    def __call__(self, text, exact):
        """(N,) strings -> (N, (T)) int64 word piece ids; `exact` maps (M,) strings to (M, (T)) ids."""
        eligible = self.eligible(text)
        # Common case first: every string eligible, no [UNK]: the op's ids as they are. When most
        # strings go to `exact` anyway, all do: splitting the batch costs more than it saves.
        return tf_graph.branch_cond(
            tf.reduce_all(eligible),
            lambda: self._all_eligible(text, exact),
            lambda: tf_graph.branch_cond(
                tf.reduce_mean(tf.cast(eligible, tf.float32)) < MIN_ELIGIBLE_SHARE,
                lambda: exact(text),
                lambda: self._split(text, eligible, exact),
            ),
        )

    def _all_eligible(self, text, exact):
        ids = self._tokenize(text)  # (N, (T))
        every = tf.range(tf.size(text, out_type=tf.int64))
        return tf_graph.branch_cond(
            tf.reduce_any(self._flagged(ids).flat_values),  # one pass; the rest only when needed
            lambda: self._merge(text, every, ids, self._redo(text, ids), exact),
            lambda: ids,
        )

    def _split(self, text, eligible, exact):
        fast_idx = tf.where(eligible)[:, 0]  # (F,)
        fast_text = tf.gather(text, fast_idx)
        fast_ids = self._tokenize(fast_text)  # (F, (T))
        return self._merge(text, fast_idx, fast_ids, self._redo(fast_text, fast_ids), exact)

    def _merge(self, text, fast_idx, fast_ids, redo, exact):
        """The op's rows at `fast_idx` but those to redo, the exact tokenizer's for the rest, in order."""
        kept = ~redo
        fast_idx = tf.boolean_mask(fast_idx, kept)
        fast_ids = tf.ragged.boolean_mask(fast_ids, kept)
        taken = tf.scatter_nd(fast_idx[:, None], tf.ones_like(fast_idx, tf.bool), tf.shape(text, out_type=tf.int64))
        exact_idx = tf.where(~taken)[:, 0]  # (E,)
        exact_ids = _unless_empty(exact, tf.gather(text, exact_idx))  # (E, (T))
        order = tf.concat([fast_idx, exact_idx], 0)  # (N,) input row of each result row
        ids = tf.concat([fast_ids, exact_ids], axis=0)
        return tf.gather(ids, tf.math.invert_permutation(order))


def _halves(text):
    """(N,) strings -> its first and second half: independent ops TensorFlow runs on two threads."""
    half = tf.size(text) // 2
    return text[:half], text[half:]


def _unless_empty(fn, text):
    """fn(text), skipping its ops when text is empty (the exact pipeline costs ~100 ops even on none)."""

    def empty():  # (0, (0)), its row splits of unknown static length like fn's
        return tf.RaggedTensor.from_row_splits(tf.zeros([0], tf.int64), tf.zeros(tf.shape(text) + 1, tf.int64))

    return tf_graph.branch_cond(tf.size(text) > 0, lambda: fn(text), empty)
