"""(a) Inference tokens/s: keras_bert (predict_fn, tf.function / XLA) vs the twin (SDPA / eager),
and transformers' BertModel (SDPA) when installed, at BERT-base and MiniLM shapes.

Each point interleaves every implementation with the roofline GEMM; the twin's SDPA vs eager
gap (about 1% at BERT-base 8x128) comes from its own A/B loop with a 95% interval.
"""

from __future__ import annotations

import importlib.util
import statistics
import sys

from .. import timing
from ..roofline import GEMM_FLOP, gemm_impl
from ..workload import flops_per_token, random_batch, tokens_per_second

# The twin's two attention implementations, timed against each other in the A/B loop.
AB_PAIR = ("twin sdpa", "twin eager")
BUDGET = {"quick": timing.Budget(6, 15, 6, 40), "full": timing.Budget(20, 240, 10, 120)}
KERAS = ("keras tf.function", "keras XLA")


def grid(checkpoints, quick):
    """{model: [(batch, length), ...]}, repeats per point and the most tokens per call."""
    if quick:
        return {"bert-base": [(8, 128)], "minilm": [(1, 128), (8, 128)]}, 3, 1024
    return {name: [(b, t) for t in (128, 512) for b in (1, 8, 32)] for name in checkpoints}, 5, 4096


def has_transformers():
    return importlib.util.find_spec("transformers") is not None


def load_impls(path, want_xla=True):
    """{name: callable(ids, mask) -> numpy last_hidden_state}, every one reading `path`."""
    import torch  # noqa: F401  (the twin's backend)

    import keras_bert
    import keras_bert.torch as twin

    impls = {}
    keras_model = keras_bert.TFBertModel.from_pretrained(path)
    fn = keras_bert.predict_fn(keras_model, outputs=["last_hidden_state"])
    impls["keras tf.function"] = lambda i, m: fn(i, m)["last_hidden_state"].numpy()
    if want_xla:
        fx = keras_bert.predict_fn(keras_model, outputs=["last_hidden_state"], jit_compile=True)
        impls["keras XLA"] = lambda i, m: fx(i, m)["last_hidden_state"].numpy()
    for attn in ("sdpa", "eager"):
        model = twin.BertModel.from_pretrained(path, attn_implementation=attn).eval()
        impls[f"twin {attn}"] = torch_call(model)
    if has_transformers():
        import transformers

        transformers.logging.set_verbosity_error()
        model = transformers.BertModel.from_pretrained(path, attn_implementation="sdpa").eval()
        impls["transformers sdpa"] = torch_call(model)
    return impls


def torch_call(model):
    import torch

    def call(ids, mask):
        with torch.inference_mode():
            return model(
                input_ids=torch.from_numpy(ids).long(), attention_mask=torch.from_numpy(mask)
            ).last_hidden_state.numpy()

    return call


def run(context):
    import keras_bert

    points, repeats, cap = grid(context.checkpoints, context.quick)
    budget = BUDGET["quick" if context.quick else "full"]
    gemm = gemm_impl()
    rows = []
    for model_name, path in context.checkpoints.items():
        config = keras_bert.BertConfig.from_pretrained(path)
        impls = load_impls(path, want_xla=not context.quick)
        for batch, length in points[model_name]:
            if batch * length > cap:
                rows.append(dict(model=model_name, batch=batch, length=length, skipped=f"> {cap} tokens per call"))
                continue
            row = measure_point(impls, gemm, config, batch, length, repeats, budget, context.roofline_gflops)
            rows.append(dict(model=model_name, **row))
            rates = ", ".join(f"{k} {row[k]:.0f}" for k in impls if k in row)
            print(f"  inference {model_name} {batch}x{length}: {rates}", file=sys.stderr, flush=True)
    return rows


def measure_point(impls, gemm, config, batch, length, repeats, budget, best_gemm):
    """One row: tokens/s and %roof per impl, paired ratios, and the A/B loop's interval."""

    def make_args():
        return random_batch(batch, length, config.vocab_size)

    main = {k: f for k, f in impls.items() if k != "twin eager"}
    times = timing.interleaved({**main, "gemm": gemm}, make_args, repeats)
    secs = {name: statistics.median(v) for name, v in times.items()}
    gemm_now = GEMM_FLOP / secs.pop("gemm") / 1e9  # GFLOP/s measured alongside
    best_keras = min((k for k in KERAS if k in secs), key=secs.get)
    ratios = {"keras/sdpa": timing.paired_ratio(times, best_keras, "twin sdpa")}
    if "transformers sdpa" in times:
        ratios["twin/transformers"] = timing.paired_ratio(times, "twin sdpa", "transformers sdpa")
    ab_times = timing.ab_loop({k: impls[k] for k in AB_PAIR}, make_args, secs["twin sdpa"], budget)
    secs.update({name: statistics.median(v) for name, v in ab_times.items()})  # twin columns: A/B loop
    ratios["sdpa/eager"], low, high = timing.paired_ratio(ab_times, *AB_PAIR, ci=True)
    fpt = flops_per_token(config, length)
    roof = max(gemm_now, best_gemm)  # the best GEMM rate seen: a conservative roofline
    row = dict(batch=batch, length=length, gemm_gflops=round(gemm_now, 1))
    for name, s in secs.items():
        tps = tokens_per_second(batch, length, s)
        row[name] = round(tps, 1)
        row[name + " %roof"] = round(100 * tps * fpt / 1e9 / roof, 1)
    row.update({k: round(v, 3) for k, v in ratios.items()})
    row["sdpa/eager CI95"], row["A/B rounds"] = f"{low:.3f}-{high:.3f}", len(ab_times["twin sdpa"])
    return row
