"""TFBertTokenizer's vocabulary: tokens, special-token ids and the file that travels as an asset.

A vocabulary may come as a vocab.txt path (transformers' slow-tokenizer file) or as a list of
tokens (transformers 4.x's `vocab_list`). Either way the layer reads it from a file, so the
`TextFileInitializer` makes that file a SavedModel asset; a list is written to a private
temporary file first.

A vocabulary may lack some special tokens (google-research/bert's test vocabulary has no
[PAD] or [MASK]). transformers 4.x then registers each missing one as an added token after the
vocabulary, in its special-token order (unk, sep, pad, cls, mask), so [PAD] gets id len(vocab);
the same ids are given here, and the appended tokens are written into the asset.
"""

import os
import tempfile

from keras_bert.tokenization.bert_tokenizer import VOCAB_FILE

SPECIAL_NAMES = ("unk_token", "sep_token", "pad_token", "cls_token", "mask_token")  # transformers' order


def read_tokens(vocab_file):
    if not os.path.isfile(vocab_file):
        raise ValueError(f"Can't find a vocabulary file at path {vocab_file!r}.")
    with open(vocab_file, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def write_tokens(tokens):
    """Writes tokens one per line to a private temporary vocab.txt and returns its path."""
    path = os.path.join(tempfile.mkdtemp(prefix="keras_bert_vocab_"), VOCAB_FILE)
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in tokens))
    return path


def resolve(tokens, specials, explicit_ids, source):
    """-> (tokens with missing specials appended, {special name: id}).

    `specials` maps names of SPECIAL_NAMES to token strings; `explicit_ids` maps
    cls_token/sep_token/pad_token to ids the caller fixed (None: the token's own id).
    """
    tokens = list(tokens)
    bad = [i for i, t in enumerate(tokens) if not t or "\n" in t or "\r" in t]
    if bad:
        raise ValueError(f"Vocabulary {source} has an empty or multi-line token at line {bad[0] + 1}.")
    index = {}
    for i, t in enumerate(tokens):
        if t in index:
            raise ValueError(
                f"Vocabulary {source} has the token {t!r} twice (lines {index[t] + 1} and {i + 1}); "
                "TFBertTokenizer needs one distinct token per line."
            )
        index[t] = i
    for name in SPECIAL_NAMES:
        tok = specials[name]
        if tok not in index:
            index[tok] = len(tokens)
            tokens.append(tok)
    ids = {name: index[specials[name]] for name in SPECIAL_NAMES}
    for name, value in explicit_ids.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < len(tokens):
            raise ValueError(f"{name}_id must be an id in [0, {len(tokens)}), got {value!r}")
        ids[name] = value
    return tokens, ids


def refuse_added_tokens(tokenizer, specials):
    """Added tokens (beyond the five special ones) are matched before basic tokenization by the
    Python tokenizers; this layer does not reproduce that, so it refuses rather than differ."""
    added = getattr(tokenizer, "get_added_vocab", dict)()
    extra = sorted(t for t in added if t not in specials)
    extra += [t for t in getattr(tokenizer, "additional_special_tokens", None) or [] if str(t) not in added]
    if extra:
        raise ValueError(
            f"TFBertTokenizer cannot reproduce the tokenizer's added or additional special tokens {extra[:10]!r}: "
            "it matches only unk/sep/pad/cls/mask and never_split words. Tokenize those texts with the "
            "Python tokenizer, or add the tokens to vocab.txt."
        )
