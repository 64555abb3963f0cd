"""Building and adjusting the `tokenizers` pipeline behind `BertTokenizerFast`.

Two jobs, both so that the fast tokenizer's ids equal `BertTokenizer`'s (the reference):

* options win over a loaded tokenizer.json, as transformers 4.x's `BertTokenizerFast` rebuilds
  its normalizer when `do_lower_case`, `strip_accents` or `tokenize_chinese_chars` differ; here
  `do_basic_tokenize=False` (whitespace split only, no clean-up or lowercasing) and `never_split`
  (words of the vocabulary kept whole) are honoured too;
* `tokenizers` follows other Unicode tables than Python's `unicodedata`, and does not NFC-normalise.
  `ReferenceText` rewrites the caller's text, one character for one (so offsets still index the
  caller's text), into text on which the backend gives the reference's ids: every character the
  reference drops (unassigned code points such as U+FFFE, U+FFFF, U+10FFFF, lone surrogates) becomes
  NUL, which `tokenizers` drops too; each of the ~1,900 code points where the two classify
  differently (`unicode_tables.TOKENIZERS_CANDIDATE_RANGES`: recent combining marks under accent
  stripping, CJK U+2B820-U+2B91F, recent punctuation, NFC singletons such as U+037E or the CJK
  compatibility ideographs) becomes a character the backend treats as the reference treats the
  original: NUL, a space, its NFC form, or a placeholder absent from the vocabulary when the
  reference's piece is [UNK] either way; with lowercasing, each capital sigma becomes the σ or ς
  that the reference's per-word `str.lower()` gives (Final_Sigma). ASCII text is returned as is.

  When accents are kept, text that is not NFC is composed cluster by cluster as the reference
  composes it (`nfc_same_length`, NUL-padded). Not covered: the few code points that NFC lengthens
  (U+0344, U+0958-U+095F, Hebrew presentation forms, ...), which a one-for-one rewrite cannot
  express; they matter only for a vocabulary holding their expansion.
"""

import functools
import json
import re
import unicodedata

import tokenizers
from tokenizers import decoders, models, normalizers, pre_tokenizers

from keras_bert.tokenization import unicode_tables as ut

# Two contexts decide how a code point tokenizes: alone, and inside a word (digits compose with no mark).
_CONTEXTS = ("{}", "0{}0")
# Placeholders for a character whose reference piece is [UNK]: letters (Vai, Lo since Unicode 5.1)
# that join their word, and punctuation (Vai, Lisu, Ethiopic; Po) that stands alone, in both tables.
_JOINED = "\ua500\ua501\ua502\ua503\ua504\ua505\ua506\ua507"
_ISOLATED = "\ua60d\ua60e\ua60f\ua4fe\ua4ff\u1364\u1365\u1366"


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _char_class(code_points_or_ranges):
    return "".join(f"\\U{lo:08x}" if lo == hi else f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in code_points_or_ranges)


@functools.cache
def _dropped_ranges():
    return (*ut.dropped_ranges(), (0xD800, 0xDFFF))  # lone surrogates are Cs: dropped as controls


def _bmp_pattern(keys):
    """The dropped BMP code points and the BMP `keys`, as one class.

    `re` turns a class of BMP characters into a bitmap (a few microseconds per KB) but walks a list
    of ranges for one that reaches beyond U+FFFF, so astral characters are found by one range
    (`_ASTRAL`) and decided one by one (`ReferenceText._astral`).
    """
    ranges = sorted([*_dropped_ranges(), *((ord(c), ord(c)) for c in keys)])
    return re.compile(f"[{_char_class((lo, min(hi, 0xFFFF)) for lo, hi in ranges if lo <= 0xFFFF)}]")


def candidate_code_points():
    return [cp for lo, hi in ut.TOKENIZERS_CANDIDATE_RANGES for cp in range(lo, hi + 1)]


_BUILT = {}
_CAPITAL_SIGMA = "\u03a3"


def final_sigmas(text, cjk_words):
    """`text` with each capital sigma already lowered as the reference lowers it: σ, or ς at a word's end.

    `str.lower()` applies Unicode's Final_Sigma rule within the word it is given (the reference lowers
    word by word, after clean-up and CJK spacing); `tokenizers` lowers character by character and
    always gives σ. Both σ and ς lower to themselves, so deciding here, one character for one, makes
    the two agree. NUL (a character the clean-up drops) is left out of the word, as the reference has it.
    Only the words holding a capital sigma are visited.
    """

    def boundary(c):
        return c.isspace() or ut.is_whitespace(c) or (cjk_words and ut.is_cjk(ord(c)))

    chars = list(text)
    end = 0
    while (i := text.find(_CAPITAL_SIGMA, end)) >= 0:
        start = i
        while start > 0 and not boundary(text[start - 1]):
            start -= 1
        end = i
        while end < len(text) and not boundary(text[end]):
            end += 1
        word = [(k, c) for k, c in enumerate(text[start:end], start) if c != "\x00"]
        letters = "".join(c for _, c in word)
        lowered = letters.lower()
        for j, (k, c) in enumerate(word):
            if c == _CAPITAL_SIGMA:
                chars[k] = lowered[len(letters[:j].lower())]
    return "".join(chars)


def nfc_same_length(text):
    """NFC (the reference's), cluster by cluster, each composed cluster padded with NUL to its length.

    A cluster is a character and the ones that combine with it (non-zero combining class, or
    composing with it, as Hangul jamo). `tokenizers` drops the NUL, so the backend sees the
    reference's composed text while offsets still index the caller's text (a token that ends with
    a composed cluster ends before its padding, as `tokenizers`' own NFC reports it). A cluster
    that NFC would lengthen is left as it is.
    """
    out = []
    cluster = ""
    for char in text:
        if cluster and (unicodedata.combining(char) or _composes_with(cluster, char)):
            cluster += char
            continue
        out.append(_composed(cluster))
        cluster = char
    out.append(_composed(cluster))
    return "".join(out)


def _composes_with(cluster, char):
    nfc = unicodedata.normalize
    return len(nfc("NFC", cluster + char)) <= len(nfc("NFC", cluster))


def _composed(cluster):
    composed = unicodedata.normalize("NFC", cluster)
    return composed + "\x00" * (len(cluster) - len(composed)) if len(composed) <= len(cluster) else cluster


def _vocab_chars(backend):
    return {ch for token in backend.get_vocab() for ch in token.removeprefix("##")}


class ReferenceText:
    """Rewrites text, one character for one, so that the backend's ids equal the reference's.

    Built lazily on the first non-ASCII text (~0.1 s: each candidate code point is tokenized
    by the reference and by `backend` in two contexts); then one regex pass per text.

    Args:
        backend: the `tokenizers.Tokenizer` (its normalizer and pre-tokenizer are probed).
        options: the BERT options (`do_lower_case`, `strip_accents`, `tokenize_chinese_chars`).
    """

    def __init__(self, backend, options):
        self.backend = backend
        self.options = options
        self._pattern = None
        self._table = None
        self.unresolved = None
        strips = options["strip_accents"] if options["strip_accents"] is not None else options["do_lower_case"]
        self._composes = not strips  # stripping decomposes anyway (NFD), so the reference's NFC is moot

    def __call__(self, text):
        if text.isascii():
            return text
        if self._pattern is None:
            self._build()
        if self._composes and not unicodedata.is_normalized("NFC", text):
            text = nfc_same_length(text)
        text = self._pattern.sub(self._replace, text)
        text = _ASTRAL.sub(self._astral, text) if _ASTRAL.search(text) else text
        if self.options["do_lower_case"] and _CAPITAL_SIGMA in text:
            text = final_sigmas(text, self.options["tokenize_chinese_chars"])
        return text

    def _replace(self, match):
        return self._table.get(match.group(0), "\x00")

    def _astral(self, match):
        char = match.group(0)
        return self._table.get(char) or ("\x00" if ut.is_dropped(char) else char)

    def _build(self):
        backend, opts = self.backend, self.options
        key = (
            backend.normalizer.__getstate__() if backend.normalizer is not None else None,
            backend.pre_tokenizer.__getstate__() if backend.pre_tokenizer is not None else None,
            tuple(opts[k] for k in ("do_lower_case", "strip_accents", "tokenize_chinese_chars")),
            frozenset(_vocab_chars(backend)),
        )
        if key not in _BUILT:  # tokenizers of one checkpoint and options share the work
            table, unresolved = self.substitutions()
            _BUILT[key] = (table, unresolved, _bmp_pattern(table))
        self._table, self.unresolved, self._pattern = _BUILT[key]

    def _backend_pieces(self, text):
        normalizer, pre = self.backend.normalizer, self.backend.pre_tokenizer
        text = normalizer.normalize_str(text) if normalizer is not None else text
        return [piece for piece, _ in pre.pre_tokenize_str(text)] if pre is not None else text.split()

    def substitutions(self):
        """({char: replacement}, [code points left as they are because no replacement fits])."""
        from keras_bert.tokenization.basic import BasicTokenizer

        opts = self.options
        reference = BasicTokenizer(opts["do_lower_case"], None, opts["tokenize_chinese_chars"], opts["strip_accents"])
        vocab_chars = _vocab_chars(self.backend)

        def backend(char):
            return [self._backend_pieces(ctx.format(char)) for ctx in _CONTEXTS]

        table, unresolved = {}, []
        for cp in candidate_code_points():
            char = chr(cp)
            want = [reference.tokenize(ctx.format(char)) for ctx in _CONTEXTS]
            if backend(char) == want:
                continue
            replacement = self._replacement(want, backend, vocab_chars)
            if replacement is None:
                unresolved.append(cp)
            else:
                table[char] = replacement
        return table, unresolved

    @staticmethod
    def _replacement(want, backend, vocab_chars):
        """A character on which `backend` gives the pieces `want` (or, for an [UNK] piece, its shape)."""
        alone, inside = want
        tries = ["\x00", " "] + ([alone[0]] if len(alone) == 1 and len(alone[0]) == 1 else [])
        for char in tries:
            if backend(char) == want:
                return char
        if len(alone) != 1 or not set(alone[0]) - vocab_chars:
            return None  # the reference's piece may be in the vocabulary: only this very text gives it
        word = alone[0]
        if inside == [f"0{word}0"]:
            pool, shape = _JOINED, lambda p: [[p], [f"0{p}0"]]
        elif inside == ["0", word, "0"]:
            pool, shape = _ISOLATED, lambda p: [[p], ["0", p, "0"]]
        else:
            return None
        return next((p for p in pool if p not in vocab_chars and backend(p) == shape(p)), None)


def probe_candidates():
    """Code points (not dropped by the reference) where `tokenizers` and this interpreter classify
    differently or NFC changes the character: what `unicode_tables.TOKENIZERS_CANDIDATE_RANGES` must
    hold. Probes the whole code space through the backend's own components (tens of seconds)."""
    import unicodedata

    from keras_bert.tokenization.basic import strip_accents

    chars = [chr(cp) for cp in range(0x80, ut.MAX_CODE_POINT + 1) if not 0xD800 <= cp <= 0xDFFF]
    chars = [c for c in chars if not ut.is_dropped(c)]
    joined = "#".join(chars)  # "#" is ASCII, a starter, uncased, not CJK: it survives every step

    def each(normalizer):
        out = normalizer.normalize_str(joined).split("#")
        assert len(out) == len(chars), "a normalizer produced or removed '#'"
        return out

    bert = normalizers.BertNormalizer
    found = set()
    for c, clean, strip, lower, cjk in zip(
        chars,
        each(bert(clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False)),
        each(bert(clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False)),
        each(normalizers.Lowercase()),
        each(bert(clean_text=False, handle_chinese_chars=True, strip_accents=False, lowercase=False)),
    ):
        if (
            clean != (" " if ut.is_whitespace(c) else c)
            or strip != strip_accents(c)
            or lower != c.lower()
            or (cjk != c) != ut.is_cjk(ord(c))
            or unicodedata.normalize("NFC", c) != c
        ):
            found.add(ord(c))
    pieces = pre_tokenizers.BertPreTokenizer().pre_tokenize_str("a" + "a".join(chars) + "a")
    alone = {start for _, (start, end) in pieces if end - start == 1 and start % 2}
    covered = {i for _, (start, end) in pieces for i in range(start, end)}
    for k, c in enumerate(chars):
        pos = 2 * k + 1
        backend_kind = "punct" if pos in alone else "word" if pos in covered else "space"
        reference_kind = "punct" if ut.is_punctuation(c) else "space" if ut.is_whitespace(c) or c.isspace() else "word"
        if backend_kind != reference_kind:
            found.add(ord(c))
    return sorted(found)


def build_backend(vocab, unk_token, options):
    """A WordPiece pipeline from a {token: id} vocabulary and the tokenizer options."""
    backend = tokenizers.Tokenizer(models.WordPiece(vocab, unk_token=unk_token, max_input_chars_per_word=100))
    backend.decoder = decoders.WordPiece()
    apply_options(backend, options)
    return backend


def apply_options(backend, options):
    """Makes the normalizer and pre-tokenizer follow `options` (a dict of the BERT options)."""
    if not options["do_basic_tokenize"]:
        backend.normalizer = None
        backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
        return
    state = json.loads(backend.normalizer.__getstate__()) if backend.normalizer is not None else {}
    wanted = {
        "lowercase": options["do_lower_case"],
        "strip_accents": options["strip_accents"],
        "handle_chinese_chars": options["tokenize_chinese_chars"],
    }
    if state.get("type") != "BertNormalizer" or any(state.get(k) != v for k, v in wanted.items()):
        backend.normalizer = normalizers.BertNormalizer(clean_text=state.get("clean_text", True), **wanted)
    pre = json.loads(backend.pre_tokenizer.__getstate__()) if backend.pre_tokenizer is not None else {}
    if pre.get("type") != "BertPreTokenizer":
        backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    if options["never_split"]:
        vocab = backend.get_vocab(with_added_tokens=False)
        words = [w for w in options["never_split"] if w in vocab]
        backend.add_tokens([tokenizers.AddedToken(w, single_word=True, normalized=False) for w in words])
