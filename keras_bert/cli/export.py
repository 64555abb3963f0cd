"""`keras-bert-convert export SRC OUT --task TASK`: any readable checkpoint -> a text-in
SavedModel for TF Serving (see `keras_bert.serving.export_saved_model`)."""

from __future__ import annotations

import os
import sys

from keras_bert.checkpoints import CheckpointError
from keras_bert.serving.export import TASK_BY_CLASS
from keras_bert.serving.tasks import PAIR_TASKS, TASKS

# The Keras class each task runs: the inverse of serving's class -> task table (NSP also
# serves as "classification", but a classification export means a sequence classifier).
TASK_CLASSES = {task: name for name, task in TASK_BY_CLASS.items() if name != "TFBertForNextSentencePrediction"}


def register(subparsers):
    p = subparsers.add_parser("export", help="export a checkpoint as a text-in SavedModel for TF Serving")
    p.add_argument("src", help="checkpoint directory (any format from_pretrained reads) with vocab.txt")
    p.add_argument("out", help="version directory, e.g. saved_models/NAME/1 (a non-numeric OUT gets /1 appended)")
    p.add_argument("--task", choices=TASKS, help="serving task (default: from the checkpoint's head)")
    p.add_argument(
        "--max-length", type=int, help="truncate inputs to N tokens (default: the tokenizer's, capped by the model)"
    )
    p.add_argument(
        "--unpadded",
        action="store_true",
        help="run the model on the real tokens only (encoder heads; outputs equal the padded path)",
    )
    p.add_argument(
        "--quantize",
        choices=("int8",),
        help="int8: run the encoder's Dense projections as int8 matmuls (oneDNN kernels, TensorFlow)",
    )
    p.add_argument("--force", action="store_true", help="replace an existing OUT")
    p.set_defaults(func=run_export)


def run_export(args) -> int:
    import keras_bert.models as models
    from keras_bert.atomic import check_target
    from keras_bert.cli.convert import EXIT_OK, UsageError
    from keras_bert.cli.source import check_vocab_file, open_source
    from keras_bert.serving import export_saved_model, infer_task
    from keras_bert.tokenization import BertTokenizer
    from keras_bert.tokenization.tf_options import check_max_length

    out = os.fspath(args.out)
    if not os.path.basename(os.path.normpath(out)).isdigit():
        out = os.path.join(out, "1")
    if os.path.lexists(out) and not args.force:
        raise UsageError(f"{out!r} exists; pass --force to replace it")
    check_target(out)
    src = open_source(args.src)
    problems = src.config_problems()
    if problems:
        raise CheckpointError(f"config does not fit the weights in {args.src!r}: {problems[0]}")
    vocab_file = os.path.join(src.directory, "vocab.txt")
    if not os.path.isfile(vocab_file):
        raise CheckpointError(f"no vocab.txt in {src.directory!r}: the SavedModel needs the vocabulary")
    vocab = src.vocab_problem()
    if vocab:
        raise CheckpointError(vocab)
    cls = getattr(models, TASK_CLASSES[args.task] if args.task else "TF" + src.head)
    task = args.task or TASK_BY_CLASS.get(cls.__name__)
    if args.max_length is not None:
        try:
            check_max_length(args.max_length, src.config.max_position_embeddings, task in PAIR_TASKS, "--max-length")
        except ValueError as e:
            raise CheckpointError(str(e)) from None
    tokenizer_file = check_vocab_file(vocab_file)
    model = src.build_model(cls)
    task = args.task or infer_task(model)
    try:
        tokenizer = BertTokenizer.from_pretrained(src.directory)
    except (ValueError, KeyError) as e:
        raise CheckpointError(f"Cannot build a tokenizer from {tokenizer_file!r}: {e}") from None
    export_saved_model(
        model,
        tokenizer,
        out,
        task=task,
        max_length=args.max_length,
        overwrite=args.force,
        unpadded=args.unpadded,
        quantize=args.quantize,
    )
    print(f"exported {cls.__name__} ({task}) to {out}", file=sys.stderr)
    return EXIT_OK
