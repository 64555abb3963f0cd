"""BertTokenizerFast: BertTokenizer's API on the Rust `tokenizers` library."""

import os

import tokenizers
from tokenizers import decoders, models, normalizers, pre_tokenizers, processors

from keras_bert.tokenization import encoding
from keras_bert.tokenization.bert_tokenizer import (
    SPECIAL_TOKEN_NAMES,
    VOCAB_FILE,
    BertTokenizer,
    as_id_list,
    read_pretrained_config,
)

TOKENIZER_FILE = "tokenizer.json"


class BertTokenizerFast(BertTokenizer):
    """BERT tokenizer backed by `tokenizers` (Rust), batch-friendly.

    Same constructor, vocabulary handling, special token methods and
    `__call__` signature as `BertTokenizer`; the call runs in the backend as
    transformers' fast tokenizer does, so it adds `return_offsets_mapping`
    ((start, end) character offsets, (0, 0) for special tokens and padding),
    overflow as extra rows with `overflow_to_sample_mapping`, and a
    `BatchEncoding` that answers `word_ids`, `sequence_ids`, `char_to_token`.

    Example:
        >>> tok = BertTokenizerFast.from_pretrained(path)  # doctest: +SKIP
        >>> enc = tok(["How old?"], ["I am nine."], return_offsets_mapping=True)  # doctest: +SKIP
        >>> enc.sequence_ids(0)  # doctest: +SKIP
        [None, 0, 0, 0, None, 1, 1, 1, 1, None]

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
        backend.post_processor = processors.TemplateProcessing(
            single=f"{self.cls_token} $A {self.sep_token}",
            pair=f"{self.cls_token} $A {self.sep_token} $B:1 {self.sep_token}:1",
            special_tokens=[(self.cls_token, self.cls_token_id), (self.sep_token, self.sep_token_id)],
        )
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

    def decode(self, ids, skip_special_tokens=False, clean_up_tokenization_spaces=None):
        """As `BertTokenizer.decode`, through the backend's decoder (as transformers' fast tokenizer)."""
        text = self.backend.decode(as_id_list(ids), skip_special_tokens=skip_special_tokens)
        return self._maybe_clean(text, clean_up_tokenization_spaces)

    def _encode_call(
        self,
        text,
        text_pair,
        padding,
        truncation,
        max_length,
        pad_to_multiple_of,
        stride,
        is_split_into_words,
        return_overflowing_tokens,
        return_special_tokens_mask,
        return_token_type_ids,
        return_attention_mask,
        return_offsets_mapping,
        return_length,
        return_tensors,
        add_special_tokens,
    ):
        """The Rust path, as transformers' fast tokenizer: the backend truncates, adds specials and pads.

        Overflow gives one row per window (`stride` tokens of overlap) and
        `overflow_to_sample_mapping`; the `tokenizers.Encoding` of every row
        stays on the result (`word_ids`, `sequence_ids`, ...).
        """
        pad, trunc, max_length = encoding.resolve_strategies(
            padding, truncation, max_length, pad_to_multiple_of, self.model_max_length
        )
        if return_tensors not in (None,) + encoding._TENSOR_TYPES:
            raise ValueError(f"return_tensors must be None or one of {encoding._TENSOR_TYPES}, got {return_tensors!r}")
        batched = encoding.is_batched(text, is_split_into_words)
        if not batched:
            if text_pair is not None and encoding.is_batched(text_pair, is_split_into_words):
                raise ValueError(f"text is one input, so text_pair must be one input too; got {text_pair!r:.80}")
            inputs = [text if text_pair is None else (text, text_pair)]
        elif text_pair is not None:
            if not isinstance(text_pair, (list, tuple)) or len(text_pair) != len(text):
                raise ValueError(
                    "If `text` is a batch, `text_pair` must be a batch of the same length; "
                    f"got {len(text)} texts and {text_pair!r:.80}"
                )
            inputs = list(zip(text, text_pair))
        else:
            words = is_split_into_words
            inputs = [tuple(t) if isinstance(t, list) and not (words and encoding._is_words(t)) else t for t in text]
        rows, sample = self._backend_rows(
            inputs, pad, trunc, max_length, stride, pad_to_multiple_of, add_special_tokens, is_split_into_words
        )
        if not return_overflowing_tokens:
            keep = [i for i, s in enumerate(sample) if i == 0 or s != sample[i - 1]]
            rows, sample = [rows[i] for i in keep], [sample[i] for i in keep]
        data = {"input_ids": [r.ids for r in rows]}
        if return_token_type_ids is not False:
            data["token_type_ids"] = [r.type_ids for r in rows]
        if return_attention_mask is not False:
            data["attention_mask"] = [r.attention_mask for r in rows]
        if return_special_tokens_mask:
            data["special_tokens_mask"] = [r.special_tokens_mask for r in rows]
        if return_offsets_mapping:
            data["offset_mapping"] = [r.offsets for r in rows]
        if return_length:
            data["length"] = [len(r.ids) for r in rows]
        if return_overflowing_tokens:
            data["overflow_to_sample_mapping"] = sample
        if not batched and return_tensors is None and not return_overflowing_tokens:
            data = {key: value[0] if value and isinstance(value[0], list) else value for key, value in data.items()}
        return encoding.BatchEncoding(data, encodings=rows, tensor_type=return_tensors)

    def _backend_rows(self, inputs, pad, trunc, max_length, stride, multiple, add_special, pretokenized):
        """Encodes with the backend; returns (rows, sample index of each row), overflow rows included.

        Where "only_first"/"only_second" cannot reach `max_length` (the other
        sequence alone is too long) transformers' fast tokenizer raises; here
        that input is kept whole instead, as the Python tokenizer does.
        """
        backend = self.backend
        side = dict(direction=self.padding_side, pad_id=self.pad_token_id, pad_type_id=0, pad_token=self.pad_token)
        try:
            if trunc:
                backend.enable_truncation(max_length, stride=stride, strategy=trunc, direction=self.truncation_side)
            if pad:
                length = max_length if pad == "max_length" else None
                backend.enable_padding(length=length, pad_to_multiple_of=multiple, **side)
            try:
                encoded = backend.encode_batch(inputs, add_special_tokens=add_special, is_pretokenized=pretokenized)
                padded = True
            except Exception as e:  # tokenizers raises a bare Exception
                if "too short" not in str(e):
                    raise
                backend.no_padding()
                backend.no_truncation()
                encoded = [self._try_encode(x, add_special, pretokenized, trunc, max_length, stride) for x in inputs]
                padded = False
        finally:
            backend.no_truncation()
            backend.no_padding()
        rows, sample = [], []
        for i, enc in enumerate(encoded):
            for row in [enc, *enc.overflowing]:
                rows.append(row)
                sample.append(i)
        if pad and not padded and rows:
            target = max(len(r.ids) for r in rows) if pad == "longest" else max_length
            if multiple and target % multiple:
                target += multiple - target % multiple
            for row in rows:
                row.pad(target, **side)
        return rows, sample

    def _try_encode(self, item, add_special, pretokenized, trunc, max_length, stride):
        backend = self.backend
        backend.enable_truncation(max_length, stride=stride, strategy=trunc, direction=self.truncation_side)
        try:
            return backend.encode(*_as_pair(item), is_pretokenized=pretokenized, add_special_tokens=add_special)
        except Exception as e:  # tokenizers raises a bare Exception
            if "too short" not in str(e):
                raise
        finally:
            backend.no_truncation()
        return self._encode_lenient(item, add_special, pretokenized, trunc, max_length)

    def _encode_lenient(self, item, add_special, pretokenized, trunc, max_length):
        """One input whose "only_*" truncation is impossible: cut that sequence to what is left (maybe nothing)."""
        backend = self.backend
        first, second = _as_pair(item)
        a = backend.encode(first, is_pretokenized=pretokenized, add_special_tokens=False)
        b = None if second is None else backend.encode(second, is_pretokenized=pretokenized, add_special_tokens=False)
        n_special = backend.num_special_tokens_to_add(b is not None) if add_special else 0
        total = len(a) + (len(b) if b is not None else 0) + n_special
        cut = b if trunc == "only_second" and b is not None else a
        cut.truncate(max(len(cut) - (total - max_length), 0), direction=self.truncation_side)
        return backend.post_process(a, b, add_special_tokens=add_special)


def _as_pair(item):
    return (item[0], item[1]) if isinstance(item, tuple) else (item, None)


__all__ = ["BertTokenizerFast", "SPECIAL_TOKEN_NAMES"]
