"""Reading and checking vocab.txt, so a broken vocabulary fails at load time with its file named.

transformers reads vocab.txt without checks: invalid UTF-8 surfaces as a bare UnicodeDecodeError
and an empty file gives a tokenizer that maps everything to None. Here both are a ValueError that
names the file (and, for bad bytes, the line and byte offset). A token listed twice keeps the id
of its last line, as transformers does (its earlier id still decodes); that is allowed, not an
error, because some published vocabularies have duplicates.
"""

import collections

VOCAB_FILE = "vocab.txt"


def load_vocab(path):
    """vocab.txt as {token: id}, id = line number (the last line wins for a duplicate token).

    Raises ValueError naming `path` for bytes that are not UTF-8 (with line and byte offset) and
    for a file with no tokens.
    """
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise ValueError(
            f"Vocabulary file {path!r} is not valid UTF-8: byte offset {e.start} (line {line}) "
            f"has {raw[e.start : e.end]!r} ({e.reason}); vocab.txt must be UTF-8, one token per line."
        ) from None
    tokens = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")  # universal newlines, as open()
    if tokens and tokens[-1] == "":
        tokens.pop()  # the final newline ends the last line; it does not start an empty token
    if not tokens:
        raise ValueError(f"Vocabulary file {path!r} is empty; vocab.txt must list one token per line.")
    vocab = collections.OrderedDict()
    for index, token in enumerate(tokens):
        vocab[token] = index
    return vocab
