"""(c) Tokenizer throughput: TFBertTokenizer vs BertTokenizerFast vs BertTokenizer, strings/s.

One generated corpus (mixed scripts, accents, punctuation), TF and the Rust tokenizers both
limited to 2 threads (see `environment`); each rate is the best of a few passes. `exact_vs_python`
is the share of rows whose ids equal `BertTokenizer`'s (truncated to 128) on the rows it tokenized.
"""

from __future__ import annotations

import random
import time

BATCH = 256
WORDS = (
    "the quick brown fox jumps over lazy dog BERT tokenizer naïve café Straße "
    "unwanted running 東京 北京 Ελληνικά Привет don't it's 42 3.14 e-mail "
    "hello, world! (parentheses) [brackets] İstanbul ΌΣΟΣ"
).split()


def make_corpus(n, seed=0):
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 40))) for _ in range(n)]


def rate(fn, n, repeats):
    """Strings per second: n over the best of `repeats` timed calls after one warm-up."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return n / best


def run(context):
    import tensorflow as tf

    from keras_bert.tokenization import BertTokenizer, BertTokenizerFast, TFBertTokenizer

    from ..workload import minilm_dir

    vocab_dir = minilm_dir()
    n = 2048 if context.quick else 16384
    repeats = 2 if context.quick else 3
    corpus = make_corpus(n)
    slow = BertTokenizer.from_pretrained(vocab_dir)
    fast = BertTokenizerFast.from_pretrained(vocab_dir)
    layer = TFBertTokenizer.from_tokenizer(slow, max_length=128)
    fn = tf.function(layer, input_signature=[tf.TensorSpec([None], tf.string)])
    batches = [tf.constant(corpus[i : i + BATCH]) for i in range(0, n, BATCH)]

    def run_tf():
        for b in batches:
            fn(b)["input_ids"].numpy()

    def run_fast():
        for i in range(0, n, BATCH):
            fast(corpus[i : i + BATCH], padding=True, truncation=True, max_length=128)

    def run_fast_raw():
        fast.backend.encode_batch(corpus)

    slow_n = n // 8
    rates = [
        ("TFBertTokenizer (batch 256, tf.function)", rate(run_tf, n, repeats)),
        ("BertTokenizerFast (batch 256, __call__)", rate(run_fast, n, repeats)),
        ("tokenizers encode_batch (raw, no padding)", rate(run_fast_raw, n, repeats)),
        (
            "BertTokenizer (pure Python)",
            rate(lambda: slow(corpus[:slow_n], padding=True, truncation=True, max_length=128), slow_n, 1),
        ),
    ]
    ref = rates[1][1]
    # Exactness against the Python reference on the rows it tokenized: ids of every row equal.
    want = slow(corpus[:slow_n], truncation=True, max_length=128)["input_ids"]
    enc = fn(tf.constant(corpus[:slow_n]))
    lengths = enc["attention_mask"].numpy().sum(axis=1)
    tf_rows = [row[:n] for row, n in zip(enc["input_ids"].numpy().tolist(), lengths)]
    fast_rows = fast(corpus[:slow_n], truncation=True, max_length=128)["input_ids"]
    raw_rows = [e.ids for e in fast.backend.encode_batch(corpus[:slow_n])]  # no truncation: rows here are short
    exact = [
        _share_equal(tf_rows, want),
        _share_equal(fast_rows, want),
        _share_equal(raw_rows, want),
        1.0,
    ]
    return [
        dict(name=name, strings_per_s=round(r, 1), ratio=round(r / ref, 2), exact_vs_python=e)
        for (name, r), e in zip(rates, exact)
    ]


def _share_equal(rows, want):
    """Share of rows whose ids equal the reference's."""
    return round(sum(list(a) == list(b) for a, b in zip(rows, want)) / max(len(want), 1), 4)
