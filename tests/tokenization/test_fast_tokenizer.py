"""BertTokenizerFast: same call API as BertTokenizer, offsets, loading."""

import os

import numpy as np

from keras_bert.tokenization import BertTokenizer, BertTokenizerFast
from tests.support.tokenizer_corpus import REAL_VOCAB_DIR, SENTENCES


def test_fast_matches_slow_on_sentences(tmp_path):
    slow = BertTokenizer.from_pretrained(REAL_VOCAB_DIR)
    fast = BertTokenizerFast.from_pretrained(REAL_VOCAB_DIR)
    built = BertTokenizerFast(os.path.join(REAL_VOCAB_DIR, "vocab.txt"))  # no tokenizer.json
    assert fast.tokenize("UNwant\u00e9d,running") == ["unwanted", ",", "running"]
    # The Rust normalizer lowercases character by character (documented); Python's str.lower()
    # applies the Greek final-sigma rule. That is the one difference, and it is pinned here: the
    # sentences that differ are exactly those with a capital sigma, and with the sigma lowered
    # first (no context rule left) the two agree.
    differ = [s for s in SENTENCES if fast.tokenize(s) != slow.tokenize(s)]
    assert differ == [s for s in SENTENCES if "\u03a3" in s], differ
    for s in differ:
        assert fast.tokenize(s) == slow.tokenize(s.replace("\u03a3", "\u03c3")), s
    same = [s.replace("\u03a3", "\u03c3") for s in SENTENCES]
    assert [fast.tokenize(s) for s in same] == [slow.tokenize(s) for s in same]
    for kw in (
        dict(padding=True),
        dict(truncation="only_second", max_length=10, return_special_tokens_mask=True),
    ):
        want = slow(same, same[::-1], **kw)
        assert fast(same, same[::-1], **kw) == want
        assert built(same, same[::-1], **kw) == want
    # longest_first truncation of a pair: transformers' fast and Python tokenizers place an odd
    # removed token differently (the Rust truncation cuts the longer sequence first, the Python
    # loop alternates), so each of ours is held to its own transformers counterpart.
    import transformers
    from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

    kw = dict(padding="max_length", truncation=True, max_length=12)
    reference_fast = transformers.BertTokenizerFast.from_pretrained(REAL_VOCAB_DIR)
    reference_slow = BertTokenizerLegacy.from_pretrained(REAL_VOCAB_DIR)
    assert fast(same, same[::-1], **kw)["input_ids"] == reference_fast(same, same[::-1], **kw)["input_ids"]
    assert built(same, same[::-1], **kw)["input_ids"] == reference_fast(same, same[::-1], **kw)["input_ids"]
    assert slow(same, same[::-1], **kw)["input_ids"] == reference_slow(same, same[::-1], **kw)["input_ids"]
    assert fast(SENTENCES[0]) == slow(SENTENCES[0])
    np.testing.assert_array_equal(
        fast(same, padding=True, return_tensors="np")["input_ids"],
        slow(same, padding=True, return_tensors="np")["input_ids"],
    )
    fast.save_pretrained(str(tmp_path))
    assert "tokenizer.json" in os.listdir(tmp_path)
    assert BertTokenizerFast.from_pretrained(str(tmp_path))(same) == slow(same)


def test_offsets_mapping():
    fast = BertTokenizerFast.from_pretrained(REAL_VOCAB_DIR)
    text = "Hello, naïve world"
    out = fast(text, "pair", return_offsets_mapping=True, padding="max_length", max_length=12)
    offsets = out["offset_mapping"]
    assert len(offsets) == len(out["input_ids"]) == 12
    tokens = fast.convert_ids_to_tokens(out["input_ids"])
    assert offsets[0] == (0, 0) and tokens[0] == "[CLS]"
    assert [text[s:e] for (s, e) in offsets[1:5]] == ["Hello", ",", "naïve", "world"]
    assert offsets[-1] == (0, 0)
