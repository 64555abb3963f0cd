"""Unpadded execution: tokens/s on REAL tokens, `predict_fn(model)` vs `predict_fn(model, unpadded=True)`.

Both run BERT-base (random weights, fp32) on the same batches; tokens/s counts real tokens only
(attention_mask == 1), so padding is cost, not throughput. Two length mixes:

- "examples/data": the sentences of `examples/data` (sentiment texts and the pretraining corpus)
  tokenized with the MiniLM vocabulary, shuffled, in batches of 8 and 32, each batch padded to its
  longest sentence (`padding="longest"`, what a data pipeline does).
- "half padded": batches of 8 x 128 whose rows have random lengths in [8, 120] (~50% padding,
  typical of sentence-level serving at a fixed max_length).

One timed call is a pass over the same few batches; the two functions run in turn, order rotated
per repeat (`timing.interleaved`), and the ratio unpadded/padded is the median of paired ratios
with a 95% bootstrap interval. `max |diff|` is the largest difference of `last_hidden_state` at
real positions and of `pooler_output` between the two, on the first batch (should be ~1e-6).
"""

from __future__ import annotations

import csv
import os
import statistics

import numpy as np

from .. import timing
from ..peers.batches import pad  # one right-padding helper for both sections
from ..workload import BERT_BASE, minilm_dir

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "data")
PADDED, UNPADDED = "padded", "unpadded"
# batches per timed pass and repeats, by run kind
PLAN = {"quick": dict(passes=2, repeats=5), "full": dict(passes=8, repeats=15)}


def example_sentences():
    """The texts of examples/data's sentiment files and the lines of its pretraining corpus."""
    texts = []
    for name in ("sentiment_train.tsv", "sentiment_test.tsv"):
        with open(os.path.join(ROOT, name), encoding="utf-8", newline="") as f:
            texts += [row["text"] for row in csv.DictReader(f, delimiter="\t")]
    with open(os.path.join(ROOT, "pretrain_corpus.txt"), encoding="utf-8") as f:
        texts += [line.strip() for line in f if line.strip()]
    return texts


def example_batches(batch, count, seed=0):
    from keras_bert.tokenization import BertTokenizerFast

    tok = BertTokenizerFast.from_pretrained(minilm_dir())
    encoded = tok(example_sentences(), truncation=True, max_length=128)["input_ids"]
    order = np.random.default_rng(seed).permutation(len(encoded))
    return [pad([encoded[j] for j in order[i * batch : (i + 1) * batch]]) for i in range(count)]


def half_padded_batches(batch, count, length=128, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        lengths = rng.integers(8, length - 7, batch)
        out.append(pad([rng.integers(1000, 20000, n).tolist() for n in lengths], length))
    return out


def build():
    """{PADDED: predict_fn, UNPADDED: predict_fn} on one BERT-base model (random weights)."""
    import keras

    import keras_bert

    keras.utils.set_random_seed(0)
    model = keras_bert.TFBertModel(keras_bert.BertConfig(**BERT_BASE))
    model.build()
    return {PADDED: keras_bert.predict_fn(model), UNPADDED: keras_bert.predict_fn(model, unpadded=True)}


def max_difference(fns, ids, mask):
    a, b = fns[PADDED](ids, mask), fns[UNPADDED](ids, mask)
    real = mask.astype(bool)
    hidden = np.abs(a["last_hidden_state"].numpy()[real] - b["last_hidden_state"].numpy()[real]).max()
    return float(max(hidden, np.abs(a["pooler_output"].numpy() - b["pooler_output"].numpy()).max()))


def measure(fns, workload, batches, repeats):
    real = sum(int(m.sum()) for _, m in batches)
    total = sum(m.size for _, m in batches)

    def run_pass(fn):
        for ids, mask in batches:
            fn(ids, mask)["last_hidden_state"].numpy()

    impls = {name: (lambda fn=fn: run_pass(fn)) for name, fn in fns.items()}
    times = timing.interleaved(impls, lambda: (), repeats, min_seconds=0)
    ratio, low, high = timing.paired_ratio(times, UNPADDED, PADDED, ci=True)
    lengths = [m.shape[1] for _, m in batches]
    row = dict(workload=workload, batch=batches[0][0].shape[0], length=f"{min(lengths)}-{max(lengths)}")
    row["padding"] = f"{100 * (1 - real / total):.0f}%"
    for name in (PADDED, UNPADDED):
        row[f"{name} real tok/s"] = round(real / statistics.median(times[name]), 1)
    row.update({"unpadded/padded": round(ratio, 3), "CI95 low": round(low, 3), "CI95 high": round(high, 3)})
    row["max |diff|"] = f"{max_difference(fns, *batches[0]):.1e}"
    row["repeats"] = repeats
    return row


def run(context):
    plan = PLAN["quick" if context.quick else "full"]
    fns = build()
    workloads = [
        ("examples/data", example_batches(8, plan["passes"] * 4)),
        ("examples/data", example_batches(32, plan["passes"])),
        ("half padded", half_padded_batches(8, plan["passes"])),
    ]
    return [measure(fns, name, batches, plan["repeats"]) for name, batches in workloads]
