"""BertTokenizer: the pure-Python BERT tokenizer (the parity reference)."""

import json
import os

from keras_bert.tokenization import encoding
from keras_bert.tokenization.basic import BasicTokenizer, split_on_tokens
from keras_bert.tokenization.wordpiece import WordpieceTokenizer, load_vocab

VOCAB_FILE = "vocab.txt"
CONFIG_FILE = "tokenizer_config.json"
SPECIAL_TOKENS_FILE = "special_tokens_map.json"
SPECIAL_TOKEN_NAMES = ("unk_token", "sep_token", "pad_token", "cls_token", "mask_token")
CONFIG_KEYS = (
    "do_lower_case",
    "do_basic_tokenize",
    "never_split",
    "tokenize_chinese_chars",
    "strip_accents",
    "model_max_length",
    "clean_up_tokenization_spaces",
    "padding_side",
    "truncation_side",
)


def read_pretrained_config(directory):
    """Constructor kwargs from tokenizer_config.json + special_tokens_map.json."""
    kwargs = {}
    for name in (CONFIG_FILE, SPECIAL_TOKENS_FILE):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
            for key, value in data.items():
                if isinstance(value, dict) and "content" in value:  # AddedToken form
                    value = value["content"]
                if key in CONFIG_KEYS or key in SPECIAL_TOKEN_NAMES:
                    kwargs[key] = value
    return kwargs


def as_id_list(ids):
    """An id, a list of ids, or a 1-D array / tensor as a list of Python ints."""
    if hasattr(ids, "numpy"):
        ids = ids.numpy()
    if hasattr(ids, "tolist"):
        ids = ids.tolist()
    return [ids] if isinstance(ids, int) else [int(i) for i in ids]


class BertTokenizer:
    """WordPiece BERT tokenizer in pure Python (matches HF's slow tokenizer).

    Args:
        vocab_file: path to vocab.txt (one token per line). Every special
            token must be in it; a vocabulary without `unk_token` (or any
            other special token) raises `ValueError` naming the token.
        do_lower_case: lowercase with `str.lower()` before WordPiece.
        do_basic_tokenize: run clean-up/punctuation splitting; if False, the
            text is only split on whitespace before WordPiece.
        never_split: words kept whole (no lowercasing, no punctuation split,
            no WordPiece; looked up directly, `unk_token` if absent).
        unk_token, sep_token, pad_token, cls_token, mask_token: special
            tokens. Written inside text they are recognised verbatim.
        tokenize_chinese_chars: split CJK ideographs into single tokens.
        strip_accents: strip accents (NFD, drop Mn); None follows
            `do_lower_case`.
        model_max_length: length used by truncation/"max_length" padding
            when `max_length` is not given; None means unlimited.
        padding_side, truncation_side: "right" (default) or "left": which end
            `__call__` pads, and which end truncation cuts.

    Inputs are Python `str`; bytes are not accepted (decode them first, e.g.
    with `errors="replace"`: U+FFFD is then dropped by the clean-up, the same
    as `TFBertTokenizer` does for invalid UTF-8). The empty string encodes to
    `[CLS] [SEP]`; an empty batch gives empty lists.
    """

    def __init__(
        self,
        vocab_file,
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
        model_max_length=None,
        clean_up_tokenization_spaces=True,
        padding_side="right",
        truncation_side="right",
    ):
        if not os.path.isfile(vocab_file):
            raise ValueError(f"Can't find a vocabulary file at path {vocab_file!r}.")
        self.vocab_file = vocab_file
        self.vocab = load_vocab(vocab_file)
        self.ids_to_tokens = {i: t for t, i in self.vocab.items()}
        self.do_lower_case = do_lower_case
        self.do_basic_tokenize = do_basic_tokenize
        self.never_split = list(never_split or [])
        self.tokenize_chinese_chars = tokenize_chinese_chars
        self.strip_accents = strip_accents
        self.model_max_length = model_max_length
        self.clean_up_tokenization_spaces = clean_up_tokenization_spaces
        for name, side in (("padding_side", padding_side), ("truncation_side", truncation_side)):
            if side not in ("right", "left"):
                raise ValueError(f"{name} must be 'right' or 'left', got {side!r}")
        self.padding_side, self.truncation_side = padding_side, truncation_side
        self.unk_token, self.sep_token, self.pad_token = unk_token, sep_token, pad_token
        self.cls_token, self.mask_token = cls_token, mask_token
        for name in SPECIAL_TOKEN_NAMES:
            token = getattr(self, name)
            if token not in self.vocab:
                raise ValueError(
                    f"{name}={token!r} is not in the vocabulary {vocab_file!r}; every "
                    "special token must be a line of vocab.txt."
                )
        self.basic_tokenizer = BasicTokenizer(
            do_lower_case=do_lower_case,
            never_split=self.never_split,
            tokenize_chinese_chars=tokenize_chinese_chars,
            strip_accents=strip_accents,
        )
        self.wordpiece_tokenizer = WordpieceTokenizer(self.vocab, unk_token)

    model_input_names = ["input_ids", "token_type_ids", "attention_mask"]

    # -- special tokens -------------------------------------------------
    @property
    def all_special_tokens(self):
        return [getattr(self, n) for n in SPECIAL_TOKEN_NAMES]

    @property
    def all_special_ids(self):
        return [self.vocab[t] for t in self.all_special_tokens]

    unk_token_id = property(lambda self: self.vocab[self.unk_token])
    sep_token_id = property(lambda self: self.vocab[self.sep_token])
    pad_token_id = property(lambda self: self.vocab[self.pad_token])
    cls_token_id = property(lambda self: self.vocab[self.cls_token])
    mask_token_id = property(lambda self: self.vocab[self.mask_token])

    @property
    def vocab_size(self):
        return len(self.vocab)

    def get_vocab(self):
        return dict(self.vocab)

    # -- loading / saving -----------------------------------------------
    @classmethod
    def from_pretrained(cls, directory, *init_inputs, **kwargs):
        """Loads vocab.txt, tokenizer_config.json and special_tokens_map.json from a directory or a
        hub name in the local Hugging Face cache; hub keywords (`cache_dir`, `revision`,
        `local_files_only`, `token`, `subfolder`, ...) as `keras_bert.hub.pop_hub_kwargs`.

        Example:
            >>> tokenizer = BertTokenizer.from_pretrained("bert-base-uncased", local_files_only=True)
        """
        from keras_bert import hub

        if init_inputs:
            raise TypeError(
                f"{cls.__name__}.from_pretrained takes options by keyword, got {len(init_inputs)} positional"
            )
        directory = hub.resolve(directory, "tokenizer", **hub.pop_hub_kwargs(kwargs))
        vocab = os.path.join(directory, VOCAB_FILE)
        if not os.path.isfile(vocab):
            raise ValueError(f"No {VOCAB_FILE} in {directory!r}.")
        config = read_pretrained_config(directory)
        config.update(kwargs)
        return cls(vocab, **config)

    def get_config(self):
        """Constructor kwargs (without vocab_file)."""
        config = {k: getattr(self, k) for k in CONFIG_KEYS}
        config.update({n: getattr(self, n) for n in SPECIAL_TOKEN_NAMES})
        return config

    def save_vocabulary(self, save_directory, filename_prefix=None):
        """Writes vocab.txt in id order; returns a 1-tuple with its path."""
        name = (filename_prefix + "-" if filename_prefix else "") + VOCAB_FILE
        path = os.path.join(save_directory, name) if os.path.isdir(save_directory) else save_directory
        with open(path, "w", encoding="utf-8") as f:
            for token, _ in sorted(self.vocab.items(), key=lambda kv: kv[1]):
                f.write(token + "\n")
        return (path,)

    def save_pretrained(self, save_directory):
        """Writes vocab.txt, tokenizer_config.json and special_tokens_map.json."""
        os.makedirs(save_directory, exist_ok=True)
        config = self.get_config()
        if config["model_max_length"] is None:
            del config["model_max_length"]
        config["tokenizer_class"] = "BertTokenizer"
        with open(os.path.join(save_directory, CONFIG_FILE), "w", encoding="utf-8") as f:
            json.dump(config, f, indent=2, ensure_ascii=False)
        with open(os.path.join(save_directory, SPECIAL_TOKENS_FILE), "w", encoding="utf-8") as f:
            json.dump({n: getattr(self, n) for n in SPECIAL_TOKEN_NAMES}, f, indent=2, ensure_ascii=False)
        return (
            *self.save_vocabulary(save_directory),
            os.path.join(save_directory, CONFIG_FILE),
            os.path.join(save_directory, SPECIAL_TOKENS_FILE),
        )

    # -- tokens and ids ---------------------------------------------------
    def tokenize(self, text):
        """Text to WordPiece tokens; special tokens in the text stay whole."""
        tokens = []
        for piece, is_special in split_on_tokens(text, self.all_special_tokens):
            if is_special:
                tokens.append(piece)
            elif self.do_basic_tokenize:
                for word in self.basic_tokenizer.tokenize(piece, self.all_special_tokens):
                    if word in self.basic_tokenizer.never_split:
                        tokens.append(word)
                    else:
                        tokens.extend(self.wordpiece_tokenizer.tokenize_word(word))
            else:
                tokens.extend(self.wordpiece_tokenizer.tokenize(piece))
        return tokens

    def convert_tokens_to_ids(self, tokens):
        unk = self.unk_token_id
        if isinstance(tokens, str):
            return self.vocab.get(tokens, unk)
        return [self.vocab.get(t, unk) for t in tokens]

    def convert_ids_to_tokens(self, ids, skip_special_tokens=False):
        if isinstance(ids, int):
            return self.ids_to_tokens.get(ids, self.unk_token)
        special = set(self.all_special_ids) if skip_special_tokens else ()
        return [self.ids_to_tokens.get(int(i), self.unk_token) for i in ids if int(i) not in special]

    def convert_tokens_to_string(self, tokens):
        """Word pieces to text: joined with spaces, `##` continuations glued on."""
        return " ".join(tokens).replace(" ##", "").strip()

    def _encode_text(self, text):
        return self.convert_tokens_to_ids(self.tokenize(text)), None

    def build_inputs_with_special_tokens(self, token_ids_0, token_ids_1=None):
        """[CLS] A [SEP] or [CLS] A [SEP] B [SEP]."""
        out = [self.cls_token_id] + list(token_ids_0) + [self.sep_token_id]
        if token_ids_1 is not None:
            out += list(token_ids_1) + [self.sep_token_id]
        return out

    def get_special_tokens_mask(self, token_ids_0, token_ids_1=None, already_has_special_tokens=False):
        """1 for special tokens, 0 for sequence tokens."""
        if already_has_special_tokens:
            special = set(self.all_special_ids)
            return [int(i in special) for i in list(token_ids_0) + list(token_ids_1 or [])]
        mask = [1] + [0] * len(token_ids_0) + [1]
        if token_ids_1 is not None:
            mask += [0] * len(token_ids_1) + [1]
        return mask

    def create_token_type_ids_from_sequences(self, token_ids_0, token_ids_1=None):
        """0 for [CLS] A [SEP], 1 for B [SEP]."""
        out = [0] * (len(token_ids_0) + 2)
        if token_ids_1 is not None:
            out += [1] * (len(token_ids_1) + 1)
        return out

    def encode(self, text, text_pair=None, add_special_tokens=True, **kwargs):
        """Ids of one text (or pair) with special tokens; accepts __call__ options."""
        return self(
            text,
            text_pair,
            add_special_tokens=add_special_tokens,
            return_token_type_ids=False,
            return_attention_mask=False,
            **kwargs,
        )["input_ids"]

    def decode(self, ids, skip_special_tokens=False, clean_up_tokenization_spaces=None):
        """Ids (a list, array or tensor) to text: joins tokens, glues `##` pieces, optional clean-up.

        Example:
            >>> tokenizer.decode(tokenizer("Hello, world!")["input_ids"])  # doctest: +SKIP
            '[CLS] hello, world! [SEP]'
        """
        tokens = self.convert_ids_to_tokens(as_id_list(ids), skip_special_tokens=skip_special_tokens)
        return self._maybe_clean(self.convert_tokens_to_string(tokens), clean_up_tokenization_spaces)

    def _maybe_clean(self, text, clean_up_tokenization_spaces):
        clean = clean_up_tokenization_spaces
        clean = self.clean_up_tokenization_spaces if clean is None else clean
        return self.clean_up_tokenization(text) if clean else text

    @staticmethod
    def clean_up_tokenization(text):
        """Removes the spaces tokenization put before punctuation and English contractions."""
        for a, b in (
            (" .", "."),
            (" ?", "?"),
            (" !", "!"),
            (" ,", ","),
            (" ' ", "'"),
            (" n't", "n't"),
            (" 'm", "'m"),
            (" 's", "'s"),
            (" 've", "'ve"),
            (" 're", "'re"),
        ):
            text = text.replace(a, b)
        return text

    def batch_decode(self, sequences, skip_special_tokens=False, clean_up_tokenization_spaces=None):
        """`decode` of each row (a list of lists, or a 2-D array / tensor)."""
        if hasattr(sequences, "numpy"):
            sequences = sequences.numpy()
        clean = clean_up_tokenization_spaces
        skip = skip_special_tokens
        return [self.decode(s, skip_special_tokens=skip, clean_up_tokenization_spaces=clean) for s in sequences]

    def __len__(self):
        """Size of the full vocabulary (transformers: base vocabulary plus added tokens)."""
        return len(self.vocab)

    def encode_plus(self, text, text_pair=None, **kwargs):
        """One text (or pair) to a BatchEncoding; takes the `__call__` options."""
        if encoding.is_batched(text, kwargs.get("is_split_into_words", False)):
            raise ValueError(f"encode_plus takes one text (or pair), got a batch {text!r:.80}; use batch_encode_plus")
        return self(text, text_pair, **kwargs)

    def batch_encode_plus(self, batch_text_or_text_pairs, **kwargs):
        """A list of texts or (text, text_pair) pairs to a BatchEncoding; takes the `__call__` options.

        Example:
            >>> tokenizer.batch_encode_plus([("a question", "its context")], padding=True)  # doctest: +SKIP
        """
        if not isinstance(batch_text_or_text_pairs, (list, tuple)):
            raise ValueError(f"batch_encode_plus takes a list of texts or pairs, got {batch_text_or_text_pairs!r:.80}")
        return self(list(batch_text_or_text_pairs), **kwargs)

    def __call__(
        self,
        text,
        text_pair=None,
        padding=False,
        truncation=None,
        max_length=None,
        pad_to_multiple_of=None,
        stride=0,
        return_overflowing_tokens=False,
        return_special_tokens_mask=False,
        return_token_type_ids=None,
        return_attention_mask=None,
        return_tensors=None,
        add_special_tokens=True,
        is_split_into_words=False,
        return_offsets_mapping=False,
        return_length=False,
        verbose=True,
    ):
        """Encodes a text, a pair, or a batch of either, as transformers' tokenizer `__call__`.

        Args:
            text: a str, a list of str (a batch), or a list of (text, text_pair)
                pairs; with `is_split_into_words`, a list of words or a batch of them.
            text_pair: the second sequence(s), same shape as `text`.
            padding: False/"do_not_pad", True/"longest", "max_length".
            truncation: False/"do_not_truncate", True/"longest_first",
                "only_first", "only_second"; `max_length` alone implies "longest_first".
            max_length, pad_to_multiple_of, stride: lengths; `stride` is the overlap
                of overflowing windows.
            return_*: extra outputs (`overflowing_tokens` on the Python tokenizer;
                one row per window plus `overflow_to_sample_mapping` on the fast one).
            return_tensors: None (lists), "np", "tf" (int32) or "pt".

        `padding_side` / `truncation_side` attributes ("right"/"left") say which
        end is padded or cut. Returns a `BatchEncoding`.

        Example:
            >>> enc = tokenizer(["a question"], ["its context"], padding="max_length", max_length=16)  # doctest: +SKIP
            >>> enc.input_ids[0][:4]  # doctest: +SKIP
        """
        del verbose  # accepted for transformers compatibility; nothing is logged
        return self._encode_call(
            encoding.as_text_input(text),
            encoding.as_text_input(text_pair),
            padding=padding,
            truncation=truncation,
            max_length=max_length,
            pad_to_multiple_of=pad_to_multiple_of,
            stride=stride,
            is_split_into_words=is_split_into_words,
            return_overflowing_tokens=return_overflowing_tokens,
            return_special_tokens_mask=return_special_tokens_mask,
            return_token_type_ids=return_token_type_ids,
            return_attention_mask=return_attention_mask,
            return_offsets_mapping=return_offsets_mapping,
            return_length=return_length,
            return_tensors=return_tensors,
            add_special_tokens=add_special_tokens,
        )

    def pad(
        self,
        encoded_inputs,
        padding=True,
        max_length=None,
        pad_to_multiple_of=None,
        padding_side=None,
        return_attention_mask=None,
        return_tensors=None,
        verbose=True,
    ):
        """Pads encodings to one length, as transformers' `PreTrainedTokenizerBase.pad`.

        `encoded_inputs` is one encoding, a batch (dict of lists of rows) or a list of encodings
        (dicts); see `keras_bert.tokenization.encoding.pad` for the rules. Returns a `BatchEncoding`.

        Example:
            >>> features = [tokenizer("a"), tokenizer("a longer text")]  # doctest: +SKIP
            >>> tokenizer.pad(features, return_tensors="np")["attention_mask"]  # doctest: +SKIP
            array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
        """
        del verbose  # accepted for transformers compatibility; nothing is logged
        return encoding.pad(
            self,
            encoded_inputs,
            padding=padding,
            max_length=max_length,
            pad_to_multiple_of=pad_to_multiple_of,
            padding_side=padding_side,
            return_attention_mask=return_attention_mask,
            return_tensors=return_tensors,
        )

    def _encode_call(self, text, text_pair, **options):
        """The Python path: `encoding.encode` (offsets need the fast tokenizer's alignment)."""
        if options["return_offsets_mapping"]:
            raise NotImplementedError(
                "return_offset_mapping is not available when using Python tokenizers. "
                "To use this feature, change your tokenizer to one deriving from "
                "transformers.PreTrainedTokenizerFast (here: keras_bert.BertTokenizerFast). "
                "More information on available tokenizers at "
                "https://github.com/huggingface/transformers/pull/2674"
            )
        return encoding.encode(self, text, text_pair, **options)
