"""(c) Tokenizer throughput and exactness, strings/s, on an ASCII and a multilingual corpus.

Contenders, all in this process and timed interleaved (`timing.interleaved`, 2 threads, see
`environment`), batches of 256 strings, max_length 128:

- TFBertTokenizer as shipped (the FastBertTokenizer op for strings and words it provably gets right,
  the exact pipeline for the rest, see `keras_bert.tokenization.tf_fast_path`) and the same layer with
  the fast path turned off (the exact pipeline alone, what it was before issue 17 item 4);
- transformers 4.57's TFBertTokenizer, its `call` replayed from its source on tensorflow-text ops
  (`transformers_457_call`; transformers 4.57 itself needs tf-keras, see the peers section), and the
  FastBertTokenizer op alone (no case folding, framing or padding: a floor for any layer built on it);
- BertTokenizerFast (`__call__`, padded) and the Rust `tokenizers` encode_batch it wraps;
- BertTokenizer (pure Python, on an eighth of the corpus, timed once).

Corpora are the peers section's (`peers.batches`): 8-40 words from 60 lowercase vocabulary words,
and `WORDS` below plus accented Latin, CJK, Korean and typographic punctuation. `exact` is the
share of rows whose ids equal `BertTokenizer`'s (truncated to 128); `vs_*` columns
are paired ratios (median over repeats of the per-repeat ratio).
"""

from __future__ import annotations

import os
import random

BATCH = 256
WORDS = (
    "the quick brown fox jumps over lazy dog BERT tokenizer naïve café Straße "
    "unwanted running 東京 北京 Ελληνικά Привет don't it's 42 3.14 e-mail "
    "hello, world! (parentheses) [brackets] İstanbul ΌΣΟΣ"
).split()


TF457 = "transformers 4.57 TFBertTokenizer (its call, replayed here)"
OP = "tensorflow-text FastBertTokenizer op alone"
OURS = "TFBertTokenizer (fast path + exact)"
BEFORE = "TFBertTokenizer, exact pipeline only (before)"
RUST = "Rust tokenizers encode_batch"


def transformers_457_call(op, text, cls_id, sep_id, pad_id, max_length=128):
    """transformers 4.57 `TFBertTokenizer.call` for one text, padding "longest", truncation on, as its
    source does it: case_fold_utf8, FastBertTokenizer, slice, combine_segments, pad_model_inputs x2."""
    import tensorflow_text as tf_text

    tokens = op.tokenize(tf_text.case_fold_utf8(text))[:, : max_length - 2]
    input_ids, token_type_ids = tf_text.combine_segments(
        (tokens,), start_of_sequence_id=cls_id, end_of_segment_id=sep_id
    )
    pad_length = input_ids.bounding_shape(axis=1)
    input_ids, attention_mask = tf_text.pad_model_inputs(input_ids, max_seq_length=pad_length, pad_value=pad_id)
    token_type_ids, _ = tf_text.pad_model_inputs(token_type_ids, max_seq_length=pad_length, pad_value=pad_id)
    return dict(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)


def make_corpus(n, seed=0):
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 40))) for _ in range(n)]


def run(context):
    import tensorflow as tf
    import tensorflow_text as tf_text

    from keras_bert.tokenization import BertTokenizer, BertTokenizerFast, TFBertTokenizer

    from ..peers import batches as corpora
    from ..workload import minilm_dir

    vocab_dir = minilm_dir()
    n = 2048 if context.quick else 8192
    repeats = 3 if context.quick else 7
    slow = BertTokenizer.from_pretrained(vocab_dir)
    fast = BertTokenizerFast.from_pretrained(vocab_dir)
    spec = tf.TensorSpec([None], tf.string)
    ours = TFBertTokenizer.from_tokenizer(slow, max_length=128)
    exact_only = TFBertTokenizer.from_tokenizer(slow, max_length=128)
    exact_only._fast = None  # the exact pipeline alone
    op = tf_text.FastBertTokenizer(
        ours.vocab_list,
        token_out_type=tf.int64,
        lower_case_nfd_strip_accents=True,
    )
    ids = (ours.cls_token_id, ours.sep_token_id, ours.pad_token_id)
    fns = {
        "ours": tf.function(lambda t: ours(t)["input_ids"], input_signature=[spec]),
        "exact": tf.function(lambda t: exact_only(t)["input_ids"], input_signature=[spec]),
        "op": tf.function(lambda t: op.tokenize(t).to_tensor(), input_signature=[spec]),
        "tf457": tf.function(lambda t: transformers_457_call(op, t, *ids)["input_ids"], input_signature=[spec]),
    }
    tools = dict(fns=fns, op=op, fast=fast, slow=slow, repeats=repeats)
    rows = []
    for corpus, texts in (
        ("ASCII (60 vocabulary words)", corpora.ascii_corpus(os.path.join(vocab_dir, "vocab.txt"), n)),
        ("multilingual", corpora.multilingual_corpus(n)),
    ):
        rows += _corpus_rows(corpus, texts, **tools)
    return rows


def _corpus_rows(corpus, texts, fns, op, fast, slow, repeats):
    """The rows of one corpus: every contender timed interleaved, its rate, ratios and exactness."""
    import tensorflow as tf

    from ..timing import interleaved, paired_ratio

    n = len(texts)
    tensors = [tf.constant(texts[i : i + BATCH]) for i in range(0, n, BATCH)]
    chunks = [texts[i : i + BATCH] for i in range(0, n, BATCH)]

    def graph(name):
        return lambda: [fns[name](b).numpy() for b in tensors]

    impls = {
        OURS: graph("ours"),
        TF457: graph("tf457"),
        BEFORE: graph("exact"),
        OP: graph("op"),
        "BertTokenizerFast (__call__, padded)": lambda: [
            fast(c, padding=True, truncation=True, max_length=128) for c in chunks
        ],
        RUST: lambda: [fast.backend.encode_batch(c) for c in chunks],
    }
    times = interleaved(impls, tuple, repeats, min_seconds=0)
    slow_n = n // 8
    python_s = _once(lambda: slow(texts[:slow_n], padding=True, truncation=True, max_length=128)) * 8
    want = slow(texts, truncation=True, max_length=128)["input_ids"]
    exact = {
        OURS: _tf_rows(fns["ours"], texts),
        TF457: _tf_rows(fns["tf457"], texts),
        BEFORE: _tf_rows(fns["exact"], texts),
        OP: _op_rows(op, texts, slow),
        "BertTokenizerFast (__call__, padded)": fast(texts, truncation=True, max_length=128)["input_ids"],
        RUST: [_rust_row(e) for e in fast.backend.encode_batch(texts)],
    }
    rows = [
        dict(
            corpus=corpus,
            contender=name,
            strings_per_s=round(n / sorted(t)[len(t) // 2], 1),
            vs_transformers_457=round(paired_ratio(times, name, TF457), 2),
            vs_op=round(paired_ratio(times, name, OP), 2),
            vs_rust=round(paired_ratio(times, name, RUST), 2),
            exact=_share_equal(exact[name], want),
        )
        for name, t in times.items()
    ]
    rows.append(dict(corpus=corpus, contender="BertTokenizer (pure Python)", strings_per_s=round(n / python_s, 1)))
    rows[-1]["exact"] = 1.0
    return rows


def _once(fn):
    import time

    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _tf_rows(fn, texts):
    import tensorflow as tf

    rows = []
    for i in range(0, len(texts), BATCH):
        ids = fn(tf.constant(texts[i : i + BATCH])).numpy()
        rows += [[t for t in row if t != 0] for row in ids.tolist()]  # MiniLM's [PAD] is 0
    return rows


def _rust_row(encoding):
    """Real ids of a `tokenizers` Encoding (its padding dropped), truncated to 128 as the reference."""
    ids = [i for i, m in zip(encoding.ids, encoding.attention_mask) if m]
    return ids if len(ids) <= 128 else ids[:127] + ids[-1:]


def _op_rows(op, texts, slow):
    """The op's ids framed by [CLS]/[SEP] and truncated to 128, as transformers 4.57's layer does."""
    import tensorflow as tf

    ids = op.tokenize(tf.constant(texts)).to_list()
    return [[slow.cls_token_id] + row[:126] + [slow.sep_token_id] for row in ids]


def _share_equal(rows, want):
    """Share of rows whose ids equal the reference's."""
    return round(sum(list(a) == list(b) for a, b in zip(rows, want)) / max(len(want), 1), 4)
