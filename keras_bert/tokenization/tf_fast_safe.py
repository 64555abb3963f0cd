"""Which code points tensorflow-text's FastBertTokenizer treats exactly as `BertTokenizer` does.

`TFBertTokenizer` sends a string to the one-op `FastBertTokenizer` only when every character is in
the stored table `tf_fast_tables.SAFE_RANGES`; this module derives that table (and a slow test
re-derives it, so a new Python `unicodedata` or tensorflow-text fails loudly instead of drifting).

A code point is safe for a mode ("uncased": lowercasing and accent stripping; "cased": neither) when

1. structurally it cannot interact with its neighbours in the reference's normalization: canonical
   combining class 0, and so are the first characters of its NFD and of its lowercased NFD (NFD
   reordering stays inside one character); it is not the second half of any canonical composition
   nor a Hangul vowel/trailing jamo (NFC composes nothing across characters); it is not the capital
   sigma (the only context rule of `str.lower`, Final_Sigma);
2. and, measured, FastBertTokenizer gives the reference's word pieces for it alone, inside a word
   ("a{}b"), between a capital and an accented letter ("A{}\u00e9") and after a capital ("A{}"),
   with a vocabulary of every single character the reference can produce (as "x" and "##x"), so that
   the ids spell out the normalized words and their boundaries rather than depending on one vocabulary.

Word length is left to the caller: FastBertTokenizer's `max_bytes_per_word` counts the bytes of
the normalized word, so with a limit of 100 bytes a row whose fast ids hold no [UNK] has no word
over 100 characters, the reference's limit; rows with an [UNK] are redone on the exact path.
"""

import os
import tempfile
import unicodedata

from keras_bert.tokenization import unicode_tables as ut

MODES = {
    # mode: (BertTokenizer options, FastBertTokenizer's lower_case_nfd_strip_accents)
    "uncased": (dict(do_lower_case=True), True),
    "cased": (dict(do_lower_case=False), False),
}
TEMPLATES = ("{}", "a{}b", "A{}\u00e9", "A{}")
SIGMA = 0x03A3
CHUNK = 512
_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def _ccc0(text):
    return not text or unicodedata.combining(text[0]) == 0


def composition_seconds():
    """Code points that NFC can compose onto the character before them."""
    seconds = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))  # Hangul V and T jamo
    for cp in range(ut.MAX_CODE_POINT + 1):
        decomposition = unicodedata.decomposition(chr(cp))
        if decomposition and not decomposition.startswith("<"):
            parts = decomposition.split()
            if len(parts) == 2:
                seconds.add(int(parts[1], 16))
    return seconds


def structural_candidates(lower):
    """Code points that condition 1 of the module docstring admits (surrogates excluded)."""
    seconds = composition_seconds()
    out = []
    for cp in range(ut.MAX_CODE_POINT + 1):
        if 0xD800 <= cp <= 0xDFFF or cp == SIGMA or cp in seconds:
            continue
        ch = chr(cp)
        if not _ccc0(ch) or not _ccc0(unicodedata.normalize("NFD", ch)):
            continue
        if lower and not _ccc0(unicodedata.normalize("NFD", ch.lower())):
            continue
        out.append(cp)
    return out


def _reference_chars(reference_basic, candidates):
    """Every character the reference's basic tokenization produces from the templates."""
    chars = set("ab\u00e9")
    for template in TEMPLATES:
        # Space-separated words tokenize independently: one call per chunk of them.
        for i in range(0, len(candidates), CHUNK):
            for word in reference_basic(" ".join(template.format(chr(cp)) for cp in candidates[i : i + CHUNK])):
                chars.update(word)
    return chars


def derive_safe_code_points(mode):
    """Sorted code points safe for `mode` ("uncased" or "cased"), measured as the docstring says."""
    import tensorflow as tf
    import tensorflow_text as tf_text

    from keras_bert.tokenization.basic import BasicTokenizer
    from keras_bert.tokenization.bert_tokenizer import BertTokenizer

    options, lower = MODES[mode]
    candidates = structural_candidates(lower)
    basic = BasicTokenizer(**options)
    chars = sorted(_reference_chars(basic.tokenize, candidates))
    vocab = _SPECIALS + chars + ["##" + c for c in chars]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "vocab.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(t + "\n" for t in vocab))
        reference = BertTokenizer(path, **options)
        fast = tf_text.FastBertTokenizer(
            vocab, token_out_type=tf.int64, lower_case_nfd_strip_accents=lower, max_bytes_per_word=400
        )
        safe = set(candidates)
        for template in TEMPLATES:
            # Words tokenize independently, so chunks of space-joined words are compared first and
            # only a chunk that differs is searched word by word; a code point found unsafe in one
            # template is not tried in the next.
            remaining = sorted(safe)
            chunks = [remaining[i : i + CHUNK] for i in range(0, len(remaining), CHUNK)]
            joined = [" ".join(template.format(chr(cp)) for cp in chunk) for chunk in chunks]
            got = fast.tokenize(tf.constant(joined)).to_list()
            for chunk, text, ids in zip(chunks, joined, got):
                if ids == reference.encode(text, add_special_tokens=False):
                    continue
                words = [template.format(chr(cp)) for cp in chunk]
                for cp, word, word_ids in zip(chunk, words, fast.tokenize(tf.constant(words)).to_list()):
                    if word_ids != reference.encode(word, add_special_tokens=False):
                        safe.discard(cp)
    return sorted(safe)


def to_ranges(code_points):
    """Sorted code points -> inclusive (lo, hi) ranges."""
    out = []
    for cp in code_points:
        if out and out[-1][1] == cp - 1:
            out[-1] = (out[-1][0], cp)
        else:
            out.append((cp, cp))
    return tuple(out)


def render_tables(ranges_by_mode):
    """Source text of `tf_fast_tables` for the given {mode: ranges}."""
    import tensorflow_text as tf_text

    lines = [
        '"""Code points FastBertTokenizer treats as BertTokenizer does (generated by tf_fast_safe; do not edit).',
        "",
        "Regenerate: python -m keras_bert.tokenization.tf_fast_safe > keras_bert/tokenization/tf_fast_tables.py",
        '"""',
        "",
        f'UNIDATA_VERSION = "{unicodedata.unidata_version}"',
        f'TF_TEXT_VERSION = "{tf_text.__version__}"',
        "SAFE_RANGES = {",
    ]
    for mode, ranges in ranges_by_mode.items():
        lines.append(f'    "{mode}": (')
        lines += [f"        (0x{lo:04X}, 0x{hi:04X})," for lo, hi in ranges]
        lines.append("    ),")
    lines.append("}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_tables({mode: to_ranges(derive_safe_code_points(mode)) for mode in MODES}), end="")
