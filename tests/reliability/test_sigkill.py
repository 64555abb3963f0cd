"""SIGKILL `tools/convert checkpoint` and `export` at several moments: OUT is absent or complete,
never a mix, and the next run removes what the killed one left.

The moments are exact, not timed: `KERAS_BERT_PAUSE_AT=<stage>` (keras_bert.atomic) makes the
process announce the stage on stderr and wait there to be killed. "early" kills during start-up.
"""

import os
import signal
import subprocess
import sys
import time

import pytest

from keras_bert import atomic
from keras_bert.checkpoints import load_checkpoint
from keras_bert.cli.convert import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONVERT = os.path.join(ROOT, "tools", "convert")


def _start(args, stage):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop(atomic.PAUSE_ENV, None)
    if stage != "early":
        env[atomic.PAUSE_ENV] = stage
    return subprocess.Popen(
        [sys.executable, CONVERT, *map(str, args)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env=env,
        text=True,
    )


def _kill_at(args, stage):
    proc = _start(args, stage)
    try:
        if stage == "early":
            time.sleep(0.5)
        else:
            seen = []
            for line in proc.stderr:
                seen.append(line)
                if f"paused at {stage}" in line:
                    break
            else:
                pytest.fail(f"never reached {stage}: exit {proc.wait()}, stderr {''.join(seen)!r}")
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL


def _hf_complete(out):
    assert sorted(set(os.listdir(out)) - {"old-version"}) == ["config.json", "model.safetensors", "vocab.txt"]
    assert "bert.embeddings.word_embeddings.weight" in load_checkpoint(str(out))


def _saved_model_complete(out):
    names = sorted(os.listdir(out))
    assert "saved_model.pb" in names and "variables" in names, names
    assert any(n.startswith("variables.data") for n in os.listdir(os.path.join(out, "variables")))


CASES = [
    # (command, stage, OUT exists before, expected state of OUT after the kill)
    ("checkpoint", "early", False, "absent"),
    ("checkpoint", "staged", False, "absent"),
    ("checkpoint", "staged", True, "old"),
    ("checkpoint", "aside", True, "absent"),
    ("export", "staged", True, "old"),
    ("export", "aside", True, "absent"),
]


@pytest.mark.slow
@pytest.mark.parametrize("command, stage, exists, after", CASES, ids=[f"{c}-{s}-{e}" for c, s, e, _ in CASES])
def test_sigkill(sources, tmp_path, command, stage, exists, after, capsys):
    src = sources["hf"]
    if command == "checkpoint":
        out = tmp_path / "out"
        args = ["checkpoint", src, out, "--to", "hf", "--force"]
        complete = _hf_complete
    else:
        out = tmp_path / "models" / "tiny" / "1"
        args = ["export", src, out, "--max-length", "16", "--force"]
        complete = _saved_model_complete
    if exists:
        out.parent.mkdir(parents=True, exist_ok=True)
        assert main([str(a) for a in args]) == 0
        complete(out)
        marker = out / "old-version"
        marker.write_text("old")
    _kill_at(args, stage)
    if after == "absent":
        assert not out.exists()
    else:
        complete(out)
        assert (out / "old-version").read_text() == "old"
    if stage != "early":
        assert atomic.leftovers(out.parent), "the killed run should have left its temporary behind"
    # The next run (any keras_bert write in that directory) removes the killed run's temporaries.
    capsys.readouterr()
    assert main([str(a) for a in args]) == 0
    complete(out)
    assert not (out / "old-version").exists()
    assert atomic.leftovers(out.parent) == []
