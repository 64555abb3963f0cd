"""TFBertTokenizer: BERT tokenization as a Keras layer of TensorFlow ops.

transformers 4.x's `TFBertTokenizer` API (constructor, `from_pretrained`, `from_tokenizer`,
`get_config`, the call and its per-call options) over a graph that reproduces `BertTokenizer`
exactly (`tf_pipeline`, `tf_graph`, with `tf_fast_path` for text one tensorflow-text op gets right,
and `tf_assembly` for the framing and padding); inputs are taken as `tf_inputs` says, options
checked in `tf_options`, the vocabulary read in `tf_vocab`.
"""

import os
import shutil

import keras
import tensorflow as tf

from keras_bert.tokenization import tf_assembly, tf_graph, tf_options, tf_vocab
from keras_bert.tokenization.basic import clean_text
from keras_bert.tokenization.bert_tokenizer import VOCAB_FILE, BertTokenizer
from keras_bert.tokenization.tf_inputs import as_text_tensor, batch_inputs
from keras_bert.tokenization.tf_pipeline import TokenizerGraph
from keras_bert.tokenization.tf_text_model import mark_text_model

_LARGEST_MODEL_MAX_LENGTH = 2**31 - 1  # transformers' "no limit" is int(1e30)


@keras.saving.register_keras_serializable(package="keras_bert")
class TFBertTokenizer(TokenizerGraph, keras.layers.Layer):
    """In-graph BERT tokenizer that matches `BertTokenizer` exactly.

    Called like transformers 4.x's: `tokenizer(text)` or `tokenizer(text, text_pair)` with
    Python strings or lists, NumPy arrays or tf.string tensors of shape (B,); a (B, 2) string
    tensor (or a list of 2-tuples) is a batch of (text, text_pair). Keywords `padding`,
    `truncation`, `max_length`, `pad_to_multiple_of`, `return_token_type_ids` and
    `return_attention_mask` override the constructor's for one call. Returns a dict of (B, L)
    tensors: `input_ids`, and unless turned off `attention_mask` and `token_type_ids`.

    Args:
        vocab_list: the vocabulary, a list of tokens (id = position) as in transformers, or the
            path of a vocab.txt. It becomes a SavedModel asset either way.
        do_lower_case: lowercase (and, unless `strip_accents` says otherwise, strip accents).
        cls_token_id, sep_token_id, pad_token_id: ids used to frame and pad; default the ids of
            `cls_token`, `sep_token`, `pad_token` in the vocabulary. A special token the
            vocabulary lacks gets an id after it, as transformers gives it.
        padding: "longest" (to the longest row of the batch) or "max_length" (to `max_length`;
            rows left longer because truncation is off keep their length and set the width).
        truncation: True/"longest_first" (pairs: shorten the longer sequence first, then both,
            as the reference), "only_first", "only_second", or False.
        max_length: length limit for truncation and "max_length" padding (default 512, as
            transformers); at least 2 (3 for pairs), or None for no limit.
        pad_to_multiple_of: round the padded width up to a multiple of this.
        return_token_type_ids, return_attention_mask: include those outputs.
        use_fast_bert_tokenizer: accepted for transformers compatibility and ignored: this
            layer is always exact (transformers switched between two tensorflow-text tokenizers,
            neither exact) and always exports to TF Serving. It runs tensorflow-text's
            FastBertTokenizer itself on the strings and words where that op provably equals
            `BertTokenizer` (`tf_fast_path`; uncased, or cased without accent stripping, and no
            never_split words) and its exact pipeline on the rest.
        vocab_file: the same as a path given as `vocab_list`.
        do_basic_tokenize, never_split, tokenize_chinese_chars, strip_accents, unk_token,
        sep_token, pad_token, cls_token, mask_token: as `BertTokenizer` (`from_tokenizer` and
            `from_pretrained` copy them).
        output_dtype: dtype of the outputs (default "int64", as transformers).

    Defined behaviour on bad input: invalid UTF-8 is decoded with each bad sequence replaced by
    U+FFFD, which the clean-up then drops (the same as `BertTokenizer` on
    `bytes.decode("utf-8", "replace")`); a Python string's lone surrogates are dropped as
    `BertTokenizer` drops them; an empty string gives `[CLS] [SEP]`; an empty batch gives (0, 0)
    outputs ((0, max_length) with "max_length" padding).

    Example:
        >>> tf_tokenizer = TFBertTokenizer.from_pretrained("bert-base-uncased")
        >>> tf_tokenizer(["hello world"], max_length=8, padding="max_length")["input_ids"]
    """

    def __init__(
        self,
        vocab_list=None,
        do_lower_case=True,
        cls_token_id=None,
        sep_token_id=None,
        pad_token_id=None,
        padding="longest",
        truncation=True,
        max_length=512,
        pad_to_multiple_of=None,
        return_token_type_ids=True,
        return_attention_mask=True,
        use_fast_bert_tokenizer=True,
        vocab_file=None,
        do_basic_tokenize=True,
        never_split=None,
        unk_token="[UNK]",
        sep_token="[SEP]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        mask_token="[MASK]",
        tokenize_chinese_chars=True,
        strip_accents=None,
        output_dtype="int64",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.padding, self.truncation, self.max_length = padding, truncation, max_length
        self.pad_to_multiple_of = pad_to_multiple_of
        self.return_token_type_ids = return_token_type_ids
        self.return_attention_mask = return_attention_mask
        checked = tf_options.resolve(self, pair=False)
        self.padding, self.max_length = checked["padding"], checked["max_length"]
        self.use_fast_bert_tokenizer = use_fast_bert_tokenizer
        self.do_lower_case = do_lower_case
        self.do_basic_tokenize = do_basic_tokenize
        self.never_split = list(never_split or [])
        self.unk_token, self.sep_token, self.pad_token = unk_token, sep_token, pad_token
        self.cls_token, self.mask_token = cls_token, mask_token
        self.tokenize_chinese_chars = tokenize_chinese_chars
        self.strip_accents = strip_accents
        self.output_dtype = output_dtype
        self._specials = [unk_token, sep_token, pad_token, cls_token, mask_token]
        for tok in self._specials:
            if not isinstance(tok, str) or clean_text(tok) != tok or not tok or " " in tok or tok != tok.strip():
                raise ValueError(f"Special token {tok!r} must be a non-empty string that text clean-up keeps.")
        self._explicit_ids = dict(cls_token=cls_token_id, sep_token=sep_token_id, pad_token=pad_token_id)
        if isinstance(vocab_list, (str, os.PathLike)):
            if vocab_file is not None:
                raise ValueError(f"Give vocab_list or vocab_file, not both (got {vocab_list!r} and {vocab_file!r}).")
            vocab_list, vocab_file = None, os.fspath(vocab_list)
        if vocab_list is not None and vocab_file is not None:
            raise ValueError("Give vocab_list or vocab_file, not both.")
        self.vocab_file = None
        if vocab_file is not None:
            self._set_vocabulary(tf_vocab.read_tokens(vocab_file), vocab_file)
        elif vocab_list is not None:
            self._set_vocabulary(list(vocab_list), None)

    # -- construction helpers -------------------------------------------
    @classmethod
    def from_tokenizer(cls, tokenizer, **kwargs):
        """From a `BertTokenizer` or `BertTokenizerFast`: its vocabulary, text options, special
        tokens and ids, and `max_length` from its `model_max_length` (keywords override)."""
        names = ("unk_token", "sep_token", "pad_token", "cls_token", "mask_token")
        tf_vocab.refuse_added_tokens(tokenizer, {str(getattr(tokenizer, n, None)) for n in names})
        config = dict(
            do_lower_case=tokenizer.do_lower_case,
            do_basic_tokenize=getattr(tokenizer, "do_basic_tokenize", True),
            never_split=list(getattr(tokenizer, "never_split", None) or []),
            tokenize_chinese_chars=getattr(tokenizer, "tokenize_chinese_chars", True),
            strip_accents=getattr(tokenizer, "strip_accents", None),
            **{n: str(getattr(tokenizer, n)) for n in names if getattr(tokenizer, n, None) is not None},
        )
        if "vocab_list" not in kwargs and "vocab_file" not in kwargs:
            vocab_file = getattr(tokenizer, "vocab_file", None)
            if vocab_file and os.path.isfile(vocab_file):
                config["vocab_file"] = vocab_file
            else:
                config["vocab_list"] = [t for t, _ in sorted(tokenizer.get_vocab().items(), key=lambda kv: kv[1])]
        for name in ("cls_token_id", "sep_token_id", "pad_token_id"):
            try:
                config[name] = getattr(tokenizer, name)
            except (AttributeError, KeyError):
                pass  # a token the vocabulary lacks: the layer gives it its transformers id
        if kwargs.get("max_length") is None:
            kwargs.pop("max_length", None)
            limit = getattr(tokenizer, "model_max_length", None)
            if isinstance(limit, int) and 0 < limit <= _LARGEST_MODEL_MAX_LENGTH:
                config["max_length"] = limit
        config.update(kwargs)
        return cls(**config)

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *init_inputs, **kwargs):
        """From a directory with vocab.txt and tokenizer_config.json, or a hub name in the local
        Hugging Face cache (hub keywords as `keras_bert.hub.pop_hub_kwargs`); other keywords go
        to the constructor (through `from_tokenizer`).

        Example:
            >>> tf_tokenizer = TFBertTokenizer.from_pretrained("bert-base-uncased", padding="longest")
        """
        from keras_bert import hub

        hub_kwargs = hub.pop_hub_kwargs(kwargs)
        tokenizer = BertTokenizer.from_pretrained(pretrained_model_name_or_path, *init_inputs, **hub_kwargs)
        return cls.from_tokenizer(tokenizer, **kwargs)

    # transformers 4.x attributes
    vocab_list = property(lambda self: list(self._tokens))
    cls_token_id = property(lambda self: self._ids["cls_token"])
    sep_token_id = property(lambda self: self._ids["sep_token"])
    pad_token_id = property(lambda self: self._ids["pad_token"])
    unk_token_id = property(lambda self: self._ids["unk_token"])
    mask_token_id = property(lambda self: self._ids["mask_token"])

    def unpaired_tokenize(self, texts):
        """(B,) strings -> (B, (T)) int64 ragged word piece ids without special tokens (transformers 4.x)."""
        return self.routed_ids(tf.reshape(tf.convert_to_tensor(as_text_tensor(texts, "texts")), [-1]))

    def __call__(self, text=None, text_pair=None, **kwargs):
        if text is None:
            raise ValueError("TFBertTokenizer needs text (strings, a list of strings or a tf.string tensor).")
        text = as_text_tensor(text, "text")
        if text_pair is not None:
            text_pair = as_text_tensor(text_pair, "text_pair")
        mark_text_model(self, text, text_pair)
        if text_pair is None:
            return super().__call__(text, **kwargs)
        return super().__call__(text, text_pair, **kwargs)

    def call(
        self,
        text,
        text_pair=None,
        padding=None,
        truncation=None,
        max_length=None,
        pad_to_multiple_of=None,
        return_token_type_ids=None,
        return_attention_mask=None,
    ):
        text, text_pair = batch_inputs(text, text_pair)
        opts = tf_options.resolve(
            self,
            text_pair is not None,
            padding=padding,
            truncation=truncation,
            max_length=max_length,
            pad_to_multiple_of=pad_to_multiple_of,
            return_token_type_ids=return_token_type_ids,
            return_attention_mask=return_attention_mask,
        )
        # The whole batch in one chain: splitting it into slices for TF's inter-op threads measured
        # 1.18x (ASCII) / 1.27x (multilingual) slower than one chain (interleaved A/B, 2 cores).
        ids_a = self.routed_ids(text)
        ids_b = None if text_pair is None else self.routed_ids(text_pair)
        max_length = opts["max_length"]
        keep_a = ids_a.row_lengths()
        keep_b = None if ids_b is None else ids_b.row_lengths()
        if opts["strategy"] and max_length is not None:
            keep_a, keep_b = tf_graph.truncate_lengths(keep_a, keep_b, max_length, opts["strategy"])
        lengths = keep_a + 2 if ids_b is None else keep_a + keep_b + 3
        width = tf.reduce_max(tf.concat([lengths, [0]], 0))
        if opts["padding"] == "max_length":
            width = tf.maximum(width, max_length)
        if opts["pad_to_multiple_of"]:
            m = opts["pad_to_multiple_of"]
            width = (width + m - 1) // m * m
        ids, types, mask = tf_assembly.frame(
            ids_a, ids_b, keep_a, keep_b, width, self._ids["cls_token"], self._ids["sep_token"], self._ids["pad_token"]
        )
        dtype = tf.as_dtype(self.output_dtype)
        out = {"input_ids": tf.cast(ids, dtype)}
        if opts["return_attention_mask"]:
            out["attention_mask"] = tf.cast(mask, dtype)
        if opts["return_token_type_ids"]:
            out["token_type_ids"] = tf.cast(types, dtype)
        return out

    def compute_output_spec(self, text, text_pair=None, return_token_type_ids=None, return_attention_mask=None, **_):
        names = ["input_ids"]
        if self.return_attention_mask if return_attention_mask is None else return_attention_mask:
            names.append("attention_mask")
        if self.return_token_type_ids if return_token_type_ids is None else return_token_type_ids:
            names.append("token_type_ids")
        batch = text.shape[0] if text.shape else None
        return {n: keras.KerasTensor((batch, None), dtype=self.output_dtype) for n in names}

    # -- serialization --------------------------------------------------
    def get_config(self):
        """Every constructor argument, the vocabulary included (`vocab_list`, as transformers), so
        `from_config(get_config())` tokenizes the same; `.keras` files also carry it as an asset."""
        config = super().get_config()
        config.update(
            vocab_list=self.vocab_list if self.vocab_file is not None else None,
            do_lower_case=self.do_lower_case,
            cls_token_id=self._explicit_ids["cls_token"],
            sep_token_id=self._explicit_ids["sep_token"],
            pad_token_id=self._explicit_ids["pad_token"],
            padding=self.padding,
            truncation=self.truncation,
            max_length=self.max_length,
            pad_to_multiple_of=self.pad_to_multiple_of,
            return_token_type_ids=self.return_token_type_ids,
            return_attention_mask=self.return_attention_mask,
            use_fast_bert_tokenizer=self.use_fast_bert_tokenizer,
            do_basic_tokenize=self.do_basic_tokenize,
            never_split=list(self.never_split),
            unk_token=self.unk_token,
            sep_token=self.sep_token,
            pad_token=self.pad_token,
            cls_token=self.cls_token,
            mask_token=self.mask_token,
            tokenize_chinese_chars=self.tokenize_chinese_chars,
            strip_accents=self.strip_accents,
            output_dtype=self.output_dtype,
        )
        return config

    def save_assets(self, dir_path):
        """Keras saving: the vocabulary travels as an asset file."""
        shutil.copyfile(self.vocab_file, os.path.join(dir_path, VOCAB_FILE))

    def load_assets(self, dir_path):
        tokens = tf_vocab.read_tokens(os.path.join(dir_path, VOCAB_FILE))
        if self.vocab_file is not None and tokens == self._tokens:
            return  # built from the config's vocab_list already
        # The asset directory is temporary; keep a private copy.
        self._set_vocabulary(tokens, tf_vocab.write_tokens(tokens))
