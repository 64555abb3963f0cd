"""TFBertTokenizer: BERT tokenization as a Keras layer of TensorFlow ops."""

import inspect
import os
import shutil
import tempfile

import keras
import tensorflow as tf
import tensorflow_text as tf_text

from keras_bert.tokenization import tf_graph
from keras_bert.tokenization import unicode_tables as ut
from keras_bert.tokenization.basic import clean_text
from keras_bert.tokenization.bert_tokenizer import VOCAB_FILE, BertTokenizer

_PADDING = ("longest", "max_length")
_TRUNCATION = {
    True: "longest_first",
    False: None,
    None: None,
    "longest_first": "longest_first",
    "only_first": "only_first",
    "only_second": "only_second",
    "do_not_truncate": None,
}
MAX_CHARS_PER_WORD = 100
SHARDS = 2  # batch slices tokenized as independent graph branches


@keras.saving.register_keras_serializable(package="keras_bert")
class TFBertTokenizer(keras.layers.Layer):
    """In-graph BERT tokenizer that matches `BertTokenizer` exactly.

    `call(text)` or `call(text, text_pair)` takes tf.string tensors of shape
    (B,) and returns a dict of (B, L) tensors: `input_ids`, and (unless
    turned off) `token_type_ids` and `attention_mask`.

    Args:
        vocab_file: vocab.txt; it becomes a SavedModel asset (never a list in
            the config). Every special token must be in it (else ValueError).
        do_lower_case, do_basic_tokenize, never_split, tokenize_chinese_chars,
        strip_accents, unk_token, sep_token, pad_token, cls_token, mask_token:
            as `BertTokenizer` (use `from_tokenizer` to copy them).
        max_length: length limit for truncation and "max_length" padding.
        padding: "longest" (pad to the longest row of the batch) or
            "max_length" (pad to `max_length`; rows that are longer because
            truncation is off keep their length and set the width).
        pad_to_multiple_of: round the padded width up to a multiple of this.
        truncation: True/"longest_first" (pairs: shorten the longer sequence
            first, then both, as the reference), "only_first", "only_second",
            or False. Needs `max_length`.
        return_token_type_ids, return_attention_mask: include those outputs.
        output_dtype: dtype of the outputs (default "int32").

    Defined behaviour on bad input: invalid UTF-8 is decoded with each bad
    sequence replaced by U+FFFD, which the clean-up then drops (the same as
    `BertTokenizer` on `bytes.decode("utf-8", "replace")`); an empty string
    gives `[CLS] [SEP]`; an empty batch gives (0, 0) outputs ((0, max_length)
    with "max_length" padding).
    """

    def __init__(
        self,
        vocab_file=None,
        do_lower_case=True,
        do_basic_tokenize=True,
        never_split=None,
        unk_token="[UNK]",
        sep_token="[SEP]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        mask_token="[MASK]",
        tokenize_chinese_chars=True,
        strip_accents=None,
        max_length=None,
        padding="longest",
        pad_to_multiple_of=None,
        truncation=True,
        return_token_type_ids=True,
        return_attention_mask=True,
        output_dtype="int32",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if padding not in _PADDING:
            raise ValueError(f"padding must be 'longest' or 'max_length', got {padding!r}")
        if truncation not in _TRUNCATION:
            raise ValueError(f"truncation must be one of {list(_TRUNCATION)}, got {truncation!r}")
        if padding == "max_length" and max_length is None:
            raise ValueError("padding='max_length' needs max_length.")
        self.do_lower_case = do_lower_case
        self.do_basic_tokenize = do_basic_tokenize
        self.never_split = list(never_split or [])
        self.unk_token, self.sep_token, self.pad_token = unk_token, sep_token, pad_token
        self.cls_token, self.mask_token = cls_token, mask_token
        self.tokenize_chinese_chars = tokenize_chinese_chars
        self.strip_accents = strip_accents
        self.max_length = max_length
        self.padding = padding
        self.pad_to_multiple_of = pad_to_multiple_of
        self.truncation = truncation
        self.return_token_type_ids = return_token_type_ids
        self.return_attention_mask = return_attention_mask
        self.output_dtype = output_dtype
        self._specials = [unk_token, sep_token, pad_token, cls_token, mask_token]
        for tok in self._specials:
            if clean_text(tok) != tok or tok != " ".join(tok.split()) or " " in tok:
                raise ValueError(f"Special token {tok!r} must survive text clean-up unchanged.")
        self.vocab_file = None
        if vocab_file is not None:
            self._set_vocabulary(vocab_file)

    # -- construction helpers -------------------------------------------
    @classmethod
    def from_tokenizer(cls, tokenizer, **options):
        """Copies vocabulary and text options from a `BertTokenizer`."""
        config = dict(
            vocab_file=tokenizer.vocab_file,
            do_lower_case=tokenizer.do_lower_case,
            do_basic_tokenize=tokenizer.do_basic_tokenize,
            never_split=tokenizer.never_split,
            tokenize_chinese_chars=tokenizer.tokenize_chinese_chars,
            strip_accents=tokenizer.strip_accents,
            **{n: getattr(tokenizer, n) for n in ("unk_token", "sep_token", "pad_token", "cls_token", "mask_token")},
        )
        if options.get("max_length") is None and tokenizer.model_max_length:
            options["max_length"] = tokenizer.model_max_length
        config.update(options)
        return cls(**config)

    @classmethod
    def from_pretrained(cls, directory, **options):
        """From a directory with vocab.txt and tokenizer_config.json, or a hub name in the local
        Hugging Face cache (hub keywords as `keras_bert.hub.pop_hub_kwargs`).

        Example:
            >>> tf_tokenizer = TFBertTokenizer.from_pretrained("bert-base-uncased", padding="longest")
        """
        from keras_bert import hub

        hub_kwargs = hub.pop_hub_kwargs(options)
        return cls.from_tokenizer(BertTokenizer.from_pretrained(directory, **hub_kwargs), **options)

    def _set_vocabulary(self, vocab_file):
        with open(vocab_file, encoding="utf-8") as f:
            tokens = [line.rstrip("\n") for line in f]
        index = {t: i for i, t in enumerate(tokens)}
        for tok in self._specials:
            if tok not in index:
                raise ValueError(f"Special token {tok!r} is not in the vocabulary {vocab_file!r}.")
        if len(index) != len(tokens) or "" in index:
            raise ValueError(
                f"Vocabulary {vocab_file!r} has duplicate or empty lines; "
                "TFBertTokenizer needs one distinct token per line."
            )
        self.vocab_file = vocab_file
        self._ids = {n: index[getattr(self, n)] for n in ("unk_token", "sep_token", "pad_token", "cls_token")}
        # The text file initializer makes vocab_file a SavedModel asset.
        self._vocab_table = tf.lookup.StaticHashTable(
            tf.lookup.TextFileInitializer(
                vocab_file, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE, tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER
            ),
            default_value=self._ids["unk_token"],
        )
        self._wordpiece = tf_text.FastWordpieceTokenizer(
            vocab=tokens,
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
        single_ids = tf.where(too_long, tf.constant(self._ids["unk_token"], tf.int64), self._vocab_table.lookup(flat))
        idx = tf.where(single)
        starts = tf.gather_nd(wp.row_starts(), idx)
        values = tf.tensor_scatter_nd_update(wp.flat_values, starts[:, None], tf.gather_nd(single_ids, idx))
        ids = wp.with_flat_values(values)
        if not with_offsets:
            return ids
        # A single-id token spans its whole word.
        whole = tf.gather_nd(tf.cast(tf.strings.length(flat), tf.int64), idx)
        end = end.with_flat_values(tf.tensor_scatter_nd_update(end.flat_values, starts[:, None], whole))
        return ids, begin, end

    def _tokenize_sharded(self, text):
        """tokenize_ids on independent slices of the batch.

        In a graph the slices are independent op chains, so TF's inter-op
        thread pool runs them in parallel (string ops are single-threaded).
        """
        size = tf.shape(text)[0]
        bounds = [size * i // SHARDS for i in range(SHARDS + 1)]
        parts = [self.tokenize_ids(text[bounds[i] : bounds[i + 1]]) for i in range(SHARDS)]
        return tf.concat(parts, axis=0)

    def __call__(self, text, text_pair=None, **kwargs):
        _mark_text_model(self, text, text_pair)
        if text_pair is None:
            return super().__call__(text, **kwargs)
        return super().__call__(text, text_pair, **kwargs)

    def call(self, text, text_pair=None):
        text = tf.reshape(tf.convert_to_tensor(text, tf.string), [-1])
        ids_a = self._tokenize_sharded(text)
        ids_b = None
        if text_pair is not None:
            text_pair = tf.reshape(tf.convert_to_tensor(text_pair, tf.string), [-1])
            ids_b = self._tokenize_sharded(text_pair)
        strategy = _TRUNCATION[self.truncation]
        if strategy and self.max_length is not None:
            len_a = ids_a.row_lengths()
            len_b = ids_b.row_lengths() if ids_b is not None else None
            keep_a, keep_b = tf_graph.truncate_lengths(len_a, len_b, self.max_length, strategy)
            ids_a = _head(ids_a, keep_a)
            if ids_b is not None:
                ids_b = _head(ids_b, keep_b)
        batch = tf.shape(text, out_type=tf.int64)[0]
        cls = tf.fill([batch, 1], tf.constant(self._ids["cls_token"], tf.int64))
        sep = tf.fill([batch, 1], tf.constant(self._ids["sep_token"], tf.int64))
        parts = [cls, ids_a, sep]
        types = [tf.zeros_like(cls), tf.zeros_like(ids_a), tf.zeros_like(sep)]
        if ids_b is not None:
            parts += [ids_b, sep]
            types += [tf.ones_like(ids_b), tf.ones_like(sep)]
        ids = tf.concat(parts, axis=1)
        types = tf.concat(types, axis=1)
        lengths = ids.row_lengths()
        width = tf.reduce_max(tf.concat([lengths, [0]], 0))
        if self.padding == "max_length":
            width = tf.maximum(width, self.max_length)
        if self.pad_to_multiple_of:
            m = self.pad_to_multiple_of
            width = (width + m - 1) // m * m
        shape = tf.stack([batch, width])
        dtype = tf.as_dtype(self.output_dtype)
        out = {"input_ids": tf.cast(ids.to_tensor(self._ids["pad_token"], shape=shape), dtype)}
        if self.return_token_type_ids:
            out["token_type_ids"] = tf.cast(types.to_tensor(0, shape=shape), dtype)
        if self.return_attention_mask:
            mask = tf.sequence_mask(lengths, width)
            out["attention_mask"] = tf.cast(mask, dtype)
        return out

    def compute_output_spec(self, text, text_pair=None):
        names = ["input_ids"]
        if self.return_token_type_ids:
            names.append("token_type_ids")
        if self.return_attention_mask:
            names.append("attention_mask")
        return {n: keras.KerasTensor((text.shape[0], None), dtype=self.output_dtype) for n in names}

    # -- serialization --------------------------------------------------
    def get_config(self):
        config = super().get_config()
        config.update(
            do_lower_case=self.do_lower_case,
            do_basic_tokenize=self.do_basic_tokenize,
            never_split=list(self.never_split),
            unk_token=self.unk_token,
            sep_token=self.sep_token,
            pad_token=self.pad_token,
            cls_token=self.cls_token,
            mask_token=self.mask_token,
            tokenize_chinese_chars=self.tokenize_chinese_chars,
            strip_accents=self.strip_accents,
            max_length=self.max_length,
            padding=self.padding,
            pad_to_multiple_of=self.pad_to_multiple_of,
            truncation=self.truncation,
            return_token_type_ids=self.return_token_type_ids,
            return_attention_mask=self.return_attention_mask,
            output_dtype=self.output_dtype,
        )
        return config

    def save_assets(self, dir_path):
        """Keras saving: the vocabulary travels as an asset file."""
        shutil.copyfile(self.vocab_file, os.path.join(dir_path, VOCAB_FILE))

    def load_assets(self, dir_path):
        # The asset directory is temporary; keep a private copy.
        keep = tempfile.mkdtemp(prefix="keras_bert_vocab_")
        path = os.path.join(keep, VOCAB_FILE)
        shutil.copyfile(os.path.join(dir_path, VOCAB_FILE), path)
        self._set_vocabulary(path)


def _head(ragged, keep):
    """First `keep[i]` items of each row of a ragged (B, (N)) tensor."""
    mask = tf.ragged.range(ragged.row_lengths()) < keep[:, None]
    return tf.ragged.boolean_mask(ragged, mask)


# -- exporting a model that takes text -----------------------------------------------------
# Keras records only the *shapes* a subclassed model was first called with and traces its
# default SavedModel signature (`tf.saved_model.save`, `model.export`) with every input in the
# model's float dtype (`Model.input_dtype`), so text reached this layer as float32 and the export
# failed. The layer knows better: when the outermost model being called hands it string tensors
# and that model's call takes no more inputs than those strings, the model's inputs are text.
# It says so on that model (`_keras_bert_text_inputs`), and `Model.input_dtype`, which Keras'
# exporters read, answers "string" for such a model and exactly as before for every other.
_TEXT_MARK = "_keras_bert_text_inputs"


def _mark_text_model(layer, text, text_pair):
    """Marks the outermost model being called as taking text when it hands `layer` strings."""
    from keras.src.backend.common import global_state
    from keras.src.models.functional import Functional

    context = global_state.get_global_attribute("current_call_ctx")
    model = getattr(context, "entry_layer", None)
    if model is None or model is layer or not isinstance(model, keras.Model):
        return
    if isinstance(model, (keras.Sequential, Functional)):
        return  # their signatures come from their Input layers
    given = [t for t in (text, text_pair) if t is not None]
    if not all(getattr(t, "dtype", None) in (tf.string, "string") for t in given):
        return
    # The model's required call arguments must be no more than these strings (a model that
    # also takes, say, float features keeps Keras' float input dtype).
    required = [
        p
        for p in inspect.signature(model.call).parameters.values()
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if 0 < len(required) <= len(given):
        model.__dict__[_TEXT_MARK] = True


def _is_shape(value) -> bool:
    return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, int) for d in value)


def _input_dtype(model):
    """`Model.input_dtype`, "string" for a subclassed model whose inputs are only the text it
    gives a TFBertTokenizer (flat shapes recorded, no nested input structures)."""
    shapes = getattr(model, "_build_shapes_dict", None)
    if model.__dict__.get(_TEXT_MARK) and shapes and all(_is_shape(s) for s in shapes.values()):
        return "string"
    return _KERAS_INPUT_DTYPE.fget(model)


_KERAS_INPUT_DTYPE = keras.Model.input_dtype
if not getattr(_KERAS_INPUT_DTYPE.fget, "_keras_bert", False):
    _input_dtype._keras_bert = True
    keras.Model.input_dtype = property(_input_dtype, doc=_KERAS_INPUT_DTYPE.__doc__)
