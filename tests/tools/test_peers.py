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
    assert by["ours"]["vs best peer"] == 1.5  # median of 1.5, 1.6, 1.5
    assert by["ours unpadded"]["vs best peer"] == 3.0
    assert by["peer a"]["max |diff|"] == 0.25 and by["ours"]["max |diff|"] == 0.0
    assert by["peer broken"] == dict(
        table="A",
        point="8x128 25% pad",
        padding="25%",
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
    ort = names.MODEL_GROUPS["int8"][2].name
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
    assert got == {("item 1", "PASS"), ("item 2", "PASS"), ("item 3", "FAIL"), ("item 4", "PASS")}
    assert len(lines) == 2 + 2 + 2 + 6
    assert "item 1: keras_bert unpadded >= 1.4x best padded fp32 peer, 8x128 half padded" in {l["check"] for l in lines}
    lines = peers.report.acceptance(peer_results(peers, unpadded=1.39, bf16=1.0, tok_rust=2.9, exact=0.999))
    ok = {line["check"]: line["ok"] for line in lines}
    assert [k for k, v in ok.items() if v == "FAIL"] == [k for k in ok if k.startswith("item 1")] + [
        k for k in ok if "Rust" in k or "exact" in k
    ]


def test_acceptance_missing_rows_fail_with_the_reason(peers):
    lines = peers.report.acceptance(peer_results(peers, broken="keras_bert int8"))
    item2 = [line for line in lines if line["check"].startswith("item 2")]
    assert len(item2) == 2 and all(line["ok"] == "FAIL" for line in item2)
    assert item2[0]["value"].startswith("missing: TypeError: predict_fn() got an unexpected keyword argument")
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
    assert peers.report.acceptance(results)[2]["ok"] == "FAIL"
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
