"""Keras' distribution API on JAX: DataParallel and ModelParallel (bert_layout_map) over 2 host devices.

XLA's host device count is fixed when jax starts, so the JAX runs happen in one subprocess
(`XLA_FLAGS=--xla_force_host_platform_device_count=2 ...`, tests/support/xla.py; `KERAS_BACKEND=jax`) that runs this file
as a script and writes its numbers to an .npz; the tests here compare them, whatever backend
the pytest process uses (tests/backends/conftest.py runs `test_jax_*` files on jax). The layout
map's rules run in-process; the refusal on TensorFlow runs in a `KERAS_BACKEND=tensorflow` process.

Tolerances: DataParallel sums the two half-batch gradients in another order than one device
does (float32 reassociation, ~1e-7 relative per step), so 2 epochs of SGD agree to 1e-5 in loss
and 1e-6 in weights; ModelParallel splits each GEMM's reduction the same way (1e-5).
"""

import contextlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest

TINY = dict(
    vocab_size=99,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=36,  # split over a 2-device "model" axis: must be even
    max_position_embeddings=64,
    hidden_dropout_prob=0.0,
    attention_probs_dropout_prob=0.0,
    num_labels=3,
)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BATCH, LENGTH, STEPS, EPOCHS, LR = 8, 12, 4, 2, 0.5


def _data():
    rng = np.random.default_rng(0)
    ids = rng.integers(1, TINY["vocab_size"], (BATCH * STEPS, LENGTH)).astype("int32")
    mask = np.ones_like(ids)
    mask[1::2, LENGTH - 3 :] = 0  # padded rows in every batch
    labels = rng.integers(0, TINY["num_labels"], (BATCH * STEPS,)).astype("int32")
    return {"input_ids": ids, "attention_mask": mask}, labels


# -- the JAX worker (runs in the subprocess) -------------------------------------------------------
def _worker(out_path):
    import keras

    import keras_bert
    from keras_bert.distribution import bert_layout_map

    assert keras.config.backend() == "jax" and len(keras.distribution.list_devices()) == 2
    config = keras_bert.BertConfig(**TINY)
    x, y = _data()

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return STEPS

        def __getitem__(self, i):
            s = slice(i * BATCH, (i + 1) * BATCH)
            return {k: v[s] for k, v in x.items()}, y[s]

    class BatchLosses(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.losses = []

        def on_train_batch_end(self, batch, logs=None):
            self.losses.append(float(logs["loss"]))

    keras.utils.set_random_seed(0)
    reference = keras_bert.TFBertForSequenceClassification(config)
    reference.build()
    init = [np.array(w) for w in reference.get_weights()]

    def build():
        model = keras_bert.TFBertForSequenceClassification(config)
        model.build()
        model.set_weights(init)
        return model

    def fit(model, distribution):
        record = BatchLosses()
        with distribution.scope() if distribution else contextlib.nullcontext():
            optimizer = keras.optimizers.SGD(LR)  # its iteration counter is a variable: made in the scope
        keras_bert.train(
            model,
            Batches(),
            optimizer,
            epochs=EPOCHS,
            callbacks=[record],
            verbose=0,
            distribution=distribution,
        )
        return np.array(record.losses), np.concatenate([np.ravel(w) for w in model.get_weights()])

    out = {}
    single = build()
    out["single_logits"] = np.asarray(single(x).logits)
    out["single_losses"], out["single_weights"] = fit(single, None)

    data_parallel = keras.distribution.DataParallel(devices=keras.distribution.list_devices())
    with data_parallel.scope():
        model = build()
    out["dp_losses"], out["dp_weights"] = fit(model, data_parallel)

    mesh = keras.distribution.DeviceMesh((1, 2), ["batch", "model"], keras.distribution.list_devices())
    model_parallel = keras.distribution.ModelParallel(layout_map=bert_layout_map(mesh, config), batch_dim_name="batch")
    with model_parallel.scope():
        model = build()
        out["mp_logits"] = np.asarray(model(x).logits)
    specs = {v.path: [str(a) for a in v.value.sharding.spec] for v in model.trainable_variables}
    out["mp_losses"], out["mp_weights"] = fit(model, model_parallel)

    refusals = []
    with data_parallel.scope():
        inside = keras.optimizers.SGD(LR)
    outside = keras.optimizers.SGD(LR)
    for candidate, candidate_optimizer in [(build(), inside), (model, outside)]:  # model / optimizer made outside
        try:
            keras_bert.train(candidate, Batches(), candidate_optimizer, distribution=data_parallel)
            refusals.append("")
        except ValueError as error:
            refusals.append(str(error))
    np.savez(out_path, **out, specs=json.dumps(specs), refusals=np.array(refusals))


# -- the tests (pytest process, any backend) --------------------------------------------------------
@pytest.fixture(scope="module")
def jax_run(tmp_path_factory):
    from tests.support.xla import TWO_HOST_DEVICES

    pytest.importorskip("jax")
    out = str(tmp_path_factory.mktemp("jax_distribution") / "out.npz")
    env = dict(
        os.environ,
        KERAS_BACKEND="jax",
        XLA_FLAGS=TWO_HOST_DEVICES,
        TF_CPP_MIN_LOG_LEVEL="3",
        PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]),
    )
    proc = subprocess.run(
        [sys.executable, os.path.abspath(__file__), out], env=env, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    with np.load(out) as data:
        return {k: data[k] for k in data.files}


@pytest.mark.slow
def test_data_parallel_trains_equal_to_one_device(jax_run):
    assert jax_run["single_losses"].shape == (STEPS * EPOCHS,)
    assert jax_run["single_losses"][-1] < jax_run["single_losses"][0]  # it trained
    np.testing.assert_allclose(jax_run["dp_losses"], jax_run["single_losses"], rtol=1e-5, atol=1e-6)
    moved = np.abs(jax_run["single_weights"] - jax_run["dp_weights"]).max()
    np.testing.assert_allclose(jax_run["dp_weights"], jax_run["single_weights"], atol=1e-6)
    assert moved < 1e-6


@pytest.mark.slow
def test_model_parallel_layout_gives_the_same_outputs_and_training(jax_run):
    np.testing.assert_allclose(jax_run["mp_logits"], jax_run["single_logits"], atol=1e-5)
    np.testing.assert_allclose(jax_run["mp_losses"], jax_run["single_losses"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(jax_run["mp_weights"], jax_run["single_weights"], atol=1e-6)


@pytest.mark.slow
def test_model_parallel_shards_the_kernels(jax_run):
    specs = json.loads(str(jax_run["specs"]))
    by_suffix = {
        "attention/self/query/kernel": ["None", "model"],
        "intermediate/dense/kernel": ["None", "model"],
        "attention/output/dense/kernel": ["model", "None"],
        "word_embeddings/embeddings": ["None", "model"],
    }
    for suffix, spec in by_suffix.items():
        hits = [p for p in specs if p.endswith(suffix)]
        assert hits, f"no variable path ends with {suffix!r}: {sorted(specs)[:5]}"
        assert all(specs[p] == spec for p in hits), {p: specs[p] for p in hits}
    ffn_out = [p for p in specs if p.endswith("/output/dense/kernel") and "/attention/" not in p]
    assert len(ffn_out) == TINY["num_hidden_layers"] and all(specs[p] == ["model", "None"] for p in ffn_out)
    assert all("model" not in specs[p] for p in specs if "LayerNorm" in p or p.endswith("/bias"))


@pytest.mark.slow
def test_train_refuses_a_model_or_optimizer_made_outside_the_scope(jax_run):
    model_refusal, optimizer_refusal = (str(r) for r in jax_run["refusals"])
    assert model_refusal.startswith("Variable 'tf_bert_for_sequence_classification") and (
        "create the model inside `with distribution.scope():`" in model_refusal
    ), model_refusal
    assert "create the optimizer inside" in optimizer_refusal, optimizer_refusal


def test_layout_map_rules_cover_each_kernel_once(make_tiny_config):
    import keras

    import keras_bert
    from keras_bert.distribution import LAYOUT_RULES, bert_layout_map

    model = keras_bert.TFBertForPreTraining(make_tiny_config(intermediate_size=36))
    model.build()
    mesh = keras.distribution.DeviceMesh((1, 2), ["batch", "model"], ["cpu:0", "cpu:1"])
    layout_map = bert_layout_map(mesh, model.config)  # raises if a path matched two rules
    sharded = {v.path: layout_map[v.path] for v in model.trainable_variables}
    kernels = [p for p in sharded if p.endswith("/kernel") and "/bert/" in p]
    # 6 per block (q, k, v, attention out, intermediate, out) + pooler, all split.
    assert len(kernels) == 6 * 2 + 1 and all(sharded[p] is not None for p in kernels), kernels
    assert sum(sharded[p] is not None for p in sharded) == len(kernels) + 3  # + the 3 embedding tables
    assert len(LAYOUT_RULES) == 6


def test_layout_map_names_the_dimension_that_does_not_divide(make_tiny_config):
    import keras

    from keras_bert.distribution import bert_layout_map

    mesh = keras.distribution.DeviceMesh((1, 2), ["batch", "model"], ["cpu:0", "cpu:1"])
    with pytest.raises(ValueError, match="intermediate_size=37"):
        bert_layout_map(mesh, make_tiny_config(intermediate_size=37))
    flat = keras.distribution.DeviceMesh((2,), ["batch"], ["cpu:0", "cpu:1"])
    with pytest.raises(ValueError, match="'model'"):
        bert_layout_map(flat)


REFUSAL_OFF_JAX = """
import keras, keras_bert
model = keras_bert.TFBertForSequenceClassification(keras_bert.BertConfig(**TINY))
distribution = keras.distribution.DataParallel(devices=keras.distribution.list_devices())
for call in (lambda: keras_bert.train(model, DATA, distribution=distribution),
             lambda: keras_bert.train(model, DATA, None, 1, None, distribution)):  # where a strategy goes
    try:
        call()
        print("accepted")
    except ValueError as error:
        print(str(error).splitlines()[0])
"""


@pytest.mark.slow
def test_train_refuses_a_keras_distribution_on_tensorflow():
    # This file runs under KERAS_BACKEND=jax (tests/backends/conftest.py): TensorFlow gets its own process.
    pytest.importorskip("tensorflow")
    code = f"TINY = {TINY!r}\nDATA = None\n" + REFUSAL_OFF_JAX
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=ROOT)
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 2, proc.stdout
    for line in lines:
        assert line.startswith("keras.distribution.DataParallel runs on the JAX backend"), line
        assert "backend is 'tensorflow'" in line and "tf.distribute" in line, line


if __name__ == "__main__":
    _worker(sys.argv[1])
