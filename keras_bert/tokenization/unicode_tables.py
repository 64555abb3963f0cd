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


# Code points, none of them dropped by the clean-up, where the `tokenizers` library (0.23.3) decides
# differently from this module under Python's unicodedata 14.0.0 (whitespace, accent stripping,
# lowercasing, CJK block, punctuation), or that NFC changes (the reference NFC-normalises,
# `tokenizers` does not): 1,869 code points. Only these are examined when `BertTokenizerFast` aligns
# its input with the reference (`fast_backend.ReferenceText`); a slow test re-derives the list from
# the installed versions (`fast_backend.probe_candidates`) and fails when it is stale.
TOKENIZERS_CANDIDATE_RANGES = (
    (0x0340, 0x0341),
    (0x0343, 0x0344),
    (0x0374, 0x0374),
    (0x037E, 0x037E),
    (0x0387, 0x0387),
    (0x061D, 0x061D),
    (0x07FD, 0x07FD),
    (0x0898, 0x089F),
    (0x08CA, 0x08E1),
    (0x0958, 0x095F),
    (0x09DC, 0x09DD),
    (0x09DF, 0x09DF),
    (0x09FD, 0x09FE),
    (0x0A33, 0x0A33),
    (0x0A36, 0x0A36),
    (0x0A59, 0x0A5B),
    (0x0A5E, 0x0A5E),
    (0x0A76, 0x0A76),
    (0x0AFA, 0x0AFF),
    (0x0B55, 0x0B55),
    (0x0B5C, 0x0B5D),
    (0x0C04, 0x0C04),
    (0x0C3C, 0x0C3C),
    (0x0C77, 0x0C77),
    (0x0C84, 0x0C84),
    (0x0D00, 0x0D00),
    (0x0D3B, 0x0D3C),
    (0x0D81, 0x0D81),
    (0x0EBA, 0x0EBA),
    (0x0F43, 0x0F43),
    (0x0F4D, 0x0F4D),
    (0x0F52, 0x0F52),
    (0x0F57, 0x0F57),
    (0x0F5C, 0x0F5C),
    (0x0F69, 0x0F69),
    (0x0F73, 0x0F73),
    (0x0F75, 0x0F76),
    (0x0F78, 0x0F78),
    (0x0F81, 0x0F81),
    (0x0F93, 0x0F93),
    (0x0F9D, 0x0F9D),
    (0x0FA2, 0x0FA2),
    (0x0FA7, 0x0FA7),
    (0x0FAC, 0x0FAC),
    (0x0FB9, 0x0FB9),
    (0x166D, 0x166D),
    (0x1734, 0x1734),
    (0x180F, 0x180F),
    (0x1885, 0x1886),
    (0x1ABF, 0x1ACE),
    (0x1B7D, 0x1B7E),
    (0x1DF6, 0x1DFB),
    (0x1F71, 0x1F71),
    (0x1F73, 0x1F73),
    (0x1F75, 0x1F75),
    (0x1F77, 0x1F77),
    (0x1F79, 0x1F79),
    (0x1F7B, 0x1F7B),
    (0x1F7D, 0x1F7D),
    (0x1FBB, 0x1FBB),
    (0x1FBE, 0x1FBE),
    (0x1FC9, 0x1FC9),
    (0x1FCB, 0x1FCB),
    (0x1FD3, 0x1FD3),
    (0x1FDB, 0x1FDB),
    (0x1FE3, 0x1FE3),
    (0x1FEB, 0x1FEB),
    (0x1FEE, 0x1FEF),
    (0x1FF9, 0x1FF9),
    (0x1FFB, 0x1FFB),
    (0x1FFD, 0x1FFD),
    (0x2000, 0x2001),
    (0x2028, 0x2029),
    (0x2126, 0x2126),
    (0x212A, 0x212B),
    (0x2329, 0x232A),
    (0x2ADC, 0x2ADC),
    (0x2E43, 0x2E4F),
    (0x2E52, 0x2E5D),
    (0xA82C, 0xA82C),
    (0xA8C5, 0xA8C5),
    (0xA8FF, 0xA8FF),
    (0xA9BD, 0xA9BD),
    (0xF900, 0xFA0D),
    (0xFA10, 0xFA10),
    (0xFA12, 0xFA12),
    (0xFA15, 0xFA1E),
    (0xFA20, 0xFA20),
    (0xFA22, 0xFA22),
    (0xFA25, 0xFA26),
    (0xFA2A, 0xFA6D),
    (0xFA70, 0xFAD9),
    (0xFB1D, 0xFB1D),
    (0xFB1F, 0xFB1F),
    (0xFB2A, 0xFB36),
    (0xFB38, 0xFB3C),
    (0xFB3E, 0xFB3E),
    (0xFB40, 0xFB41),
    (0xFB43, 0xFB44),
    (0xFB46, 0xFB4E),
    (0x10D24, 0x10D27),
    (0x10EAB, 0x10EAD),
    (0x10F46, 0x10F50),
    (0x10F55, 0x10F59),
    (0x10F82, 0x10F89),
    (0x11070, 0x11070),
    (0x11073, 0x11074),
    (0x110C2, 0x110C2),
    (0x111C9, 0x111C9),
    (0x111CF, 0x111CF),
    (0x1123E, 0x1123E),
    (0x1133B, 0x1133B),
    (0x11438, 0x1143F),
    (0x11442, 0x11444),
    (0x11446, 0x11446),
    (0x1144B, 0x1144F),
    (0x1145A, 0x1145B),
    (0x1145D, 0x1145E),
    (0x11660, 0x1166C),
    (0x116B9, 0x116B9),
    (0x1182F, 0x11837),
    (0x11839, 0x1183B),
    (0x11938, 0x11938),
    (0x1193B, 0x1193C),
    (0x1193E, 0x1193E),
    (0x11943, 0x11946),
    (0x119D4, 0x119D7),
    (0x119DA, 0x119DB),
    (0x119E0, 0x119E0),
    (0x119E2, 0x119E2),
    (0x11A01, 0x11A0A),
    (0x11A33, 0x11A38),
    (0x11A3B, 0x11A47),
    (0x11A51, 0x11A56),
    (0x11A59, 0x11A5B),
    (0x11A8A, 0x11A96),
    (0x11A98, 0x11A9C),
    (0x11A9E, 0x11AA2),
    (0x11C30, 0x11C36),
    (0x11C38, 0x11C3D),
    (0x11C3F, 0x11C3F),
    (0x11C41, 0x11C45),
    (0x11C70, 0x11C71),
    (0x11C92, 0x11CA7),
    (0x11CAA, 0x11CB0),
    (0x11CB2, 0x11CB3),
    (0x11CB5, 0x11CB6),
    (0x11D31, 0x11D36),
    (0x11D3A, 0x11D3A),
    (0x11D3C, 0x11D3D),
    (0x11D3F, 0x11D45),
    (0x11D47, 0x11D47),
    (0x11D90, 0x11D91),
    (0x11D95, 0x11D95),
    (0x11D97, 0x11D97),
    (0x11EF3, 0x11EF4),
    (0x11EF7, 0x11EF8),
    (0x11FFF, 0x11FFF),
    (0x12FF1, 0x12FF2),
    (0x16E97, 0x16E9A),
    (0x16F4F, 0x16F4F),
    (0x16FE2, 0x16FE2),
    (0x16FE4, 0x16FE4),
    (0x1CF00, 0x1CF2D),
    (0x1CF30, 0x1CF46),
    (0x1D15E, 0x1D164),
    (0x1D1BB, 0x1D1C0),
    (0x1E000, 0x1E006),
    (0x1E008, 0x1E018),
    (0x1E01B, 0x1E021),
    (0x1E023, 0x1E024),
    (0x1E026, 0x1E02A),
    (0x1E130, 0x1E136),
    (0x1E2AE, 0x1E2AE),
    (0x1E2EC, 0x1E2EF),
    (0x1E944, 0x1E94A),
    (0x1E95E, 0x1E95F),
    (0x2B820, 0x2B91F),
    (0x2F800, 0x2FA1D),
)
