"""The transformers 4.x tokenizer call API on top of a tokenizer's `_encode_text`.

`PreTrainedTokenizerBase` holds what transformers' `PreTrainedTokenizerBase` offers every
tokenizer: `__call__`, `encode`, `encode_plus`, `batch_encode_plus`, `prepare_for_model`, `pad`,
`decode`, `batch_decode`, `padding_side`, `truncation_side`, `model_input_names`. The encoding
rules themselves live in `keras_bert.tokenization.encoding` (one place for both tokenizers).
"""

from keras_bert.tokenization import encoding
from keras_bert.tokenization.padding import pad as pad_encodings
from keras_bert.tokenization.special_tokens import SpecialTokensMixin


def as_id_list(ids):
    """An id, a list of ids, or a 1-D array / tensor as a list of Python ints."""
    if hasattr(ids, "numpy"):
        ids = ids.numpy()
    if hasattr(ids, "tolist"):
        ids = ids.tolist()
    return [ids] if isinstance(ids, int) else [int(i) for i in ids]


class PreTrainedTokenizerBase(SpecialTokensMixin):
    """Call API shared by `BertTokenizer` and `BertTokenizerFast` (transformers' base class name).

    A subclass provides `_encode_text(text) -> (ids, offsets or None)`, `convert_tokens_to_string`,
    `build_inputs_with_special_tokens`, `create_token_type_ids_from_sequences` and
    `get_special_tokens_mask`, and sets `padding_side`, `truncation_side`, `model_max_length`,
    `clean_up_tokenization_spaces`.
    """

    model_input_names = ["input_ids", "token_type_ids", "attention_mask"]

    def num_special_tokens_to_add(self, pair=False):
        """How many special tokens `build_inputs_with_special_tokens` adds (2 for one text, 3 for a pair)."""
        return len(self.build_inputs_with_special_tokens([], [] if pair else None))

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
        (dicts); see `keras_bert.tokenization.padding.pad` for the rules. Returns a `BatchEncoding`.

        Example:
            >>> features = [tokenizer("a"), tokenizer("a longer text")]  # doctest: +SKIP
            >>> tokenizer.pad(features, return_tensors="np")["attention_mask"]  # doctest: +SKIP
            array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
        """
        del verbose  # accepted for transformers compatibility; nothing is logged
        return pad_encodings(
            self,
            encoded_inputs,
            padding=padding,
            max_length=max_length,
            pad_to_multiple_of=pad_to_multiple_of,
            padding_side=padding_side,
            return_attention_mask=return_attention_mask,
            return_tensors=return_tensors,
        )

    def prepare_for_model(self, ids, pair_ids=None, add_special_tokens=True, **kwargs):
        """Token ids (and pair ids) to one model input row: special tokens, truncation, padding.

        Takes `__call__`'s options except `return_offsets_mapping` (ids carry no offsets), plus
        `prepend_batch_axis`. Example:
            >>> ids = tokenizer.convert_tokens_to_ids(tokenizer.tokenize("Hello world"))  # doctest: +SKIP
            >>> tokenizer.prepare_for_model(ids, max_length=3)["input_ids"]  # doctest: +SKIP
        """
        if kwargs.pop("return_offsets_mapping", False):
            raise NotImplementedError("return_offset_mapping is not available when using prepare_for_model (ids only).")
        kwargs.pop("verbose", None)
        return encoding.prepare_for_model(self, ids, pair_ids, add_special_tokens=add_special_tokens, **kwargs)

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
