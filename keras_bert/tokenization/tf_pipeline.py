"""The graph of TFBertTokenizer: vocabulary tables, normalization, WordPiece (a mixin of the layer).

`TFBertTokenizer` holds the options (do_lower_case, never_split, special tokens ...); this mixin
builds the lookup tables and the tensorflow-text WordPiece from its vocabulary and turns a
(B,) batch of strings into (B, (T)) word piece ids exactly as `BertTokenizer` does, from core
TensorFlow and tensorflow-text ops only (see `tf_graph` and `unicode_tables`). `routed_ids` sends
the strings, then the words, that tensorflow-text's FastBertTokenizer provably tokenizes the same
way to that one op instead (`tf_fast_path`). `tf_offsets` reuses its patterns and `wordpiece_ids`.
"""

import tensorflow as tf
import tensorflow_text as tf_text

from keras_bert.tokenization import tf_fast_path, tf_graph, tf_vocab
from keras_bert.tokenization import unicode_tables as ut

MAX_CHARS_PER_WORD = 100


class TokenizerGraph:
    """Builds and runs the tokenization graph from the attributes `TFBertTokenizer` sets."""

    def _set_vocabulary(self, tokens, vocab_file):
        specials = {n: getattr(self, n) for n in tf_vocab.SPECIAL_NAMES}
        source = repr(vocab_file) if vocab_file else "vocab_list"
        extended, self._ids = tf_vocab.resolve(tokens, specials, self._explicit_ids, source)
        if vocab_file is None or len(extended) != len(tokens):
            vocab_file = tf_vocab.write_tokens(extended)
        self.vocab_file = vocab_file
        self._tokens = extended
        # The text file initializer makes vocab_file a SavedModel asset.
        self._vocab_table = tf.lookup.StaticHashTable(
            tf.lookup.TextFileInitializer(
                vocab_file, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE, tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER
            ),
            default_value=self._ids["unk_token"],
        )
        names = list(tf_vocab.SPECIAL_NAMES)
        self._special_table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant([getattr(self, n) for n in names]), tf.constant([self._ids[n] for n in names], tf.int64)
            ),
            default_value=-1,
        )
        self._wordpiece = tf_text.FastWordpieceTokenizer(
            vocab=extended,
            suffix_indicator="##",
            max_bytes_per_word=4 * MAX_CHARS_PER_WORD + 4,
            token_out_type=tf.int64,
            unknown_token=self.unk_token,
            no_pretokenization=True,
        )
        self._build_patterns()

    def _build_patterns(self):
        self._special_pattern = tf_graph.literal_alternation(self._specials)
        keep = set(self._specials) | set(self.never_split) if self.do_basic_tokenize else set(self._specials)
        self._keep_pattern = tf_graph.literal_alternation(keep)
        direct = set(self._specials) | set(self.never_split if self.do_basic_tokenize else ())
        self._direct_pattern = tf_graph.literal_alternation(direct)
        self._dropped = ut.ranges_to_class(ut.dropped_ranges())
        self._space = ut.ranges_to_class(ut.space_ranges())
        self._cjk = ut.ranges_to_class(ut.cjk_ranges())
        self._punct = ut.ranges_to_class(ut.punctuation_ranges())
        self._marks = ut.ranges_to_class(ut.mark_ranges())
        self._raw_space = ut.ranges_to_class(ut.isspace_ranges())
        self._lower = tf_graph.ExactLower() if self.do_lower_case else None
        if self.strip_accents is None:
            self._strip = bool(self.do_lower_case)
        else:
            self._strip = bool(self.strip_accents)
        mode = tf_fast_path.fast_mode(
            self.do_basic_tokenize, self.never_split, self.tokenize_chinese_chars, self.do_lower_case, self._strip
        )
        self._fast = None
        if mode is not None:
            self._fast = tf_fast_path.FastPath(
                self._tokens, mode, self.unk_token, self._ids["unk_token"], self._specials
            )

    # -- the graph ------------------------------------------------------
    def tokenize_ids(self, text):
        """(B,) strings -> (B, (T)) int64 word piece ids, no special tokens."""
        text = tf.convert_to_tensor(text, tf.string)
        text = tf.strings.unicode_transcode(text, "UTF-8", "UTF-8", errors="replace", replacement_char=0xFFFD)
        text = tf.strings.regex_replace(text, self._special_pattern, r" \0 ")
        if self.do_basic_tokenize:
            text = tf.strings.regex_replace(text, self._dropped, "")
            text = tf.strings.regex_replace(text, self._space, " ")
            if self.tokenize_chinese_chars:
                text = tf.strings.regex_replace(text, self._cjk, r" \0 ")
            text = tf_text.normalize_utf8(text, "NFC")
            words = tf.strings.split(text)  # (B, (W))
            flat = words.flat_values
            keep = tf.strings.regex_full_match(flat, self._keep_pattern)
            out = flat
            if self._lower is not None:
                out = self._lower(out)
            if self._strip:
                out = tf.strings.regex_replace(tf_text.normalize_utf8(out, "NFD"), self._marks, "")
            out = tf.where(keep, flat, out)
            keep = tf.strings.regex_full_match(out, self._keep_pattern)
            split = tf.strings.regex_replace(out, self._punct, r" \0 ")
            out = tf.where(keep, out, split)
            pieces = words.with_flat_values(tf.strings.split(out)).merge_dims(1, 2)
        else:
            text = tf.strings.regex_replace(text, self._raw_space, " ")
            pieces = tf.strings.split(text)
        ids = self.wordpiece_ids(pieces.flat_values)  # (T, (k))
        return pieces.with_flat_values(ids).merge_dims(1, 2)

    def routed_ids(self, text):
        """tokenize_ids, with the strings (then the words) the fast path can take taken by it."""
        if self._fast is None:
            return self.tokenize_ids(text)
        return self._fast(text, self._routed_word_ids)

    def _routed_word_ids(self, text):
        """Strings the fast path did not take: their space-separated words routed one by one.

        Each distinct word of the batch is tokenized once (text repeats its words: a batch of 256
        sentences holds a fraction of its words distinct), then gathered back in place.
        """
        words = tf.strings.split(text, sep=" ")  # (B, (W))
        distinct, index = tf.unique(words.flat_values)  # (U,), (W,)
        # The exact pipeline has a call site in each branch of the fast path: traced once.
        exact = tf_graph.traced_once(self, "tokenize_ids", self.tokenize_ids)
        ids = tf.gather(self._fast(distinct, exact), index)  # (W, (k))
        return words.with_flat_values(ids).merge_dims(1, 2)

    def wordpiece_ids(self, flat, with_offsets=False):
        """(P,) basic tokens -> (P, (k)) word piece ids (and byte offsets within each token).

        Special tokens and never_split words map to their own id; words over 100
        characters to [UNK]; the rest go through WordPiece.
        """
        direct = tf.strings.regex_full_match(flat, self._direct_pattern)
        too_long = tf.strings.length(flat, unit="UTF8_CHAR") > MAX_CHARS_PER_WORD
        single = direct | too_long
        fed = tf.where(single, self.unk_token, flat)
        if with_offsets:
            wp, begin, end = self._wordpiece.tokenize_with_offsets(fed)  # (P, (k))
        else:
            wp = self._wordpiece.tokenize(fed)  # (P, (k))
        idx = tf.where(single)  # (S, 1)
        chosen = tf.gather_nd(flat, idx)
        special = self._special_table.lookup(chosen)  # -1 for never_split words
        single_ids = tf.where(special >= 0, special, self._vocab_table.lookup(chosen))
        single_ids = tf.where(tf.gather_nd(too_long, idx), tf.constant(self._ids["unk_token"], tf.int64), single_ids)
        starts = tf.gather_nd(wp.row_starts(), idx)
        values = tf.tensor_scatter_nd_update(wp.flat_values, starts[:, None], single_ids)
        ids = wp.with_flat_values(values)
        if not with_offsets:
            return ids
        # A single-id token spans its whole word.
        whole = tf.gather_nd(tf.cast(tf.strings.length(flat), tf.int64), idx)
        end = end.with_flat_values(tf.tensor_scatter_nd_update(end.flat_values, starts[:, None], whole))
        return ids, begin, end
