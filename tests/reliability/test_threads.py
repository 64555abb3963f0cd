"""One loaded SavedModel, 4 threads x 200 requests: every answer identical to the
single-threaded one, and resident memory bounded after warm-up.

The requests mix batch sizes, lengths, a scalar, an empty batch and hostile strings, so the
threads run different shapes through the same graph at the same time. Bound: resident memory
grows by less than 64 MiB over the 800 requests (a leak of one padded batch per request would
show as hundreds of MiB); answers must be bit-identical (the same graph and kernels).
"""

import os
import threading

import numpy as np
import pytest
import tensorflow as tf

import keras_bert
from keras_bert.tokenization import BertTokenizer
from tests.support.tiny import tiny_config

THREADS, REQUESTS, RSS_BOUND_MIB = 4, 200, 64
WORDS = ["good", "bad", "movie", "plot", "naïve", "東京", "🙂", "\x00", "[SEP]", "wonderful", "e\u0301"]


def _rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _requests():
    rng = np.random.default_rng(0)
    out = []
    for i in range(REQUESTS):
        if i % 50 == 7:
            out.append(tf.constant("a single scalar request"))
        elif i % 50 == 13:
            out.append(tf.constant([], tf.string))
        else:
            batch = int(rng.integers(1, 9))
            out.append(tf.constant([" ".join(rng.choice(WORDS, size=int(rng.integers(0, 60)))) for _ in range(batch)]))
    return out


@pytest.mark.slow
def test_threads_answer_identically_with_bounded_memory(tmp_path, minilm_dir):
    tokenizer = BertTokenizer.from_pretrained(minilm_dir)
    config = keras_bert.BertConfig(**tiny_config(vocab_size=tokenizer.vocab_size))
    model = keras_bert.TFBertForSequenceClassification(config)
    path = keras_bert.export_saved_model(model, tokenizer, tmp_path / "cls" / "1", max_length=64)
    fn = tf.saved_model.load(path).signatures["serving_default"]
    requests = _requests()
    expected = [{k: v.numpy() for k, v in fn(text=r).items()} for r in requests]  # single-threaded
    for r in requests[:50]:  # warm-up, then measure
        fn(text=r)
    before = _rss_mib()
    results, errors = {}, []

    def worker(tid):
        try:
            order = requests[tid:] + requests[:tid]  # each thread starts elsewhere
            results[tid] = [{k: v.numpy() for k, v in fn(text=r).items()} for r in order]
        except Exception as error:  # noqa: BLE001 - any failure in a thread must fail the test below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    growth = _rss_mib() - before
    assert not errors, errors
    for tid in range(THREADS):
        order = expected[tid:] + expected[:tid]
        for got, want in zip(results[tid], order, strict=True):
            assert got.keys() == want.keys()
            for key in want:
                np.testing.assert_array_equal(got[key], want[key], err_msg=key)
    assert growth < RSS_BOUND_MIB, f"resident memory grew by {growth:.1f} MiB over {THREADS * REQUESTS} requests"
