"""Keras-native training under any tf.distribute strategy.

`train(model, dataset, optimizer, epochs, callbacks, strategy)` runs a model's
built-in loss (labels in the input dict or as y) with a Keras optimizer and Keras
callbacks. Where Keras 3's `model.fit` works (no strategy, `OneDeviceStrategy`,
`MirroredStrategy`) it *is* `model.fit`; under `MultiWorkerMirroredStrategy`,
where `fit` fails today (keras-team/keras#20585, "Attempt to convert a value
(PerReplica...)"), it drives `strategy.run` steps itself over the same model,
optimizer and callbacks. On the JAX backend it takes a `keras.distribution`
(`DataParallel`, `ModelParallel` with `keras_bert.distribution.bert_layout_map`)
in the same place and runs `model.fit` under it; TensorFlow is imported only by
the parts that need it (strategies, `GradientAccumulator`, the custom loop).

The optimizer utilities carry transformers 4.x's TensorFlow names and behaviour
(`create_optimizer` -> `(optimizer, schedule)`, `AdamWeightDecay`, `WarmUp`,
`GradientAccumulator`) on Keras 3 optimizers, so 4.x training scripts run unchanged.
"""

from __future__ import annotations

import copy
import json
import os
import re
import sys
import tempfile

import keras


def _tf():
    import tensorflow as tf  # only the tf.distribute paths need it; JAX and torch users never load it

    return tf


def __getattr__(name):
    """`keras_bert.training.tf`: TensorFlow, imported on first use (was a top-level import)."""
    if name == "tf":
        return _tf()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# -- learning-rate schedules, optimizer, gradient accumulation (transformers 4.x optimization_tf) --
@keras.saving.register_keras_serializable(package="keras_bert")
class WarmUp(keras.optimizers.schedules.LearningRateSchedule):
    """Warmup then another schedule, as transformers 4.x `WarmUp`.

    For `step < warmup_steps` the rate is `initial_learning_rate * (step / warmup_steps) ** power`;
    afterwards it is `decay_schedule_fn(step - warmup_steps)`.

    Example:
        decay = keras.optimizers.schedules.PolynomialDecay(1e-4, decay_steps=900, end_learning_rate=0.0)
        schedule = WarmUp(1e-4, decay, warmup_steps=100)
        float(schedule(50))  # 5e-05
    """

    def __init__(self, initial_learning_rate, decay_schedule_fn, warmup_steps, power=1.0, name=None):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.warmup_steps = warmup_steps
        self.power = power
        self.decay_schedule_fn = decay_schedule_fn
        self.name = name

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        warmup = keras.ops.cast(self.warmup_steps, "float32")
        done = step / keras.ops.maximum(warmup, 1e-12)  # warmup_steps=0 never takes this branch
        warm = self.initial_learning_rate * keras.ops.power(done, self.power)
        decayed = keras.ops.cast(self.decay_schedule_fn(step - warmup), "float32")
        return keras.ops.where(step < warmup, warm, decayed)

    def get_config(self):
        decay = self.decay_schedule_fn
        if isinstance(decay, keras.optimizers.schedules.LearningRateSchedule):
            decay = keras.optimizers.schedules.serialize(decay)
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_schedule_fn": decay,
            "warmup_steps": self.warmup_steps,
            "power": self.power,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("decay_schedule_fn"), dict):
            config["decay_schedule_fn"] = keras.optimizers.schedules.deserialize(config["decay_schedule_fn"])
        return cls(**config)


@keras.saving.register_keras_serializable(package="keras_bert")
class WarmupLinearDecay(WarmUp):
    """BERT's schedule by total steps: `WarmUp` over a linear `PolynomialDecay`.

    Linear warmup from 0 to `learning_rate` over `warmup_steps`, then linear decay to
    `end_learning_rate` at `decay_steps` (total steps), constant afterwards. The same schedule
    `create_optimizer(learning_rate, decay_steps, warmup_steps, min_lr_ratio)` builds.

    Example:
        schedule = WarmupLinearDecay(1e-3, decay_steps=110, warmup_steps=10)
        float(schedule(60))  # 5e-04
    """

    def __init__(self, learning_rate, decay_steps, warmup_steps=0, end_learning_rate=0.0):
        if decay_steps <= 0 or warmup_steps < 0 or warmup_steps >= decay_steps:
            raise ValueError(
                f"Need 0 <= warmup_steps < decay_steps, got warmup_steps={warmup_steps}, decay_steps={decay_steps}"
            )
        self.learning_rate = learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        decay = keras.optimizers.schedules.PolynomialDecay(
            learning_rate, decay_steps - warmup_steps, end_learning_rate=end_learning_rate
        )
        super().__init__(learning_rate, decay, warmup_steps)

    def get_config(self):
        return {
            "learning_rate": self.learning_rate,
            "decay_steps": self.decay_steps,
            "warmup_steps": self.warmup_steps,
            "end_learning_rate": self.end_learning_rate,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="keras_bert")
class AdamWeightDecay(keras.optimizers.Adam):
    """Adam with decoupled weight decay, as transformers 4.x `AdamWeightDecay`.

    Each step first shrinks every decayed variable, `var -= lr * weight_decay_rate * var` (lr the
    schedule's current rate), then applies the Adam update. A variable is decayed unless its path
    (e.g. `.../attention/output/LayerNorm/gamma`) matches a regex of `exclude_from_weight_decay`;
    a match in `include_in_weight_decay` wins over an exclusion.

    Example:
        opt = AdamWeightDecay(1e-4, weight_decay_rate=0.01, exclude_from_weight_decay=["LayerNorm", "bias"])
        model.compile(optimizer=opt)
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        weight_decay_rate=0.0,
        include_in_weight_decay=None,
        exclude_from_weight_decay=None,
        name="AdamWeightDecay",
        **kwargs,
    ):
        kwargs.pop("weight_decay", None)  # weight_decay_rate is the argument; it is stored as Keras' weight_decay
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            weight_decay=weight_decay_rate or None,
            name=name,
            **kwargs,
        )
        self.weight_decay_rate = weight_decay_rate
        self._include_in_weight_decay = list(include_in_weight_decay or [])
        self._exclude_from_weight_decay_names = list(exclude_from_weight_decay or [])

    def _use_weight_decay(self, variable):
        # Keras variables have a path; the TF backend passes the underlying tf.Variable ("path:0").
        name = getattr(variable, "path", None) or variable.name.split(":")[0]
        return self.do_use_weight_decay(name)

    def do_use_weight_decay(self, param_name: str) -> bool:
        """Whether the variable named `param_name` is decayed (transformers' `_do_use_weight_decay`)."""
        if not self.weight_decay_rate:
            return False
        if any(re.search(r, param_name) for r in self._include_in_weight_decay):
            return True
        return not any(re.search(r, param_name) for r in self._exclude_from_weight_decay_names)

    def get_config(self):
        config = super().get_config()
        config.pop("weight_decay", None)
        config.update(
            weight_decay_rate=self.weight_decay_rate,
            include_in_weight_decay=self._include_in_weight_decay or None,
            exclude_from_weight_decay=self._exclude_from_weight_decay_names or None,
        )
        return config


NO_DECAY_NAMES = ("LayerNorm", "layer_norm", "bias")  # transformers 4.x create_optimizer's exclusions


def create_optimizer(
    init_lr: float,
    num_train_steps: int,
    num_warmup_steps: int,
    min_lr_ratio: float = 0.0,
    adam_beta1: float = 0.9,
    adam_beta2: float = 0.999,
    adam_epsilon: float = 1e-8,
    adam_clipnorm: float | None = None,
    adam_global_clipnorm: float | None = None,
    weight_decay_rate: float = 0.0,
    power: float = 1.0,
    include_in_weight_decay: list[str] | None = None,
):
    """Returns `(optimizer, lr_schedule)` as transformers 4.x `create_optimizer`.

    The schedule is a `PolynomialDecay` from `init_lr` to `init_lr * min_lr_ratio` over
    `num_train_steps - num_warmup_steps` steps (`power`), behind a linear `WarmUp` when
    `num_warmup_steps` > 0. The optimizer is `AdamWeightDecay` (no decay on LayerNorm weights
    and biases unless `include_in_weight_decay` says so) when `weight_decay_rate` > 0, else Keras
    `Adam`. Create it under `strategy.scope()` when distributing.

    Example:
        optimizer, schedule = create_optimizer(5e-5, num_train_steps=1000, num_warmup_steps=100,
                                               weight_decay_rate=0.01)
        model.compile(optimizer=optimizer)
    """
    if num_train_steps - num_warmup_steps <= 0:
        raise ValueError(
            f"num_train_steps ({num_train_steps}) must exceed num_warmup_steps ({num_warmup_steps}): the decay "
            "after warmup needs at least one step"
        )
    lr_schedule = keras.optimizers.schedules.PolynomialDecay(
        initial_learning_rate=init_lr,
        decay_steps=num_train_steps - num_warmup_steps,
        end_learning_rate=init_lr * min_lr_ratio,
        power=power,
    )
    if num_warmup_steps:
        lr_schedule = WarmUp(init_lr, lr_schedule, num_warmup_steps)
    adam = dict(
        learning_rate=lr_schedule,
        beta_1=adam_beta1,
        beta_2=adam_beta2,
        epsilon=adam_epsilon,
        clipnorm=adam_clipnorm,
        global_clipnorm=adam_global_clipnorm,
    )
    if weight_decay_rate > 0.0:
        optimizer = AdamWeightDecay(
            **adam,
            weight_decay_rate=weight_decay_rate,
            exclude_from_weight_decay=list(NO_DECAY_NAMES),
            include_in_weight_decay=include_in_weight_decay,
        )
    else:
        optimizer = keras.optimizers.Adam(**adam)
    return optimizer, lr_schedule


class GradientAccumulator:
    """Sums gradients over calls, as transformers 4.x `GradientAccumulator` (TensorFlow).

    Call it with a list of gradients each micro-batch; `gradients` holds the running sums, `step`
    the number of calls since the last `reset()`. Under a strategy, call it in replica context.

    Example:
        acc = GradientAccumulator()
        for batch in micro_batches:
            with tf.GradientTape() as tape:
                loss = model(batch, training=True).loss
            acc(tape.gradient(loss, model.trainable_variables))
        optimizer.apply_gradients(zip([g / acc.step for g in acc.gradients], model.trainable_variables))
        acc.reset()
    """

    def __init__(self):
        self._gradients = []
        self._accum_steps = None

    @property
    def step(self):
        """Number of accumulated steps (an int64 scalar tensor)."""
        tf = _tf()
        if self._accum_steps is None:
            self._accum_steps = tf.Variable(
                tf.constant(0, dtype=tf.int64),
                trainable=False,
                synchronization=tf.VariableSynchronization.ON_READ,
                aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA,
            )
        return self._accum_steps.value()

    @property
    def gradients(self):
        """The accumulated gradients (None where a gradient was None)."""
        if not self._gradients:
            raise ValueError("The accumulator should be called first to initialize the gradients")
        return [g.value() if g is not None else None for g in self._gradients]

    def __call__(self, gradients):
        tf = _tf()
        if not self._gradients:
            _ = self.step  # creates the step counter
            self._gradients.extend(
                tf.Variable(
                    tf.zeros_like(g),
                    trainable=False,
                    synchronization=tf.VariableSynchronization.ON_READ,
                    aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA,
                )
                if g is not None
                else None
                for g in gradients
            )
        if len(gradients) != len(self._gradients):
            raise ValueError(f"Expected {len(self._gradients)} gradients, but got {len(gradients)}")
        for accum, g in zip(self._gradients, gradients):
            if accum is not None and g is not None:
                accum.assign_add(g)
        self._accum_steps.assign_add(1)

    def reset(self):
        """Zeroes the step count and the accumulated gradients."""
        if not self._gradients:
            return
        tf = _tf()
        self._accum_steps.assign(0)
        for g in self._gradients:
            if g is not None:
                g.assign(tf.zeros_like(g))


# -- strategies ----------------------------------------------------------------------------
def is_multi_worker(strategy) -> bool:
    if "tensorflow" not in sys.modules:  # no TensorFlow loaded: no tf.distribute strategy exists
        return False
    return isinstance(strategy, _tf().distribute.MultiWorkerMirroredStrategy)


def strategy_from_args(workers: str | None = None, worker_index: int = 0, devices=None):
    """A strategy for the examples' `--workers HOST:PORT,HOST:PORT --worker-index I` flags.

    With `workers`, writes TF_CONFIG for this process; with TF_CONFIG already set (a
    cluster launcher), uses it. Either way returns a `MultiWorkerMirroredStrategy`.
    Otherwise: `MirroredStrategy` over `devices` when given, else None (default device).
    """
    tf = _tf() if workers or os.environ.get("TF_CONFIG") or devices else None
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
    distribution=None,
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
        strategy: None, any `tf.distribute` strategy, or (JAX backend) a `keras.distribution`
            (`DataParallel`, `ModelParallel`), as `distribution=` takes it.
        steps_per_epoch: needed with the custom loop when the dataset's size is unknown
            (e.g. after length bucketing); the dataset is then repeated.
        jit_compile: XLA-compile the step (the forward and backward pass in the custom loop).
        metrics: Keras metrics for `compile` (reported by the `model.fit` path only).
        loop: "auto" (model.fit unless the strategy is multi-worker), "fit" or "custom".
        distribution: a `keras.distribution.Distribution` (JAX backend only): the model must be
            built inside `distribution.scope()`; `model.fit` then runs under it (batches sharded
            over its batch axis, weights laid out by it). The dataset may be a `tf.data.Dataset`
            or anything `fit` takes.
    """
    if loop not in ("auto", "fit", "custom"):
        raise ValueError(f"loop must be 'auto', 'fit' or 'custom', got {loop!r}")
    from keras_bert.distribution import is_distribution

    fit_args = dict(
        epochs=epochs,
        callbacks=callbacks,
        steps_per_epoch=steps_per_epoch,
        validation_data=validation_data,
        validation_steps=validation_steps,
        verbose=verbose,
    )
    if is_distribution(strategy):
        if distribution is not None:
            raise ValueError("Pass the keras.distribution as strategy= or distribution=, not both")
        strategy, distribution = None, strategy
    if distribution is not None:
        if strategy is not None:
            raise ValueError(
                f"Got both strategy={type(strategy).__name__} and distribution={type(distribution).__name__}; "
                "a tf.distribute strategy runs on the TensorFlow backend, a keras.distribution on JAX: pass one"
            )
        return _train_distributed(model, dataset, optimizer, distribution, loop, jit_compile, metrics, fit_args)
    backend = keras.config.backend()
    if backend != "tensorflow":  # jax / torch: plain model.fit, no TensorFlow
        if strategy is not None or loop == "custom":
            raise ValueError(
                f"A tf.distribute strategy (and loop='custom') runs on the TensorFlow backend; the Keras backend is "
                f"{backend!r}: train without one, or on JAX pass a keras.distribution as distribution="
            )
        return _fit(model, dataset, optimizer, metrics, jit_compile, fit_args)
    strategy = strategy or _tf().distribute.get_strategy()
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


def _train_distributed(model, dataset, optimizer, distribution, loop, jit_compile, metrics, fit_args):
    """`model.fit` under a keras.distribution (JAX): Keras shards each batch over the batch axis."""
    from keras_bert.distribution import check_variables, is_distribution

    if not is_distribution(distribution):
        raise TypeError(
            f"distribution must be a keras.distribution.Distribution (DataParallel, ModelParallel), "
            f"got {type(distribution).__name__}"
        )
    backend = keras.config.backend()
    if backend != "jax":
        raise ValueError(
            f"keras.distribution.{type(distribution).__name__} runs on the JAX backend (KERAS_BACKEND=jax); "
            f"the Keras backend is {backend!r}. On TensorFlow pass a tf.distribute strategy as strategy= "
            "(e.g. tf.distribute.MirroredStrategy())"
        )
    if loop == "custom":
        raise ValueError("loop='custom' drives tf.distribute strategies; with a keras.distribution train uses fit")
    check_variables(model, distribution, optimizer if optimizer is not None else getattr(model, "optimizer", None))
    with distribution.scope():
        return _fit(model, dataset, optimizer, metrics, jit_compile, fit_args)


def _fit(model, dataset, optimizer, metrics, jit_compile, fit_args):
    """`model.fit` off TensorFlow; jit_compile=False still compiles on JAX ("auto"), as fit there expects."""
    if optimizer is not None or not model.compiled:
        model.compile(optimizer=optimizer or "adam", metrics=metrics, jit_compile=jit_compile or "auto")
    if fit_args["steps_per_epoch"] and hasattr(dataset, "repeat"):
        dataset = dataset.repeat()  # a cap on steps never runs a finite dataset dry
    return model.fit(dataset, shuffle=False, **fit_args)


def _check_variables(model, strategy):
    tf = _tf()
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
    tf = _tf()
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
        tf = _tf()
        self._grads_fn = tf.function(grads, jit_compile=True) if jit_compile else grads
        self._train_fn = tf.function(self._train_step)
        self._eval_fn = tf.function(self._eval_step)

    def _grads(self, data):
        model = self.model
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with _tf().GradientTape() as tape:
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
        return self.strategy.reduce(_tf().distribute.ReduceOp.SUM, per_replica, axis=None)

    def _replica_eval(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        y_pred = self.model(x, training=False)
        return self.model.compute_loss(x, y, y_pred, sample_weight, training=False)

    def _eval_step(self, iterator):
        per_replica = self.strategy.run(self._replica_eval, args=(next(iterator),))
        return self.strategy.reduce(_tf().distribute.ReduceOp.SUM, per_replica, axis=None)

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
    "AdamWeightDecay",
    "CustomLoop",
    "GradientAccumulator",
    "WarmUp",
    "WarmupLinearDecay",
    "create_optimizer",
    "is_chief",
    "is_multi_worker",
    "strategy_from_args",
    "train",
]
