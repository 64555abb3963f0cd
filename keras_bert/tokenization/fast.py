"""BertTokenizerFast: BertTokenizer's API on the Rust `tokenizers` library."""

import os

import tokenizers
from tokenizers import processors

from keras_bert.tokenization import encoding
from keras_bert.tokenization.bert_tokenizer import SPECIAL_TOKEN_NAMES, BertTokenizer, as_id_list
from keras_bert.tokenization.fast_backend import ReferenceText, apply_options, build_backend
from keras_bert.tokenization.padding import check_pad_token
from keras_bert.tokenization.pretrained_files import read_pretrained_config

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

    Options given to the constructor or `from_pretrained` override a tokenizer.json's pipeline
    (see `fast_backend`); characters that `tokenizers` keeps but the reference drops (unassigned
    code points such as U+FFFE, lone surrogates) are dropped here too, and the ~1,900 code points
    where `tokenizers` classifies differently from the reference (recent marks and punctuation, CJK
    U+2B820-U+2B91F, NFC singletons) are rewritten one for one before the backend sees them, so ids
    equal `BertTokenizer`'s for every single code point (`fast_backend.ReferenceText`); a capital
    sigma is lowered by the reference's Final_Sigma rule, and with accents kept, decomposed text is
    NFC-composed as the reference composes it.
    """

    def __init__(self, vocab_file, tokenizer_file=None, **kwargs):
        self.backend = None
        super().__init__(vocab_file, **kwargs)
        options = {k: getattr(self, k) for k in ("do_lower_case", "strip_accents", "tokenize_chinese_chars")}
        options.update(do_basic_tokenize=self.do_basic_tokenize, never_split=self.never_split)
        if tokenizer_file is not None:
            backend = tokenizers.Tokenizer.from_file(tokenizer_file)
            apply_options(backend, options)
        else:
            model_vocab = {**self.vocab, **{t: i for t, i in self.added_tokens_encoder.items() if i >= len(self.vocab)}}
            backend = build_backend(model_vocab, self.unk_token, options)
        backend.no_truncation()
        backend.no_padding()
        self.tokenizer_file = tokenizer_file
        self.backend = backend
        self._reference_text = ReferenceText(backend, options)
        self._adopt_backend_added_tokens()
        self._on_tokens_added(
            list(self.added_tokens_encoder), [t in self._special_added for t in self.added_tokens_encoder]
        )

    @property
    def backend_tokenizer(self):
        """The `tokenizers.Tokenizer` (transformers' name)."""
        return self.backend

    def _adopt_backend_added_tokens(self):
        """Added tokens a tokenizer.json brings (beyond ours) join the bookkeeping, in id order."""
        never_split = set(self.never_split)
        for index, token in sorted(self.backend.get_added_tokens_decoder().items()):
            if token.content in self.added_tokens_encoder or (token.single_word and token.content in never_split):
                continue
            self._add([token.content], special=bool(token.special))
            if self.added_tokens_encoder[token.content] != index:
                raise ValueError(
                    f"Added token {token.content!r} has id {index} in {self.tokenizer_file!r} but "
                    f"{self.added_tokens_encoder[token.content]} after vocabulary {self.vocab_file!r}"
                )

    def _on_tokens_added(self, tokens, special_flags):
        """Mirrors added tokens into the backend and keeps the post-processor on the current [CLS]/[SEP]."""
        backend = self.backend
        if backend is None:  # during BertTokenizer.__init__; __init__ syncs once the backend exists
            return
        special = [t for t, f in zip(tokens, special_flags) if f]
        plain = [t for t, f in zip(tokens, special_flags) if not f]
        backend.add_special_tokens([tokenizers.AddedToken(t, special=True, normalized=False) for t in special])
        backend.add_tokens([tokenizers.AddedToken(t, normalized=True) for t in plain])
        for token in tokens:
            if backend.token_to_id(token) != self.added_tokens_encoder[token]:
                raise ValueError(
                    f"Token {token!r} has id {self.added_tokens_encoder[token]} in the vocabulary but "
                    f"{backend.token_to_id(token)} in the tokenizers backend"
                )
        if self.cls_token is not None and self.sep_token is not None:
            backend.post_processor = processors.TemplateProcessing(
                single=f"{self.cls_token} $A {self.sep_token}",
                pair=f"{self.cls_token} $A {self.sep_token} $B:1 {self.sep_token}:1",
                special_tokens=[(self.cls_token, self.cls_token_id), (self.sep_token, self.sep_token_id)],
            )

    @classmethod
    def from_pretrained(cls, directory, *init_inputs, **kwargs):
        """Loads vocab.txt (+ tokenizer.json when present) and the saved options from a directory or a
        hub name in the local Hugging Face cache (hub keywords as `keras_bert.hub.pop_hub_kwargs`);
        keyword options override the saved ones and the tokenizer.json pipeline.

        Example:
            >>> tokenizer = BertTokenizerFast.from_pretrained("bert-base-uncased", do_lower_case=False)  # doctest: +SKIP
        """
        directory = cls._resolve_directory(directory, init_inputs, kwargs)
        config = read_pretrained_config(directory)
        tok_file = os.path.join(directory, TOKENIZER_FILE)
        if os.path.isfile(tok_file):
            config["tokenizer_file"] = tok_file
        config.update(kwargs)
        return cls(os.path.join(directory, "vocab.txt"), **config)

    def save_pretrained(self, save_directory, **kwargs):
        """As BertTokenizer.save_pretrained, plus tokenizer.json."""
        paths = super().save_pretrained(save_directory, **kwargs)
        path = os.path.join(save_directory, TOKENIZER_FILE)
        self.backend.save(path)
        return (*paths, path)

    def tokenize(self, text, **kwargs):
        if kwargs.pop("add_special_tokens", False):
            return self.convert_ids_to_tokens(self.encode(text, **kwargs))
        return self.backend.encode(self._clean(text), add_special_tokens=False).tokens

    def _clean(self, text):
        """`ReferenceText` when the basic tokenizer runs (the reference cleans and normalises only then)."""
        if not isinstance(text, str):
            raise ValueError(f"Expected str inputs, got {type(text).__name__}: {text!r:.80}")
        return self._reference_text(text) if self.do_basic_tokenize else text

    def _encode_text(self, text):
        enc = self.backend.encode(self._clean(text), add_special_tokens=False)
        return enc.ids, enc.offsets

    def _encode_texts(self, texts):
        texts = [self._clean(t) for t in texts]
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
        check_pad_token(self, pad)
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
        inputs = [self._clean_input(x, is_split_into_words) for x in inputs]
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

    def _clean_input(self, item, is_split_into_words):
        """`_clean` for a text, a (text, text_pair) tuple or a list of words; anything else is refused."""
        if isinstance(item, tuple):
            if len(item) != 2:
                raise ValueError(f"A batch item given as a sequence must be a (text, text_pair) pair, got {item!r:.80}")
            return tuple(self._clean_input(x, is_split_into_words) for x in item)
        if is_split_into_words and isinstance(item, list):
            return [self._clean(w) for w in item]
        return self._clean(item)

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


__all__ = ["BertTokenizerFast", "SPECIAL_TOKEN_NAMES", "TOKENIZER_FILE"]
