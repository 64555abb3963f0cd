"""(c') bf16 (mixed_bfloat16) and int8 inference: speed and agreement with fp32.

int8 rows: `predict_fn(model, quantize="int8")` (TF's oneDNN int8 kernels on the fp32 model's
weights, quantized once; keras_bert.quantization), and Keras' own `model.quantize("int8")` for
comparison (generic int8 matmul, labelled as such), and the fp32 model exported by
`keras_bert.export_tflite(quantize="int8")` (dynamic-range int8) run by `load_tflite` on TFLite's
XNNPACK delegate, one row per invoke at its real length (each model exported once into a temporary
directory, removed after the section). Its token-level outputs are 0 at padded positions, which the
masked mean pooling ignores; the classifier's logits come from the [CLS] row as with the others.

Agreement is measured where users feel it: cosine of MiniLM sentence embeddings (masked mean
pooling, as sentence-transformers does) and argmax agreement of a classifier (a fine-tuned one
with --classifier, else MiniLM with a fixed random 3-way head).
"""

from __future__ import annotations

import os
import statistics
import tempfile

import numpy as np

from .. import environment, timing
from ..workload import random_batch, tokens_per_second

CHUNK = 32  # sentences per call


def sentences(n):
    words = (
        "the a model of language understanding is trained on large text corpora and fine tuned for "
        "classification retrieval question answering sentiment movie review terrible wonderful boring "
        "exciting weather today tomorrow rain sunny city travel music food restaurant price cheap "
        "expensive friendly service slow fast computer software bug release performance"
    ).split()
    rng = np.random.default_rng(7)
    return [" ".join(rng.choice(words, rng.integers(5, 30))).capitalize() + "." for _ in range(n)]


def tokenize(path, texts, length=128):
    from keras_bert.tokenization import BertTokenizerFast

    tok = BertTokenizerFast.from_pretrained(path)
    enc = tok(texts, padding="max_length", truncation=True, max_length=length)
    return {k: np.asarray(enc[k], "int32") for k in ("input_ids", "attention_mask", "token_type_ids")}


INT8 = "int8 (predict_fn quantize='int8')"
TFLITE = "int8 TFLite (XNNPACK)"


def variants(builder):
    """{name: (model, quantize)}: fp32, mixed_bfloat16 and the two int8 paths (same weights). The
    fp32 model serves INT8 too: predict_fn quantizes its kernels and leaves it unchanged."""
    import keras

    fp32 = builder()
    out = {"fp32": (fp32, None)}
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        out["bf16 (mixed_bfloat16)"] = (builder(), None)
    finally:
        keras.config.set_dtype_policy(previous)
    out[INT8] = (fp32, "int8")
    q = builder()
    q.quantize("int8")
    out["int8 (Keras model.quantize)"] = (q, None)
    return out


def predict_fns(models, outputs, tflite_dir=None):
    """{variant: fn(ids, mask) -> {output: array}}: predict_fn for each of `models`; with
    `tflite_dir`, also TFLITE, the fp32 model exported there as an int8 TFLite file."""
    import keras_bert

    fns = {k: keras_bert.predict_fn(m, outputs=outputs, quantize=q) for k, (m, q) in models.items()}
    if tflite_dir is not None:
        fns[TFLITE] = tflite_fn(models["fp32"][0], outputs, tflite_dir)
    return fns


def tflite_fn(model, outputs, directory):
    """`model` exported by export_tflite(quantize="int8") to a new file under `directory`, loaded
    with the benchmark's thread count: fn(ids, mask) -> {output: NumPy array}."""
    import keras_bert

    path = os.path.join(directory, f"{len(os.listdir(directory))}-{type(model).__name__}.tflite")
    keras_bert.export_tflite(model, path, outputs=outputs, quantize="int8")
    return keras_bert.load_tflite(path, num_threads=environment.THREADS)


def _chunks(enc, n):
    for s in range(0, n, CHUNK):
        yield s, enc["input_ids"][s : s + CHUNK], enc["attention_mask"][s : s + CHUNK]


def run(context):
    with tempfile.TemporaryDirectory(prefix="keras_bert-precision-tflite-") as tflite_dir:
        return _run(context, tflite_dir)


def _run(context, tflite_dir):
    import keras
    import tensorflow as tf

    import keras_bert

    ckpts = context.checkpoints
    rows = []
    path = ckpts["minilm"]
    texts = sentences(32 if context.quick else 256)
    enc = tokenize(path, texts)
    models = variants(lambda: keras_bert.TFBertModel.from_pretrained(path))
    fns = predict_fns(models, ["last_hidden_state"], tflite_dir)
    emb = {}
    for k, fn in fns.items():
        pooled = []
        for s, ids, mask in _chunks(enc, len(texts)):
            h = np.asarray(tf.cast(fn(ids, mask)["last_hidden_state"], tf.float32))
            m = enc["attention_mask"][s : s + CHUNK, :, None].astype("float32")
            pooled.append((h * m).sum(1) / m.sum(1))
        emb[k] = np.concatenate(pooled)
    ref = emb["fp32"] / np.linalg.norm(emb["fp32"], axis=1, keepdims=True)
    speed_points = [("minilm", 8 if context.quick else 32, 128)] + ([] if context.quick else [("bert-base", 8, 128)])
    speeds = {}
    for model_name, b, t in speed_points:
        if model_name == "minilm":
            vfns = fns
        else:
            vmodels = variants(lambda p=ckpts[model_name]: keras_bert.TFBertModel.from_pretrained(p))
            vfns = predict_fns(vmodels, ["last_hidden_state"], tflite_dir)
        impls = {k: (lambda i, m, fn=fn: np.asarray(fn(i, m)["last_hidden_state"])) for k, fn in vfns.items()}
        times = timing.interleaved(impls, lambda b=b, t=t: random_batch(b, t, 30000), 2 if context.quick else 3)
        speeds[model_name] = {
            k: (tokens_per_second(b, t, statistics.median(v)), timing.paired_ratio(times, k, "fp32"))
            for k, v in times.items()
        }
    for k in fns:
        e = emb[k] / np.linalg.norm(emb[k], axis=1, keepdims=True)
        cos = (e * ref).sum(1)
        row = dict(variant=k, cosine_mean=round(float(cos.mean()), 5), cosine_min=round(float(cos.min()), 5))
        for model_name, b, t in speed_points:
            row[f"{model_name} {b}x{t} tok/s"] = round(speeds[model_name][k][0], 1)
            row[f"{model_name} speedup"] = round(speeds[model_name][k][1], 2)
        rows.append(row)

    # Classifier argmax agreement.
    if context.classifier:
        cls_path, cls_label = context.classifier, context.classifier
        if context.sentences:
            with open(context.sentences, encoding="utf-8") as f:
                texts = [line.strip() for line in f if line.strip()]
    else:
        cls_path, cls_label = path, "MiniLM + fixed random 3-way head (seed 0)"
    enc = tokenize(cls_path, texts)

    def build_cls():
        keras.utils.set_random_seed(0)
        if context.classifier:
            return keras_bert.TFBertForSequenceClassification.from_pretrained(cls_path)
        return keras_bert.TFBertForSequenceClassification.from_pretrained(cls_path, num_labels=3)

    preds = {}
    for k, fn in predict_fns(variants(build_cls), ["logits"], tflite_dir).items():
        logits = [np.asarray(tf.cast(fn(ids, mask)["logits"], tf.float32)) for _, ids, mask in _chunks(enc, len(texts))]
        preds[k] = np.concatenate(logits).argmax(-1)
    for row in rows:
        row["classifier"] = cls_label
        row["argmax_agreement"] = round(float((preds[row["variant"]] == preds["fp32"]).mean()), 4)
        row["sentences"] = len(texts)
    return rows
