"""`keras-bert-convert tflite SRC OUT.tflite [--quantize int8] [--unpadded] [--head CLASS] [--force]`: any readable
checkpoint -> a TFLite file for XNNPACK, ids in (see `keras_bert.serving.tflite`)."""

from __future__ import annotations

import os
import sys


def register(subparsers):
    p = subparsers.add_parser("tflite", help="export a checkpoint as a TFLite file (XNNPACK; ids in, no tokenizer)")
    p.add_argument("src", help="checkpoint directory (any format from_pretrained reads)")
    p.add_argument("out", help="the .tflite file to write")
    p.add_argument("--head", help="model class, e.g. TFBertForSequenceClassification (default: the checkpoint's head)")
    p.add_argument(
        "--quantize",
        choices=("int8",),
        help="int8: dynamic-range quantization (int8 Dense kernels, activations quantized per call)",
    )
    p.add_argument(
        "--unpadded",
        action="store_true",
        help="the packed graph: a whole batch per invoke, only real tokens computed (encoders, not decoders)",
    )
    p.add_argument("--force", action="store_true", help="replace an existing OUT")
    p.set_defaults(func=run_tflite)


def run_tflite(args) -> int:
    import keras_bert.models as models
    from keras_bert.atomic import check_target
    from keras_bert.cli.convert import EXIT_OK, UsageError, _keras_class
    from keras_bert.cli.source import open_source
    from keras_bert.serving.tflite import export_tflite

    out = os.fspath(args.out)
    if os.path.lexists(out) and not args.force:
        raise UsageError(f"{out!r} exists; pass --force to replace it")
    check_target(out)
    cls = _keras_class(args.head) if args.head else None
    src = open_source(args.src)
    model = src.build_model(cls or getattr(models, "TF" + src.head))
    name = type(model).__name__
    kinds = ", ".join(k for k, on in (("int8", args.quantize), ("unpadded", args.unpadded)) if on)
    print(f"converting {name} to TFLite{f' ({kinds})' if kinds else ''}...", file=sys.stderr)
    export_tflite(model, out, quantize=args.quantize, unpadded=args.unpadded, overwrite=args.force)
    print(f"exported {name} to {out} ({os.path.getsize(out) / 1e6:.1f} MB)", file=sys.stderr)
    return EXIT_OK
