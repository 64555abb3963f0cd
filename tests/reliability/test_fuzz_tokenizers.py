"""Hypothesis fuzzing of the three tokenizers against the reference on arbitrary Unicode text.

The reference is transformers' `BertTokenizerLegacy` (the original Python BERT tokenizer) with
the real MiniLM vocabulary. Text is drawn from every code point (assigned or not; lone
surrogates too where the tokenizer takes Python `str`), single texts and pairs, with truncation
to a random `max_length`. Ids, token types and masks must be equal: these are integers.
"""

import os

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

from keras_bert.tokenization import BertTokenizer, BertTokenizerFast, TFBertTokenizer
from tests.support.graph import string_batch_function
from tests.support.tokenizer_corpus import REAL_VOCAB_DIR

VOCAB = os.path.join(REAL_VOCAB_DIR, "vocab.txt")
KEYS = ("input_ids", "token_type_ids", "attention_mask")


def fuzz(examples):
    # derandomize: CI replays the same examples, so a failure is reproducible; set it False
    # locally to search further (three random rounds of these tests passed when written).
    return settings(
        max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True
    )


# Every code point, surrogates included (Python str can hold them; UTF-8 cannot).
ANY_CHAR = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
# Every code point that UTF-8 can carry (what a tf.string or the Rust tokenizer can receive).
UTF8_CHAR = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=("Cs",))
# ASCII and Latin-1/Extended letters, punctuation, controls and spacing modifiers.
LATIN = st.characters(min_codepoint=0, max_codepoint=0x2FF)
PIECES = ["the", "un", "##want", "running", "[SEP]", "[MASK]", " "]


def texts(alphabet):
    """Any text of `alphabet`, or words and special tokens glued with such text (long enough to
    exercise WordPiece and truncation)."""
    glued = st.lists(st.one_of(st.sampled_from(PIECES), st.text(alphabet, max_size=8)), max_size=12).map("".join)
    return st.one_of(st.text(alphabet, max_size=40), glued)


@pytest.fixture(scope="module")
def tokenizers():
    return {
        "reference": {lower: BertTokenizerLegacy(VOCAB, do_lower_case=lower) for lower in (True, False)},
        "slow": {lower: BertTokenizer(VOCAB, do_lower_case=lower) for lower in (True, False)},
        "fast": {lower: BertTokenizerFast(VOCAB, do_lower_case=lower) for lower in (True, False)},
    }


def _encode(tokenizer, a, b, max_length):
    out = tokenizer(a, b, truncation=True, max_length=max_length, return_token_type_ids=True)
    return {k: list(out[k]) for k in KEYS}


@fuzz(300)
@given(a=texts(ANY_CHAR), b=st.none() | texts(ANY_CHAR), lower=st.booleans(), max_length=st.integers(3, 40))
def test_bert_tokenizer_matches_reference(tokenizers, a, b, lower, max_length):
    want = _encode(tokenizers["reference"][lower], a, b, max_length)
    assert _encode(tokenizers["slow"][lower], a, b, max_length) == want, (a, b)


@fuzz(300)
@given(a=texts(UTF8_CHAR), b=st.none() | texts(UTF8_CHAR), lower=st.booleans(), max_length=st.integers(3, 40))
def test_bert_tokenizer_fast_matches_reference(tokenizers, a, b, lower, max_length):
    # Pairs are compared untruncated here: see the next test for their truncation.
    max_length = max_length if b is None else None
    want = _encode(tokenizers["reference"][lower], a, b, max_length)
    got = _encode(tokenizers["fast"][lower], a, b, max_length)
    assert got == want, (a, b)


@fuzz(150)  # a non-empty pair: transformers 5 reads text_pair="" as no pair
@given(a=texts(LATIN), b=texts(LATIN).filter(bool), lower=st.booleans(), max_length=st.integers(3, 40))
def test_bert_tokenizer_fast_truncates_pairs_as_transformers_fast(tokenizers, a, b, lower, max_length):
    """Pair truncation ("longest_first") of the fast tokenizer follows the Rust library, as
    transformers' own fast tokenizer does: where both sequences are equally long it shortens the
    first, the Python reference the second ("0"/"0" at max_length 4: [CLS] [SEP] 0 [SEP] against
    [CLS] 0 [SEP] [SEP]). The spec of `BertTokenizerFast` is transformers' fast tokenizer. Text
    below U+0300: the Rust library's newer Unicode tables are not what this test is about (there
    `BertTokenizer` is the reference, tested above)."""
    import transformers

    fast_reference = tokenizers.setdefault("transformers_fast", {})
    if lower not in fast_reference:
        fast_reference[lower] = transformers.BertTokenizer(VOCAB, do_lower_case=lower)  # v5: Rust-backed
    want = _encode(fast_reference[lower], a, b, max_length)
    assert _encode(tokenizers["fast"][lower], a, b, max_length) == want, (a, b)


@pytest.fixture(scope="module")
def tf_tokenizers():
    out = {}
    for lower in (True, False):
        layer = TFBertTokenizer.from_tokenizer(BertTokenizer(VOCAB, do_lower_case=lower), max_length=24)
        out[lower] = string_batch_function(layer)
    return out


@fuzz(40)
@given(
    batch=st.lists(st.tuples(texts(UTF8_CHAR), texts(UTF8_CHAR)), min_size=1, max_size=12),
    lower=st.booleans(),
    use_pair=st.booleans(),
)
def test_tf_bert_tokenizer_matches_reference(tokenizers, tf_tokenizers, batch, lower, use_pair):
    a = [x for x, _ in batch]
    b = [y for _, y in batch] if use_pair else None
    fn = tf_tokenizers[lower]
    got = fn(tf.constant(a), tf.constant(b)) if use_pair else fn(tf.constant(a))
    want = tokenizers["reference"][lower](
        a, b, truncation=True, max_length=24, padding=True, return_token_type_ids=True
    )
    for key in KEYS:
        np.testing.assert_array_equal(got[key].numpy(), np.asarray(want[key]), err_msg=f"{key}: {batch!r}")
