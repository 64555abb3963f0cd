"""tools/benchmark.py's arithmetic: FLOP count, paired ratios and the acceptance table.

Timings are never asserted here; these check the numbers the benchmark derives from them.
"""

import importlib.util
import os
from unittest import mock

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def bench():
    # The module sets thread/OpenMP variables for its own run; keep them out of this process.
    with mock.patch.dict(os.environ):
        spec = importlib.util.spec_from_file_location("kb_benchmark", os.path.join(ROOT, "tools", "benchmark.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("length", [7, 16])
def test_flops_per_token_matches_torch_flop_counter(bench, make_tiny_config, length):
    """The config-derived count equals what torch counts on the twin's forward (eager attention)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    import keras_bert.torch as twin

    config = make_tiny_config()
    model = twin.BertModel(config, attn_implementation="eager").eval()
    batch = 3
    ids = torch.randint(0, config.vocab_size, (batch, length))
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        model(input_ids=ids)
    pooler = 2 * batch * config.hidden_size**2  # once per sequence, not per token
    expected = batch * length * bench.flops_per_token(config, length) + pooler
    assert counter.get_total_flops() == expected


def test_paired_ratio_cancels_drift_between_repeats(bench):
    # The machine slows down 3x over the run; B is always 10% slower than A in the same repeat.
    drift = np.linspace(1.0, 3.0, 9)
    times = {"a": list(0.1 * drift), "b": list(0.11 * drift)}
    assert bench.paired_ratio(times, "a", "b") == pytest.approx(1.1, rel=1e-12)
    med, low, high = bench.paired_ratio(times, "a", "b", ci=True)
    assert low == pytest.approx(1.1, rel=1e-12) and high == pytest.approx(1.1, rel=1e-12)
    # Noisy pairs: the interval brackets the median and is wider than zero.
    rng = np.random.default_rng(0)
    noisy = {"a": list(0.1 * drift * rng.uniform(0.95, 1.05, 9)), "b": list(0.11 * drift * rng.uniform(0.95, 1.05, 9))}
    med, low, high = bench.paired_ratio(noisy, "a", "b", ci=True)
    assert low < med < high and 1.0 < med < 1.2


def test_ab_rounds_fill_the_budget_within_bounds(bench):
    assert bench.ab_rounds(0.001, 20, 10, 120) == 120
    assert bench.ab_rounds(100.0, 20, 10, 120) == 10
    assert bench.ab_rounds(0.5, 20, 10, 120) == 40


def test_ab_loop_adds_rounds_only_while_the_interval_straddles_one(bench, monkeypatch):
    class Clock:  # impls advance a fake clock by exact amounts: deterministic timings
        now = 0.0

        def perf_counter(self):
            return self.now

    clock = Clock()
    monkeypatch.setattr(bench, "time", clock)
    monkeypatch.setitem(bench.AB_BUDGET, "quick", (0.0, 1.0, 6, 6))  # 6 first rounds, 1 s cap
    takes = lambda s: lambda *_: setattr(clock, "now", clock.now + s)  # noqa: E731

    apart = bench.ab_loop({"twin sdpa": takes(0.002), "twin eager": takes(0.004)}, lambda: (), 0.002, quick=True)
    assert len(apart["twin sdpa"]) == 6  # 2x apart: resolved by the first rounds
    assert bench.paired_ratio(apart, *bench.AB_PAIR) == pytest.approx(2.0)

    equal = bench.ab_loop({"twin sdpa": takes(0.002), "twin eager": takes(0.002)}, lambda: (), 0.002, quick=True)
    rounds = len(equal["twin sdpa"])
    assert rounds == len(equal["twin eager"]) and (rounds - 6) % 10 == 0
    assert 0.96 <= rounds * 0.004 <= 1.0  # unresolved: rounds added in chunks until the cap


def test_acceptance_flags_each_miss(bench):
    row = {
        "model": "bert-base",
        "batch": 8,
        "length": 128,
        "keras/sdpa": 1.9,
        "sdpa/eager": 0.99,
        "twin/transformers": 0.96,
        "keras tf.function %roof": 84.0,
        "keras XLA %roof": 86.0,
    }
    batch1 = dict(row, batch=1, **{"keras/sdpa": 0.91, "sdpa/eager": 1.01, "twin/transformers": 0.94})
    results = {
        "inference": [row, batch1, {"model": "minilm", "batch": 32, "length": 512, "skipped": "> 4096"}],
        "training": [
            {"model": "bert-base", "impl": "keras train_on_batch", "vs_twin": 1.2},
            {"model": "bert-base", "impl": "twin", "vs_twin": 1.0},
        ],
        "retrace": [{"function": "predict_fn (tf.function)", "traces_after_warmup": 1}],
        "precision": [
            {"variant": "fp32", "cosine_min": 1.0, "argmax_agreement": 1.0},
            {"variant": "int8", "cosine_min": 0.995, "argmax_agreement": 0.98},
        ],
    }
    checks = {c["check"]: c["ok"] for c in bench.acceptance(results)}
    assert checks == {
        "keras >= 1.0x twin sdpa, bert-base 8x128": "PASS",
        "twin sdpa >= twin eager, bert-base 8x128": "FAIL",
        "twin within 5% of transformers, bert-base 8x128": "PASS",
        "keras >= 0.9x twin sdpa, bert-base 1x128": "PASS",
        "twin sdpa >= twin eager, bert-base 1x128": "PASS",
        "twin within 5% of transformers, bert-base 1x128": "FAIL",
        "keras >= 85% of matmul roofline, bert-base 8x128": "PASS",
        "keras train step <= 1.1x twin (bert-base)": "FAIL",
        "zero retraces: predict_fn (tf.function)": "FAIL",
        "int8 embedding cosine >= 0.99 (min)": "PASS",
        "int8 argmax agreement >= 99%": "FAIL",
    }


def test_inference_section_runs_end_to_end_on_tiny_checkpoints(bench, make_tiny_config, monkeypatch, tmp_path):
    """Every implementation loads the same weights; rows carry tokens/s, ratios and the A/B interval."""
    import keras_bert

    ckpts = {}
    for name in ("bert-base", "minilm"):  # the quick grid's names
        model = keras_bert.TFBertModel(make_tiny_config(vocab_size=1100, max_position_embeddings=128))
        model.build()
        model.save_pretrained(str(tmp_path / name))
        ckpts[name] = str(tmp_path / name)
    monkeypatch.setitem(bench.AB_BUDGET, "quick", (0.2, 0.5, 6, 6))
    rows = bench.section_inference(ckpts, quick=True, best_gemm=1.0)
    assert [(r["model"], r["batch"], r["length"]) for r in rows] == [
        ("bert-base", 8, 128),
        ("minilm", 1, 128),
        ("minilm", 8, 128),
    ]
    for r in rows:
        for col in ("keras tf.function", "twin sdpa", "twin eager", "keras/sdpa", "sdpa/eager", "A/B rounds"):
            assert r[col] > 0, (col, r)
        low, high = map(float, r["sdpa/eager CI95"].split("-"))
        assert low <= r["sdpa/eager"] <= high
    checks = bench.acceptance({"inference": rows})
    per_point = 3 if "twin/transformers" in rows[0] else 2  # keras/sdpa, sdpa/eager (, twin/transformers)
    assert len(checks) == 3 * per_point + 1  # + the roofline at bert-base 8x128
