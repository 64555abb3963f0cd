"""Character classes of the reference BERT tokenizer, derived from Python.

Every class here is computed from this interpreter's `unicodedata` and
`str` methods, the same functions the pure-Python `BertTokenizer` uses, and
rendered as explicit code point ranges for RE2 (`[\\x{..}-\\x{..}]`). TF's own
`\\p{..}` classes and ICU tables follow newer Unicode versions, so the graph
tokenizer never relies on them for a decision that the Python one makes.
"""

import functools
import sys
import unicodedata

MAX_CODE_POINT = sys.maxunicode  # 0x10FFFF

# CJK ideograph blocks of the original BERT tokenizer (fixed by the algorithm,
# not by a Unicode version).
CJK_RANGES = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B820, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)


def is_whitespace(char):
    """Space, tab, newline, carriage return or any Zs character."""
    return char in " \t\n\r" or unicodedata.category(char) == "Zs"


def is_control(char):
    """Any C* character except tab, newline and carriage return."""
    if char in "\t\n\r":
        return False
    return unicodedata.category(char).startswith("C")


def is_punctuation(char):
    """Non-alphanumeric ASCII symbols and every P* character."""
    cp = ord(char)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def is_cjk(cp):
    """Whether code point `cp` lies in a CJK ideograph block."""
    return any(lo <= cp <= hi for lo, hi in CJK_RANGES)


def is_dropped(char):
    """Characters the text clean-up removes: NUL, U+FFFD and controls."""
    return char == "\x00" or char == "\ufffd" or is_control(char)


def _ranges(predicate):
    """Sorted inclusive (lo, hi) code point ranges where predicate(cp) holds."""
    out = []
    start = None
    for cp in range(MAX_CODE_POINT + 2):
        hit = cp <= MAX_CODE_POINT and predicate(cp)
        if hit and start is None:
            start = cp
        elif not hit and start is not None:
            out.append((start, cp - 1))
            start = None
    return tuple(out)


def ranges_to_class(ranges, negate=False):
    """RE2 character class for inclusive code point ranges."""
    parts = []
    for lo, hi in ranges:
        parts.append(f"\\x{{{lo:X}}}" if lo == hi else f"\\x{{{lo:X}}}-\\x{{{hi:X}}}")
    return "[" + ("^" if negate else "") + "".join(parts) + "]"


def _is_surrogate(cp):
    return 0xD800 <= cp <= 0xDFFF


@functools.cache
def dropped_ranges():
    """Code points that clean-up deletes (surrogates excluded: not in UTF-8)."""
    return _ranges(lambda cp: not _is_surrogate(cp) and is_dropped(chr(cp)))


@functools.cache
def space_ranges():
    """Code points that end up as a word boundary after clean-up.

    Clean-up maps `is_whitespace` characters to a space; the word split that
    follows uses `str.split()`, which also breaks on the remaining
    `str.isspace()` characters (U+2028, U+2029).
    """

    def pred(cp):
        if _is_surrogate(cp):
            return False
        ch = chr(cp)
        if is_dropped(ch):
            return False
        return is_whitespace(ch) or ch.isspace()

    return _ranges(pred)


@functools.cache
def punctuation_ranges():
    return _ranges(lambda cp: not _is_surrogate(cp) and is_punctuation(chr(cp)))


@functools.cache
def mark_ranges():
    """Mn characters, dropped by accent stripping after NFD."""
    return _ranges(lambda cp: not _is_surrogate(cp) and unicodedata.category(chr(cp)) == "Mn")


def cjk_ranges():
    return tuple(sorted(CJK_RANGES))


@functools.cache
def kept_code_points():
    """Code points that can reach lowercasing: not dropped, not spaces."""
    spaces = set()
    for lo, hi in space_ranges():
        spaces.update(range(lo, hi + 1))
    return tuple(
        cp for cp in range(MAX_CODE_POINT + 1) if not _is_surrogate(cp) and not is_dropped(chr(cp)) and cp not in spaces
    )


@functools.cache
def python_lower_table():
    """{cp: lowercase code points} for every kept cp that str.lower() changes.

    Single-character lowering, i.e. without the Final_Sigma context rule.
    """
    table = {}
    for cp in kept_code_points():
        low = chr(cp).lower()
        if low != chr(cp):
            table[cp] = tuple(ord(c) for c in low)
    return table


def sigma_class(lower, cp):
    """How `lower` (str.lower-like) treats cp around a capital sigma.

    Returns 0 (neither), 1 (cased) or 2 (case-ignorable), the only
    distinctions the Final_Sigma rule makes, probed through `lower` itself.
    """
    c = chr(cp)
    if lower("A\u03a3" + c)[1] == "\u03c3":
        return 1
    if lower("A" + c + "\u03a3")[-1] == "\u03c2":
        return 2
    return 0


@functools.cache
def isspace_ranges():
    """Code points where `str.isspace()` holds (`str.split()` separators)."""
    return _ranges(lambda cp: not _is_surrogate(cp) and chr(cp).isspace())
