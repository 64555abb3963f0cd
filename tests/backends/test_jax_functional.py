"""The functional JAX path FlaxBert users had: `model.stateless_call` under `jax.jit` and `jax.grad`.

The JAX side runs in a subprocess (`KERAS_BACKEND=jax`, this file as a script) on a perturbed
tiny transformers checkpoint and writes logits, the loss, every gradient (by HF name, in torch
layout) and a few training losses to an .npz; the tests compare them here with transformers'
PyTorch model and its autograd gradients, whatever backend the pytest process uses.

Tolerances: logits 1e-4 (the drop-in contract), jit vs eager 1e-5 (XLA fuses differently),
gradients 1e-4 relative to each tensor's largest entry (float32, two frameworks' reductions).
Output records are not JAX pytrees: a jitted function returns `return_dict=False` tuples or
arrays taken from the record inside the function.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LABELS = np.array([0, 2, 1], "int64")
STEPS = 6


# -- the JAX worker (runs in the subprocess) -------------------------------------------------------
def _worker(checkpoint, out_path):
    import jax
    import jax.numpy as jnp
    import keras

    import keras_bert
    from keras_bert.checkpoints.keras_weights import variable_table
    from keras_bert.distribution import hf_names
    from tests.support.tiny import random_batch

    assert keras.config.backend() == "jax"
    model = keras_bert.TFBertForSequenceClassification.from_pretrained(checkpoint)
    batch = random_batch()
    labels = LABELS.astype("int32")
    params = [v.value for v in model.trainable_variables]
    state = [v.value for v in model.non_trainable_variables]
    out = {"eager_logits": np.asarray(model(batch).logits)}

    @jax.jit
    def forward(params, state, batch):
        return model.stateless_call(params, state, batch, return_dict=False)[0]  # a tuple: a pytree

    out["jit_logits"] = np.asarray(forward(params, state, batch)[0])

    def loss_fn(params, state, batch, labels):
        record, state = model.stateless_call(params, state, {**batch, "labels": labels}, training=True)
        return jnp.mean(record.loss), state

    (loss, _), grads = jax.jit(jax.value_and_grad(loss_fn, has_aux=True))(params, state, batch, labels)
    out["loss"] = np.asarray(loss)
    transposed = {name: transpose for name, (_, transpose) in variable_table(model).items()}
    for name, grad in zip(hf_names(model), grads):
        grad = np.asarray(grad)
        out["grad/" + name] = grad.T if transposed[name] else grad

    optimizer = keras.optimizers.Adam(1e-2)
    optimizer.build(model.trainable_variables)
    opt_vars = [v.value for v in optimizer.variables]

    @jax.jit
    def train_step(params, state, opt_vars, batch, labels):
        (loss, state), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, state, batch, labels)
        params, opt_vars = optimizer.stateless_apply(opt_vars, grads, params)
        return params, state, opt_vars, loss

    losses = []
    for _ in range(STEPS):
        params, state, opt_vars, loss = train_step(params, state, opt_vars, batch, labels)
        losses.append(float(loss))
    out["losses"] = np.array(losses)
    for variable, value in zip(model.trainable_variables, params):
        variable.assign(value)  # the functional result written back: the stateful model agrees
    out["eager_loss_after"] = np.asarray(jnp.mean(model({**batch, "labels": labels}).loss))
    out["last_step_loss"] = np.asarray(loss_fn(params, state, batch, labels)[0])
    np.savez(out_path, **out)


# -- the tests (pytest process, any backend) --------------------------------------------------------
@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """A perturbed tiny transformers BertForSequenceClassification saved to disk, and its outputs."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tests.support.tiny import perturb_, random_batch, tiny_config

    torch.manual_seed(0)
    hf = perturb_(transformers.BertForSequenceClassification(transformers.BertConfig(**tiny_config(num_labels=3))))
    hf.eval()
    path = str(tmp_path_factory.mktemp("jax_functional") / "hf")
    hf.save_pretrained(path)
    batch = {k: torch.from_numpy(v).long() for k, v in random_batch().items()}
    result = hf(**batch, labels=torch.from_numpy(LABELS))
    result.loss.backward()
    grads = {name: p.grad.numpy().copy() for name, p in hf.named_parameters()}
    return dict(path=path, logits=result.logits.detach().numpy(), loss=float(result.loss.detach()), grads=grads)


@pytest.fixture(scope="module")
def jax_run(reference, tmp_path_factory):
    pytest.importorskip("jax")
    out = str(tmp_path_factory.mktemp("jax_functional_out") / "out.npz")
    env = dict(
        os.environ,
        KERAS_BACKEND="jax",
        TF_CPP_MIN_LOG_LEVEL="3",
        PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]),
    )
    proc = subprocess.run(
        [sys.executable, os.path.abspath(__file__), reference["path"], out],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    with np.load(out) as data:
        return {k: data[k] for k in data.files}


@pytest.mark.slow
def test_jitted_forward_equals_eager_and_transformers(jax_run, reference):
    np.testing.assert_allclose(jax_run["eager_logits"], reference["logits"], atol=1e-4)
    np.testing.assert_allclose(jax_run["jit_logits"], reference["logits"], atol=1e-4)
    np.testing.assert_allclose(jax_run["jit_logits"], jax_run["eager_logits"], atol=1e-5)


@pytest.mark.slow
def test_grad_of_stateless_call_equals_torch_autograd(jax_run, reference):
    np.testing.assert_allclose(jax_run["loss"], reference["loss"], atol=1e-5)
    ours = {k[len("grad/") :]: v for k, v in jax_run.items() if k.startswith("grad/")}
    assert set(ours) == set(reference["grads"]), set(ours) ^ set(reference["grads"])
    for name, expected in reference["grads"].items():
        scale = max(float(np.abs(expected).max()), 1e-6)
        np.testing.assert_allclose(ours[name], expected, atol=1e-4 * scale, err_msg=name)
    assert any(np.abs(g).max() > 1e-3 for g in ours.values())  # gradients flow, not all ~0


@pytest.mark.slow
def test_functional_adam_steps_lower_the_loss_and_write_back(jax_run):
    losses = jax_run["losses"]
    assert losses.shape == (STEPS,)
    assert losses[-1] < 0.5 * losses[0], losses
    np.testing.assert_allclose(jax_run["eager_loss_after"], jax_run["last_step_loss"], atol=1e-5)


if __name__ == "__main__":
    _worker(sys.argv[1], sys.argv[2])
