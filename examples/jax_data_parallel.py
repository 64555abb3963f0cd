"""Data-parallel fine-tuning on JAX with Keras' distribution API, and a model-parallel layout for BERT.

`keras.distribution.DataParallel` replicates the weights on every device and splits each batch;
`keras_bert.train(..., distribution=...)` runs `model.fit` under it, as it runs a
`tf.distribute` strategy on TensorFlow. `ModelParallel` with `keras_bert.distribution.bert_layout_map`
splits the embedding and dense kernels over a "model" mesh axis instead (for models too large
for one device). Create the model and the optimizer inside `distribution.scope()`.

    python examples/jax_data_parallel.py       # 2 host CPU devices stand in for accelerators

On a CPU-only machine XLA shows one device unless told otherwise; the script asks for two
(`XLA_FLAGS=--xla_force_host_platform_device_count=2`) before JAX starts, each running its
program on one thread (`--xla_cpu_multi_thread_eigen=false`: on a 2-core machine a device blocked
in an all-reduce can otherwise hold the thread the other device's matmul waits for, and XLA aborts
after its rendezvous timeout). On GPUs or TPUs drop both.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2 --xla_cpu_multi_thread_eigen=false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from _paths import parse, parser, read_sentiment  # noqa: E402


def parse_args(argv=None):
    p = parser(__doc__, learning_rate=1e-4)
    p.add_argument("--steps", type=int, default=8, help="training steps (global batches)")
    return parse(p, argv)


def main(argv=None):
    args = parse_args(argv)
    import keras
    import numpy as np

    import keras_bert
    from keras_bert.distribution import bert_layout_map

    if keras.config.backend() != "jax":
        raise SystemExit(f"This example needs the JAX backend; Keras already runs on {keras.config.backend()!r}")
    devices = keras.distribution.list_devices()
    print(f"devices: {devices}")
    keras.utils.set_random_seed(0)

    texts, labels = read_sentiment(args.steps * args.batch_size)
    tokenizer = keras_bert.BertTokenizerFast.from_pretrained(args.model)
    enc = tokenizer(
        texts,
        padding="max_length",
        truncation=True,
        max_length=args.max_length,
        return_tensors="np",
    )
    inputs = {k: enc[k] for k in ("input_ids", "attention_mask", "token_type_ids")}
    labels = np.array(labels, "int32")

    class Batches(keras.utils.PyDataset):  # any fit input works; tf.data too
        def __len__(self):
            return len(labels) // args.batch_size

        def __getitem__(self, i):
            s = slice(i * args.batch_size, (i + 1) * args.batch_size)
            return {k: v[s] for k, v in inputs.items()}, labels[s]

    data_parallel = keras.distribution.DataParallel(devices=devices)
    with data_parallel.scope():
        model = keras_bert.TFBertForSequenceClassification.from_pretrained(args.model, num_labels=2)
        optimizer = keras.optimizers.Adam(args.learning_rate)
    history = keras_bert.train(model, Batches(), optimizer, epochs=2, distribution=data_parallel, verbose=0)
    losses = [float(x) for x in history.history["loss"]]
    print(f"DataParallel over {len(devices)} devices, loss per epoch: {[round(x, 4) for x in losses]}")

    # The fine-tuned weights under a model-parallel layout: same logits, kernels split over "model".
    probe = {k: v[:4] for k, v in inputs.items()}
    logits = np.asarray(model(probe).logits)
    weights = model.get_weights()
    mesh = keras.distribution.DeviceMesh((1, len(devices)), ["batch", "model"], devices)
    model_parallel = keras.distribution.ModelParallel(
        layout_map=bert_layout_map(mesh, model.config), batch_dim_name="batch"
    )
    with model_parallel.scope():
        sharded = keras_bert.TFBertForSequenceClassification(model.config)
        sharded.build()
        sharded.set_weights(weights)
        sharded_logits = np.asarray(sharded(probe).logits)
    query = next(v for v in sharded.trainable_variables if v.path.endswith("query/kernel"))
    spec = tuple(query.value.sharding.spec)
    gap = float(np.abs(sharded_logits - logits).max())
    print(f"ModelParallel: {query.path} split as {spec}; max |logits difference| {gap:.2e}")
    return {"losses": losses, "devices": len(devices), "model_parallel_gap": gap, "query_spec": spec}


if __name__ == "__main__":
    main()
