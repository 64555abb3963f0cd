"""The peers' workloads: batches with an exact share of padding, example-sentence batches, corpora.

Every contender gets the same batches, written once to `.npz` files (ids_i, mask_i pairs) that the
worker processes read, so no two contenders see different lengths. Tokens/s are counted on REAL
tokens (attention_mask == 1): padding is cost, not throughput.

    fixed_padding_batch   B x T, every row padded to T, row lengths drawn so that exactly
                          round(padding * B * T) positions are padding (Table A: 25%; Table B: 50%)
    example_batches       examples/data sentences, MiniLM vocabulary, padded to the longest row
                          of each batch (`padding=True`), see sections/unpadded.py
    ascii_corpus          sentences of words drawn from 60 vocabulary words (Table C, ASCII)
    multilingual_corpus   sections/tokenizer.make_corpus plus more scripts (Table C)
"""

from __future__ import annotations

import random

import numpy as np

MIN_LENGTH = 8  # every row keeps at least 8 real tokens, so the output probe (positions 0-7) is real


def padding_lengths(batch, length, padding, rng, min_length=MIN_LENGTH):
    """Row lengths in [min_length, length] whose padding share is exactly round(padding * B * T) / (B * T)."""
    total = batch * length
    real = total - round(padding * total)
    if not batch * min_length <= real <= total:
        raise ValueError(
            f"padding {padding} of {batch}x{length} leaves {real} real tokens; expected between "
            f"{batch * min_length} (rows of at least {min_length}) and {total}"
        )
    lengths = rng.integers(min_length, length + 1, batch)
    while (gap := real - int(lengths.sum())) != 0:  # nudge random rows by one until the sum is exact
        i = int(rng.integers(batch))
        step = 1 if gap > 0 else -1
        if min_length <= lengths[i] + step <= length:
            lengths[i] += step
    return lengths


def pad(rows, length=None):
    """Lists of ids -> (input_ids, attention_mask) int32, right padded to `length` or the longest row."""
    length = length or max(len(r) for r in rows)
    ids = np.zeros((len(rows), length), "int32")
    mask = np.zeros((len(rows), length), "int32")
    for i, r in enumerate(rows):
        ids[i, : len(r)] = r
        mask[i, : len(r)] = 1
    return ids, mask


def fixed_padding_batches(batch, length, padding, count, seed=0):
    """`count` (ids, mask) batches of batch x length with exactly `padding` of the positions padded.

    Ids: [CLS]=101 first, [SEP]=102 last, random word ids in [1000, 20000) between.
    """
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        rows = []
        for n in padding_lengths(batch, length, padding, rng):
            rows.append([101, *rng.integers(1000, 20000, int(n) - 2).tolist(), 102])
        out.append(pad(rows, length))
    return out


def example_batches(batch, count, seed=0):
    """examples/data sentences in batches padded to their longest row (sections/unpadded.py's)."""
    from ..sections.unpadded import example_batches as batches

    return batches(batch, count, seed)


def padding_share(batches):
    real = sum(int(m.sum()) for _, m in batches)
    return 1 - real / sum(m.size for _, m in batches)


def real_tokens(batches):
    return sum(int(m.sum()) for _, m in batches)


def save(batches, path):
    np.savez(
        path, **{f"{k}_{i}": a for i, (ids, mask) in enumerate(batches) for k, a in (("ids", ids), ("mask", mask))}
    )
    return path


def load(path):
    """The (ids, mask) list `save` wrote (NumPy only: the peer environments read it too)."""
    data = np.load(path)
    return [(data[f"ids_{i}"], data[f"mask_{i}"]) for i in range(len(data.files) // 2)]


def ascii_corpus(vocab_path, n, seed=0, words=60):
    """n sentences of 8-40 words drawn from `words` whole lowercase words of the vocabulary."""
    with open(vocab_path, encoding="utf-8") as f:
        vocab = [w.strip() for w in f]
    pool = [w for w in vocab if w.isascii() and w.isalpha() and w.islower() and len(w) >= 3 and not w.startswith("#")]
    rng = random.Random(seed)
    chosen = rng.sample(pool[1000:6000], words)
    return [" ".join(rng.choice(chosen) for _ in range(rng.randint(8, 40))) for _ in range(n)]


MORE_WORDS = (
    "Ñandú São Paulo Kraków Zürich 日本語 한국어 中文字符 Ελλάδα Москва «guillemets» “quotes” — – … ¿qué? ¡sí!".split()
)


def multilingual_corpus(n, seed=0):
    """sections/tokenizer.make_corpus's words (accents, CJK, Greek, Cyrillic, punctuation) and MORE_WORDS."""
    from ..sections.tokenizer import WORDS

    words = list(WORDS) + MORE_WORDS
    rng = random.Random(seed)
    return [" ".join(rng.choice(words) for _ in range(rng.randint(8, 40))) for _ in range(n)]
