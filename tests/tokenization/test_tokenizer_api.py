"""The transformers 4.x tokenizer call API, checked against transformers itself.

`BertTokenizerFast` against transformers' `BertTokenizerFast` (Rust, with
alignment: offsets, word/sequence ids, overflow rows); `BertTokenizer` against
the Python `BertTokenizerLegacy`. Equality is exact: these are integer ids.
"""

import os

import numpy as np
import pytest
from transformers import BertTokenizerFast as HFFast
from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

from keras_bert.tokenization import BertTokenizer, BertTokenizerFast
from tests.support.tokenizer_corpus import REAL_VOCAB_DIR

VOCAB = os.path.join(REAL_VOCAB_DIR, "vocab.txt")
LONG = (
    "The Normans were the people who in the 10th and 11th centuries gave their name to Normandy, a region in "
    "France. They were descended from Norse raiders and pirates from Denmark, Iceland and Norway who, under "
    "their leader Rollo, agreed to swear fealty to King Charles III of West Francia."
)
TEXTS = [
    "Hello, world!",
    "Naïve café owners don't résumé — they're CAFÉ people?!",
    "北京是中国的首都。東京は日本の首都です",
    "Who gave their name to Normandy?",
    LONG,
    "",
]
PAIRS = [TEXTS[3], TEXTS[0], TEXTS[1], "In what country is Normandy located?", TEXTS[2], "x"]
WORDS = [["EU", "rejects", "German", "call"], ["Peter", "Blackburn", "naïve", "北京"], ["a"]]


@pytest.fixture(scope="module")
def fast_pair():
    return BertTokenizerFast.from_pretrained(REAL_VOCAB_DIR), HFFast.from_pretrained(REAL_VOCAB_DIR)


@pytest.fixture(scope="module")
def slow_pair():
    return BertTokenizer(VOCAB), BertTokenizerLegacy(VOCAB)


def plain(value):
    """Lists of ints (tuples and tensors too) as nested lists, for exact comparison."""
    if hasattr(value, "numpy"):
        value = value.numpy()
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def assert_same(ours, ref, keys=None):
    keys = keys or list(ref.keys())
    assert sorted(ours.keys()) == sorted(keys), (list(ours.keys()), keys)
    for key in keys:
        assert plain(ours[key]) == plain(ref[key]), key


FAST_CALLS = [
    (TEXTS[0], None, {}),
    (TEXTS, None, dict(padding=True, return_special_tokens_mask=True, return_length=True)),
    (TEXTS, PAIRS, dict(truncation=True, max_length=20, padding="max_length")),  # longest_first, odd splits
    (TEXTS, PAIRS, dict(truncation="only_first", max_length=28, stride=2, return_overflowing_tokens=True)),
    (
        PAIRS,
        TEXTS,
        dict(
            truncation="only_second",
            max_length=32,
            stride=8,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
            padding="max_length",
        ),
    ),  # the question-answering guide
    (TEXTS, PAIRS, dict(truncation=True, max_length=24, stride=4, return_overflowing_tokens=True)),
    (LONG, None, dict(truncation=True, max_length=16, stride=5, return_overflowing_tokens=True)),
    (TEXTS, None, dict(truncation="only_first", max_length=16, padding=True, pad_to_multiple_of=8)),
    ([[TEXTS[3], LONG], [TEXTS[3], TEXTS[1]]], None, dict(padding=True, return_offsets_mapping=True)),
    (WORDS, None, dict(is_split_into_words=True, truncation=True, padding=True, return_offsets_mapping=True)),
    (WORDS[0], WORDS[1], dict(is_split_into_words=True, return_special_tokens_mask=True)),
    (TEXTS[1], TEXTS[2], dict(return_offsets_mapping=True, return_length=True, add_special_tokens=False)),
]


@pytest.mark.parametrize("text,pair,kwargs", FAST_CALLS)
@pytest.mark.parametrize("side", ["right", "left"])
def test_fast_call_matches_transformers(fast_pair, text, pair, kwargs, side):
    ours, ref = fast_pair
    ours.padding_side = ours.truncation_side = ref.padding_side = ref.truncation_side = side
    try:
        got, want = ours(text, pair, **kwargs), ref(text, pair, **kwargs)
    finally:
        ours.padding_side = ours.truncation_side = ref.padding_side = ref.truncation_side = "right"
    assert_same(got, want)
    assert got.is_fast and got.n_sequences == want.n_sequences
    for i in range(len(want.encodings)):
        assert got.tokens(i) == want.tokens(i)
        assert got.word_ids(i) == want.word_ids(i) == got.words(i)
        assert got.sequence_ids(i) == want.sequence_ids(i)
        n = len(want.encodings[i].ids)
        assert [got.token_to_chars(i, t) for t in range(n)] == [want.token_to_chars(i, t) for t in range(n)]
        for seq in (0, 1):
            assert [got.char_to_token(i, c, seq) for c in range(12)] == [
                want.char_to_token(i, c, seq) for c in range(12)
            ]
            assert [got.word_to_tokens(i, w, seq) for w in range(4)] == [
                want.word_to_tokens(i, w, seq) for w in range(4)
            ]


@pytest.mark.parametrize("tensors", ["np", "tf", "pt"])
def test_fast_tensors_match_transformers(fast_pair, tensors):
    ours, ref = fast_pair
    kw = dict(
        truncation="only_second",
        max_length=32,
        stride=8,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        padding="max_length",
    )
    got = ours(PAIRS, TEXTS, return_tensors=tensors, **kw)
    want = ref(PAIRS, TEXTS, return_tensors="np" if tensors == "tf" else tensors, **kw)  # 5.x has no "tf"
    assert_same(got, want)
    assert got["input_ids"].shape == tuple(want["input_ids"].shape)
    if tensors == "tf":
        assert got.input_ids.dtype.name == "int32"
    else:
        assert str(got.input_ids.dtype).endswith("int64")
    single = ours(TEXTS[0], return_tensors=tensors)
    assert plain(single.input_ids) == [ref(TEXTS[0]).input_ids]


def test_question_answering_guide_flow(fast_pair):
    """The TF question-answering guide's preprocessing, line for line, on both tokenizers."""
    ours, ref = fast_pair
    questions, contexts = [TEXTS[3], PAIRS[3]], [LONG, LONG]
    answers = [(LONG.index("Normandy"), LONG.index("Normandy") + len("Normandy")), (LONG.index("France"), None)]
    results = []
    for tok in (ours, ref):
        inputs = tok(
            questions,
            contexts,
            max_length=48,
            truncation="only_second",
            return_offsets_mapping=True,
            padding="max_length",
        )
        offset_mapping = inputs.pop("offset_mapping")
        starts = []
        for i, offset in enumerate(offset_mapping):
            start_char = answers[i][0]
            seq = inputs.sequence_ids(i)
            ctx_start = seq.index(1)
            starts.append(next((j for j in range(ctx_start, len(seq)) if offset[j][0] >= start_char), 0))
        inputs["start_positions"] = starts
        results.append((dict(inputs), starts))
    assert plain(results[0][0]) == plain(results[1][0])
    assert results[0][1] == results[1][1] and results[0][1][0] > 0
    tf_inputs = ours(questions[0], contexts[0], return_tensors="tf")
    a, b = 2, 6
    assert ours.decode(tf_inputs.input_ids[0, a:b]) == ref.decode(ref(questions[0], contexts[0]).input_ids[a:b])


def test_token_classification_word_ids(fast_pair):
    """`word_ids(batch_index=i)` after `is_split_into_words`, as the token-classification guide uses it."""
    ours, ref = fast_pair
    got = ours(WORDS, truncation=True, is_split_into_words=True)
    want = ref(WORDS, truncation=True, is_split_into_words=True)
    for i in range(len(WORDS)):
        assert got.word_ids(batch_index=i) == want.word_ids(batch_index=i)
    assert got.word_ids(0) == [None, 0, 1, 2, 3, None]
    assert got[0].ids == want[0].ids  # an int index gives the row's Encoding


SLOW_CALLS = [
    (TEXTS, PAIRS, dict(truncation=True, max_length=20, padding="max_length")),
    (TEXTS, None, dict(padding=True, return_special_tokens_mask=True, return_length=True)),
    (TEXTS[1], TEXTS[2], dict(padding="max_length", max_length=40, return_length=True)),
    (TEXTS[4], TEXTS[3], dict(truncation="only_first", max_length=16, stride=3, return_overflowing_tokens=True)),
    (TEXTS[1], TEXTS[4], dict(truncation="only_second", max_length=14, stride=2, return_overflowing_tokens=True)),
    ([[TEXTS[3], LONG], [TEXTS[3], TEXTS[1]]], None, dict(padding=True, truncation=True, max_length=24)),
    (WORDS, None, dict(is_split_into_words=True, padding=True)),
    (WORDS[0], WORDS[1], dict(is_split_into_words=True, return_special_tokens_mask=True)),
    (TEXTS, None, dict(truncation="only_first", max_length=16, padding=True, pad_to_multiple_of=8)),
]


@pytest.mark.parametrize("text,pair,kwargs", SLOW_CALLS)
@pytest.mark.parametrize("side", ["right", "left"])
def test_slow_call_matches_transformers(slow_pair, text, pair, kwargs, side):
    ours, ref = slow_pair
    ours.padding_side = ours.truncation_side = ref.padding_side = ref.truncation_side = side
    try:
        got, want = ours(text, pair, **kwargs), ref(text, pair, return_token_type_ids=True, **kwargs)
    finally:
        ours.padding_side = ours.truncation_side = ref.padding_side = ref.truncation_side = "right"
    assert_same(got, want)
    assert not got.is_fast and got.encodings is None


def test_slow_has_no_alignment(slow_pair):
    ours, _ = slow_pair
    enc = ours(TEXTS[0])
    with pytest.raises(ValueError, match="word_ids.*BertTokenizerFast"):
        enc.word_ids()
    with pytest.raises(ValueError, match="sequence_ids"):
        enc.sequence_ids(0)
    with pytest.raises(NotImplementedError, match="return_offset_mapping is not available"):
        ours(TEXTS[0], return_offsets_mapping=True)


@pytest.mark.parametrize("which", ["fast", "slow"])
def test_helpers_match_transformers(fast_pair, slow_pair, which):
    ours, ref = fast_pair if which == "fast" else slow_pair
    ids = ref(TEXTS, PAIRS, padding=True)["input_ids"]
    for skip in (False, True):
        for clean in (True, False):  # explicit: the default is True in 4.x and False in 5.x
            want = ref.batch_decode(ids, skip_special_tokens=skip, clean_up_tokenization_spaces=clean)
            assert ours.batch_decode(ids, skip_special_tokens=skip, clean_up_tokenization_spaces=clean) == want
            assert ours.batch_decode(np.asarray(ids), skip_special_tokens=skip) == ref.batch_decode(
                ids, skip_special_tokens=skip, clean_up_tokenization_spaces=True
            )
    assert ours.decode(ids[1]) == ref.decode(ids[1], clean_up_tokenization_spaces=True)
    assert len(ours) == len(ref) == 30522
    assert ours.get_vocab() == ref.get_vocab()
    assert ours.mask_token_id == ref.mask_token_id == 103
    assert ours.convert_ids_to_tokens(ids[0]) == ref.convert_ids_to_tokens(ids[0])
    assert ours.convert_ids_to_tokens(103) == "[MASK]"
    assert ours.convert_tokens_to_ids(["hello", "[MASK]", "qqqqzz"]) == ref.convert_tokens_to_ids(
        ["hello", "[MASK]", "qqqqzz"]
    )
    a, b = ours.encode(TEXTS[0], add_special_tokens=False), ours.encode(TEXTS[1], add_special_tokens=False)
    assert a == ref.encode(TEXTS[0], add_special_tokens=False)
    assert ours.encode(TEXTS[0], TEXTS[1]) == ref.encode(TEXTS[0], TEXTS[1])
    legacy = slow_pair[1]  # transformers 5.x's fast tokenizer dropped these helpers
    assert ours.build_inputs_with_special_tokens(a, b) == legacy.build_inputs_with_special_tokens(a, b)
    assert ours.create_token_type_ids_from_sequences(a, b) == legacy.create_token_type_ids_from_sequences(a, b)
    assert ours.get_special_tokens_mask(a, b) == legacy.get_special_tokens_mask(a, b)
    full = ours.build_inputs_with_special_tokens(a, b)
    assert ours.get_special_tokens_mask(full, already_has_special_tokens=True) == legacy.get_special_tokens_mask(
        full, already_has_special_tokens=True
    )
    assert ours.model_input_names == ["input_ids", "token_type_ids", "attention_mask"]
    kw = dict(truncation=True, max_length=12, padding=True)
    assert_same(ours.encode_plus(TEXTS[1], TEXTS[2], **kw), ref(TEXTS[1], TEXTS[2], return_token_type_ids=True, **kw))
    batch = list(zip(TEXTS, PAIRS))
    assert_same(ours.batch_encode_plus(batch, **kw), ref(batch, return_token_type_ids=True, **kw))


def test_batch_encoding_conversions(fast_pair):
    ours, _ = fast_pair
    enc = ours(TEXTS[:2], padding=True)
    assert enc.input_ids is enc["input_ids"] and enc.data == dict(enc)
    same = enc.convert_to_tensors("np")
    assert same is enc and enc.input_ids.shape == (2, len(enc.input_ids[0]))
    one = ours(TEXTS[0]).convert_to_tensors("np", prepend_batch_axis=True)
    assert one.attention_mask.shape == (1, 6)
    with pytest.raises(ValueError, match="'input_ids'"):
        ours(TEXTS[:2]).convert_to_tensors("np")
    with pytest.raises(ValueError, match="jax"):
        enc.convert_to_tensors("jax")
    assert not hasattr(enc, "not_a_key")
    assert enc[:1]["input_ids"].shape == (1, enc.input_ids.shape[1])
