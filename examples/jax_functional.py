"""FlaxBert habits on keras_bert: a jitted, functional training step on the JAX backend.

transformers v5 removed `FlaxBertForSequenceClassification`; its users trained with pure functions
of a `params` tree under `jax.jit`. Keras 3 gives the same: `model.stateless_call(params, state,
inputs)` runs the model on values passed in (nothing is assigned), so `jax.grad` and `jax.jit`
apply, and a Keras optimizer's `stateless_apply` updates params and optimizer state functionally.

    python examples/jax_functional.py              # MiniLM, a few steps on the bundled sentiment data

The script sets KERAS_BACKEND=jax before Keras loads (a backend chosen earlier in the process is
refused). Output records are not JAX pytrees: a jitted function returns arrays taken from the
record inside it, or `return_dict=False` tuples.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from _paths import parse, parser, read_sentiment  # noqa: E402


def parse_args(argv=None):
    p = parser(__doc__, learning_rate=1e-4)
    p.add_argument("--steps", type=int, default=10, help="training steps")
    return parse(p, argv)


def main(argv=None):
    args = parse_args(argv)
    import jax
    import jax.numpy as jnp
    import keras
    import numpy as np

    import keras_bert
    from keras_bert.distribution import hf_names

    if keras.config.backend() != "jax":
        raise SystemExit(f"This example needs the JAX backend; Keras already runs on {keras.config.backend()!r}")
    keras.utils.set_random_seed(0)

    # FlaxBertForSequenceClassification.from_pretrained(path) -> the same call, JAX arrays inside.
    tokenizer = keras_bert.BertTokenizerFast.from_pretrained(args.model)
    model = keras_bert.TFBertForSequenceClassification.from_pretrained(args.model, num_labels=2)
    texts, labels = read_sentiment(args.batch_size * 2)
    enc = tokenizer(texts, padding="max_length", truncation=True, max_length=args.max_length, return_tensors="np")
    inputs = {k: enc[k] for k in ("input_ids", "attention_mask", "token_type_ids")}
    labels = np.array(labels, "int32")

    # model.params -> values of the variables; names as in the HF checkpoint, Keras layout (kernels [in, out]).
    params = [v.value for v in model.trainable_variables]
    state = [v.value for v in model.non_trainable_variables]  # dropout seeds and other non-trained state
    named = dict(zip(hf_names(model), params))
    print(f"{len(named)} parameter tensors, e.g. {next(iter(named))} {tuple(next(iter(named.values())).shape)}")

    optimizer = keras.optimizers.Adam(args.learning_rate)  # optax.adam -> a Keras optimizer, used statelessly
    optimizer.build(model.trainable_variables)
    opt_state = [v.value for v in optimizer.variables]

    def loss_fn(params, state, batch, labels):
        record, state = model.stateless_call(params, state, {**batch, "labels": labels}, training=True)
        return jnp.mean(record.loss), state

    @jax.jit
    def train_step(params, state, opt_state, batch, labels):  # what flax's TrainState.apply_gradients did
        (loss, state), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, state, batch, labels)
        params, opt_state = optimizer.stateless_apply(opt_state, grads, params)
        return params, state, opt_state, loss

    @jax.jit
    def predict(params, state, batch):  # jax.jit(model.__call__) -> a pure function of the values
        return model.stateless_call(params, state, batch, return_dict=False)[0][0]  # (logits,) tuple

    def accuracy(params):
        logits = predict(params, state, inputs)
        return float(np.mean(np.argmax(np.asarray(logits), -1) == labels))

    before = accuracy(params)
    losses = []
    n = len(labels)
    for step in range(args.steps):
        rows = (np.arange(args.batch_size) + step * args.batch_size) % n
        batch = {k: v[rows] for k, v in inputs.items()}
        params, state, opt_state, loss = train_step(params, state, opt_state, batch, labels[rows])
        losses.append(float(loss))
        print(f"step {step}: loss {losses[-1]:.4f}")
    after = accuracy(params)

    # Back to the stateful model (for save_pretrained, fit, predict): assign the values.
    for variable, value in zip(model.trainable_variables, params):
        variable.assign(value)
    for variable, value in zip(model.non_trainable_variables, state):
        variable.assign(value)
    stateful = float(np.mean(np.argmax(np.asarray(model(inputs).logits), -1) == labels))
    print(f"train accuracy {before:.2f} -> {after:.2f} (stateful model after write-back: {stateful:.2f})")
    return {"losses": losses, "accuracy_before": before, "accuracy_after": after, "accuracy_stateful": stateful}


if __name__ == "__main__":
    main()
