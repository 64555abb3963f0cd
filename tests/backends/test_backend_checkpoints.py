"""Files written on the TensorFlow backend load exactly on the active backend: `model.safetensors`,
`tf_model.h5` (transformers 4.x layout, read through h5py) and a `.keras` archive. A TensorFlow
process writes them with its logits; this process reads them and must give the same logits
(1e-5: the same float32 weights, different kernels)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import keras_bert
from tests.backends.conftest import BACKEND, other_backends
from tests.support.tiny import TINY

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

WRITER = textwrap.dedent(
    """
    import json, sys
    import keras, numpy as np
    import keras_bert
    out = sys.argv[1]
    keras.utils.set_random_seed(0)
    config = keras_bert.BertConfig(**json.loads(sys.argv[2]), num_labels=3)
    model = keras_bert.TFBertForTokenClassification(config)
    x = np.random.default_rng(0).integers(1, 99, (2, 6)).astype("int32")
    np.save(out + "/logits.npy", keras.ops.convert_to_numpy(model(x).logits))
    np.save(out + "/ids.npy", x)
    model.save_pretrained(out + "/hf")
    model.save_pretrained(out + "/h5", format="tf-h5")
    model.save(out + "/model.keras")
    """
)


@other_backends
@pytest.mark.slow
def test_tensorflow_written_files_load_exactly(tmp_path):
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ROOT}
    result = subprocess.run(
        [sys.executable, "-c", WRITER, str(tmp_path), json.dumps(TINY)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    expected, ids = np.load(tmp_path / "logits.npy"), np.load(tmp_path / "ids.npy")
    loaded = {
        "safetensors": keras_bert.TFBertForTokenClassification.from_pretrained(tmp_path / "hf"),
        "tf_model.h5": keras_bert.TFBertForTokenClassification.from_pretrained(tmp_path / "h5"),
        ".keras": keras.saving.load_model(tmp_path / "model.keras"),
    }
    for kind, model in loaded.items():
        actual = keras.ops.convert_to_numpy(model(ids).logits)
        np.testing.assert_allclose(actual, expected, atol=1e-5, rtol=0, err_msg=f"{kind} on {BACKEND}")
