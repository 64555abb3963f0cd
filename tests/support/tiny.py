"""The tiny BERT size every fast test uses, weight perturbation and padded random batches.

One copy, so a test of a layer, the twin and a checkpoint format all exercise the same shapes.
"""

import numpy as np

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


def tiny_config(**overrides):
    """The tiny config as a dict (for keras_bert or transformers BertConfig), with overrides."""
    return {**TINY, **overrides}


def perturb_(torch_model, seed=0, scale=0.05):
    """Adds noise to every parameter so zero biases and unit LayerNorms are not hidden."""
    import torch

    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in torch_model.parameters():
            p.add_(torch.randn(p.shape, generator=g) * scale)
    return torch_model


def random_batch(batch=3, length=9, vocab=99, seed=0, pad_last=True):
    """input_ids, attention_mask (rows after the first padded at the end) and two-segment token_type_ids."""
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
