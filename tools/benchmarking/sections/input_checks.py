"""Input checks: what the models' in-graph input validation costs at BERT-base 8 x 128, fp32.

Every keras_bert model validates its inputs in the graph (ids inside the vocabulary, matching
shapes), switched by the boolean attribute `check_inputs` (default True, read when the model is
traced). Two models with the same config and weights, one with `check_inputs = False`, each
behind `keras_bert.predict_fn`, run in the paired A/B loop: the reported ratio is the speed of
the checked model over the unchecked one, with its 95% bootstrap interval. The target is a cost
under 1%: ratio >= 0.99, or an interval that contains 1 (no measurable difference).
"""

from __future__ import annotations

import statistics

from .. import timing
from ..workload import random_batch, tokens_per_second

CHECKED, UNCHECKED = "checked", "unchecked"
POINT = ("bert-base", 8, 128)  # model, batch, length
# The cost is expected to be near zero, so the loop stops as soon as the interval's low end
# clears the target (cost < 1% shown) or excludes 1; quick runs get a short cap.
BUDGET = {"quick": timing.Budget(4, 12, 6, 20), "full": timing.Budget(20, 180, 10, 120)}
MIN_RATIO = 0.99


def build_pair(config):
    """{CHECKED: predict_fn, UNCHECKED: predict_fn} of two models with `config` and the same weights."""
    import keras

    import keras_bert

    models = {}
    for name in (CHECKED, UNCHECKED):
        keras.utils.set_random_seed(0)
        model = keras_bert.TFBertModel(config)
        model.build()
        models[name] = model
    models[UNCHECKED].set_weights(models[CHECKED].get_weights())
    models[UNCHECKED].check_inputs = False  # before predict_fn traces it
    return {name: keras_bert.predict_fn(m, outputs=["last_hidden_state"]) for name, m in models.items()}


def settled(median, low, high):
    """Stop adding rounds once the cost is shown to be under 1% or shown to be nonzero."""
    return low >= MIN_RATIO or timing.excludes_one(median, low, high)


def as_impls(fns):
    """predict_fns -> {name: callable(ids, mask) -> numpy last_hidden_state}, as the A/B loop calls them."""
    return {name: (lambda i, m, fn=fn: fn(i, m)["last_hidden_state"].numpy()) for name, fn in fns.items()}


def measure(impls, vocab_size, batch, length, budget):
    """One row: tokens/s of both, the ratio checked/unchecked (speed), its 95% interval, rounds."""

    def make_args():
        return random_batch(batch, length, vocab_size)

    ids, mask = make_args()
    for fn in impls.values():  # trace both before sizing the rounds
        fn(ids, mask)
    call_s = timing.median_time(lambda: impls[UNCHECKED](ids, mask), 1)
    times = timing.ab_loop(impls, make_args, call_s, budget, pair=(CHECKED, UNCHECKED), resolved=settled)
    ratio, low, high = timing.paired_ratio(times, CHECKED, UNCHECKED, ci=True)
    row = dict(batch=batch, length=length)
    for name in (CHECKED, UNCHECKED):
        row[f"{name} tok/s"] = round(tokens_per_second(batch, length, statistics.median(times[name])), 1)
    row.update({"checked/unchecked": round(ratio, 4), "CI95 low": round(low, 4), "CI95 high": round(high, 4)})
    row["A/B rounds"] = len(times[CHECKED])
    return row


def run(context):
    import keras_bert

    model, batch, length = POINT
    config = keras_bert.BertConfig()  # BERT-base defaults, random weights
    row = measure(
        as_impls(build_pair(config)), config.vocab_size, batch, length, BUDGET["quick" if context.quick else "full"]
    )
    return [dict(model=model, **row)]
