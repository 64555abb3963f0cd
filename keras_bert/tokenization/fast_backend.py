"""Building and adjusting the `tokenizers` pipeline behind `BertTokenizerFast`.

Two jobs, both so that the fast tokenizer's ids equal `BertTokenizer`'s (the reference):

* options win over a loaded tokenizer.json, as transformers 4.x's `BertTokenizerFast` rebuilds
  its normalizer when `do_lower_case`, `strip_accents` or `tokenize_chinese_chars` differ; here
  `do_basic_tokenize=False` (whitespace split only, no clean-up or lowercasing) and `never_split`
  (words of the vocabulary kept whole) are honoured too;
* `tokenizers` follows older Unicode tables than Python's `unicodedata`: it keeps unassigned code
  points (U+0378, U+FFFE, U+FFFF, U+10FFFF, ...) and lone surrogates that the reference drops as
  control characters. `reference_clean` maps every character the reference drops to NUL, which
  `tokenizers` drops too; one character for one, so offsets still index the caller's text.
"""

import functools
import json
import re

import tokenizers
from tokenizers import decoders, models, normalizers, pre_tokenizers

from keras_bert.tokenization import unicode_tables as ut


@functools.cache
def _dropped_pattern():
    ranges = [*ut.dropped_ranges(), (0xD800, 0xDFFF)]  # lone surrogates are Cs: dropped as controls
    parts = "".join(f"\\U{lo:08x}" if lo == hi else f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges)
    return re.compile(f"[{parts}]")


def reference_clean(text):
    """Text with every character the reference clean-up drops replaced by NUL (same length)."""
    if text.isascii():
        return text
    return _dropped_pattern().sub("\x00", text)


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
