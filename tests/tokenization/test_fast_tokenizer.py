"""BertTokenizerFast: same call API as BertTokenizer, offsets, loading."""

import os
import unicodedata

import numpy as np
import pytest

from keras_bert.tokenization import BertTokenizer, BertTokenizerFast
from keras_bert.tokenization import unicode_tables as ut
from tests.support.tokenizer_corpus import REAL_VOCAB_DIR, SENTENCES


def test_fast_matches_slow_on_sentences(tmp_path):
    slow = BertTokenizer.from_pretrained(REAL_VOCAB_DIR)
    fast = BertTokenizerFast.from_pretrained(REAL_VOCAB_DIR)
    built = BertTokenizerFast(os.path.join(REAL_VOCAB_DIR, "vocab.txt"))  # no tokenizer.json
    assert fast.tokenize("UNwant\u00e9d,running") == ["unwanted", ",", "running"]
    # The Rust normalizer lowercases character by character; Python's str.lower() applies the
    # Greek Final_Sigma rule within each word. ReferenceText settles every capital sigma first,
    # so the two agree, also where the word is cut by clean-up, spaces or CJK characters.
    sigmas = ["\u039f\u0394\u039f\u03a3.", "\u0391\u03a3.\u0392", "\u0391\u03a3\u03a3", "\u03a3'", "\u0391\u0301\u03a3"]
    sigmas += [
        "\u0345\u03a3",
        "A\u02b0\u03a3",
        "\u0391\u03a3\x00\u0392",
        "\u0391\u03a3\u3000\u0392",
        "\u0391\u03a3\u6771\u0392",
    ]
    from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

    legacy = BertTokenizerLegacy.from_pretrained(REAL_VOCAB_DIR)
    for text in SENTENCES + sigmas:
        assert fast.tokenize(text) == slow.tokenize(text), text
        assert fast.encode(text) == slow.encode(text) == legacy.encode(text), text
    assert fast.tokenize("\u039f\u0394\u039f\u03a3 \u03a3\u039f\u03a6\u039f\u03a3") == slow.tokenize(
        "\u03bf\u03b4\u03bf\u03c2 \u03c3\u03bf\u03c6\u03bf\u03c2"
    )
    same = SENTENCES
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


# Options that change what a code point becomes: lowercasing and accent stripping on and off.
EXHAUSTIVE_OPTIONS = {
    "uncased": dict(),
    "cased": dict(do_lower_case=False),
    "cased_stripped": dict(do_lower_case=False, strip_accents=True),
    "uncased_accents_kept": dict(strip_accents=False),
}
# Each code point alone, inside a word, and between a capital (lowercased, composable) and an accent.
TEMPLATES = ("{}", "a{}b", "A{}\u00e9")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXHAUSTIVE_OPTIONS))
def test_every_code_point_gives_the_reference_ids(name):
    """BertTokenizerFast == BertTokenizer on all 1,114,112 code points, in three contexts.

    Words are joined with spaces into chunks (words tokenize independently), and a chunk that differs
    is searched word by word so that the failure names the code points. Code points the reference
    drops are held to the ids of the context without them, computed once by the reference.
    """
    options = EXHAUSTIVE_OPTIONS[name]
    slow = BertTokenizer.from_pretrained(REAL_VOCAB_DIR, **options)
    fast = BertTokenizerFast.from_pretrained(REAL_VOCAB_DIR, **options)
    chars = [chr(cp) for cp in range(ut.MAX_CODE_POINT + 1)]
    dropped = [c for c in chars if ut.is_dropped(c)]
    kept = [c for c in chars if not ut.is_dropped(c)]
    assert len(dropped) + len(kept) == 0x110000 and len(kept) > 140_000

    def ids(tokenizer, text):
        return tokenizer.encode(text, add_special_tokens=False)

    wrong = []
    for template in TEMPLATES:
        empty = ids(slow, template.format(""))
        for i in range(0, len(dropped), 16384):
            chunk = dropped[i : i + 16384]
            if ids(fast, " ".join(template.format(c) for c in chunk)) != empty * len(chunk):
                wrong += [(template, c) for c in chunk if ids(fast, template.format(c)) != empty]
        for i in range(0, len(kept), 4096):
            chunk = kept[i : i + 4096]
            text = " ".join(template.format(c) for c in chunk)
            if ids(fast, text) != ids(slow, text):
                wrong += [
                    (template, c) for c in chunk if ids(fast, template.format(c)) != ids(slow, template.format(c))
                ]
    described = [
        f"{t!r} U+{ord(c):04X} {unicodedata.name(c, '?')}: fast {fast.tokenize(t.format(c))} "
        f"reference {slow.tokenize(t.format(c))}"
        for t, c in wrong[:20]
    ]
    assert not wrong, f"{len(wrong)} code points differ, first: " + "\n".join(described)


# Code points where `tokenizers` and Python's unicodedata classify differently, with the reference's
# pieces: an NFC singleton, a CJK compatibility ideograph, CJK U+2B820 (outside tokenizers' block
# table), a combining mark of Unicode 14 (stripped by the reference only), U+1734 (Mc in Unicode 14,
# stripped by tokenizers only) and Unicode 14 punctuation.
@pytest.mark.parametrize(
    "text,options,expected,spans",
    [
        ("why\u037e", dict(do_lower_case=False), ["why", ";"], ["why", "\u037e"]),
        ("a\uf902b", dict(), ["a", "\u8eca", "b"], ["a", "\uf902", "b"]),
        ("a\U0002b820b", dict(), ["a", "[UNK]", "b"], ["a", "\U0002b820", "b"]),
        ("a\u0898b", dict(), ["ab"], ["a\u0898b"]),
        ("a\u0898b", dict(strip_accents=False), ["[UNK]"], ["a\u0898b"]),
        ("na\u0898ive", dict(), ["naive"], ["na\u0898ive"]),
        ("a\u1734b", dict(), ["[UNK]"], ["a\u1734b"]),
        ("go\u1b7dgo", dict(), ["go", "[UNK]", "go"], ["go", "\u1b7d", "go"]),
        ("\u2329x\u232a", dict(do_lower_case=False), ["\u3008", "x", "\u3009"], ["\u2329", "x", "\u232a"]),
    ],
)
def test_unicode_table_differences_follow_the_reference(text, options, expected, spans):
    slow = BertTokenizer.from_pretrained(REAL_VOCAB_DIR, **options)
    fast = BertTokenizerFast.from_pretrained(REAL_VOCAB_DIR, **options)
    assert slow.tokenize(text) == expected
    assert fast.tokenize(text) == expected
    enc = fast(text, return_offsets_mapping=True)
    assert enc["input_ids"] == slow(text)["input_ids"]
    # Rewriting is one character for one: offsets still index the caller's text.
    assert [text[s:e] for s, e in enc["offset_mapping"][1:-1]] == spans


def test_ascii_text_is_not_rewritten():
    fast = BertTokenizerFast.from_pretrained(REAL_VOCAB_DIR)
    text = "Plain ASCII text, untouched."
    assert fast._reference_text(text) is text


@pytest.mark.slow
def test_candidate_table_matches_the_installed_tokenizers():
    """The stored code points where `tokenizers` and this interpreter's unicodedata disagree are
    exactly those a probe of the whole code space finds now (a new `tokenizers` or Python fails here)."""
    from keras_bert.tokenization.fast_backend import candidate_code_points, probe_candidates

    stored, probed = set(candidate_code_points()), set(probe_candidates())
    assert stored == probed, (
        f"re-derive unicode_tables.TOKENIZERS_CANDIDATE_RANGES: missing {sorted(map(hex, probed - stored))[:20]}, "
        f"stale {sorted(map(hex, stored - probed))[:20]}"
    )


def test_decomposed_text_is_composed_as_the_reference_does(tmp_path):
    """Accents kept: the reference NFC-composes a letter and its marks, and Hangul jamo; so does the fast one.

    The vocabulary holds the composed forms, so a tokenizer that does not compose gives other ids.
    Not covered: a code point that NFC lengthens (U+0344, U+0958, Hebrew presentation forms), which a
    one-for-one rewrite cannot express; with such a vocabulary entry the two differ.
    """
    bases, marks = "aeiouncAEIOUNC", [chr(cp) for cp in range(0x0300, 0x0370) if cp != 0x0344]  # U+0344: 2 by NFC
    words = [b + m for b in bases for m in marks] + [
        "a\u0323\u0301",
        "A\u030a\u0301",
        "\u1100\u1161\u11a8",
        "\u1100\u1161",
    ]
    composed = sorted({unicodedata.normalize("NFC", w) for w in words} | {w.lower() for w in bases})
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *composed]) + "\n", encoding="utf-8")
    for options in (dict(do_lower_case=False), dict(strip_accents=False)):
        slow = BertTokenizer(str(vocab), **options)
        fast = BertTokenizerFast(str(vocab), **options)
        texts = words + [" ".join(words), "x".join(words)]
        assert [fast.encode(t) for t in texts] == [slow.encode(t) for t in texts], options
        assert sum(slow.encode(w) != [2, 1, 3] for w in words) > 100  # composed forms are in the vocabulary
    fast = BertTokenizerFast(str(vocab), do_lower_case=False)
    enc = fast("cafe\u0301 \u1100\u1161\u11a8", return_offsets_mapping=True, add_special_tokens=False)
    assert enc["input_ids"] == [1, composed.index("\uac01") + 5]  # "café" is [UNK] here, 각 one token
    assert enc["offset_mapping"] == [(0, 4), (6, 7)]  # a composed cluster is reported at its first character
