"""BertTokenizer: golden vectors, API, and parity with transformers' legacy tokenizer."""

import json
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

from keras_bert.tokenization import BertTokenizer
from tests.support.tokenizer_corpus import (
    GOLDEN_VOCAB,
    REAL_VOCAB_DIR,
    SENTENCES,
    fragment_text,
    seeded_corpus,
    write_vocab,
)

VOCAB = os.path.join(REAL_VOCAB_DIR, "vocab.txt")
CORPUS = seeded_corpus(400, seed=1)
STRATEGIES = [True, "longest_first", "only_first", "only_second"]


@pytest.fixture(scope="module", params=[True, False], ids=["lower", "cased"])
def pair(request):
    ours = BertTokenizer(VOCAB, do_lower_case=request.param)
    ref = BertTokenizerLegacy(VOCAB, do_lower_case=request.param)
    return ours, ref


def _ref_call(ref, *args, **kwargs):
    return {
        k: (v.tolist() if hasattr(v, "tolist") else v)
        for k, v in ref(*args, return_token_type_ids=True, **kwargs).items()
    }


def test_golden_vectors(tmp_path):
    tok = BertTokenizer(write_vocab(tmp_path, GOLDEN_VOCAB))
    assert tok.tokenize("UNwant\u00e9d,running") == ["un", "##want", "##ed", ",", "runn", "##ing"]
    assert tok.convert_tokens_to_ids(["un", "##want", "##ed", ",", "runn", "##ing"]) == [9, 6, 7, 12, 10, 11]
    assert tok.tokenize("unwantedX running") == ["[UNK]", "runn", "##ing"]
    assert tok.tokenize("") == []
    assert tok("UNwant\u00e9d,running")["input_ids"] == [1, 9, 6, 7, 12, 10, 11, 2]
    basic = BertTokenizer(write_vocab(tmp_path, GOLDEN_VOCAB), do_lower_case=False)
    assert basic.basic_tokenizer.tokenize(" \tHeLLo!how  \n Are yoU?  ") == ["HeLLo", "!", "how", "Are", "yoU", "?"]
    real = BertTokenizer.from_pretrained(REAL_VOCAB_DIR)
    assert real.tokenize("ah\u535azz") == ["ah", "\u535a", "z", "##z"]
    assert real.tokenize("H\u00e9llo") == ["hello"]
    assert real.tokenize("ΌΣ") == ["ο", "##ς"]


def test_tokenize_parity_on_corpus(pair):
    ours, ref = pair
    for text in CORPUS + SENTENCES:
        assert ours.tokenize(text) == ref.tokenize(text), repr(text)
        assert ours.encode(text) == ref.encode(text), repr(text)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_call_parity_every_truncation(pair, strategy):
    ours, ref = pair
    firsts, seconds = CORPUS[:120], CORPUS[120:240]
    for max_length in (6, 11):
        kw = dict(truncation=strategy, max_length=max_length, return_special_tokens_mask=True)
        for a, b in zip(firsts, seconds):
            assert ours(a, **kw) == _ref_call(ref, a, **kw), repr(a)
            assert ours(a, b, **kw) == _ref_call(ref, a, b, **kw), (a, b)
        for padding in (True, "max_length"):
            got = ours(firsts, seconds, padding=padding, **kw)
            assert got == _ref_call(ref, firsts, seconds, padding=padding, **kw)


@pytest.mark.parametrize("strategy", ["only_first", "only_second"])
def test_overflow_parity(pair, strategy):
    ours, ref = pair
    kw = dict(truncation=strategy, max_length=9, stride=2, return_overflowing_tokens=True)
    for a, b in zip(SENTENCES, SENTENCES[1:]):
        assert ours(a, b, **kw) == _ref_call(ref, a, b, **kw)
        assert ours(a, **kw) == _ref_call(ref, a, **kw)
    with pytest.raises(ValueError, match="longest_first"):
        ours("a b c", "d e f", truncation=True, max_length=4, return_overflowing_tokens=True)


def test_padding_multiple_and_tensors(pair):
    ours, ref = pair
    kw = dict(padding=True, pad_to_multiple_of=8)
    assert ours(SENTENCES, **kw) == _ref_call(ref, SENTENCES, **kw)
    assert ours(SENTENCES[0], **kw) == _ref_call(ref, SENTENCES[0], **kw)
    np_out = ours(SENTENCES, padding=True, return_tensors="np")
    ref_out = ref(SENTENCES, padding=True, return_tensors="np", return_token_type_ids=True)
    for key in ("input_ids", "token_type_ids", "attention_mask"):
        np.testing.assert_array_equal(np_out[key], ref_out[key])
    tf_out = ours(
        SENTENCES[:2], SENTENCES[2:4], padding="max_length", truncation=True, max_length=16, return_tensors="tf"
    )
    assert tf_out["input_ids"].shape == (2, 16)
    assert ours(SENTENCES[0], return_tensors="np")["input_ids"].shape[0] == 1
    with pytest.raises(ValueError, match="different lengths"):
        ours(SENTENCES, return_tensors="np")


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    a=fragment_text(),
    b=fragment_text(),
    lower=st.booleans(),
    strategy=st.sampled_from(STRATEGIES),
    max_length=st.integers(3, 20),
)
def test_fuzz_parity(a, b, lower, strategy, max_length):
    ours, ref = _CACHED[lower]
    assert ours.tokenize(a) == ref.tokenize(a)
    kw = dict(truncation=strategy, max_length=max_length)
    assert ours(a, b, **kw) == _ref_call(ref, a, b, **kw)


_CACHED = {
    flag: (BertTokenizer(VOCAB, do_lower_case=flag), BertTokenizerLegacy(VOCAB, do_lower_case=flag))
    for flag in (True, False)
}


def test_options_parity():
    for kw in (
        dict(strip_accents=True, do_lower_case=False),
        dict(strip_accents=False),
        dict(tokenize_chinese_chars=False),
        dict(never_split=["Hello", "naïve", "hello"]),
        dict(do_basic_tokenize=False),
    ):
        ours, ref = BertTokenizer(VOCAB, **kw), BertTokenizerLegacy(VOCAB, **kw)
        for text in CORPUS[:200] + SENTENCES + ["Hello naïve NAÏVE hello"]:
            assert ours.tokenize(text) == ref.tokenize(text), (kw, text)
            assert ours.encode(text) == ref.encode(text), (kw, text)


def test_from_pretrained_save_and_decode(tmp_path):
    tok = BertTokenizer.from_pretrained(REAL_VOCAB_DIR)
    ref = BertTokenizerLegacy.from_pretrained(REAL_VOCAB_DIR)
    assert tok.model_max_length == 512 and tok.do_lower_case
    tok.save_pretrained(str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == ["special_tokens_map.json", "tokenizer_config.json", "vocab.txt"]
    again = BertTokenizer.from_pretrained(str(tmp_path))
    assert again.get_config() == tok.get_config()
    assert json.load(open(tmp_path / "special_tokens_map.json"))["mask_token"] == "[MASK]"
    assert tok.save_vocabulary(str(tmp_path), "x")[0].endswith("x-vocab.txt")
    for text in SENTENCES:
        ids = tok.encode(text)
        for skip in (True, False):
            for clean in (True, False):
                assert tok.decode(ids, skip_special_tokens=skip, clean_up_tokenization_spaces=clean) == ref.decode(
                    ids, skip_special_tokens=skip, clean_up_tokenization_spaces=clean
                )
        assert tok.convert_ids_to_tokens(ids) == ref.convert_ids_to_tokens(ids)
    a, b = [5, 6], [7]
    assert tok.build_inputs_with_special_tokens(a, b) == ref.build_inputs_with_special_tokens(a, b)
    assert tok.get_special_tokens_mask(a, b) == ref.get_special_tokens_mask(a, b)
    assert tok.get_special_tokens_mask([101, 5, 102], already_has_special_tokens=True) == [1, 0, 1]
    assert tok.create_token_type_ids_from_sequences(a, b) == [0, 0, 0, 0, 1, 1]


def test_bad_input(tmp_path):
    tok = BertTokenizer.from_pretrained(REAL_VOCAB_DIR)
    assert tok("")["input_ids"] == [101, 102]
    assert tok([]) == {"input_ids": []}
    assert tok([], padding=True)["input_ids"] == []
    raw = b"caf\xc3\xa9 \xff\xfe bad\xc3"
    assert tok.tokenize(raw.decode("utf-8", "replace")) == ["cafe", "bad"]
    with pytest.raises(ValueError, match="str"):
        tok(b"bytes")
    with pytest.raises(ValueError, match=r"\[UNK\]"):
        BertTokenizer(write_vocab(tmp_path, ["[CLS]", "[SEP]", "[PAD]", "[MASK]", "a"]))
    with pytest.raises(ValueError, match="padding"):
        tok("a", padding="sideways")
