"""On jax and torch a user's whole workflow runs with TensorFlow unimportable, and TensorFlow-only
features say what they need. Fresh processes (`_workflow_child.py`), since the backend and
`sys.modules` are per process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.backends.conftest import BACKEND, other_backends

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHILD = os.path.join(ROOT, "tests", "backends", "_workflow_child.py")

pytestmark = other_backends


def _run(args, timeout=600) -> str:
    env = {**os.environ, "KERAS_BACKEND": BACKEND, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ROOT}
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"child failed:\nstdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-4000:]}"
    return result.stdout


def test_acceptance_command_imports_no_tensorflow():
    code = (
        f"import os; os.environ['KERAS_BACKEND']={BACKEND!r}; import sys, keras_bert; keras_bert.TFBertModel; "
        "assert 'tensorflow' not in sys.modules, 'tensorflow was imported'"
    )
    _run([sys.executable, "-c", code])


@pytest.mark.slow
def test_workflow_without_tensorflow(tmp_path, minilm_dir):
    """Build, call, fit, evaluate, predict, save_pretrained (safetensors, tf_model.h5), `.keras`,
    from_pretrained (MiniLM too), both tokenizers, the input checks; TFBertTokenizer explains."""
    report = json.loads(_run([sys.executable, CHILD, str(tmp_path), minilm_dir]).strip().splitlines()[-1])
    assert report["backend"] == BACKEND
    assert not report["tensorflow_imported"]
    assert len(report["fit"]) == 1 and report["logits_changed_by_fit"] > 1e-3, report
    assert report["predict_shape"] == [8, 3]
    for kind in ("safetensors", "h5", "keras"):
        assert report[kind] <= 1e-6, f"{kind} round trip changed the logits by {report[kind]}"
    assert "input_ids holds values outside [0, vocab_size=99)" in report["bad_ids"]
    assert "TFBertTokenizer" in report["tf_tokenizer"] and "pip install" in report["tf_tokenizer"]
    assert report["tokenizers_agree"]
    assert report["minilm"] == [2, 8, 384]
