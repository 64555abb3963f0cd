"""Text clean-up and basic (pre-WordPiece) tokenization, pure Python.

The steps, in order, for each piece of text between special tokens:

1. clean-up: drop NUL, U+FFFD and control characters; map whitespace to " ";
2. put spaces around CJK ideographs (if `tokenize_chinese_chars`);
3. NFC-normalize, split on whitespace (`str.split`);
4. for each word not in `never_split`: `str.lower()` (if `do_lower_case`),
   then NFD and drop Mn marks (if accents are stripped), then split off every
   punctuation character unless the result is in `never_split`.
"""

import re
import unicodedata

from keras_bert.tokenization import unicode_tables as ut


def clean_text(text):
    """Drops NUL, U+FFFD and control characters; maps whitespace to spaces."""
    out = []
    for ch in text:
        if ut.is_dropped(ch):
            continue
        out.append(" " if ut.is_whitespace(ch) else ch)
    return "".join(out)


def space_cjk(text):
    """Surrounds every CJK ideograph with spaces."""
    return "".join(f" {ch} " if ut.is_cjk(ord(ch)) else ch for ch in text)


def strip_accents(text):
    """NFD, then drops every Mn (non-spacing mark) character."""
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")


def split_punctuation(word):
    """Splits every punctuation character into its own piece."""
    pieces = []
    current = []
    for ch in word:
        if ut.is_punctuation(ch):
            if current:
                pieces.append("".join(current))
                current = []
            pieces.append(ch)
        else:
            current.append(ch)
    if current:
        pieces.append("".join(current))
    return pieces


def split_on_tokens(text, tokens):
    """Splits text around occurrences of `tokens`, leftmost then longest.

    Returns a list of (piece, is_token) pairs; empty pieces are omitted.
    """
    tokens = sorted({t for t in tokens if t}, key=len, reverse=True)
    if not tokens:
        return [(text, False)] if text else []
    pattern = re.compile("|".join(re.escape(t) for t in tokens))
    out = []
    pos = 0
    for m in pattern.finditer(text):
        if m.start() > pos:
            out.append((text[pos : m.start()], False))
        out.append((m.group(0), True))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], False))
    return out


class BasicTokenizer:
    """Clean-up, CJK spacing, lowercasing, accent stripping, punctuation split.

    Args:
        do_lower_case: lowercase words with `str.lower()`.
        never_split: words kept exactly as written (no lowercasing, no
            punctuation split).
        tokenize_chinese_chars: put spaces around CJK ideographs.
        strip_accents: strip Mn marks after NFD; `None` follows
            `do_lower_case`.
    """

    def __init__(
        self,
        do_lower_case=True,
        never_split=None,
        tokenize_chinese_chars=True,
        strip_accents=None,
    ):
        self.do_lower_case = do_lower_case
        self.never_split = set(never_split or ())
        self.tokenize_chinese_chars = tokenize_chinese_chars
        self.strip_accents = strip_accents

    @property
    def strips_accents(self):
        """Whether accents are stripped, after resolving `None`."""
        if self.strip_accents is None:
            return bool(self.do_lower_case)
        return bool(self.strip_accents)

    def tokenize(self, text, never_split=()):
        keep = self.never_split.union(never_split)
        text = clean_text(text)
        if self.tokenize_chinese_chars:
            text = space_cjk(text)
        text = unicodedata.normalize("NFC", text)
        out = []
        for word in text.split():
            if word not in keep:
                if self.do_lower_case:
                    word = word.lower()
                if self.strips_accents:
                    word = strip_accents(word)
            if word in keep:
                out.append(word)
            else:
                out.extend(split_punctuation(word))
        return [w for piece in out for w in piece.split()]
