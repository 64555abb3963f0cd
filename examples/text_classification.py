#!/usr/bin/env python
"""Fine-tunes a BERT checkpoint for text classification on a CSV/TSV file.

Text is tokenized inside the tf.data graph (TFBertTokenizer), rows are bucketed by
length, and training runs through `keras_bert.training.train` (model.fit, or
strategy.run steps under MultiWorkerMirroredStrategy).

    python examples/text_classification.py                      # bundled sentiment data
    python examples/text_classification.py --train-file train.csv --eval-file dev.csv \\
        --text-column sentence --label-column label --model path/to/bert
    # two workers on one machine:
    python examples/text_classification.py --workers 127.0.0.1:12345,127.0.0.1:12346 --worker-index 0 &
    python examples/text_classification.py --workers 127.0.0.1:12345,127.0.0.1:12346 --worker-index 1
"""

from __future__ import annotations

import csv
import sys

import _common
import numpy as np

import keras_bert
from keras_bert.data import text_dataset
from keras_bert.tokenization import TFBertTokenizer


def read_table(path, text_column, label_column, pair_column=None, limit=None):
    """CSV or TSV (by extension: .tsv/.tab are tab-separated) with a header row."""
    delimiter = "\t" if path.endswith((".tsv", ".tab")) else ","
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter=delimiter))
    for column in filter(None, (text_column, label_column, pair_column)):
        if rows and column not in rows[0]:
            raise SystemExit(f"{path}: no column {column!r}; columns are {list(rows[0])}")
    rows = rows[:limit] if limit else rows
    texts = [r[text_column] for r in rows]
    pairs = [r[pair_column] for r in rows] if pair_column else None
    return texts, pairs, [r[label_column] for r in rows]


def parse_args(argv):
    p = _common.base_parser(
        __doc__.splitlines()[1],
        train_file=_common.data_path("sentiment_train.tsv"),
        eval_file=_common.data_path("sentiment_test.tsv"),
        max_length=64,
        learning_rate=1e-4,
    )
    p.add_argument("--text-column", default="text")
    p.add_argument("--text-pair-column", default=None, help="second text of sentence-pair tasks")
    p.add_argument("--label-column", default="label")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    strategy = _common.setup(args)
    texts, pairs, raw_labels = read_table(
        args.train_file, args.text_column, args.label_column, args.text_pair_column, args.max_train_examples
    )
    label_names = sorted(set(raw_labels))
    index = {name: i for i, name in enumerate(label_names)}
    labels = np.array([index[x] for x in raw_labels], "int32")
    tokenizer = TFBertTokenizer.from_pretrained(args.model, max_length=args.max_length)
    train_ds = text_dataset(
        texts, labels, tokenizer, args.batch_size, text_pairs=pairs, shuffle_buffer=len(texts), seed=args.seed
    )
    eval_ds, eval_labels = None, None
    if args.eval_file:
        e_texts, e_pairs, e_raw = read_table(
            args.eval_file, args.text_column, args.label_column, args.text_pair_column, args.max_eval_examples
        )
        unknown = sorted(set(e_raw) - set(label_names))
        if unknown:
            raise SystemExit(f"{args.eval_file}: labels {unknown} are not in the training labels {label_names}")
        eval_labels = np.array([index[x] for x in e_raw], "int32")
        eval_ds = text_dataset(
            e_texts, eval_labels, tokenizer, args.batch_size, text_pairs=e_pairs, bucket_boundaries=None
        )

    steps = _common.steps_for(args, len(texts))
    model, history = _common.fine_tune(
        args,
        strategy,
        keras_bert.TFBertForSequenceClassification,
        train_ds,
        steps,
        model_kwargs={"num_labels": len(label_names)},
        validation_data=eval_ds if args.early_stopping else None,
        validation_steps=-(-len(eval_labels) // args.batch_size) if args.early_stopping else None,
    )

    result = {"labels": label_names, "loss": history.history["loss"]}
    if eval_ds is not None:
        correct = total = 0
        for x, y in eval_ds:
            predicted = np.argmax(model(x, training=False).logits, axis=-1)
            correct += int(np.sum(predicted == y.numpy()))
            total += len(predicted)
        result["accuracy"] = correct / total
        print(
            f"eval accuracy: {result['accuracy']:.3f} on {total} examples "
            f"(chance {1 / len(label_names):.3f}; labels {label_names})"
        )
    result["saved"] = _common.save_model(args, model, strategy=strategy)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
