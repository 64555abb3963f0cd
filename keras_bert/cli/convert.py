"""`keras-bert-convert` (also `tools/convert`): convert and inspect BERT checkpoints.

    keras-bert-convert checkpoint SRC OUT --to {hf,tf-h5,keras} [--head CLASS] [--verify] [--force] [--no-vocab]
    keras-bert-convert inspect SRC
    keras-bert-convert export SRC OUT [--task TASK] [--quantize int8] [--unpadded]   (keras_bert/cli/export.py)
    keras-bert-convert tflite SRC OUT.tflite [--quantize int8] [--unpadded] [--head CLASS]   (keras_bert/cli/tflite.py)

Exit codes: 0 ok, 2 usage (including an existing OUT without --force), 3 bad input
(unknown/unreadable format, config/weights or vocab mismatch, missing or malformed vocab,
an unreadable file, an OUT that cannot be written), 4 the converted weights failed --verify,
1 an internal error (rerun with --debug for the traceback). Every failure prints one line
on stderr that names the file or value; stdout/stderr carry only the CLI's own lines.

OUT is written atomically (`keras_bert.atomic`): it appears complete or not at all, `--force`
moves the old OUT aside before renaming the new one in, and temporaries of killed runs are
removed by the next run.

Other modules add subcommands by appending to `REGISTRARS` a function
`register(subparsers)` that adds a parser with `set_defaults(func=handler)`, where
`handler(args) -> int`; modules named in `PLUGIN_MODULES` are imported if present and
their `register` is called.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sys

from keras_bert.checkpoints import CheckpointError

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_BAD_INPUT, EXIT_VERIFY = 0, 1, 2, 3, 4
VERIFY_ATOL = 1e-5
REGISTRARS: list = []
PLUGIN_MODULES = ("keras_bert.cli.export", "keras_bert.cli.tflite")


class UsageError(Exception):
    """Exit code 2 with a one-line reason."""


class VerifyError(Exception):
    """Exit code 4 with a one-line reason."""


def register(fn):
    """Decorator/adder for a subcommand registrar `fn(subparsers)`."""
    REGISTRARS.append(fn)
    return fn


# -- checkpoint ----------------------------------------------------------------------------
@register
def _register_checkpoint(subparsers):
    p = subparsers.add_parser("checkpoint", help="convert a checkpoint to another format")
    p.add_argument("src", help="checkpoint directory or file (HF PyTorch, HF TF h5, Google TF1, Keras native)")
    p.add_argument("out", help="output directory (must not exist unless --force)")
    p.add_argument("--to", required=True, choices=("hf", "tf-h5", "keras"), help="output format")
    p.add_argument("--head", help="model class, e.g. BertForPreTraining or TFBertForMaskedLM (default: detected)")
    p.add_argument(
        "--verify", action="store_true", help=f"compare source and converted outputs (max |diff| <= {VERIFY_ATOL})"
    )
    p.add_argument("--force", action="store_true", help="replace an existing OUT")
    p.add_argument("--no-vocab", action="store_true", help="convert even when SRC has no vocab.txt / tokenizer.json")
    p.set_defaults(func=run_checkpoint)


def _keras_class(name: str):
    import keras_bert.models as models
    from keras_bert.checkpoints.detect import HEAD_CLASSES

    short = name.removeprefix("TF")
    if short not in HEAD_CLASSES:
        raise UsageError(f"unknown --head {name!r}; choose from {', '.join(HEAD_CLASSES)}")
    return getattr(models, "TF" + short)


def _progress(desc):
    from tqdm import tqdm

    quiet = not sys.stderr.isatty()  # a progress bar only on a terminal, never in logs
    return lambda items: tqdm(items, desc=desc, unit="tensor", file=sys.stderr, leave=False, disable=quiet)


def _write(model, directory: str, to: str):
    from keras_bert.checkpoints.hf_pytorch import SAFE_WEIGHTS, write_safetensors
    from keras_bert.checkpoints.keras_native import KERAS_MODEL
    from keras_bert.checkpoints.keras_weights import state_dict
    from keras_bert.checkpoints.names import checkpoint_state
    from keras_bert.checkpoints.tf_h5 import TF_WEIGHTS, to_snake_case, write_tf_h5

    progress = _progress(f"converting to {to}")
    config = model.config.copy(architectures=[model.hf_class_name])
    if to == "hf":
        state = dict(progress(list(model.hf_state_dict().items())))
        write_safetensors(state, os.path.join(directory, SAFE_WEIGHTS))
    elif to == "tf-h5":
        state = checkpoint_state(state_dict(model), model.config)
        write_tf_h5(state, os.path.join(directory, TF_WEIGHTS), to_snake_case("TF" + model.hf_class_name), progress)
    else:
        for _ in progress(list(model.hf_state_dict())):
            pass
        model.save(os.path.join(directory, KERAS_MODEL))
    config.save_pretrained(directory)


def _sample_inputs(model, seed=0):
    import numpy as np

    c = model.config
    rng = np.random.default_rng(seed)
    batch, length = 2, min(16, c.max_position_embeddings)
    ids = rng.integers(0, c.vocab_size, (batch, length)).astype("int32")
    mask = np.ones_like(ids)
    mask[1, length // 2 :] = 0
    types = np.zeros_like(ids)
    types[:, length // 2 :] = 1 if c.type_vocab_size > 1 else 0
    inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
    if model.hf_class_name == "BertForMultipleChoice":
        inputs = {k: np.stack([v, v[::-1]], axis=1) for k, v in inputs.items()}  # [B, 2, T]
    return inputs


def _float_outputs(outputs) -> dict:
    import numpy as np

    out = {}
    for key in outputs.keys():
        value = outputs[key]
        if value is not None and not isinstance(value, (tuple, list)):
            out[key] = np.asarray(value, dtype="float64")
    return out


def _verify(model, directory: str, to: str):
    import numpy as np

    from keras_bert.checkpoints import load_checkpoint
    from keras_bert.checkpoints.keras_weights import load_state

    converted = type(model)(model.config)
    converted.build()
    load_state(converted, load_checkpoint(directory), source=directory)
    inputs = _sample_inputs(model)
    want, got = _float_outputs(model(inputs)), _float_outputs(converted(inputs))
    worst = max((float(np.max(np.abs(want[k] - got[k]))) for k in want), default=0.0)
    if worst > VERIFY_ATOL:
        raise VerifyError(f"verify failed: converted outputs differ from the source by {worst:.3g} (> {VERIFY_ATOL})")
    print(f"verify: max |diff| {worst:.3g} over {', '.join(want)} (<= {VERIFY_ATOL})", file=sys.stderr)


def run_checkpoint(args) -> int:
    from keras_bert.atomic import atomic_directory, check_target
    from keras_bert.checkpoints.keras_weights import load_state
    from keras_bert.cli.source import open_source

    out = os.path.abspath(args.out)
    if os.path.lexists(out) and not args.force:
        raise UsageError(f"{args.out!r} exists; pass --force to replace it")
    check_target(out)
    src = open_source(args.src)
    problems = src.config_problems()
    if problems:
        raise CheckpointError(f"config does not fit the weights in {args.src!r}: {problems[0]}")
    vocab = src.vocab_problem()
    if vocab and not (args.no_vocab and src.vocab_size_on_disk() is None):
        raise CheckpointError(vocab)
    cls = _keras_class(args.head or src.head)
    model = cls(src.config)
    model.build()
    info = load_state(model, src.state, source=args.src)
    for name, why in info["ignored"].items():
        print(f"note: {name} from {args.src!r} is not converted: {why}", file=sys.stderr)
    if info["missing_keys"]:
        print(
            f"warning: {len(info['missing_keys'])} weight(s) not in {args.src!r} are freshly initialized: "
            f"{', '.join(info['missing_keys'][:4])}",
            file=sys.stderr,
        )
    with atomic_directory(out, overwrite=args.force) as tmp:
        _write(model, tmp, args.to)
        for path in src.tokenizer_files():
            shutil.copy2(path, tmp)
        if args.verify:
            _verify(model, tmp, args.to)
    print(f"wrote {cls.__name__} ({src.format} -> {args.to}) to {args.out}", file=sys.stderr)
    return EXIT_OK


# -- inspect -------------------------------------------------------------------------------
@register
def _register_inspect(subparsers):
    p = subparsers.add_parser("inspect", help="describe a checkpoint: format, config, parameters, heads, vocab")
    p.add_argument("src", help="checkpoint directory or file")
    p.set_defaults(func=run_inspect)


def run_inspect(args) -> int:
    from keras_bert.checkpoints.detect import heads_present
    from keras_bert.cli.source import open_source

    src = open_source(args.src)
    c = src.config
    found = src.vocab_size_on_disk()
    lines = [
        f"path:          {args.src}",
        f"format:        {src.format}",
        f"config:        layers={c.num_hidden_layers} hidden={c.hidden_size} heads={c.num_attention_heads} "
        f"intermediate={c.intermediate_size} vocab_size={c.vocab_size} max_positions={c.max_position_embeddings} "
        f"act={c.hidden_act} position={c.position_embedding_type}",
        f"architectures: {', '.join(c.architectures) if c.architectures else '(none)'}",
        f"parameters:    {src.num_parameters:,} in {len(src.state)} tensors",
        f"heads present: {', '.join(heads_present(src.state)) or '(encoder only)'}",
        f"keras class:   TF{src.head}",
        "vocab:         " + (f"{found[0]} {found[1]} tokens, config vocab_size {c.vocab_size}" if found else "MISSING"),
    ]
    print("\n".join(lines))
    problems = src.config_problems()
    if problems:
        raise CheckpointError(f"config does not fit the weights: {problems[0]}")
    vocab = src.vocab_problem()
    if vocab:
        raise CheckpointError(vocab)
    return EXIT_OK


# -- entry point -----------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="keras-bert-convert",
        description="Convert and inspect BERT checkpoints.",
        epilog="--debug (anywhere): show the traceback of an internal error.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for name in PLUGIN_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        if hasattr(module, "register") and module.register not in REGISTRARS:
            REGISTRARS.append(module.register)
    for registrar in REGISTRARS:
        registrar(subparsers)
    return parser


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def describe_os_error(e: OSError) -> str:
    """`Permission denied: '/path'`: the reason and the file, on one line."""
    reason = e.strerror or _first_line(e)
    names = [repr(n) for n in (e.filename, e.filename2) if n is not None]
    if not names or any(n.strip("'\"") in reason for n in names):
        return reason
    return f"{reason}: {' -> '.join(names)}"


def main(argv=None) -> int:
    from keras_bert.cli.quiet import import_tensorflow_quietly, silence_library_warnings

    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    import_tensorflow_quietly()
    silence_library_warnings()
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except SystemExit as e:  # --help
        return e.code if isinstance(e.code, int) else EXIT_USAGE
    except UsageError as e:
        print(f"keras-bert-convert: usage error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except VerifyError as e:
        print(f"keras-bert-convert: {e}", file=sys.stderr)
        return EXIT_VERIFY
    except CheckpointError as e:
        print(f"keras-bert-convert: bad input: {_first_line(e)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as e:  # missing, unreadable or unwritable paths: the user's files, not our bug
        if debug:
            raise
        print(f"keras-bert-convert: bad input: {describe_os_error(e)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("keras-bert-convert: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - one line, not a traceback; --debug shows it
        if debug:
            raise
        print(
            f"keras-bert-convert: internal error: {type(e).__name__}: {_first_line(e)} "
            "(rerun with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
