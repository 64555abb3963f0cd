"""tools/benchmarking/peers: worker protocol and interleaving, env cache logic, padding workloads,
table rows and the issue #17 acceptance lines, without building an environment or using the network.

The protocol test runs the real worker.py main loop and the real pool/timing code in subprocesses
whose runner is a stand-in (a fake contender script); it checks the turn order from a call log,
never a time.
"""

import importlib
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from types import SimpleNamespace

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = os.path.join(ROOT, "tools")
PACKAGE = os.path.join(TOOLS, "benchmarking")


@pytest.fixture(scope="module")
def peers():
    """The package loaded from its path under a private name (tools/ is not on sys.path)."""
    name = "kb_benchmarking_peers"
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(PACKAGE, "__init__.py"), submodule_search_locations=[PACKAGE]
    )
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    names = ("batches", "contenders", "envs", "pool", "tables")
    modules = {m: importlib.import_module(f"{name}.peers.{m}") for m in names}
    modules["report"] = importlib.import_module(f"{name}.report")
    modules["cli"] = importlib.import_module(f"{name}.cli")
    return SimpleNamespace(**modules)


# -- padding workloads -------------------------------------------------------------------------------
@pytest.mark.parametrize("batch,length,padding", [(1, 128, 0.25), (8, 128, 0.25), (8, 128, 0.5), (32, 64, 0.3)])
@pytest.mark.parametrize("seed", [0, 1, 7])
def test_fixed_padding_batches_have_the_exact_padding_share(peers, batch, length, padding, seed):
    made = peers.batches.fixed_padding_batches(batch, length, padding, count=3, seed=seed)
    for ids, mask in made:
        assert ids.shape == mask.shape == (batch, length)
        assert mask.sum() == batch * length - round(padding * batch * length)
        lengths = mask.sum(1)
        assert lengths.min() >= peers.batches.MIN_LENGTH
        # right padded, [CLS] first and [SEP] last on every row, 0 at padding
        for row, n in zip(ids, lengths):
            assert row[0] == 101 and row[n - 1] == 102 and not row[n:].any()
            assert (mask[0, : lengths[0]] == 1).all()
    assert peers.batches.padding_share(made) == pytest.approx(round(padding * batch * length) / (batch * length))
    assert peers.batches.real_tokens(made) == sum(int(m.sum()) for _, m in made)


def test_fixed_padding_rejects_an_impossible_share(peers):
    with pytest.raises(ValueError, match=r"padding 0.99 of 8x128 leaves 10 real tokens; expected between 64"):
        peers.batches.fixed_padding_batches(8, 128, 0.99, count=1)


def test_batches_round_trip_through_npz(peers, tmp_path):
    made = peers.batches.fixed_padding_batches(4, 16, 0.25, count=2)
    back = peers.batches.load(peers.batches.save(made, str(tmp_path / "p.npz")))
    assert len(back) == 2
    for (a, b), (c, d) in zip(made, back):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


def test_ascii_corpus_uses_60_vocabulary_words(peers, tmp_path):
    vocab = tmp_path / "vocab.txt"
    words = [f"w{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}{chr(97 + i // 676)}" for i in range(2000)]
    vocab.write_text("\n".join(["[PAD]", "##ing", "42"] + words))
    corpus = peers.batches.ascii_corpus(str(vocab), 200)
    words = {w for s in corpus for w in s.split()}
    assert len(corpus) == 200 and len(words) == 60
    assert all(8 <= len(s.split()) <= 40 for s in corpus)


# -- environment cache ---------------------------------------------------------------------------------
def fake_pip(calls, fail_at=None):
    """Stands in for subprocess.run: the venv step creates bin/python; step `fail_at` exits 1."""

    def run(command, stdout=None):
        calls.append(command)
        if len(calls) == fail_at:
            stdout.write("ERROR: No matching distribution found for nothing==9\n")
            stdout.flush()
            return SimpleNamespace(returncode=1)
        if command[1:3] == ["-m", "venv"]:
            os.makedirs(os.path.join(command[3], "bin"))
            open(os.path.join(command[3], "bin", "python"), "w").close()
        return SimpleNamespace(returncode=0)

    return run


def test_env_dir_names_and_hash_follow_the_pins(peers, tmp_path):
    envs = peers.envs
    a = envs.EnvSpec("x", (("pkg==1.0",),))
    b = envs.EnvSpec("x", (("pkg==1.1",),))
    assert a.dirname.startswith("x-") and len(a.digest) == 10
    assert a.digest != b.digest and a.digest == envs.EnvSpec("x", (("pkg==1.0",),)).digest
    assert envs.env_dir(a, str(tmp_path)) == str(tmp_path / a.dirname)
    assert envs.env_dir(a).startswith(os.path.join(os.path.expanduser("~"), ".cache", "keras_bert", "peers"))
    assert set(envs.SPECS) == {"tf457", "kerashub", "ort"}
    assert envs.SPECS["ort"].steps[0] == ("torch==2.13.0",)  # torch alone, first


def test_env_marker_written_last_reused_and_rebuilt_when_missing(peers, tmp_path):
    envs = peers.envs
    spec = envs.EnvSpec("demo", (("a==1",), ("b==2", "c")))
    calls, lines = [], []
    python = envs.ensure(spec, str(tmp_path), log=lines.append, runner=fake_pip(calls))
    path = envs.env_dir(spec, str(tmp_path))
    assert python == os.path.join(path, "bin", "python")
    assert [c[-1] for c in calls] == [path, "pip", "a==1", "c"]  # venv, pip upgrade, then the steps in order
    assert envs.is_complete(path) and any("[4/4]" in line for line in lines)
    assert json.loads(open(os.path.join(path, envs.MARKER)).read()) == [["a==1"], ["b==2", "c"]]
    envs.ensure(spec, str(tmp_path), log=lines.append, runner=fake_pip(calls))
    assert len(calls) == 4  # complete: reused, pip not run
    os.remove(os.path.join(path, envs.MARKER))  # a build killed before its marker
    stale = os.path.join(path, "stale")
    open(stale, "w").close()
    envs.ensure(spec, str(tmp_path), log=lines.append, runner=fake_pip(calls))
    assert len(calls) == 8 and not os.path.exists(stale) and envs.is_complete(path)
    assert any("incomplete build" in line for line in lines)


def test_env_progress_lines_while_a_step_runs(peers, tmp_path):
    logfile = tmp_path / "x.log"
    lines = []
    with open(logfile, "w") as out:
        script = "import time; print('Collecting onnx', flush=True); time.sleep(0.5)"
        done = peers.envs.run_with_progress(
            [sys.executable, "-c", script], out, lines.append, str(logfile), every_s=0.1
        )
    assert done.returncode == 0 and lines and lines[-1].endswith("Collecting onnx")


def test_env_failed_step_raises_naming_it_and_leaves_no_marker(peers, tmp_path):
    envs = peers.envs
    spec = envs.EnvSpec("demo", (("a==1",), ("nothing==9",)))
    with pytest.raises(
        envs.EnvError, match=r"demo: step 4 \(install --progress-bar off nothing==9\) exited 1.*No matching"
    ):
        envs.ensure(spec, str(tmp_path), log=lambda m: None, runner=fake_pip([], fail_at=4))
    assert not envs.is_complete(envs.env_dir(spec, str(tmp_path)))


# -- worker protocol and interleaving, with a fake contender --------------------------------------------
FAKE = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, {tools!r})
    from benchmarking.peers import worker
    from benchmarking.peers.runner import Runner

    kind, spec, log = sys.argv[1], sys.argv[2], {log!r}

    def make(kind, spec):
        if kind == "broken":
            raise ValueError("no such checkpoint: /nowhere")
        calls = []

        def forward(ids, mask):
            calls.append(1)
            if kind == "dies" and len(calls) > 3:  # warm-up: 2 passes of point 0, 1 of point 1; dies when timed
                os._exit(3)
            with open(log, "a") as f:
                f.write(kind + "\\n")
            scale = 2.0 if kind == "double" else 1.0
            return scale * (ids[..., None] + np.arange(8)).astype("float32")

        return Runner(forward, "fake " + kind)

    import numpy as np
    worker.main(kind, spec, make=make)
    """
)


def test_worker_protocol_interleaves_in_rotated_order_and_drops_failures(peers, tmp_path):
    pool, batches = peers.pool, peers.batches
    log = tmp_path / "calls.log"
    script = tmp_path / "fake_contender.py"
    script.write_text(FAKE.format(tools=TOOLS, log=str(log)))
    points = [
        batches.save(batches.fixed_padding_batches(2, 16, 0.25, 1, seed=i), str(tmp_path / f"p{i}.npz")) for i in (0, 1)
    ]
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(dict(task="model", points=points, checkpoint="unused")))
    names = ("single", "double", "broken", "dies")
    workers = [pool.Worker(n, sys.executable, n, str(spec), main_venv=False, script=str(script)) for n in names]
    try:
        ready = {w.name: w.wait_ready(timeout=120) for w in workers}
        assert ready["broken"] == {"error": "ValueError: no such checkpoint: /nowhere"}
        assert ready["single"]["version"] == "fake single" and len(ready["single"]["points"]) == 2
        probe = np.asarray(ready["single"]["points"][0]["probe"])
        ids, mask = batches.load(points[0])[0]
        want = (ids[:2, :8, None] + np.arange(8)) * mask[:2, :8, None]
        np.testing.assert_array_equal(probe, want)
        np.testing.assert_array_equal(np.asarray(ready["double"]["points"][0]["probe"]), 2 * want)
        log.write_text("")
        times = pool.time_points(workers, 2, repeats=3, min_seconds=0)
    finally:
        for w in workers:
            w.close()
    assert [sorted(t) for t in times] == [["double", "single"]] * 2
    assert all(len(v) == 3 for t in times for v in t.values())
    assert workers[3].ready["error"].startswith("dies: stopped answering")
    # one batch per call; each point: repeat r starts at worker r mod n, so the order rotates
    calls = log.read_text().split()
    assert calls[:3] == ["single", "double", "single"]  # "dies" answered nothing: its turn left no line
    assert calls[-6:] == ["single", "double", "double", "single", "single", "double"]


# -- rows and acceptance --------------------------------------------------------------------------------
def test_worker_error_is_one_line_with_the_last_line_of_a_traceback(peers):
    worker = importlib.import_module("kb_benchmarking_peers.peers.worker")
    error = TypeError("in user code:\n\n    File x.py, line 3\n\n    TypeError: bf16 kernel for float32 input\n")
    assert worker.describe(error) == "TypeError: in user code: ... TypeError: bf16 kernel for float32 input"
    assert worker.describe(ValueError("bad")) == "ValueError: bad"


def test_model_rows_ratio_over_best_padded_peer_and_errors(peers):
    C, tables = peers.contenders.Contender, peers.tables
    members = (
        C("ours", "k", peer=False),
        C("ours unpadded", "ku", peer=False, unpadded=True),
        C("peer a", "a"),
        C("peer b", "b"),
        C("peer broken", "x", env="e"),
    )
    point = tables.Point("A", "8x128 25% pad", real_tokens=768, padding=0.25)
    times = [
        {
            "ours": [1.0, 1.0, 2.0],
            "ours unpadded": [0.5, 0.5, 1.0],
            "peer a": [2.0, 2.0, 4.0],
            "peer b": [1.5, 1.6, 3.0],
        }
    ]
    probe = np.zeros((2, 8, 8)).tolist()
    ready = {n: {"points": [{"probe": probe}], "version": "v"} for n in times[0]}
    ready["peer a"]["points"][0]["probe"] = np.full((2, 8, 8), 0.25).tolist()
    ready["peer broken"] = {"error": "tf457: step 3\n exited | 1"}
    rows = tables.model_rows("fp32", [point], members, ready, times, [probe])
    by = {r["contender"]: r for r in rows}
    assert by["ours"]["real tok/s"] == 768.0 and by["ours"]["best peer"] == "peer b"
    assert by["ours"]["vs best peer"] == pytest.approx(1.5)  # median of 1.5, 1.6, 1.5
    assert by["ours unpadded"]["vs best peer"] == pytest.approx(3.0)
    assert by["peer a"]["max |diff|"] == 0.25 and by["ours"]["max |diff|"] == 0.0
    assert by["peer broken"] == dict(
        table="A",
        point="8x128 25% pad",
        padding="25.0%",
        precision="fp32",
        contender="peer broken",
        error="tf457: step 3 exited / 1",
    )


def test_tokenizer_rows_exactness_and_ratios(peers):
    C = peers.contenders.Contender
    members = (C("ours", "o", peer=False), C("tf", "t"), C("rust", "r"))
    ref = [[[101, 5, 102], [101, 6, 102]]]
    ready = {
        "ours": {"points": [{"ids": ref[0]}]},
        "tf": {"points": [{"ids": [[101, 5, 102], [101, 7, 102]]}]},
        "rust": {"points": [{"ids": ref[0]}]},
    }
    times = [{"ours": [1.0, 1.0], "tf": [2.0, 2.0], "rust": [4.0, 4.0]}]
    rows = peers.tables.tokenizer_rows([("ascii", 2)], members, ready, times, ref, "tf", "rust")
    by = {r["contender"]: r for r in rows}
    assert by["ours"]["strings/s"] == 2.0 and by["ours"]["exact"] == 1.0
    assert by["ours"]["vs transformers 4.57"] == 2.0 and by["ours"]["vs Rust"] == 4.0
    assert by["tf"]["exact"] == 0.5 and "vs transformers 4.57" not in by["tf"]


def peer_results(peers, unpadded=1.5, int8=1.1, bf16=0.9, tok_tf=1.2, tok_rust=3.5, exact=1.0, broken=None):
    names = peers.contenders
    ort = next(c.name for c in names.MODEL_GROUPS["int8"] if c.peer)
    rows = [dict(table="header", gemm_fp32_gflops=190.0)]
    for point in ("examples/data b8", "8x128 half padded"):
        rows.append(dict(table="B", point=point, contender="keras_bert unpadded", **{"vs best peer": unpadded}))
    for point in ("1x128 25% pad", "8x128 25% pad"):
        rows.append(
            dict(table="A", point=point, contender="keras_bert int8", **{"vs best peer": int8, "best peer": ort})
        )
        rows.append(dict(table="A", point=point, contender="keras_bert bf16", **{"vs best peer": bf16}))
    for corpus in ("ASCII", "multilingual"):
        row = dict(table="C", corpus=corpus, contender=names.TOKENIZER_OURS, exact=exact)
        row.update({"vs transformers 4.57": tok_tf, "vs Rust": tok_rust})
        rows.append(row)
    if broken:
        for r in rows:
            if r.get("contender") == broken:
                for key in ("vs best peer", "best peer"):
                    r.pop(key, None)
                r["error"] = "TypeError: predict_fn() got an unexpected keyword argument 'quantize'"
    return {"peers": rows}


def test_acceptance_lines_pass_and_fail_on_the_thresholds(peers):
    lines = peers.report.acceptance(peer_results(peers))
    got = {(line["check"].split(":")[0], line["ok"]) for line in lines}
    assert got == {
        ("item 1", "PASS"),
        ("item 2", "PASS"),
        ("item 2 reference (not a check)", "info"),
        ("item 3", "FAIL"),
        ("item 4", "PASS"),
    }
    assert len(lines) == 2 + 2 * 2 + 2 + 6
    label = (
        "item 1: best keras_bert unpadded row (keras_bert unpadded) >= 1.4x best padded fp32 peer, 8x128 half padded"
    )
    assert label in {l["check"] for l in lines}
    lines = peers.report.acceptance(peer_results(peers, unpadded=1.39, bf16=1.0, tok_rust=2.9, exact=0.999))
    ok = {line["check"]: line["ok"] for line in lines}
    assert [k for k, v in ok.items() if v == "FAIL"] == [k for k in ok if k.startswith("item 1")] + [
        k for k in ok if "Rust" in k or "exact" in k
    ]


def test_item_1_takes_the_best_unpadded_fp32_row_and_gives_the_padding_ceiling(peers):
    """Item 1 over every keras_bert unpadded fp32 row (predict_fn, the packed TFLite file), naming
    the best; its reference line is 1 / (1 - padding share), what skipping the padding alone gives."""
    packed = "keras_bert TFLite packed (XNNPACK, unpadded)"
    rows = [
        dict(table="B", point="b8", padding="26.0%", precision="fp32", contender=name, **{"vs best peer": ratio})
        for name, ratio in (("keras_bert", 0.8), ("keras_bert unpadded", 1.1), (packed, 1.29))
    ]
    best, ceiling = peers.report.acceptance({"peers": rows})
    assert best == dict(
        check=f"item 1: best keras_bert unpadded row ({packed}) >= 1.4x best padded fp32 peer, b8",
        value=1.29,
        ok="FAIL",
    )
    assert ceiling["ok"] == "info" and ceiling["value"] == round(1 / 0.74, 3)
    rows[2]["vs best peer"] = 1.5
    assert peers.report.acceptance({"peers": rows})[0]["ok"] == "PASS"
    rows[2].pop("vs best peer")
    rows[2]["error"] = "RuntimeError: x"
    best, _ = peers.report.acceptance({"peers": rows})
    assert (
        best["check"].startswith("item 1: best keras_bert unpadded row (keras_bert unpadded)") and best["value"] == 1.1
    )


def test_acceptance_missing_rows_fail_with_the_reason(peers):
    lines = peers.report.acceptance(peer_results(peers, broken="keras_bert int8"))
    item2 = [line for line in lines if line["check"].startswith("item 2:")]
    assert len(item2) == 2 and all(line["ok"] == "FAIL" for line in item2)
    assert item2[0]["value"].startswith("missing: TypeError: predict_fn() got an unexpected keyword argument")
    reference = [line for line in lines if line["check"].startswith("item 2 reference")]
    assert len(reference) == 2 and {line["ok"] for line in reference} == {"info"}
    assert reference[0]["value"].startswith("missing: TypeError: predict_fn()")
    results = peer_results(peers)
    results["peers"] = [
        r for r in results["peers"] if r.get("table") != "C" or r["contender"] != "keras_bert TFBertTokenizer"
    ]
    results["peers"].append(dict(table="C", corpus="ASCII", contender="Rust tokenizers", **{"strings/s": 1.0}))
    item4 = [line for line in peers.report.acceptance(results) if line["check"].startswith("item 4")]
    assert len(item4) == 3 and {(line["value"], line["ok"]) for line in item4} == {("missing: no row", "FAIL")}
    # int8 timed without ORT int8 beside it: not a pass
    results = peer_results(peers)
    results["peers"][3]["best peer"] = "something else"
    line = peers.report.acceptance(results)[2]
    assert line["ok"] == "FAIL" and line["value"] == "missing: ONNX Runtime int8 (dynamic) not timed"
    # precision section's int8 agreement joins item 2 when that section ran
    results = peer_results(peers)
    results["precision"] = [dict(variant="int8 (model.quantize)", argmax_agreement=0.98, cosine_min=0.995)]
    agreement = [line for line in peers.report.acceptance(results) if line["check"].startswith("item 2: int8")]
    assert [(line["value"], line["ok"]) for line in agreement] == [(0.98, "FAIL"), (0.995, "PASS")]
    assert peers.report.acceptance({}) == []


def test_render_shows_header_and_the_three_tables(peers):
    results = peer_results(peers, broken="keras_bert bf16")
    text = peers.report.render_peers(results["peers"])
    assert "gemm_fp32_gflops 190.0" in text
    for key in ("(A)", "(B)", "(C)"):
        assert key in text
    a_table = text.split("(A)")[1].split("####")[0]
    header = [line for line in a_table.splitlines() if line.startswith("| ")][0]
    assert header.rstrip(" |").endswith("error")  # the error column last


def test_peers_section_is_in_the_default_and_quick_runs():
    out = subprocess.run(
        [sys.executable, os.path.join(TOOLS, "benchmark.py"), "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "--peers-dir DIR" in out and "peers      keras_bert" in out
    text = open(os.path.join(PACKAGE, "cli.py")).read()
    assert '"peers": "peers"' in text


def test_peer_tokenizers_section_is_table_c_alone_and_not_in_the_default_run(peers):
    rows = [r for r in peer_results(peers)["peers"] if r.get("table") in ("header", "C")]
    lines = peers.report.acceptance({"peer_tokenizers": rows})
    assert len(lines) == 6 and {line["check"].split(":")[0] for line in lines} == {"item 4"}
    text = peers.report.render({"machine": {}, "roofline": {}, "peer_tokenizers": rows})
    assert "(C)" in text and "(A)" not in text
    assert "peer_tokenizers" not in peers.cli.parse_args([]).sections
    assert peers.cli.selected_sections("peer_tokenizers,peers") == ["peers", "peer_tokenizers"]


# -- the int8 TFLite contender and the peer_int8 section ----------------------------------------------------
TFLITE = "keras_bert int8 TFLite row by row (XNNPACK, unpadded)"
PACKED = "keras_bert int8 TFLite packed (XNNPACK, unpadded)"


def int8_rows(peers, ratios, point="1x128 25% pad"):
    """Table-A int8 rows as model_rows writes them: {contender: ratio over ORT int8, or an error string}."""
    ort = next(c.name for c in peers.contenders.MODEL_GROUPS["int8"] if c.peer)
    rows = []
    for name, value in ratios.items():
        row = dict(table="A", point=point, padding="25%", precision="int8", contender=name)
        if isinstance(value, str):
            row["error"] = value
        else:
            row.update({"vs best peer": value, "best peer": ort})
        rows.append(row)
    return rows


def test_int8_group_has_the_tflite_contenders_marked_unpadded(peers):
    group = peers.contenders.MODEL_GROUPS["int8"]
    tflite = next(c for c in group if c.kind == "keras_bert-int8-tflite")
    assert tflite.name == TFLITE and not tflite.peer and tflite.unpadded and tflite.env is None
    packed = next(c for c in group if c.kind == "keras_bert-int8-tflite-packed")
    assert packed.name == PACKED and not packed.peer and packed.unpadded and packed.env is None
    fp32 = next(c for c in peers.contenders.MODEL_GROUPS["fp32"] if c.kind == "keras_bert-fp32-tflite-packed")
    assert fp32.name == "keras_bert TFLite packed (XNNPACK, unpadded)" and not fp32.peer and fp32.unpadded
    assert [c.name for c in group if c.peer] == ["ONNX Runtime int8 (dynamic)"]  # still the only peer
    assert peers.contenders.INT8_PLAIN in {c.name for c in group if not c.peer and not c.unpadded}
    # every row that computes real tokens only says so in its label, and only those
    for members in peers.contenders.MODEL_GROUPS.values():
        assert all(c.unpadded == ("unpadded" in c.name) for c in members)
    worker = importlib.import_module("kb_benchmarking_peers.peers.worker")
    assert tflite.kind.startswith(worker.MAIN_VENV)  # its runner lives in main_venv.py
    # the ratio is still over the padded peer: an unpadded row never becomes "best peer"
    point = peers.tables.Point("A", "1x128 25% pad", real_tokens=96, padding=0.25)
    times = [{"keras_bert int8": [2.0] * 3, TFLITE: [0.5] * 3, "ONNX Runtime int8 (dynamic)": [1.0] * 3}]
    rows = peers.tables.model_rows("int8", [point], group, {}, times, None)
    by = {r["contender"]: r for r in rows}
    assert by[TFLITE]["vs best peer"] == 2.0 and by[TFLITE]["best peer"] == "ONNX Runtime int8 (dynamic)"
    assert by["keras_bert int8 unpadded"]["error"] == "not timed"


def test_item_2_uses_the_best_keras_bert_int8_row_and_names_it(peers):
    ort = "ONNX Runtime int8 (dynamic)"
    rows = int8_rows(peers, {"keras_bert int8": 0.6, "keras_bert int8 unpadded": 0.8, TFLITE: 1.3, ort: 1.0})
    lines = peers.report.acceptance({"peer_int8": [dict(table="header")] + rows})
    assert lines == [
        dict(check=f"item 2: best keras_bert int8 row ({TFLITE}) >= 1.0x {ort}, 1x128 25% pad", value=1.3, ok="PASS"),
        dict(
            check=f"item 2 reference (not a check): keras_bert int8 (predict_fn, padded) / {ort}, 1x128 25% pad",
            value=0.6,
            ok="info",
        ),
    ]
    # the TFLite row broken: the best of the others, and it fails on the threshold
    rows = int8_rows(peers, {"keras_bert int8": 0.6, "keras_bert int8 unpadded": 0.8, TFLITE: "RuntimeError: x"})
    best, reference = peers.report.acceptance({"peer_int8": rows})
    assert best["check"].startswith("item 2: best keras_bert int8 row (keras_bert int8 unpadded) >= 1.0x")
    assert (best["value"], best["ok"], reference["value"]) == (0.8, "FAIL", 0.6)
    # every keras_bert int8 row broken: a failing line with the plain row's error
    rows = int8_rows(peers, {"keras_bert int8": "TypeError: quantize", TFLITE: "RuntimeError: x"})
    best, reference = peers.report.acceptance({"peer_int8": rows})
    assert best["check"] == f"item 2: best keras_bert int8 row >= 1.0x {ort}, 1x128 25% pad"
    assert (best["value"], best["ok"]) == ("missing: TypeError: quantize", "FAIL")
    assert (reference["value"], reference["ok"]) == ("missing: TypeError: quantize", "info")


def test_peer_int8_section_gives_item_2_alone_and_renders_table_a(peers):
    rows = [dict(table="header", gemm_fp32_gflops=190.0)]
    for point in ("1x128 25% pad", "8x128 25% pad"):
        rows += int8_rows(peers, {"keras_bert int8": 0.6, TFLITE: 1.2, "ONNX Runtime int8 (dynamic)": 1.0}, point)
    precision = [dict(variant="int8 TFLite (XNNPACK)", argmax_agreement=1.0, cosine_min=0.999)]
    results = {"peer_int8": rows, "precision": precision}
    lines = peers.report.acceptance(results)
    item2 = [line for line in lines if line["check"].startswith("item 2")]
    assert len(item2) == 2 * 2 + 2  # best row and reference per point, then the precision pair
    assert not [line for line in lines if line["check"].startswith(("item 1", "item 3", "item 4"))]
    text = peers.report.render({"machine": {}, "roofline": {}, "peer_int8": rows})
    assert "(A)" in text and "(B)" not in text and TFLITE in text and "int8 group alone" in text
    # run beside the full section: each line names its section, the precision pair comes once
    both = dict(peer_results(peers), **results)
    lines = peers.report.acceptance(both)
    assert all(line["check"].endswith(("[peers]", "[peer_int8]")) for line in lines if line["check"].startswith("item"))
    assert len([line for line in lines if "agreement" in line["check"] and line["check"].startswith("item 2")]) == 1
    assert len([line for line in lines if line["check"].startswith("item 2: best")]) == 2 + 2  # per section
    cli = peers.cli
    assert "peer_int8" not in cli.parse_args([]).sections
    assert cli.selected_sections("peer_int8,peers,peer_tokenizers") == ["peers", "peer_tokenizers", "peer_int8"]


@pytest.fixture(scope="module")
def sections_peers(peers):
    return importlib.import_module("kb_benchmarking_peers.sections.peers")


def fake_checkpoint(path, weights=b"weights"):
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "config.json"), "w") as f:
        f.write("{}")
    with open(os.path.join(path, "model.safetensors"), "wb") as f:
        f.write(weights)
    return str(path)


def test_tflite_cache_path_follows_checkpoint_and_source(sections_peers, tmp_path):
    package = tmp_path / "keras_bert"
    (package / "serving").mkdir(parents=True)
    (package / "layers").mkdir()
    (package / "serving" / "tflite.py").write_text("a = 1\n")
    (package / "layers" / "dense.py").write_text("b = 1\n")
    (package / "inference.py").write_text("c = 1\n")
    ckpt = fake_checkpoint(tmp_path / "ckpt")
    path = sections_peers.tflite_path(str(tmp_path / "root"), ckpt, package_dir=str(package))
    assert path.startswith(str(tmp_path / "root" / "tflite" / "bert-base-")) and path.endswith("int8.tflite")
    assert sections_peers.tflite_path(str(tmp_path / "root"), ckpt, package_dir=str(package)) == path  # stable
    seen = {path}
    for change in (
        lambda: (package / "inference.py").write_text("c = 2\n"),  # frozen_weights shapes the graph too
        lambda: (package / "layers" / "dense.py").write_text("b = 2\n"),
        lambda: (package / "layers" / "new.py").write_text(""),
        lambda: (package / "serving" / "tflite.py").write_text("a = 2\n"),
        lambda: fake_checkpoint(tmp_path / "ckpt", b"other weights"),
    ):
        change()
        seen.add(sections_peers.tflite_path(str(tmp_path / "root"), ckpt, package_dir=str(package)))
    assert len(seen) == 6
    # the real package: its key covers every module of keras_bert
    assert len(sections_peers.source_key()) == 12


def test_peer_int8_runs_table_a_int8_group_alone_on_the_shared_path(sections_peers, monkeypatch, tmp_path):
    built, groups = [], []
    monkeypatch.setattr(sections_peers.envs, "ensure", lambda spec, root: built.append(spec.name) or sys.executable)
    monkeypatch.setattr(sections_peers, "export_onnx", lambda *a: {"int8": "model.int8.onnx"})
    monkeypatch.setattr(
        sections_peers, "export_tflite", lambda ckpt, root, work, kinds: {k: f"{root}/{k}.tflite" for k in kinds}
    )
    probe = np.zeros((2, 8, 8)).tolist()
    monkeypatch.setattr(sections_peers, "reference_in_process", lambda ckpt, points: [probe] * len(points))

    def run_group(tag, members, spec, pythons, work, n_points, plan):
        groups.append((tag, spec))
        names = [c.name for c in members]
        ready = {n: {"points": [{"probe": probe}] * n_points, "version": "v"} for n in names}
        return ready, [{n: [1.0, 1.0, 1.0] for n in names}] * n_points

    monkeypatch.setattr(sections_peers, "run_group", run_group)
    context = SimpleNamespace(
        quick=True,
        workdir=str(tmp_path / "work"),
        roofline_gflops=100.0,
        checkpoints={"bert-base": fake_checkpoint(tmp_path / "ckpt")},
        peers_dir=str(tmp_path / "root"),
    )
    rows = sections_peers.run(context, model_groups=("int8",))
    assert built == ["ort"]  # only the ONNX Runtime environment
    assert [tag for tag, _ in groups] == ["model-int8"]
    spec = groups[0][1]
    assert len(spec["points"]) == 3 and spec["onnx"] == {"int8": "model.int8.onnx"}
    root = context.peers_dir
    assert spec["tflite"] == {
        k: f"{root}/{k}.tflite" for k in ("keras_bert-int8-tflite", "keras_bert-int8-tflite-packed")
    }
    assert rows[0]["table"] == "header" and "load_average_end" in rows[0]
    group = peers_group_names(sections_peers)
    assert [(r["table"], r["point"], r["contender"]) for r in rows[1:]] == [
        ("A", point, name) for point in ("1x128 25% pad", "8x128 25% pad", "1x128 no padding") for name in group
    ]
    assert all(r["max |diff|"] == 0.0 and r["vs best peer"] == 1.0 for r in rows[1:])
    assert sections_peers.needed_envs(tokenizers_only=True) == {"tf457", "kerashub"}
    assert sections_peers.needed_envs() is None


def peers_group_names(sections_peers):
    return [c.name for c in sections_peers.contenders.MODEL_GROUPS["int8"]]


@pytest.fixture(scope="module")
def tiny_bert_checkpoint(tmp_path_factory):
    """A tiny random TFBertModel saved with save_pretrained (the twin reads it too)."""
    import keras

    import keras_bert
    from tests.support.tiny import tiny_config

    keras.utils.set_random_seed(0)
    model = keras_bert.TFBertModel(keras_bert.BertConfig(**tiny_config(vocab_size=1100, max_position_embeddings=128)))
    model.build()
    path = str(tmp_path_factory.mktemp("tiny") / "bert")
    model.save_pretrained(path)
    return path


def test_tflite_export_runs_once_in_its_own_process_and_the_runner_matches_fp32(
    peers, sections_peers, tiny_bert_checkpoint, tmp_path, monkeypatch
):
    import tensorflow as tf

    main_venv = importlib.import_module("kb_benchmarking_peers.peers.main_venv")
    worker = importlib.import_module("kb_benchmarking_peers.peers.worker")
    monkeypatch.setattr(main_venv, "_tf", lambda: tf)  # a worker sets TF's threads first; TF runs here already
    root, work = str(tmp_path / "root"), str(tmp_path / "work")
    os.makedirs(work)
    kinds = ("keras_bert-int8-tflite", "keras_bert-fp32-tflite-packed")
    got = sections_peers.export_tflite(tiny_bert_checkpoint, root, work, kinds)
    path = sections_peers.tflite_path(root, tiny_bert_checkpoint)
    packed = sections_peers.tflite_path(root, tiny_bert_checkpoint, "keras_bert-fp32-tflite-packed")
    logs = sorted(os.listdir(work))
    assert got == {kinds[0]: path, kinds[1]: packed} and os.path.isfile(path), [
        open(os.path.join(work, f)).read() for f in logs
    ]
    # written atomically (no temporaries left), one file per kind beside each other
    assert sorted(os.listdir(os.path.dirname(path))) == ["fp32-packed.tflite", "int8.tflite"]
    stamp = os.stat(path).st_mtime_ns
    for name in logs:
        os.remove(os.path.join(work, name))
    assert sections_peers.export_tflite(tiny_bert_checkpoint, root, work, kinds) == got
    assert os.stat(path).st_mtime_ns == stamp and not os.listdir(work)  # cached: no second export
    # a failed export is an error naming it, not an exception
    failed = sections_peers.export_tflite(fake_checkpoint(tmp_path / "broken"), root, work, kinds[:1])
    assert list(failed) == [kinds[0]] and failed[kinds[0]]["error"].startswith("TFLite export failed (1): ")
    made = [(ids % 1100, mask) for ids, mask in peers.batches.fixed_padding_batches(2, 16, 0.25, count=1)]
    runner = main_venv.make("keras_bert-int8-tflite", dict(checkpoint=tiny_bert_checkpoint, tflite=got))
    assert runner.version.startswith("keras_bert.load_tflite (") and "XNNPACK" in runner.version
    ids, mask = made[0]
    out = runner(made)[0]
    fp32 = main_venv.make("keras_bert-fp32", dict(checkpoint=tiny_bert_checkpoint))(made)[0]
    assert out.shape == fp32.shape == ids.shape + (fp32.shape[-1],)
    real = mask.astype(bool)
    assert np.abs(out[real] - fp32[real]).max() < 0.1  # dynamic-range int8 on a tiny random model
    assert not out[~real].any()  # each row ran at its real length: zeros past it
    whole = main_venv.make(kinds[1], dict(checkpoint=tiny_bert_checkpoint, tflite=got))(made)[0]
    np.testing.assert_allclose(whole[real], fp32[real], atol=1e-5)  # the packed float32 file
    assert not whole[~real].any()
    # the probe compares real positions only, against the twin, here computed in process
    point = SimpleNamespace(path=_saved(peers, made, tmp_path))
    reference = sections_peers.reference_in_process(tiny_bert_checkpoint, [point])
    diff = np.abs(np.asarray(worker.probe(out, mask)) - np.asarray(reference[0])).max()
    assert 0 < diff < 0.1


def test_a_failed_tflite_export_fails_its_contender_alone(peers, sections_peers, tmp_path):
    tflite = next(c for c in peers.contenders.MODEL_GROUPS["int8"] if c.kind == "keras_bert-int8-tflite")
    error = {"error": "TFLite export failed (1): boom"}
    spec = dict(checkpoint="unused", points=[], task="model", tflite={tflite.kind: error})
    plan = dict(repeats=1, min_seconds=0)
    ready, times = sections_peers.run_group("t", (tflite,), spec, {}, str(tmp_path), 0, plan)
    assert ready == {tflite.name: {"error": "TFLite export failed (1): boom"}} and times == []


def _saved(peers, made, tmp_path):
    return peers.batches.save(made, str(tmp_path / "point.npz"))
