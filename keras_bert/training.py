"""Keras-native training under any tf.distribute strategy.

`train(model, dataset, optimizer, epochs, callbacks, strategy)` runs a model's
built-in loss (labels in the input dict or as y) with a Keras optimizer and Keras
callbacks. Where Keras 3's `model.fit` works (no strategy, `OneDeviceStrategy`,
`MirroredStrategy`) it *is* `model.fit`; under `MultiWorkerMirroredStrategy`,
where `fit` fails today (keras-team/keras#20585, "Attempt to convert a value
(PerReplica...)"), it drives `strategy.run` steps itself over the same model,
optimizer and callbacks.

`create_optimizer` gives AdamW with linear warmup then linear decay
(`WarmupLinearDecay`), no weight decay on biases and LayerNorm weights.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile

import keras
import tensorflow as tf


# -- learning-rate schedule and optimizer ----------------------------------------------
@keras.saving.register_keras_serializable(package="keras_bert")
class WarmupLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warmup from 0 to `learning_rate` over `warmup_steps`, then linear decay to
    `end_learning_rate` at `decay_steps` (total steps), constant afterwards."""

    def __init__(self, learning_rate, decay_steps, warmup_steps=0, end_learning_rate=0.0):
        if decay_steps <= 0 or warmup_steps < 0 or warmup_steps > decay_steps:
            raise ValueError(
                f"Need 0 <= warmup_steps <= decay_steps and decay_steps > 0, "
                f"got warmup_steps={warmup_steps}, decay_steps={decay_steps}"
            )
        self.learning_rate = learning_rate
        self.decay_steps = decay_steps
        self.warmup_steps = warmup_steps
        self.end_learning_rate = end_learning_rate

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        peak = keras.ops.cast(self.learning_rate, "float32")
        end = keras.ops.cast(self.end_learning_rate, "float32")
        warmup = keras.ops.cast(self.warmup_steps, "float32")
        total = keras.ops.cast(self.decay_steps, "float32")
        warm = peak * step / keras.ops.maximum(warmup, 1.0)
        frac = keras.ops.clip((step - warmup) / keras.ops.maximum(total - warmup, 1.0), 0.0, 1.0)
        decay = peak + (end - peak) * frac
        return keras.ops.where(step < warmup, warm, decay)

    def get_config(self):
        return {
            "learning_rate": self.learning_rate,
            "decay_steps": self.decay_steps,
            "warmup_steps": self.warmup_steps,
            "end_learning_rate": self.end_learning_rate,
        }


NO_DECAY_NAMES = ("bias", "gamma", "beta", "LayerNorm", "layer_norm")


def create_optimizer(
    learning_rate: float,
    num_train_steps: int,
    num_warmup_steps: int = 0,
    weight_decay: float = 0.01,
    end_learning_rate: float = 0.0,
    **adamw_kwargs,
) -> keras.optimizers.AdamW:
    """AdamW (eps 1e-6 as BERT) on a `WarmupLinearDecay` schedule; biases and LayerNorm
    weights are excluded from weight decay. Create it under `strategy.scope()` when
    distributing."""
    schedule = WarmupLinearDecay(learning_rate, num_train_steps, num_warmup_steps, end_learning_rate)
    adamw_kwargs.setdefault("epsilon", 1e-6)
    optimizer = keras.optimizers.AdamW(learning_rate=schedule, weight_decay=weight_decay, **adamw_kwargs)
    optimizer.exclude_from_weight_decay(var_names=list(NO_DECAY_NAMES))
    return optimizer


# -- strategies ----------------------------------------------------------------------------
def is_multi_worker(strategy) -> bool:
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def strategy_from_args(workers: str | None = None, worker_index: int = 0, devices=None):
    """A strategy for the examples' `--workers HOST:PORT,HOST:PORT --worker-index I` flags.

    With `workers`, writes TF_CONFIG for this process; with TF_CONFIG already set (a
    cluster launcher), uses it. Either way returns a `MultiWorkerMirroredStrategy`.
    Otherwise: `MirroredStrategy` over `devices` when given, else None (default device).
    """
    if workers:
        cluster = [w.strip() for w in workers.split(",") if w.strip()]
        os.environ["TF_CONFIG"] = json.dumps(
            {"cluster": {"worker": cluster}, "task": {"type": "worker", "index": int(worker_index)}}
        )
    if os.environ.get("TF_CONFIG"):
        return tf.distribute.MultiWorkerMirroredStrategy()
    if devices:
        return tf.distribute.MirroredStrategy(devices)
    return None


def is_chief(strategy=None) -> bool:
    """True except on a non-chief worker of a multi-worker cluster (only the chief writes)."""
    if not is_multi_worker(strategy):
        return True
    resolver = strategy.cluster_resolver
    task_type, task_id = resolver.task_type, resolver.task_id
    return task_type == "chief" or (
        task_type == "worker" and task_id == 0 and "chief" not in resolver.cluster_spec().as_dict()
    )


# -- the entry point --------------------------------------------------------------------------
def train(
    model,
    dataset,
    optimizer=None,
    epochs: int = 1,
    callbacks=None,
    strategy=None,
    *,
    steps_per_epoch: int | None = None,
    validation_data=None,
    validation_steps: int | None = None,
    jit_compile: bool = False,
    metrics=None,
    verbose="auto",
    loop: str = "auto",
):
    """Trains `model` on its built-in loss; returns a `keras.callbacks.History`.

    Args:
        model: a keras_bert model (or any Keras model whose `compute_loss` works without
            a compiled loss). Under a strategy, build it inside `strategy.scope()`.
        dataset: a `tf.data.Dataset` of `(inputs, labels)` or of input dicts with labels.
            Its batch size is the global batch size.
        optimizer: a Keras optimizer (created under `strategy.scope()`); None keeps the
            model's compiled optimizer.
        callbacks: Keras callbacks (`ModelCheckpoint` with `.weights.h5`, `EarlyStopping`,
            `TensorBoard`, ...). On non-chief workers, file-writing callbacks write to a
            temporary directory so only the chief writes to the real path.
        strategy: None, or any `tf.distribute` strategy.
        steps_per_epoch: needed with the custom loop when the dataset's size is unknown
            (e.g. after length bucketing); the dataset is then repeated.
        jit_compile: XLA-compile the step (the forward and backward pass in the custom loop).
        metrics: Keras metrics for `compile` (reported by the `model.fit` path only).
        loop: "auto" (model.fit unless the strategy is multi-worker), "fit" or "custom".
    """
    if loop not in ("auto", "fit", "custom"):
        raise ValueError(f"loop must be 'auto', 'fit' or 'custom', got {loop!r}")
    strategy = strategy or tf.distribute.get_strategy()
    use_custom = loop == "custom" or (loop == "auto" and is_multi_worker(strategy))
    with strategy.scope():
        if optimizer is not None or not model.compiled:
            model.compile(optimizer=optimizer or "adam", metrics=metrics, jit_compile=jit_compile and not use_custom)
    _check_variables(model, strategy)
    if not use_custom:
        if steps_per_epoch:
            dataset = dataset.repeat()  # a cap on steps never runs a finite dataset dry
        return model.fit(
            dataset,
            epochs=epochs,
            callbacks=callbacks,
            steps_per_epoch=steps_per_epoch,
            validation_data=validation_data,
            validation_steps=validation_steps,
            verbose=verbose,
            shuffle=False,  # tf.data shuffles itself
        )
    return CustomLoop(model, strategy, jit_compile).run(
        dataset, epochs, callbacks, steps_per_epoch, validation_data, validation_steps, verbose
    )


def _check_variables(model, strategy):
    if isinstance(strategy, tf.distribute.Strategy) and strategy.num_replicas_in_sync > 1:
        for v in model.trainable_variables:
            value = getattr(v, "value", v)
            if not strategy.extended.variable_created_in_scope(value):
                raise ValueError(
                    f"Variable {v.path!r} was not created under {type(strategy).__name__}.scope(); "
                    "build the model (e.g. from_pretrained) inside `with strategy.scope():`"
                )


def _steps(dataset, steps):
    if steps is not None:
        return int(steps), dataset.repeat()
    n = int(dataset.cardinality())
    if n < 0:
        raise ValueError(
            "The dataset's number of batches is unknown (or infinite); pass steps_per_epoch / "
            "validation_steps so every worker runs the same number of steps"
        )
    return n, dataset.repeat()  # repeat: uneven shards never run dry mid-epoch


def _data_sharded(dataset):
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def _local_callbacks(callbacks, chief: bool):
    """On non-chief workers, file writers get a private temporary directory."""
    if chief:
        return list(callbacks or [])
    scratch = tempfile.mkdtemp(prefix="keras_bert_worker_")
    out = []
    for cb in callbacks or []:
        if isinstance(cb, (keras.callbacks.ModelCheckpoint, keras.callbacks.BackupAndRestore)) or hasattr(
            cb, "log_dir"
        ):
            cb = copy.copy(cb)
            for attr in ("filepath", "log_dir", "backup_dir"):
                if isinstance(getattr(cb, attr, None), str):
                    setattr(cb, attr, os.path.join(scratch, os.path.basename(getattr(cb, attr)) or attr))
        out.append(cb)
    return out


class CustomLoop:
    """`strategy.run` train/eval steps with Keras callbacks: the multi-worker path."""

    def __init__(self, model, strategy, jit_compile=False):
        self.model = model
        self.strategy = strategy
        self.optimizer = model.optimizer
        with strategy.scope():
            if not model.built:
                model.build()  # keras_bert models build without an input shape
            self.optimizer.build(model.trainable_variables)
        grads = self._grads
        self._grads_fn = tf.function(grads, jit_compile=True) if jit_compile else grads
        self._train_fn = tf.function(self._train_step)
        self._eval_fn = tf.function(self._eval_step)

    def _grads(self, data):
        model = self.model
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            y_pred = model(x, training=True)
            loss = model.compute_loss(x, y, y_pred, sample_weight, training=True)  # already / replicas
            scaled = self.optimizer.scale_loss(loss)
        return loss, tape.gradient(scaled, model.trainable_variables)

    def _replica_train(self, data):
        loss, grads = self._grads_fn(data)
        self.optimizer.apply_gradients(zip(grads, self.model.trainable_variables))
        return loss

    def _train_step(self, iterator):
        per_replica = self.strategy.run(self._replica_train, args=(next(iterator),))
        return self.strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    def _replica_eval(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        y_pred = self.model(x, training=False)
        return self.model.compute_loss(x, y, y_pred, sample_weight, training=False)

    def _eval_step(self, iterator):
        per_replica = self.strategy.run(self._replica_eval, args=(next(iterator),))
        return self.strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    def _distribute(self, dataset, steps):
        steps, dataset = _steps(dataset, steps)
        return steps, self.strategy.experimental_distribute_dataset(_data_sharded(dataset))

    def run(self, dataset, epochs, callbacks, steps_per_epoch, validation_data, validation_steps, verbose):
        model, chief = self.model, is_chief(self.strategy)
        steps, train_data = self._distribute(dataset, steps_per_epoch)
        train_iter = iter(train_data)
        val_iter = None
        if validation_data is not None:
            val_steps, val_data = self._distribute(validation_data, validation_steps)
            val_iter = iter(val_data)
        if verbose == "auto":
            verbose = 1
        history = keras.callbacks.History()
        callback_list = keras.callbacks.CallbackList(
            [*_local_callbacks(callbacks, chief), history],
            add_progbar=bool(verbose) and chief,
            model=model,
            verbose=verbose,
            epochs=epochs,
            steps=steps,
        )
        model.stop_training = False
        callback_list.on_train_begin()
        for epoch in range(epochs):
            callback_list.on_epoch_begin(epoch)
            total = 0.0
            for step in range(steps):
                callback_list.on_train_batch_begin(step)
                loss = float(self._train_fn(train_iter))
                total += loss
                callback_list.on_train_batch_end(step, {"loss": loss})
            logs = {"loss": total / steps}
            if val_iter is not None:
                callback_list.on_test_begin()
                val_total = sum(float(self._eval_fn(val_iter)) for _ in range(val_steps))
                callback_list.on_test_end({"loss": val_total / val_steps})
                logs["val_loss"] = val_total / val_steps
            callback_list.on_epoch_end(epoch, logs)
            if model.stop_training:
                break
        callback_list.on_train_end(logs)
        return history


__all__ = [
    "CustomLoop",
    "WarmupLinearDecay",
    "create_optimizer",
    "is_chief",
    "is_multi_worker",
    "strategy_from_args",
    "train",
]
