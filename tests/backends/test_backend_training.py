"""`fit` and mixed precision on the active Keras backend.

`fit` is held to an independent reference: the same transformers model trained by a plain torch
loop (full-batch SGD, dropout 0, no shuffling). Each epoch is one batch, so Keras' epoch loss is
the loss before that step's update. Every backend (TensorFlow included, where this file also runs)
must match the reference within 1e-4 per step, so the backends match each other within 2e-4.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch
import transformers

import keras_bert
from tests.backends.conftest import BACKEND
from tests.support.tiny import perturb_, tiny_config

STEPS, LR = 4, 0.5
LOSS_ATOL = 1e-4
BF16_ATOL = 0.1  # bfloat16 keeps 8 mantissa bits: ~1e-2 relative per op, logits here are O(1)


def _data(rng, batch=8, length=7):
    ids = rng.integers(1, 99, (batch, length)).astype("int32")
    mask = np.ones((batch, length), "int32")
    mask[::3, -2:] = 0
    return {"input_ids": ids, "attention_mask": mask}, rng.integers(0, 3, (batch,)).astype("int32")


@pytest.fixture
def checkpoint(tmp_path):
    torch.manual_seed(0)
    reference = perturb_(
        transformers.BertForSequenceClassification(transformers.BertConfig(**tiny_config(num_labels=3)))
    )
    reference.save_pretrained(tmp_path)
    return str(tmp_path), reference


def _reference_losses(reference, x, y):
    optimizer = torch.optim.SGD(reference.parameters(), lr=LR)
    reference.train()  # dropout is 0 in the tiny config
    args = {k: torch.tensor(v, dtype=torch.long) for k, v in x.items()}
    losses = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss = reference(**args, labels=torch.tensor(y, dtype=torch.long)).loss
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def test_fit_losses_equal_a_torch_training_loop(checkpoint):
    path, reference = checkpoint
    x, y = _data(np.random.default_rng(0))
    model = keras_bert.TFBertForSequenceClassification.from_pretrained(path)
    model.compile(optimizer=keras.optimizers.SGD(LR))
    history = model.fit(x, y, batch_size=len(y), epochs=STEPS, shuffle=False, verbose=0).history["loss"]
    expected = _reference_losses(reference, x, y)
    assert expected[-1] < expected[0] - 0.05, f"the reference did not learn: {expected}"
    np.testing.assert_allclose(history, expected, atol=LOSS_ATOL, rtol=0, err_msg=f"{BACKEND} fit losses")
    # evaluate/predict see the trained weights: evaluate equals the loss after the last step.
    with torch.no_grad():
        after = reference(
            **{k: torch.tensor(v, dtype=torch.long) for k, v in x.items()}, labels=torch.tensor(y, dtype=torch.long)
        ).loss
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), after.item(), atol=LOSS_ATOL, rtol=0)
    assert model.predict(x, batch_size=3, verbose=0)["logits"].shape == (len(y), 3)


def test_mixed_bfloat16_close_to_float32(checkpoint):
    path, _ = checkpoint
    x, y = _data(np.random.default_rng(1))
    full = keras.ops.convert_to_numpy(keras_bert.TFBertForSequenceClassification.from_pretrained(path)(x).logits)
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = keras_bert.TFBertForSequenceClassification.from_pretrained(path)
        out = model(x, labels=y)
        assert keras.backend.standardize_dtype(out.logits.dtype) == "bfloat16"
        half = keras.ops.convert_to_numpy(keras.ops.cast(out.logits, "float32"))
        np.testing.assert_allclose(half, full, atol=BF16_ATOL, rtol=0, err_msg=f"{BACKEND} mixed_bfloat16 logits")
        model.compile(optimizer=keras.optimizers.SGD(0.1))
        losses = model.fit(x, y, batch_size=4, epochs=1, verbose=0).history["loss"]
        assert np.isfinite(losses).all(), losses
        assert model.get_layer("bert").embeddings.word_embeddings.embeddings.dtype == "float32"
    finally:
        keras.mixed_precision.set_global_policy("float32")
