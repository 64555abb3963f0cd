"""BertTokenizer: the pure-Python BERT tokenizer (the parity reference).

Its pieces: vocabulary loading (`vocab`), special and added tokens (`special_tokens`), the
transformers call API (`base`), saved files (`pretrained_files`); here only what is BERT's own:
the options, basic + WordPiece tokenization and the `[CLS] A [SEP] B [SEP]` layout.
"""

import os

from keras_bert.tokenization.base import PreTrainedTokenizerBase, as_id_list
from keras_bert.tokenization.basic import BasicTokenizer
from keras_bert.tokenization.pretrained_files import (
    CONFIG_FILE,
    CONFIG_KEYS,
    SPECIAL_TOKENS_FILE,
    read_pretrained_config,
    write_pretrained_files,
)
from keras_bert.tokenization.special_tokens import SPECIAL_TOKEN_NAMES, token_content
from keras_bert.tokenization.vocab import VOCAB_FILE, load_vocab
from keras_bert.tokenization.wordpiece import WordpieceTokenizer

__all__ = [
    "BertTokenizer",
    "CONFIG_FILE",
    "CONFIG_KEYS",
    "SPECIAL_TOKENS_FILE",
    "SPECIAL_TOKEN_NAMES",
    "VOCAB_FILE",
    "as_id_list",
    "read_pretrained_config",
]


class BertTokenizer(PreTrainedTokenizerBase):
    """WordPiece BERT tokenizer in pure Python (matches transformers' Python `BertTokenizer`).

    Args:
        vocab_file: path to vocab.txt (UTF-8, one token per line). Special tokens missing from it
            are appended as added tokens (ids from `vocab_size` on), as transformers 4.34+, except
            `unk_token`: a vocabulary without it raises ValueError naming the file (transformers
            would give unknown words an id past the vocabulary).
        do_lower_case: lowercase with `str.lower()` before WordPiece.
        do_basic_tokenize: run clean-up/punctuation splitting; if False, the text is only split
            on whitespace before WordPiece (no lowercasing).
        never_split: words kept whole (no lowercasing, no punctuation split, no WordPiece;
            looked up directly, `unk_token` if absent).
        unk_token, sep_token, pad_token, cls_token, mask_token: special tokens (str,
            `AddedToken` or None). Written inside text they are recognised verbatim.
        additional_special_tokens: more special tokens (skipped by `skip_special_tokens`).
        tokenize_chinese_chars: split CJK ideographs into single tokens.
        strip_accents: strip accents (NFD, drop Mn); None follows `do_lower_case`.
        model_max_length: length used by truncation/"max_length" padding when `max_length` is not
            given; None means unlimited.
        padding_side, truncation_side: "right" (default) or "left".
        added_tokens_decoder: {id: token or (token, special)} restored by `from_pretrained`.

    Inputs are Python `str`; bytes are not accepted (decode them first, e.g. with
    `errors="replace"`: U+FFFD is then dropped by the clean-up, as `TFBertTokenizer` does for
    invalid UTF-8). Lone surrogates and unassigned code points are dropped like control
    characters. The empty string encodes to `[CLS] [SEP]`; an empty batch gives empty lists.
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
        additional_special_tokens=None,
        added_tokens_decoder=None,
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
        if model_max_length is not None and (not isinstance(model_max_length, int) or model_max_length < 0):
            raise ValueError(f"model_max_length must be a non-negative int or None, got {model_max_length!r}")
        self.model_max_length = model_max_length
        self.clean_up_tokenization_spaces = clean_up_tokenization_spaces
        self.padding_side, self.truncation_side = padding_side, truncation_side
        specials = dict(
            unk_token=unk_token, sep_token=sep_token, pad_token=pad_token, cls_token=cls_token, mask_token=mask_token
        )
        if token_content(unk_token) is not None and token_content(unk_token) not in self.vocab:
            raise ValueError(
                f"unk_token={token_content(unk_token)!r} is not in the vocabulary {vocab_file!r}; words outside the "
                "vocabulary map to it, so it must be a line of vocab.txt (an id past the vocabulary would "
                "index past the model's embeddings)."
            )
        self._init_special_tokens(specials, additional_special_tokens, self._restored(added_tokens_decoder or {}))
        self.basic_tokenizer = BasicTokenizer(
            do_lower_case=do_lower_case,
            never_split=self.never_split,
            tokenize_chinese_chars=tokenize_chinese_chars,
            strip_accents=strip_accents,
        )
        self.wordpiece_tokenizer = WordpieceTokenizer(self.vocab, unk_token)

    @staticmethod
    def _restored(added_tokens_decoder):
        """[(id, token, special)] from {id: token, (token, special) or AddedToken}, in id order."""
        out = []
        for index, token in sorted((int(i), t) for i, t in added_tokens_decoder.items()):
            if isinstance(token, tuple):
                out.append((index, token[0], bool(token[1])))
            else:
                out.append((index, token_content(token), bool(getattr(token, "special", False))))
        return out

    def __setattr__(self, name, value):
        if name in ("padding_side", "truncation_side") and value not in ("right", "left"):
            raise ValueError(f"{name} must be 'right' or 'left', got {value!r}")
        super().__setattr__(name, value)

    # -- loading / saving -----------------------------------------------
    @classmethod
    def from_pretrained(cls, directory, *init_inputs, **kwargs):
        """Loads vocab.txt and the saved options and added tokens from a directory or a hub name in
        the local Hugging Face cache; keyword options override the saved ones. Hub keywords
        (`cache_dir`, `revision`, `local_files_only`, `token`, `subfolder`, ...) as
        `keras_bert.hub.pop_hub_kwargs`.

        Example:
            >>> tokenizer = BertTokenizer.from_pretrained("bert-base-uncased", local_files_only=True)
        """
        directory = cls._resolve_directory(directory, init_inputs, kwargs)
        config = read_pretrained_config(directory)
        config.update(kwargs)
        return cls(os.path.join(directory, VOCAB_FILE), **config)

    @classmethod
    def _resolve_directory(cls, directory, init_inputs, kwargs):
        from keras_bert import hub

        if init_inputs:
            raise TypeError(
                f"{cls.__name__}.from_pretrained takes options by keyword, got {len(init_inputs)} positional"
            )
        directory = hub.resolve(directory, "tokenizer", **hub.pop_hub_kwargs(kwargs))
        if not os.path.isfile(os.path.join(directory, VOCAB_FILE)):
            raise ValueError(f"No {VOCAB_FILE} in {directory!r}.")
        return directory

    def get_config(self):
        """Constructor kwargs (without vocab_file)."""
        config = {k: getattr(self, k) for k in CONFIG_KEYS}
        config.update({n: getattr(self, n) for n in SPECIAL_TOKEN_NAMES})
        config["additional_special_tokens"] = list(self.additional_special_tokens)
        config["added_tokens_decoder"] = {
            i: (t, t in self._special_added) for i, t in sorted(self.added_tokens_decoder.items())
        }
        return config

    def save_vocabulary(self, save_directory, filename_prefix=None):
        """Writes vocab.txt in id order; returns a 1-tuple with its path."""
        name = (filename_prefix + "-" if filename_prefix else "") + VOCAB_FILE
        path = os.path.join(save_directory, name) if os.path.isdir(save_directory) else save_directory
        with open(path, "w", encoding="utf-8") as f:
            for token, _ in sorted(self.vocab.items(), key=lambda kv: kv[1]):
                f.write(token + "\n")
        return (path,)

    def save_pretrained(self, save_directory, **kwargs):
        """Writes vocab.txt, tokenizer_config.json, special_tokens_map.json (and added_tokens.json)."""
        for key in kwargs:
            if key not in ("legacy_format", "filename_prefix", "push_to_hub"):
                raise TypeError(f"save_pretrained got an unexpected keyword {key!r}")
        files = write_pretrained_files(self, save_directory, type(self).__name__)
        return (*self.save_vocabulary(save_directory), *files)

    # -- tokens and ids ---------------------------------------------------
    def tokenize(self, text, **kwargs):
        """Text to WordPiece tokens; special and added tokens in the text stay whole."""
        if kwargs.pop("add_special_tokens", False):
            return self.convert_ids_to_tokens(self.encode(text, **kwargs))
        tokens = []
        for piece, is_added in self._split_added_tokens(text):
            if is_added:
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
            if token_ids_1 is not None:
                raise ValueError(
                    "You should not supply a second sequence if the provided sequence of "
                    "ids is already formatted with special tokens for the model."
                )
            special = set(self.all_special_ids)
            return [int(i in special) for i in token_ids_0]
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
