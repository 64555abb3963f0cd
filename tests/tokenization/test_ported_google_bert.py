"""google-research/bert `tokenization_test.py`, ported: its expected values asserted on our tokenizers.

Its vocabulary has no `[PAD]` or `[MASK]`: both tokenizers must load it (the missing special
tokens are appended after the vocabulary, as transformers 4.34+).
"""

import pytest

from keras_bert.tokenization import BertTokenizer, BertTokenizerFast
from keras_bert.tokenization import unicode_tables as ut
from keras_bert.tokenization.basic import BasicTokenizer
from keras_bert.tokenization.wordpiece import WordpieceTokenizer

GOOGLE_VOCAB = ["[UNK]", "[CLS]", "[SEP]", "want", "##want", "##ed", "wa", "un", "runn", "##ing", ","]


def write_vocab(tmp_path, tokens):
    path = tmp_path / "vocab.txt"
    path.write_text("".join(t + "\n" for t in tokens), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("cls", [BertTokenizer, BertTokenizerFast])
def test_full_tokenizer(tmp_path, cls):
    tok = cls(write_vocab(tmp_path, GOOGLE_VOCAB))
    tokens = tok.tokenize("UNwant\u00e9d,running")
    assert tokens == ["un", "##want", "##ed", ",", "runn", "##ing"]
    assert tok.convert_tokens_to_ids(tokens) == [7, 4, 5, 10, 8, 9]
    # [PAD] and [MASK] are not in this vocabulary: appended, in special-token order, after it.
    assert (tok.pad_token_id, tok.mask_token_id, tok.vocab_size, len(tok)) == (11, 12, 11, 13)
    assert tok(["unwanted", "running ,"], padding=True)["input_ids"] == [[1, 7, 4, 5, 2], [1, 8, 9, 10, 2]]
    assert tok("want", padding="max_length", max_length=5)["input_ids"] == [1, 3, 2, 11, 11]


def test_chinese():
    assert BasicTokenizer().tokenize("ah\u535a\u63a8zz") == ["ah", "\u535a", "\u63a8", "zz"]


def test_basic_tokenizer_lower():
    tok = BasicTokenizer(do_lower_case=True)
    assert tok.tokenize(" \tHeLLo!how  \n Are yoU?  ") == ["hello", "!", "how", "are", "you", "?"]
    assert tok.tokenize("H\u00e9llo") == ["hello"]


def test_basic_tokenizer_no_lower():
    tok = BasicTokenizer(do_lower_case=False)
    assert tok.tokenize(" \tHeLLo!how  \n Are yoU?  ") == ["HeLLo", "!", "how", "Are", "yoU", "?"]


@pytest.mark.parametrize("cls", [BertTokenizer, BertTokenizerFast])
@pytest.mark.parametrize("lower", [True, False])
def test_basic_tokenization_through_tokenizers(tmp_path, cls, lower):
    """The basic-tokenizer cases above, through the full tokenizers (words all in the vocabulary)."""
    words = ["hello", "HeLLo", "!", "how", "Are", "are", "yoU", "you", "?", "ah", "\u535a", "\u63a8", "zz"]
    tok = cls(write_vocab(tmp_path, ["[UNK]", "[CLS]", "[SEP]", *words]), do_lower_case=lower)
    expected = ["hello", "!", "how", "are", "you", "?"] if lower else ["HeLLo", "!", "how", "Are", "yoU", "?"]
    assert tok.tokenize(" \tHeLLo!how  \n Are yoU?  ") == expected
    assert tok.tokenize("ah\u535a\u63a8zz") == ["ah", "\u535a", "\u63a8", "zz"]


def test_wordpiece_tokenizer():
    vocab = {t: i for i, t in enumerate(GOOGLE_VOCAB[:-1])}
    tok = WordpieceTokenizer(vocab)
    assert tok.tokenize("") == []
    assert tok.tokenize("unwanted running") == ["un", "##want", "##ed", "runn", "##ing"]
    assert tok.tokenize("unwantedX running") == ["[UNK]", "runn", "##ing"]


@pytest.mark.parametrize("cls", [BertTokenizer, BertTokenizerFast])
def test_wordpiece_through_tokenizers(tmp_path, cls):
    tok = cls(write_vocab(tmp_path, GOOGLE_VOCAB[:-1]), do_lower_case=False)
    assert tok.tokenize("") == []
    assert tok.tokenize("unwanted running") == ["un", "##want", "##ed", "runn", "##ing"]
    assert tok.tokenize("unwantedX running") == ["[UNK]", "runn", "##ing"]


@pytest.mark.parametrize("cls", [BertTokenizer, BertTokenizerFast])
def test_convert_tokens_to_ids(tmp_path, cls):
    tok = cls(write_vocab(tmp_path, GOOGLE_VOCAB[:-1]))
    assert tok.convert_tokens_to_ids(["un", "##want", "##ed", "runn", "##ing"]) == [7, 4, 5, 8, 9]


def test_is_whitespace():
    assert all(ut.is_whitespace(c) for c in " \t\r\n\u00a0")
    assert not any(ut.is_whitespace(c) for c in "A-")


def test_is_control():
    assert ut.is_control("\u0005")
    assert not any(ut.is_control(c) for c in ["A", " ", "\t", "\r", "\U0001f4a9"])


def test_is_punctuation():
    assert all(ut.is_punctuation(c) for c in "-$`.")
    assert not any(ut.is_punctuation(c) for c in "A ")
