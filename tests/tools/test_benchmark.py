"""tools/benchmarking's arithmetic and wiring: FLOP count, paired ratios, the A/B loop, the
acceptance table, rendering, and the inference and input-checks sections end to end.

Timings are never asserted; where a section's numbers are checked, the implementations advance
a fake clock by known amounts, so tokens/s, ratios and intervals have exact expected values.
"""

import importlib
import importlib.util
import os
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGE = os.path.join(ROOT, "tools", "benchmarking")
MODULES = ("cli", "environment", "report", "roofline", "timing", "workload", "sections")
SECTION_MODULES = ("inference", "input_checks", "training")


@pytest.fixture(scope="module")
def bench():
    """The package loaded from its path under a private name (tools/ is not on sys.path)."""
    name = "kb_benchmarking"
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(PACKAGE, "__init__.py"), submodule_search_locations=[PACKAGE]
    )
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    modules = {m: importlib.import_module(f"{name}.{m}") for m in MODULES}
    modules.update({m: importlib.import_module(f"{name}.sections.{m}") for m in SECTION_MODULES})
    return SimpleNamespace(**modules)


class FakeClock:
    """Stands in for the `time` module: impls advance it by exact amounts."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now

    def takes(self, seconds, result=None):
        def call(*_):
            self.now += seconds
            return result

        return call


@pytest.fixture
def clock(bench, monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(bench.timing, "time", clock)
    return clock


# -- arithmetic -------------------------------------------------------------------------------
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
    expected = batch * length * bench.workload.flops_per_token(config, length) + pooler
    assert counter.get_total_flops() == expected


def test_paired_ratio_cancels_drift_between_repeats(bench):
    # The machine slows down 3x over the run; B is always 10% slower than A in the same repeat.
    drift = np.linspace(1.0, 3.0, 9)
    times = {"a": list(0.1 * drift), "b": list(0.11 * drift)}
    assert bench.timing.paired_ratio(times, "a", "b") == pytest.approx(1.1, rel=1e-12)
    med, low, high = bench.timing.paired_ratio(times, "a", "b", ci=True)
    assert low == pytest.approx(1.1, rel=1e-12) and high == pytest.approx(1.1, rel=1e-12)
    # Noisy pairs: the interval brackets the median and is wider than zero.
    rng = np.random.default_rng(0)
    noisy = {"a": list(0.1 * drift * rng.uniform(0.95, 1.05, 9)), "b": list(0.11 * drift * rng.uniform(0.95, 1.05, 9))}
    med, low, high = bench.timing.paired_ratio(noisy, "a", "b", ci=True)
    assert low < med < high and 1.0 < med < 1.2
    with pytest.raises(ValueError, match="unpaired timings: 'a' has 9, 'b' 8"):
        bench.timing.paired_ratio({"a": times["a"], "b": times["b"][:8]}, "a", "b")


def test_ab_rounds_fill_the_budget_within_bounds(bench):
    assert bench.timing.ab_rounds(0.001, 20, 10, 120) == 120
    assert bench.timing.ab_rounds(100.0, 20, 10, 120) == 10
    assert bench.timing.ab_rounds(0.5, 20, 10, 120) == 40


def test_ab_loop_adds_rounds_only_while_the_interval_straddles_one(bench, clock):
    budget = bench.timing.Budget(0.0, 1.0, 6, 6)  # 6 first rounds, 1 s cap
    pair = bench.inference.AB_PAIR

    apart = bench.timing.ab_loop({pair[0]: clock.takes(0.002), pair[1]: clock.takes(0.004)}, lambda: (), 0.002, budget)
    assert len(apart[pair[0]]) == 6  # 2x apart: resolved by the first rounds
    assert bench.timing.paired_ratio(apart, *pair) == pytest.approx(2.0)

    equal = bench.timing.ab_loop({pair[0]: clock.takes(0.002), pair[1]: clock.takes(0.002)}, lambda: (), 0.002, budget)
    rounds = len(equal[pair[0]])
    assert rounds == len(equal[pair[1]]) and (rounds - 6) % 10 == 0
    assert 0.96 <= rounds * 0.004 <= 1.0  # unresolved: rounds added in chunks until the cap


def test_tokens_per_second_and_interleaved_times_follow_the_clock(bench, clock):
    times = bench.timing.interleaved(
        {"a": clock.takes(0.01), "b": clock.takes(0.03)}, lambda: (), repeats=4, min_seconds=0.15
    )
    assert times == {"a": [pytest.approx(0.01)] * 4, "b": [pytest.approx(0.03)] * 4}
    assert bench.workload.tokens_per_second(8, 128, 0.5) == 2048.0


# -- acceptance and rendering -------------------------------------------------------------------
def _results_at_thresholds(t):
    """Results whose every checked value sits exactly on its threshold (all must PASS)."""
    point = {"model": "bert-base", "batch": 8, "length": 128}
    return {
        "inference": [
            dict(
                point,
                **{
                    "keras/sdpa": t["keras/sdpa"],
                    "sdpa/eager": t["sdpa/eager"],
                    "twin/transformers": t["twin/transformers"],
                    "keras tf.function %roof": t["keras %roof"],
                },
            ),
            dict(point, batch=1, **{"keras/sdpa": t["keras/sdpa batch 1"], "sdpa/eager": t["sdpa/eager"]}),
        ],
        "training": [
            {"model": "bert-base", "impl": "keras train_on_batch (tf.function)", "vs_twin": t["train vs twin"]},
            {"model": "bert-base", "impl": "twin sdpa + torch.optim.AdamW", "vs_twin": 1.0},
        ],
        "retrace": [{"function": "predict_fn (tf.function)", "traces_after_warmup": t["retraces"]}],
        "precision": [
            {"variant": "fp32", "cosine_min": 1.0, "argmax_agreement": 1.0},
            {"variant": "int8", "cosine_min": t["cosine_min"], "argmax_agreement": t["argmax_agreement"]},
        ],
        "input_checks": [
            dict(point, **{"checked/unchecked": t["checked/unchecked"], "CI95 low": 0.98, "CI95 high": 0.995})
        ],
    }


# (section, row index, column, step that misses the threshold)
MISSES = [
    ("inference", 0, "keras/sdpa", -1e-9),
    ("inference", 1, "keras/sdpa", -1e-9),
    ("inference", 0, "sdpa/eager", -1e-9),
    ("inference", 0, "twin/transformers", -1e-9),
    ("inference", 0, "keras tf.function %roof", -1e-9),
    ("training", 0, "vs_twin", +1e-9),
    ("retrace", 0, "traces_after_warmup", +1),
    ("precision", 1, "cosine_min", -1e-9),
    ("precision", 1, "argmax_agreement", -1e-9),
    ("input_checks", 0, "checked/unchecked", -1e-9),
]


def test_acceptance_passes_on_every_threshold(bench):
    checks = bench.report.acceptance(_results_at_thresholds(bench.report.THRESHOLDS))
    assert len(checks) == 11 and {c["ok"] for c in checks} == {"PASS"}, checks


@pytest.mark.parametrize("section,index,column,step", MISSES)
def test_acceptance_fails_exactly_the_check_whose_threshold_is_crossed(bench, section, index, column, step):
    results = _results_at_thresholds(bench.report.THRESHOLDS)
    row = results[section][index]
    row[column] += step
    checks = bench.report.acceptance(results)
    failed = [c for c in checks if c["ok"] == "FAIL"]
    assert len(failed) == 1 and failed[0]["value"] == row[column], failed


def test_acceptance_labels(bench):
    """The check names stay those of earlier reports (BENCHMARKS.md quotes them)."""
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
        "input_checks": [
            {"model": "bert-base", "batch": 8, "length": 128, "checked/unchecked": 0.985},
            {"model": "bert-base", "batch": 8, "length": 128, "checked/unchecked": 0.985},
        ],
    }
    results["input_checks"][0].update({"CI95 low": 0.97, "CI95 high": 1.001})  # no measurable difference
    results["input_checks"][1].update({"CI95 low": 0.98, "CI95 high": 0.99})  # a cost, and over 1%
    checks = [(c["check"], c["ok"]) for c in bench.report.acceptance(results)]
    assert checks == [
        ("keras >= 1.0x twin sdpa, bert-base 8x128", "PASS"),
        ("twin sdpa >= twin eager, bert-base 8x128", "FAIL"),
        ("twin within 5% of transformers, bert-base 8x128", "PASS"),
        ("keras >= 0.9x twin sdpa, bert-base 1x128", "PASS"),
        ("twin sdpa >= twin eager, bert-base 1x128", "PASS"),
        ("twin within 5% of transformers, bert-base 1x128", "FAIL"),
        ("keras >= 85% of matmul roofline, bert-base 8x128", "PASS"),
        ("keras train step <= 1.1x twin (bert-base)", "FAIL"),
        ("zero retraces: predict_fn (tf.function)", "FAIL"),
        ("int8 embedding cosine >= 0.99 (min)", "PASS"),
        ("int8 argmax agreement >= 99%", "FAIL"),
        ("input checks cost < 1%, bert-base 8x128", "PASS"),
        ("input checks cost < 1%, bert-base 8x128", "FAIL"),
    ]


def test_table_has_one_line_per_row_and_the_columns_given(bench):
    rows = [{"a": 1, "b": 2.0}, {"a": 3, "c": 12345.678}]
    assert bench.report.table(rows) == "| a | b | c |\n|---|---|---|\n| 1 | 2 |  |\n| 3 |  | 12,345.7 |\n"
    assert bench.report.table(rows, ["c", "a"]) == "| c | a |\n|---|---|\n|  | 1 |\n| 12,345.7 | 3 |\n"
    assert bench.report.table([]) == "(no rows)\n"


# -- the inference section end to end, on a fake clock ----------------------------------------------
PER_TOKEN_S = {  # seconds per token of each fake implementation
    "keras tf.function": 1.0e-6,
    "twin sdpa": 1.2e-6,
    "twin eager": 1.1e-6,  # faster than sdpa: sdpa/eager fails
    "transformers sdpa": 1.25e-6,
}
GEMM_S = 0.01


def _tiny_checkpoints(tmp_path, make_tiny_config):
    import keras_bert

    ckpts = {}
    for name in ("bert-base", "minilm"):  # the quick grid's names
        model = keras_bert.TFBertModel(make_tiny_config(vocab_size=1100, max_position_embeddings=128))
        model.build()
        model.save_pretrained(str(tmp_path / name))
        ckpts[name] = str(tmp_path / name)
    return ckpts


def test_inference_rows_and_report_follow_the_fake_timings(bench, clock, make_tiny_config, monkeypatch, tmp_path):
    """tokens/s = batch*length/time, ratios = ratios of the timings, the table shows what ran."""
    import keras_bert

    inference = bench.inference
    ckpts = {}
    for name in ("bert-base", "minilm"):  # the quick grid's names; only config.json is read
        make_tiny_config(vocab_size=1100).save_pretrained(str(tmp_path / name))
        ckpts[name] = str(tmp_path / name)

    def fake_impls(path, want_xla=True):
        return {name: (lambda i, m, s=s: clock.takes(s * i.size)()) for name, s in PER_TOKEN_S.items()}

    monkeypatch.setattr(inference, "load_impls", fake_impls)
    monkeypatch.setattr(inference, "gemm_impl", lambda: clock.takes(GEMM_S))
    budget = bench.timing.Budget(0.0, 1.0, 6, 6)
    monkeypatch.setitem(inference.BUDGET, "quick", budget)
    best_gemm = 50.0  # GFLOP/s, below the interleaved GEMM's rate: that one is the roofline
    context = bench.sections.Context(quick=True, workdir=str(tmp_path), roofline_gflops=best_gemm)
    context._checkpoints = ckpts
    results = bench.cli.run_sections(["inference"], context)
    rows = results["inference"]

    assert [(r["model"], r["batch"], r["length"]) for r in rows] == [
        ("bert-base", 8, 128),
        ("minilm", 1, 128),
        ("minilm", 8, 128),
    ]
    gemm_gflops = bench.roofline.GEMM_FLOP / GEMM_S / 1e9
    config = keras_bert.BertConfig.from_pretrained(ckpts["minilm"])
    for r in rows:
        assert r["gemm_gflops"] == round(gemm_gflops, 1)
        for name, s in PER_TOKEN_S.items():
            seconds = s * r["batch"] * r["length"]
            tps = r["batch"] * r["length"] / seconds
            assert r[name] == pytest.approx(round(tps, 1), abs=0.051)
            roof = 100 * tps * bench.workload.flops_per_token(config, r["length"]) / 1e9 / max(gemm_gflops, best_gemm)
            assert r[name + " %roof"] == pytest.approx(round(roof, 1), abs=0.051)
        assert r["keras/sdpa"] == round(1.2 / 1.0, 3)
        assert r["twin/transformers"] == round(1.25 / 1.2, 3)
        assert r["sdpa/eager"] == round(1.1 / 1.2, 3)
        assert r["sdpa/eager CI95"] == f"{1.1 / 1.2:.3f}-{1.1 / 1.2:.3f}"  # constant ratio: a point interval
        assert r["A/B rounds"] == 6  # it excludes 1 at once: no rounds added

    results["acceptance"] = checks = bench.report.acceptance(results)
    failed = [c["check"] for c in checks if c["ok"] == "FAIL"]
    sdpa_eager = [f"twin sdpa >= twin eager, {m} {b}x128" for m, b in [("bert-base", 8), ("minilm", 1), ("minilm", 8)]]
    # The tiny model does ~12% of the GEMM's FLOP rate: the roofline check must fail on that value.
    assert failed == sdpa_eager + ["keras >= 85% of matmul roofline, bert-base 8x128"]
    roof_check = next(c for c in checks if "roofline" in c["check"])
    assert roof_check["value"] == rows[0]["keras tf.function %roof"] < 85

    results.update(machine={"cpu": "fake"}, roofline={"float32": {"tf_gflops": 1.0}})
    text = bench.report.render(results)
    columns = [c for c in bench.report.COLUMNS["inference"] if c in rows[0]]
    assert "keras XLA" not in columns and "skipped" not in columns
    lines = text.splitlines()
    header = lines.index("| " + " | ".join(columns) + " |")
    assert lines[header - 2] == bench.report.TITLES["inference"]
    for i, r in enumerate(rows):
        assert lines[header + 2 + i] == "| " + " | ".join(bench.report.fmt(r[c]) for c in columns) + " |"
    for c in checks:
        assert f"| {c['check']} | {bench.report.fmt(c['value'])} | {c['ok']} |" in lines


@pytest.mark.slow
def test_inference_implementations_agree_on_a_tiny_checkpoint(bench, make_tiny_config, tmp_path):
    """Every implementation reads the same weights: the same last_hidden_state from each."""
    ckpt = _tiny_checkpoints(tmp_path, make_tiny_config)["minilm"]
    impls = bench.inference.load_impls(ckpt, want_xla=False)
    assert {"keras tf.function", "twin sdpa", "twin eager"} <= set(impls)
    ids, mask = bench.workload.random_batch(2, 9, 1100)
    mask[1, 6:] = 0
    outs = {name: fn(ids, mask) for name, fn in impls.items()}
    ref = outs["twin eager"]
    for name, out in outs.items():
        np.testing.assert_allclose(out[mask == 1], ref[mask == 1], atol=1e-4, rtol=1e-4, err_msg=name)


# -- input checks -----------------------------------------------------------------------------
def test_input_checks_pair_shares_weights_and_switches_checks_off_on_one(bench, make_tiny_config):
    ic = bench.input_checks
    fns = ic.build_pair(make_tiny_config(vocab_size=1100))
    assert set(fns) == {ic.CHECKED, ic.UNCHECKED}
    assert getattr(fns[ic.CHECKED].model, "check_inputs", True) is True
    assert fns[ic.UNCHECKED].model.check_inputs is False
    ids, mask = bench.workload.random_batch(2, 16, 1100)
    impls = ic.as_impls(fns)
    np.testing.assert_array_equal(impls[ic.CHECKED](ids, mask), impls[ic.UNCHECKED](ids, mask))

    row = ic.measure(impls, 1100, 2, 16, bench.timing.Budget(0.05, 0.3, 6, 6))  # real timings, a short cap
    assert row["CI95 low"] <= row["checked/unchecked"] <= row["CI95 high"]
    assert row["A/B rounds"] >= 6 and (row["A/B rounds"] - 6) % 10 == 0


@pytest.mark.parametrize(
    "checked_s,rounds,ok",
    [
        (0.0101, 6, "PASS"),  # 0.99 speed ratio, resolved at once: cost < 1%
        (0.0102, 6, "FAIL"),  # 0.98: a cost over 1%
        (0.0100, 6, "PASS"),  # identical: no cost, settled at once
    ],
)
def test_input_checks_ratio_interval_and_verdict_follow_the_fake_timings(bench, clock, checked_s, rounds, ok):
    ic = bench.input_checks
    impls = {ic.CHECKED: clock.takes(checked_s), ic.UNCHECKED: clock.takes(0.01)}
    row = ic.measure(impls, 1100, 8, 128, bench.timing.Budget(0.0, 1.0, 6, 6))
    assert row["checked/unchecked"] == round(0.01 / checked_s, 4)
    assert row["CI95 low"] == row["CI95 high"] == row["checked/unchecked"]
    assert row["checked tok/s"] == round(8 * 128 / checked_s, 1) and row["unchecked tok/s"] == 8 * 128 / 0.01
    assert row["A/B rounds"] == rounds
    (check,) = bench.report.acceptance({"input_checks": [dict(model="bert-base", **row)]})
    assert check == {"check": "input checks cost < 1%, bert-base 8x128", "value": row["checked/unchecked"], "ok": ok}


def test_input_checks_noisy_pairs_run_to_the_cap_and_pass_on_an_interval_containing_one(bench, clock):
    ic = bench.input_checks
    steps = iter([0.0095, 0.0105] * 1000)  # checked alternates 5% either side of unchecked
    impls = {ic.CHECKED: lambda *_: clock.takes(next(steps))(), ic.UNCHECKED: clock.takes(0.01)}
    row = ic.measure(impls, 1100, 8, 128, bench.timing.Budget(0.0, 1.0, 6, 6))
    assert row["CI95 low"] < 0.99 and row["CI95 high"] > 1.0
    # Unsettled: 10 rounds of 0.02 s added while warm-up + rounds so far + 10 more fit in the 1 s cap,
    # 0.02 * (1 + 36) + 0.2 <= 1 < 0.02 * (1 + 46) + 0.2.
    assert row["A/B rounds"] == 46
    (check,) = bench.report.acceptance({"input_checks": [dict(model="bert-base", **row)]})
    assert check["ok"] == "PASS"


def test_input_checks_stop_rule(bench):
    settled = bench.input_checks.settled
    assert settled(1.0, 0.995, 1.01)  # cost under 1% shown
    assert not settled(1.0, 0.98, 1.02)  # undecided
    assert settled(0.97, 0.96, 0.98)  # a cost shown


# -- command line -----------------------------------------------------------------------------
def test_sections_are_selected_in_run_order_and_unknown_names_are_errors(bench):
    assert bench.cli.selected_sections("serving,inference") == ["inference", "serving"]
    assert "input_checks" in bench.cli.parse_args([]).sections
    with pytest.raises(ValueError, match="unknown section\\(s\\) 'speed'; expected some of inference,"):
        bench.cli.selected_sections("inference,speed")


def test_entry_point_help_lists_every_flag_and_section_without_loading_frameworks():
    env = {**os.environ, "PYTHONPATH": ""}
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tools", "benchmark.py"), "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    for flag in ("--quick", "--json", "--classifier", "--sentences", "--default-malloc", "--sections"):
        assert flag in out.stdout
    sections = ("inference", "retrace", "training", "precision", "input_checks", "tokenizer", "serving")
    for section in (*sections, "backends", "unpadded"):
        assert f"\n  {section}  " in out.stdout
    # Importing the command line sets no environment variable and loads neither framework.
    probe = (
        "import os, sys; before = dict(os.environ); sys.path.insert(0, sys.argv[1]); "
        "import benchmarking.cli, benchmarking.timing, benchmarking.report; "
        "assert dict(os.environ) == before; assert 'tensorflow' not in sys.modules and 'torch' not in sys.modules"
    )
    out = subprocess.run([sys.executable, "-c", probe, os.path.join(ROOT, "tools")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_precision_tflite_variant_agrees_with_fp32_and_its_directory_goes(bench, make_tiny_config, monkeypatch):
    """The int8 TFLite variant: one export per model into the section's temporary directory, outputs
    as the predict_fn variants give them (the embedding pooling and the speed impls read both)."""
    import keras

    import keras_bert

    precision = importlib.import_module("kb_benchmarking.sections.precision")
    seen = []
    monkeypatch.setattr(precision, "_run", lambda context, directory: seen.append(directory) or [])
    assert precision.run(SimpleNamespace()) == [] and len(seen) == 1 and not os.path.exists(seen[0])

    import tempfile

    keras.utils.set_random_seed(0)
    config = make_tiny_config(vocab_size=1100, max_position_embeddings=128)
    model, head = keras_bert.TFBertModel(config), keras_bert.TFBertForSequenceClassification(config)
    ids = np.random.default_rng(0).integers(1000, 1100, (3, 16)).astype("int32")
    mask = np.ones_like(ids)
    mask[1, 10:] = mask[2, 4:] = 0
    with tempfile.TemporaryDirectory() as directory:
        fns = precision.predict_fns({"fp32": (model, None)}, ["last_hidden_state"], directory)
        logits = precision.predict_fns({"fp32": (head, None)}, ["logits"], directory)
        assert list(fns) == list(logits) == ["fp32", precision.TFLITE]
        assert sorted(os.listdir(directory)) == ["0-TFBertModel.tflite", "1-TFBertForSequenceClassification.tflite"]
        h = {k: np.asarray(fn(ids, mask)["last_hidden_state"]) for k, fn in fns.items()}
        m = mask[..., None].astype("float32")
        pooled = {k: (v * m).sum(1) / m.sum(1) for k, v in h.items()}
        a, b = (v / np.linalg.norm(v, axis=1, keepdims=True) for v in pooled.values())
        assert (a * b).sum(1).min() > 0.99
        assert not h[precision.TFLITE][mask == 0].any()  # zeros at padding, which the pooling ignores
        out = {k: np.asarray(fn(ids, mask)["logits"]) for k, fn in logits.items()}
        assert out[precision.TFLITE].shape == out["fp32"].shape == (3, config.num_labels)
        assert np.abs(out[precision.TFLITE] - out["fp32"]).max() < 0.1
