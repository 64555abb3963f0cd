"""Every head on the active Keras backend equals transformers (logits and loss within 1e-4).

The same table as `tests/models/test_contract.py` (every head x tied/untied decoder x encoder /
decoder / cross-attention x label sets), run on jax and torch against the PyTorch reference, plus
the real MiniLM checkpoint. On TensorFlow `tests/models` runs both already.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch
import transformers

import keras_bert
from keras_bert.contract import HEADS
from tests.backends.conftest import BACKEND, other_backends
from tests.models.test_contract import ATOL, _cases, _config, _field, _inputs, _label_sets, _run_keras, _run_reference
from tests.support.tiny import SENTENCES, perturb_, random_batch, tiny_config

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


@pytest.mark.parametrize("name", ["BertModel", "BertForTokenClassification", "BertForSequenceClassification"])
def test_unpadded_equals_transformers(name, tmp_path):
    """`keras_bert.unpadded` (the packed rows, one gather for q, k and v) on this backend: transformers'
    eager numbers at every computed position (real tokens, position 0, a row without a real token)
    and for sequence-level outputs, zeros elsewhere; left padding and a hole keep their positions."""
    from keras_bert.unpadded import unpadded_outputs

    torch.manual_seed(0)
    reference = perturb_(getattr(transformers, name)(transformers.BertConfig(**tiny_config()))).eval()
    reference.save_pretrained(tmp_path)
    reference = getattr(transformers, name).from_pretrained(tmp_path, attn_implementation="eager").eval()
    model = getattr(keras_bert, "TF" + name).from_pretrained(tmp_path)
    batch = random_batch(batch=5, length=9)  # rows of 9, 7, 5, 3 and 1 real tokens
    batch["attention_mask"][1] = [0, 0, 1, 1, 1, 1, 1, 1, 1]  # left padding
    batch["attention_mask"][2, 3] = 0  # a hole
    batch["attention_mask"][4] = 0  # no real token: computed whole
    got = unpadded_outputs(model, **{k: v.astype("int32") for k, v in batch.items()})
    with torch.no_grad():
        expected = reference(**{k: torch.from_numpy(v).long() for k, v in batch.items()})
    computed = batch["attention_mask"].astype(bool)
    computed[:, 0] = computed[4] = True
    for field in got:
        value, want = np.asarray(keras.ops.convert_to_numpy(got[field])), getattr(expected, field).numpy()
        assert value.shape == want.shape, f"{BACKEND} {name} {field}"
        if value.ndim == 3:  # token level
            np.testing.assert_allclose(value[computed], want[computed], atol=ATOL, err_msg=f"{BACKEND} {name} {field}")
            assert not value[~computed].any(), f"{BACKEND} {name} {field}: not zero at skipped positions"
        else:
            np.testing.assert_allclose(value, want, atol=ATOL, err_msg=f"{BACKEND} {name} {field}")
