"""Runners for the contenders that live in the main .venv: keras_bert, the twin, transformers 5, Rust tokenizers.

`make(kind, spec)` returns a runner: `runner(point)` runs one pass over a point (a list of
(ids, mask) batches -> list of last_hidden_state arrays; or a list of strings -> list of id rows)
and `runner.version` names what ran. keras_bert is imported only here (never in peer_envs.py).

    keras_bert-{fp32,bf16,int8}[-unpadded]   keras_bert.predict_fn(model, outputs=["last_hidden_state"],
                                             unpadded=..., quantize="int8" for int8, freeze=True for bf16:
                                             weights as graph constants, as ONNX Runtime's initializers,
                                             ~1.5x for AMX bfloat16, 1.0-1.1x for fp32 and int8, at ~5x
                                             the weights' memory, so fp32 and int8 run without); bf16 = the model
                                             built under keras.config.set_dtype_policy("bfloat16"): weights
                                             stored in bfloat16, as the torch peers' .to(torch.bfloat16)
                                             and keras-hub's dtype="bfloat16" (mixed_bfloat16 keeps fp32
                                             weights and casts them to bfloat16 on every call)
    keras_bert-{int8,fp32}-tflite[-packed]   load_tflite(spec["tflite"][kind], num_threads=threads()): the
                                             file tflite_export.py wrote (export_tflite(quantize=...,
                                             unpadded=packed), cached per checkpoint and keras_bert
                                             source); XNNPACK, one row per invoke at its real length,
                                             or (packed) the whole batch per invoke, real tokens only
    twin-{fp32,bf16}                         keras_bert.torch.BertModel, SDPA; bf16 = .to(torch.bfloat16)
    transformers5-{fp32,bf16}                transformers.BertModel, attn_implementation="sdpa"
    keras_bert-tokenizer                     TFBertTokenizer under tf.function (input_signature [None] strings)
    rust-tokenizers                          tokenizers.Tokenizer.from_file(tokenizer.json).encode_batch
"""

from __future__ import annotations

import os

from . import contenders
from .runner import Runner, threads


def _tf():
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads())
    tf.config.threading.set_inter_op_parallelism_threads(threads())
    return tf


def _torch():
    import torch

    torch.set_num_threads(threads())
    return torch


def make(kind, spec):
    family = kind.split("-")[0]
    if contenders.is_tflite(kind):
        return _keras_bert_tflite(spec["tflite"][kind])
    if family == "keras_bert" and kind != "keras_bert-tokenizer":
        return _keras_bert(kind, spec["checkpoint"])
    if family in ("twin", "transformers5"):
        return _torch_model(kind, spec["checkpoint"])
    if kind == "keras_bert-tokenizer":
        return _keras_bert_tokenizer(spec)
    if kind == "rust-tokenizers":
        return _rust_tokenizer(spec)
    raise ValueError(f"unknown main-venv contender kind {kind!r}")


def _keras_bert(kind, path):
    _tf()
    import keras

    import keras_bert

    precision = kind.split("-")[1]
    unpadded = kind.endswith("-unpadded")
    previous = keras.config.dtype_policy()
    if precision == "bf16":
        keras.config.set_dtype_policy("bfloat16")  # bfloat16 weights, like the peers (module docstring)
    try:
        model = keras_bert.TFBertModel.from_pretrained(path)
    finally:
        keras.config.set_dtype_policy(previous)
    extra = {"quantize": "int8"} if precision == "int8" else {}
    freeze = precision == "bf16"  # see the module docstring
    fn = keras_bert.predict_fn(model, outputs=["last_hidden_state"], unpadded=unpadded, freeze=freeze, **extra)
    version = f"keras {keras.__version__}" + (", predict_fn(freeze=True)" if freeze else "")
    return Runner(lambda ids, mask: fn(ids, mask)["last_hidden_state"].numpy(), version)


def _keras_bert_tflite(path):
    """The TFLite file at `path` (written by tflite_export.py before the workers start), run by
    load_tflite with the benchmark's threads."""
    tf = _tf()
    import keras_bert

    tfl = keras_bert.load_tflite(path, num_threads=threads())
    try:  # the interpreter load_tflite picks: LiteRT's where installed, else TensorFlow's
        import ai_edge_litert  # noqa: F401

        interpreter = "ai-edge-litert"
    except ImportError:
        interpreter = f"tf.lite {tf.__version__}"
    return Runner(
        lambda ids, mask: tfl(ids, mask)["last_hidden_state"], f"keras_bert.load_tflite ({interpreter}, XNNPACK)"
    )


def _torch_model(kind, path):
    torch = _torch()
    family, precision = kind.split("-")
    if family == "twin":
        import keras_bert.torch as twin

        model = twin.BertModel.from_pretrained(path, attn_implementation="sdpa").eval()
        version = f"keras_bert.torch, torch {torch.__version__}"
    else:
        import transformers

        model = transformers.BertModel.from_pretrained(path, attn_implementation="sdpa").eval()
        version = f"transformers {transformers.__version__}, torch {torch.__version__}"
    if precision == "bf16":
        model = model.to(torch.bfloat16)

    def forward(ids, mask):
        with torch.inference_mode():
            out = model(input_ids=torch.from_numpy(ids).long(), attention_mask=torch.from_numpy(mask).long())
            return out.last_hidden_state.float().numpy()

    return Runner(forward, version)


def _keras_bert_tokenizer(spec):
    tf = _tf()
    from keras_bert.tokenization import BertTokenizer, TFBertTokenizer

    layer = TFBertTokenizer.from_tokenizer(
        BertTokenizer.from_pretrained(spec["checkpoint"]), max_length=spec["max_length"]
    )
    fn = tf.function(layer, input_signature=[tf.TensorSpec([None], tf.string)])
    size = spec["batch"]

    def forward(texts):
        return [fn(tf.constant(texts[i : i + size]))["input_ids"].numpy() for i in range(0, len(texts), size)]

    def collect(texts):
        rows = []
        for i in range(0, len(texts), size):
            out = fn(tf.constant(texts[i : i + size]))
            ids, mask = out["input_ids"].numpy(), out["attention_mask"].numpy()
            rows += [r[m.astype(bool)].tolist() for r, m in zip(ids, mask)]
        return rows

    return Runner(forward, "keras_bert TFBertTokenizer (tf.function)", collect)


def _rust_tokenizer(spec):
    import tokenizers

    tok = tokenizers.Tokenizer.from_file(os.path.join(spec["checkpoint"], "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(spec["max_length"])
    size = spec["batch"]

    def forward(texts):
        return [tok.encode_batch(texts[i : i + size]) for i in range(0, len(texts), size)]

    def collect(texts):
        return [e.ids for batch in forward(texts) for e in batch]

    return Runner(forward, f"tokenizers {tokenizers.__version__}", collect)
