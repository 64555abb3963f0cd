#!/usr/bin/env python
"""Fine-tunes BERT for multiple choice (SWAG style) on JSON lines.

Each line: {"context": str, "choices": [str, ...], "label": int}. Every (context, choice)
pair is tokenized inside the tf.data graph and fed as (B, choices, T); the model scores
each choice and the built-in loss is cross-entropy over choices.

    python examples/multiple_choice.py
    python examples/multiple_choice.py --train-file train.jsonl --eval-file dev.jsonl
"""

from __future__ import annotations

import json
import sys

import _common
import numpy as np
import tensorflow as tf

import keras_bert
from keras_bert.tokenization import TFBertTokenizer


def read_jsonl(path, limit=None):
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    rows = rows[:limit] if limit else rows
    counts = {len(r["choices"]) for r in rows}
    if len(counts) != 1:
        raise SystemExit(f"{path}: every row needs the same number of choices, found {sorted(counts)}")
    return rows


def make_dataset(rows, tokenizer, batch_size, shuffle_seed=None):
    """(contexts, choices) strings -> ({input_ids, ...: (B, C, T)}, labels (B,)), tokenized in the graph."""
    data = {
        "context": tf.constant([r["context"] for r in rows]),
        "choices": tf.constant([r["choices"] for r in rows]),  # (N, C)
        "label": tf.constant([int(r["label"]) for r in rows], tf.int32),
    }
    ds = tf.data.Dataset.from_tensor_slices(data)
    if shuffle_seed is not None:
        ds = ds.shuffle(len(rows), seed=shuffle_seed)

    def encode(batch):
        choices = batch["choices"]  # (B, C)
        shape = tf.shape(choices)
        contexts = tf.repeat(batch["context"], shape[1])  # (B * C,)
        enc = tokenizer(contexts, tf.reshape(choices, [-1]))  # each (B * C, T)
        inputs = {k: tf.reshape(tf.cast(v, tf.int32), [shape[0], shape[1], -1]) for k, v in enc.items()}
        return inputs, batch["label"]  # (B, C, T), (B,)

    return ds.batch(batch_size).map(encode, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def parse_args(argv):
    p = _common.base_parser(
        __doc__.splitlines()[1],
        train_file=_common.data_path("choice_train.jsonl"),
        eval_file=_common.data_path("choice_test.jsonl"),
        max_length=32,
        batch_size=8,
        learning_rate=1e-4,
    )
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    strategy = _common.setup(args)
    tokenizer = TFBertTokenizer.from_pretrained(args.model, max_length=args.max_length)
    rows = read_jsonl(args.train_file, args.max_train_examples)
    train_ds = make_dataset(rows, tokenizer, args.batch_size, shuffle_seed=args.seed)
    steps = _common.steps_for(args, len(rows))
    model, history = _common.fine_tune(args, strategy, keras_bert.TFBertForMultipleChoice, train_ds, steps)
    result = {"loss": history.history["loss"]}
    if args.eval_file:
        eval_rows = read_jsonl(args.eval_file, args.max_eval_examples)
        correct = 0
        for x, y in make_dataset(eval_rows, tokenizer, args.batch_size):
            correct += int(np.sum(np.argmax(model(x, training=False).logits, axis=-1) == y.numpy()))
        result["accuracy"] = correct / len(eval_rows)
        result["chance"] = 1 / len(eval_rows[0]["choices"])
        print(f"eval accuracy {result['accuracy']:.3f} on {len(eval_rows)} questions (chance {result['chance']:.3f})")
    result["saved"] = _common.save_model(args, model, strategy=strategy)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
