#!/usr/bin/env python
"""Masked-LM + next-sentence pretraining (or continued pretraining) from raw text files.

Input: text files with one sentence per line and a blank line between documents. The
tf.data pipeline pairs sentences (50% the real next one, 50% random), tokenizes them in
the graph and masks 15% of tokens (80% [MASK], 10% random, 10% unchanged).

    python examples/pretrain_mlm.py                     # continue pretraining MiniLM on the bundled corpus
    python examples/pretrain_mlm.py --train-file a.txt b.txt --mlm-only --model path/to/bert
"""

from __future__ import annotations

import sys

import _common
import numpy as np

import keras_bert
from keras_bert.data import pretraining_dataset
from keras_bert.tokenization import TFBertTokenizer
from keras_bert.training import train


def parse_args(argv):
    p = _common.base_parser(__doc__.splitlines()[1], max_length=64, batch_size=16, learning_rate=1e-4)
    p.add_argument("--train-file", nargs="+", default=[_common.data_path("pretrain_corpus.txt")])
    p.add_argument("--mlm-only", action="store_true", help="TFBertForMaskedLM, no next-sentence head")
    p.add_argument("--mlm-probability", type=float, default=0.15)
    p.add_argument("--eval-batches", type=int, default=4, help="fixed masked batches to measure loss on")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    strategy = _common.setup(args)
    tokenizer = TFBertTokenizer.from_pretrained(args.model, max_length=args.max_length)
    ds = pretraining_dataset(
        args.train_file, tokenizer, args.batch_size, mlm_probability=args.mlm_probability, seed=args.seed
    )
    if args.mlm_only:
        ds = ds.map(lambda x, y: (x, {"labels": y["labels"]}))
    # A fixed held-out set of masked batches: the loss on it before and after training.
    fixed = list(ds.take(args.eval_batches).as_numpy_iterator())
    # One pass counts the batches (cheap on small corpora); pass --steps-per-epoch on large ones.
    steps = args.steps_per_epoch or max(1, sum(1 for _ in ds))
    cls = keras_bert.TFBertForMaskedLM if args.mlm_only else keras_bert.TFBertForPreTraining
    with strategy.scope():
        model = cls.from_pretrained(args.model)
        optimizer = _common.optimizer_for(args, steps)

    def fixed_loss():
        return float(np.mean([float(model({**x, **y}, training=False).loss) for x, y in fixed]))

    before = fixed_loss()
    history = train(
        model,
        ds,
        optimizer,
        epochs=args.epochs,
        callbacks=_common.callbacks_for(args, strategy),
        strategy=strategy,
        steps_per_epoch=steps,
        jit_compile=args.jit_compile,
        verbose=_common.verbose(args),
    )
    after = fixed_loss()
    print(f"loss on {len(fixed)} fixed masked batches: {before:.4f} before, {after:.4f} after training")
    result = {
        "loss": history.history["loss"],
        "loss_before": before,
        "loss_after": after,
        "saved": _common.save_model(args, model, strategy=strategy),
    }
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
