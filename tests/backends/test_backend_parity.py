"""Every head on the active Keras backend equals transformers (logits and loss within 1e-4).

The same table as `tests/models/test_contract.py` (every head x tied/untied decoder x encoder /
decoder / cross-attention x label sets), run on jax and torch against the PyTorch reference, plus
the real MiniLM checkpoint. On TensorFlow `tests/models` runs both already.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import transformers

import keras_bert
from keras_bert.contract import HEADS
from tests.backends.conftest import BACKEND, other_backends
from tests.models.test_contract import ATOL, _cases, _config, _field, _inputs, _label_sets, _run_keras, _run_reference
from tests.support.tiny import SENTENCES, perturb_

pytestmark = other_backends


@pytest.mark.parametrize("name,tied,mode", list(_cases()))
def test_head_equals_transformers(name, tied, mode, tmp_path):
    config = _config(tied, mode, name)
    torch.manual_seed(0)
    reference = perturb_(getattr(transformers, name)(transformers.BertConfig(**config))).eval()
    reference.save_pretrained(tmp_path)
    model = getattr(keras_bert, "TF" + name).from_pretrained(tmp_path)
    rng = np.random.default_rng(0)
    inputs = _inputs(name, mode, rng)
    spec = HEADS[name]
    for label_set, labels in _label_sets(name, rng).items():
        reference.config.problem_type = model.config.problem_type = None
        expected, actual = _run_reference(reference, inputs, labels), _run_keras(model, inputs, labels)
        where = f"{BACKEND} {name} tied={tied} {mode} labels={label_set}"
        for logit in spec.logit_names + (("pooler_output",) if name == "BertModel" else ()):
            assert _field(actual, logit) is not None, f"{where}: {logit} missing"
            np.testing.assert_allclose(
                _field(actual, logit), _field(expected, logit), atol=ATOL, rtol=0, err_msg=f"{where}: {logit}"
            )
        ref_loss, loss = _field(expected, "loss"), _field(actual, "loss")
        assert (loss is None) == (ref_loss is None), f"{where}: loss presence differs"
        if ref_loss is not None:
            np.testing.assert_allclose(loss, ref_loss, atol=ATOL, rtol=0, err_msg=f"{where}: loss")


@pytest.mark.slow
def test_minilm_equals_transformers(minilm_dir, minilm_batch):
    reference = transformers.BertModel.from_pretrained(minilm_dir).eval()
    with torch.no_grad():
        expected = reference(**{k: torch.tensor(v) for k, v in minilm_batch.items()})
    model = keras_bert.TFBertModel.from_pretrained(minilm_dir)
    actual = model({k: v.astype("int32") for k, v in minilm_batch.items()})
    assert len(minilm_batch["input_ids"]) == len(SENTENCES)
    for field in ("last_hidden_state", "pooler_output"):
        np.testing.assert_allclose(
            _field(actual, field), _field(expected, field), atol=1e-4, rtol=0, err_msg=f"{BACKEND} MiniLM {field}"
        )
