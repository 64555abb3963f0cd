"""transformers 4.x optimization names: create_optimizer, WarmUp, AdamWeightDecay, GradientAccumulator.

Schedules and the weight-decay rule are checked against their formulas in NumPy, one optimizer
step against a hand-computed AdamW update.
"""

import re

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_bert
from keras_bert.training import AdamWeightDecay, GradientAccumulator, WarmUp, create_optimizer


def _reference_lr(step, init_lr, total, warmup, min_lr_ratio=0.0, power=1.0, warmup_power=1.0):
    """transformers 4.x create_optimizer's schedule, written out."""
    if step < warmup:
        return init_lr * (step / warmup) ** warmup_power
    decay_steps = total - warmup
    t = min(step - warmup, decay_steps)
    end = init_lr * min_lr_ratio
    return (init_lr - end) * (1 - t / decay_steps) ** power + end


@pytest.mark.parametrize("warmup,min_lr_ratio,power", [(10, 0.0, 1.0), (0, 0.1, 1.0), (25, 0.2, 2.0)])
def test_create_optimizer_schedule_matches_formula(warmup, min_lr_ratio, power):
    opt, schedule = create_optimizer(3e-4, 100, warmup, min_lr_ratio=min_lr_ratio, power=power)
    assert type(opt) is keras.optimizers.Adam and opt.learning_rate is not None
    assert isinstance(schedule, WarmUp) == bool(warmup)
    steps = [0, 1, 5, 9, 10, 24, 25, 26, 50, 99, 100, 150]
    got = [float(schedule(s)) for s in steps]
    want = [_reference_lr(s, 3e-4, 100, warmup, min_lr_ratio, power) for s in steps]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-10)
    assert opt.epsilon == 1e-8 and opt.beta_1 == 0.9 and opt.beta_2 == 0.999


def test_warmup_power_and_round_trip():
    decay = keras.optimizers.schedules.PolynomialDecay(1e-3, 40, end_learning_rate=1e-5)
    s = WarmUp(1e-3, decay, warmup_steps=8, power=2.0)
    want = [_reference_lr(t, 1e-3, 48, 8, 1e-2, 1.0, warmup_power=2.0) for t in range(60)]
    np.testing.assert_allclose([float(s(t)) for t in range(60)], want, rtol=1e-5, atol=1e-12)
    again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(s))
    assert isinstance(again, WarmUp) and float(again(3)) == pytest.approx(float(s(3)))
    assert float(again(30)) == pytest.approx(float(s(30)))


def test_create_optimizer_rejects_no_decay_steps():
    with pytest.raises(ValueError, match=r"num_train_steps \(10\).*num_warmup_steps \(10\)"):
        create_optimizer(1e-3, 10, 10)


def test_weight_decay_exclusions_follow_transformers_rule(make_tiny_config):
    model = keras_bert.TFBertForSequenceClassification(make_tiny_config(num_labels=2))
    model.build()
    opt, _ = create_optimizer(1e-3, 100, 10, weight_decay_rate=0.1)
    assert isinstance(opt, AdamWeightDecay) and opt.weight_decay_rate == 0.1
    paths = [v.path for v in model.trainable_variables]
    want = {p for p in paths if not re.search("LayerNorm|layer_norm|bias", p)}
    got = {v.path for v in model.trainable_variables if opt._use_weight_decay(v)}
    assert got == want
    assert any(p.endswith("LayerNorm/gamma") for p in paths) and any(p.endswith("kernel") for p in got)
    # include_in_weight_decay wins over the exclusions.
    opt, _ = create_optimizer(1e-3, 100, 10, weight_decay_rate=0.1, include_in_weight_decay=["LayerNorm"])
    got = {v.path for v in model.trainable_variables if opt._use_weight_decay(v)}
    assert got == want | {p for p in paths if "LayerNorm" in p}


def test_adam_weight_decay_step_matches_hand_computation():
    lr, wd, b1, b2, eps = 0.1, 0.05, 0.9, 0.999, 1e-8
    opt, _ = create_optimizer(lr, 10, 0, weight_decay_rate=wd, adam_epsilon=eps)
    w0 = np.array([[0.5, -1.0], [2.0, 0.25]], np.float32)
    b0 = np.array([0.3, -0.7], np.float32)
    layer = keras.layers.Dense(2)
    layer.build((None, 2))
    layer.kernel.assign(w0)
    layer.bias.assign(b0)
    gw = [np.array([[0.1, -0.2], [0.3, 0.05]], np.float32), np.array([[-0.4, 0.1], [0.2, 0.2]], np.float32)]
    gb = [np.array([1.0, -0.5], np.float32), np.array([0.5, 0.5], np.float32)]

    def reference(x, grads, decay):
        m = v = np.zeros_like(x, np.float64)
        x = x.astype(np.float64)
        for t, g in enumerate(grads, start=1):
            lr_t = lr * (1 - (t - 1) / 10)  # linear decay, no warmup: schedule(step t-1)
            if decay:
                x = x - lr_t * wd * x
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            x = x - lr_t * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
        return x

    for g_w, g_b in zip(gw, gb):
        opt.apply_gradients([(tf.constant(g_w), layer.kernel), (tf.constant(g_b), layer.bias)])
    np.testing.assert_allclose(layer.kernel.numpy(), reference(w0, gw, True), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.bias.numpy(), reference(b0, gb, False), rtol=1e-5, atol=1e-6)
    # The decay really changed the kernel: without it the result differs by more than the tolerance.
    assert np.abs(reference(w0, gw, True) - reference(w0, gw, False)).max() > 1e-3


def test_adam_weight_decay_config_round_trip():
    opt = AdamWeightDecay(1e-3, weight_decay_rate=0.02, exclude_from_weight_decay=["bias"], epsilon=1e-6)
    again = AdamWeightDecay.from_config(opt.get_config())
    assert again.weight_decay_rate == 0.02 and again.epsilon == 1e-6
    assert not again.do_use_weight_decay("dense/bias") and again.do_use_weight_decay("dense/kernel")
    assert not AdamWeightDecay(1e-3).do_use_weight_decay("dense/kernel")  # rate 0: nothing decays


def test_gradient_accumulator_sums_and_resets():
    acc = GradientAccumulator()
    with pytest.raises(ValueError, match="called first"):
        _ = acc.gradients
    acc([tf.constant([1.0, 2.0]), None, tf.constant([[3.0]])])
    acc([tf.constant([0.5, -1.0]), None, tf.constant([[1.0]])])
    assert int(acc.step) == 2
    got = acc.gradients
    np.testing.assert_allclose(got[0].numpy(), [1.5, 1.0], rtol=0, atol=1e-7)
    assert got[1] is None
    np.testing.assert_allclose(got[2].numpy(), [[4.0]], rtol=0, atol=1e-7)
    with pytest.raises(ValueError, match="Expected 3 gradients, but got 1"):
        acc([tf.constant([1.0, 1.0])])
    acc.reset()
    assert int(acc.step) == 0 and float(tf.reduce_sum(acc.gradients[0])) == 0.0
