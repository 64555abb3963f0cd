"""BertTokenizerFast: BertTokenizer's API on the Rust `tokenizers` library."""

import os

import tokenizers
from tokenizers import decoders, models, normalizers, pre_tokenizers

from keras_bert.tokenization import encoding
from keras_bert.tokenization.bert_tokenizer import (
    SPECIAL_TOKEN_NAMES,
    VOCAB_FILE,
    BertTokenizer,
    read_pretrained_config,
)

TOKENIZER_FILE = "tokenizer.json"


class BertTokenizerFast(BertTokenizer):
    """BERT tokenizer backed by `tokenizers` (Rust), batch-friendly.

    Same constructor, vocabulary handling, special token methods and
    `__call__` as `BertTokenizer` (one shared implementation of pairs,
    truncation, padding and tensors), plus `return_offsets_mapping`:
    (start, end) character offsets into the original text, (0, 0) for
    special tokens and padding.

    Args:
        vocab_file: vocab.txt.
        tokenizer_file: a tokenizers `tokenizer.json`; when given (or found by
            `from_pretrained`) its pipeline is used, else one is built from
            vocab.txt and the options.
        **kwargs: as `BertTokenizer`.

    The `tokenizers` normalizer follows its own Unicode tables, so on rare
    characters it may differ from `BertTokenizer` (the parity reference).
    """

    def __init__(self, vocab_file, tokenizer_file=None, **kwargs):
        super().__init__(vocab_file, **kwargs)
        if tokenizer_file is not None:
            backend = tokenizers.Tokenizer.from_file(tokenizer_file)
        else:
            backend = self._build_backend()
        backend.no_truncation()
        backend.no_padding()
        backend.post_processor = None
        backend.add_special_tokens(self.all_special_tokens)
        self.tokenizer_file = tokenizer_file
        self.backend = backend

    def _build_backend(self):
        backend = tokenizers.Tokenizer(
            models.WordPiece(self.vocab, unk_token=self.unk_token, max_input_chars_per_word=100)
        )
        backend.normalizer = normalizers.BertNormalizer(
            clean_text=True,
            handle_chinese_chars=self.tokenize_chinese_chars,
            strip_accents=self.basic_tokenizer.strips_accents,
            lowercase=self.do_lower_case,
        )
        backend.pre_tokenizer = (
            pre_tokenizers.BertPreTokenizer() if self.do_basic_tokenize else pre_tokenizers.WhitespaceSplit()
        )
        backend.decoder = decoders.WordPiece()
        return backend

    @classmethod
    def from_pretrained(cls, directory, *init_inputs, **kwargs):
        """Loads vocab.txt (+ tokenizer.json when present) and the configs from a directory or a
        hub name in the local Hugging Face cache (hub keywords as `keras_bert.hub.pop_hub_kwargs`).

        Example:
            >>> tokenizer = BertTokenizerFast.from_pretrained("bert-base-uncased", revision="main")
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
        tok_file = os.path.join(directory, TOKENIZER_FILE)
        if os.path.isfile(tok_file):
            config["tokenizer_file"] = tok_file
        config.update(kwargs)
        return cls(vocab, **config)

    def save_pretrained(self, save_directory):
        """As BertTokenizer.save_pretrained, plus tokenizer.json."""
        paths = super().save_pretrained(save_directory)
        path = os.path.join(save_directory, TOKENIZER_FILE)
        self.backend.save(path)
        return (*paths, path)

    def tokenize(self, text):
        return self.backend.encode(text, add_special_tokens=False).tokens

    def _encode_text(self, text):
        enc = self.backend.encode(text, add_special_tokens=False)
        return enc.ids, enc.offsets

    def _encode_texts(self, texts):
        return [(e.ids, e.offsets) for e in self.backend.encode_batch(texts, add_special_tokens=False)]

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
        return_token_type_ids=True,
        return_attention_mask=True,
        return_offsets_mapping=False,
        return_tensors=None,
        add_special_tokens=True,
    ):
        """Encodes a text, a pair, or a batch of either; see `encoding.encode`."""
        return encoding.encode(
            self,
            text,
            text_pair,
            padding=padding,
            truncation=truncation,
            max_length=max_length,
            pad_to_multiple_of=pad_to_multiple_of,
            stride=stride,
            return_overflowing_tokens=return_overflowing_tokens,
            return_special_tokens_mask=return_special_tokens_mask,
            return_token_type_ids=return_token_type_ids,
            return_attention_mask=return_attention_mask,
            return_offsets_mapping=return_offsets_mapping,
            return_tensors=return_tensors,
            add_special_tokens=add_special_tokens,
        )


__all__ = ["BertTokenizerFast", "SPECIAL_TOKEN_NAMES"]
