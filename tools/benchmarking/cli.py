"""Side-by-side benchmark: keras_bert (Keras 3 / TF) vs its PyTorch twin (and transformers).

    python tools/benchmark.py [--quick] [--json OUT.json] [--classifier DIR] [--sections a,b,...]

One process, one machine, the same weights in every framework, fp32, 2 threads each
(TF intra/inter-op, torch.set_num_threads). Every point runs each implementation in
turn (interleaved, rotating order), repeats that, and reports medians; speed ratios are
medians of per-repeat paired ratios. The twin's SDPA vs eager ratio, about 1% apart at some
points, gets its own A/B loop of single calls with a 95% bootstrap interval.
glibc malloc is tuned for every framework alike (see environment.tune_malloc).

Sections:
  inference  tokens/s: TFBertModel (predict_fn, tf.function / XLA) vs twin SDPA / eager
             (vs transformers BertModel SDPA when installed), BERT-base and MiniLM shapes
  retrace    traces after warm-up across 20 calls of mixed batch sizes and lengths
  training   sequence-classification step time, Keras train_step vs twin + AdamW
  precision  bf16 (mixed_bfloat16) and int8 (predict_fn(quantize="int8"), the int8 TFLite file, Keras'
             model.quantize) speed and agreement vs fp32 (argmax agreement: pass --classifier/--sentences
             for a trained head)
  input_checks  cost of the in-graph input validation (check_inputs on vs off), BERT-base 8x128
  tokenizer  TFBertTokenizer vs BertTokenizerFast vs BertTokenizer, strings/s
  serving    exported SavedModel latency, strings in vs token ids in
  backends   tokens/s of TFBertModel on Keras' TensorFlow (tf.function), JAX (jit) and torch backends
             vs the twin, one worker process per backend, calls interleaved (BERT-base 8x128, MiniLM 32x128)
  unpadded   real tokens/s of predict_fn padded vs unpadded=True, BERT-base, examples/data lengths
             (batch 8, 32) and a half-padded 8x128 mix, paired ratios
  peers      keras_bert (fp32, bf16, int8, each padded and unpadded; int8 TFLite) vs transformers 5 torch, the twin,
             transformers 4.57 TF, keras-hub and ONNX Runtime (plain, optimized, int8 dynamic), each in
             its own process and pinned virtual environment (built once, cached under --peers-dir);
             tables A (25% padding), B (the unpadded goal's length mixes), C (tokenizers, exactness)
  peer_tokenizers  table C alone (not in the default run): builds only the tokenizer peers' environments
  peer_int8  table A's int8 group alone (not in the default run): keras_bert int8 (predict_fn, and the
             int8 TFLite file on XNNPACK) vs ONNX Runtime int8; builds only the ONNX Runtime environment
The roofline is an fp32 matmul measured in the same run; each inference result is also
given as a fraction of it, FLOPs counted from the config.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import tempfile
import time

from . import environment, report

# Section name -> module under benchmarking.sections (each has `run(context) -> rows`), in run order.
SECTIONS = {
    "inference": "inference",
    "retrace": "retrace",
    "training": "training",
    "precision": "precision",
    "input_checks": "input_checks",
    "tokenizer": "tokenizer",
    "serving": "serving",
    "backends": "backends",
    "unpadded": "unpadded",
    "peers": "peers",
    "peer_tokenizers": "peer_tokenizers",
    "peer_int8": "peer_int8",
}
NOT_DEFAULT = ("peer_tokenizers", "peer_int8")  # parts of the peers section alone: it holds them


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small grid; about 3 minutes, plus ~6 for the peers section once its environments exist",
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="PATH",
        help="print the results as JSON (or, with PATH, write them there besides the tables)",
    )
    parser.add_argument(
        "--classifier", metavar="DIR", help="a TFBertForSequenceClassification checkpoint for argmax agreement"
    )
    parser.add_argument("--sentences", metavar="FILE", help="held-out sentences (one per line) for --classifier")
    parser.add_argument(
        "--default-malloc",
        action="store_true",
        help="keep glibc's malloc defaults (see tune_malloc); the default run tunes them",
    )
    parser.add_argument(
        "--peers-dir",
        metavar="DIR",
        help="where the peers section builds and caches its virtual environments and ONNX files "
        "(default ~/.cache/keras_bert/peers)",
    )
    parser.add_argument(
        "--sections",
        default=",".join(s for s in SECTIONS if s not in NOT_DEFAULT),
        help="comma-separated subset of the sections",
    )
    args = parser.parse_args(argv)
    args.sections = selected_sections(args.sections, parser)
    return args


def selected_sections(text, parser=None):
    """The names in `text` (comma-separated) in run order; an unknown name is an error naming it."""
    names = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in names if s not in SECTIONS]
    if unknown:
        message = (
            f"--sections: unknown section(s) {', '.join(map(repr, unknown))}; expected some of {', '.join(SECTIONS)}"
        )
        if parser is None:
            raise ValueError(message)
        parser.error(message)
    return [s for s in SECTIONS if s in names]


def run_sections(names, context, log=None):
    """{name: rows} from each section module's `run(context)`, in the order given."""
    results = {}
    for name in names:
        module = importlib.import_module(f"{__package__}.sections.{SECTIONS[name]}")
        results[name] = module.run(context)
        if log:
            log(f"{name} done")
    return results


def main(argv=None):
    args = parse_args(argv)
    environment.set_environment()  # before TensorFlow or torch load (the sections import them)
    from .roofline import matmul_roofline
    from .sections import Context

    started = time.perf_counter()

    def log(message):
        print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    malloc = environment.configure_process(args.default_malloc)
    results = {"machine": environment.describe_machine(malloc), "quick": args.quick}
    with tempfile.TemporaryDirectory() as workdir:
        results["roofline"] = matmul_roofline(args.quick)
        roof = results["roofline"]["float32"]["roofline_gflops"]
        log(f"roofline fp32 {roof:.1f} GFLOP/s")
        context = Context(args.quick, workdir, roof, args.classifier, args.sentences)
        context.peers_dir = args.peers_dir  # read by sections/peers.py only
        results.update(run_sections(args.sections, context, log))
    results["machine"]["load_average_end"] = environment.load_average()
    results["acceptance"] = report.acceptance(results)
    results["wall_s"] = round(time.perf_counter() - started, 1)
    if args.json == "-":
        print(json.dumps(results, indent=2, default=str))
        return results
    print(report.render(results))
    print(f"Wall time: {results['wall_s']} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2, default=str)
    return results
