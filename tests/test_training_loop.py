"""keras_bert.training: schedule, optimizer, train() over fit and strategy.run steps, distribution."""

import json
import os
import socket
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_bert
from keras_bert.training import WarmupLinearDecay, create_optimizer, train

WORKER = os.path.join(os.path.dirname(__file__), "_train_worker.py")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _env(**extra):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=ROOT)
    env.pop("TF_CONFIG", None)  # only the multi-worker test sets one, explicitly
    return {**env, **extra}


def _result(stdout):
    line = [l for l in stdout.splitlines() if l.startswith("RESULT ")]
    assert line, stdout[-2000:]
    return json.loads(line[-1][len("RESULT ") :])


def test_warmup_linear_decay_values():
    s = WarmupLinearDecay(1e-3, decay_steps=110, warmup_steps=10)
    got = [float(s(step)) for step in (0, 5, 10, 60, 110, 200)]
    np.testing.assert_allclose(got, [0.0, 5e-4, 1e-3, 5e-4, 0.0, 0.0], atol=1e-9)
    again = WarmupLinearDecay.from_config(s.get_config())
    assert float(again(37)) == pytest.approx(float(s(37)))
    with pytest.raises(ValueError, match="warmup_steps=20"):
        WarmupLinearDecay(1e-3, decay_steps=10, warmup_steps=20)


def test_create_optimizer_skips_decay_on_bias_and_layernorm(make_tiny_config):
    model = keras_bert.TFBertForSequenceClassification(make_tiny_config(num_labels=2))
    model.build()
    opt, _ = create_optimizer(1e-3, 100, 10, weight_decay_rate=0.1)
    decayed = {v.path for v in model.trainable_variables if opt._use_weight_decay(v)}
    assert any(p.endswith("kernel") for p in decayed) and any("embeddings" in p for p in decayed)
    assert not any(p.endswith(("bias", "gamma", "beta")) for p in decayed), sorted(decayed)


def _tiny_data(n=16, t=8):
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 99, (n, t)).astype("int32")
    return {"input_ids": ids, "attention_mask": np.ones_like(ids), "labels": rng.integers(0, 3, (n,)).astype("int32")}


def test_custom_loop_equals_fit_and_runs_callbacks(make_tiny_config, tmp_path):
    x = _tiny_data()
    results = {}
    for loop in ("fit", "custom"):
        keras.utils.set_random_seed(0)
        model = keras_bert.TFBertForSequenceClassification(make_tiny_config(num_labels=3))
        ds = tf.data.Dataset.from_tensor_slices(x).batch(8)
        ckpt = tmp_path / f"{loop}.weights.h5"
        callbacks = [
            keras.callbacks.ModelCheckpoint(str(ckpt), save_weights_only=True),
            keras.callbacks.TensorBoard(str(tmp_path / f"logs_{loop}")),
        ]
        h = train(
            model,
            ds,
            keras.optimizers.Adam(1e-3),
            epochs=3,
            callbacks=callbacks,
            verbose=0,
            loop=loop,
            validation_data=ds,
        )
        assert ckpt.exists()
        assert any(p.name.startswith("events.out.tfevents") for p in (tmp_path / f"logs_{loop}").rglob("*"))
        results[loop] = (h.history["loss"], h.history["val_loss"], float(model(x).loss))
    np.testing.assert_allclose(results["custom"][0], results["fit"][0], atol=1e-4)
    np.testing.assert_allclose(results["custom"][1], results["fit"][1], atol=1e-4)
    assert results["custom"][2] == pytest.approx(results["fit"][2], abs=1e-4)
    assert results["custom"][0][-1] < results["custom"][0][0]


def test_custom_loop_early_stopping_and_steps(make_tiny_config):
    x = _tiny_data()
    model = keras_bert.TFBertForSequenceClassification(make_tiny_config(num_labels=3))
    ds = tf.data.Dataset.from_tensor_slices(x).batch(8)
    stop = keras.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=1e9)  # never "improves"
    h = train(
        model, ds, keras.optimizers.Adam(1e-3), epochs=5, callbacks=[stop], verbose=0, loop="custom", steps_per_epoch=1
    )
    assert len(h.history["loss"]) == 2
    with pytest.raises(ValueError, match="steps_per_epoch"):
        train(model, ds.filter(lambda d: True), epochs=1, verbose=0, loop="custom")


@pytest.mark.slow
def test_mirrored_two_devices_equals_one_device():
    out = {}
    for devices, loop in (("/cpu:0", "fit"), ("/cpu:0,/cpu:1", "fit"), ("/cpu:0,/cpu:1", "custom")):
        proc = subprocess.run(
            [sys.executable, WORKER, "mirrored", devices, loop],
            capture_output=True,
            text=True,
            env=_env(),
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        out[devices, loop] = _result(proc.stdout)
    one = out["/cpu:0", "fit"]
    assert out["/cpu:0,/cpu:1", "fit"]["replicas"] == 2
    for key, r in out.items():
        assert r["loss"] == pytest.approx(one["loss"], abs=1e-4), (key, r, one)
        np.testing.assert_allclose(r["history"], one["history"], atol=1e-4)
    assert one["loss"] < one["history"][0]


def _free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


@pytest.mark.slow
def test_multi_worker_real_checkpoint(minilm_dir, tmp_path):
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    procs = []
    for i in range(2):
        config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})
        out = tmp_path / f"w{i}"
        out.mkdir()
        procs.append(
            subprocess.Popen(
                [sys.executable, WORKER, "multiworker", minilm_dir, str(out)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=_env(TF_CONFIG=config),
            )
        )
    results = []
    for p in procs:
        try:
            stdout, stderr = p.communicate(timeout=400)
        finally:
            if p.poll() is None:
                p.kill()
        assert p.returncode == 0, stderr[-3000:]
        results.append(_result(stdout))
    chief, other = results
    assert chief["chief"] and not other["chief"] and chief["replicas"] == 2
    assert chief["history"] == pytest.approx(other["history"], abs=1e-6)
    assert chief["history"][-1] < chief["history"][0], chief["history"]
    assert chief["weights_digest"] == other["weights_digest"]
    assert (tmp_path / "w0" / "ckpt.weights.h5").exists()
    assert not (tmp_path / "w1" / "ckpt.weights.h5").exists()  # only the chief writes the real path


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_mixed_bfloat16_and_jit_compile(make_tiny_config, loop):
    x = _tiny_data()
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        keras.utils.set_random_seed(0)
        model = keras_bert.TFBertForSequenceClassification(make_tiny_config(num_labels=3))
        assert model.bert.compute_dtype == "bfloat16", model.bert.dtype_policy
        # The forward really runs in bfloat16 (not only the policy's name says so).
        hidden = model({k: v[:2] for k, v in x.items() if k != "labels"}, output_hidden_states=True).hidden_states
        assert all(h.dtype == "bfloat16" for h in hidden), [h.dtype for h in hidden]
        ds = tf.data.Dataset.from_tensor_slices(x).batch(8)
        h = train(model, ds, keras.optimizers.Adam(3e-3), epochs=4, verbose=0, loop=loop, jit_compile=True)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert all(np.isfinite(h.history["loss"])) and h.history["loss"][-1] < h.history["loss"][0], h.history
    assert all(v.dtype == "float32" for v in model.trainable_variables)


def test_strategy_from_args_writes_tf_config(monkeypatch):
    from keras_bert import training

    monkeypatch.delenv("TF_CONFIG", raising=False)
    made = []
    monkeypatch.setattr(training.tf.distribute, "MultiWorkerMirroredStrategy", lambda: made.append(1) or "mw")
    assert training.strategy_from_args("127.0.0.1:1,127.0.0.1:2", 1) == "mw" and made
    assert json.loads(os.environ["TF_CONFIG"]) == {
        "cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]},
        "task": {"type": "worker", "index": 1},
    }
    monkeypatch.delenv("TF_CONFIG")
    assert training.strategy_from_args() is None
