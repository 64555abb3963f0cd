#!/usr/bin/env python
"""Fine-tunes BERT for extractive question answering on SQuAD-format JSON.

Long contexts are cut into overlapping windows ([CLS] question [SEP] window [SEP]) that
overlap by --stride tokens; each window keeps the character offsets of its tokens. A
window that does not contain the answer points at [CLS]. At prediction the best
(start, end) span over all windows of a question is mapped back to the context text.

    python examples/question_answering.py
    python examples/question_answering.py --train-file train-v1.1.json --eval-file dev-v1.1.json --max-length 384 --stride 128
"""

from __future__ import annotations

import collections
import json
import re
import string
import sys

import _common
import numpy as np
import tensorflow as tf

import keras_bert
from keras_bert.tokenization import BertTokenizerFast


def read_squad(path, limit=None):
    """-> list of {id, question, context, answers: [{text, answer_start}]}."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)["data"]
    out = []
    for article in data:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                out.append(
                    {
                        "id": qa["id"],
                        "question": qa["question"],
                        "context": paragraph["context"],
                        "answers": qa.get("answers", []),
                    }
                )
    return out[:limit] if limit else out


def windows(tokenizer, example, max_length, stride, max_query_length=64):
    """Features of one example: ids, type ids, mask, per-token context offsets (None elsewhere)."""
    q_ids = tokenizer(example["question"], add_special_tokens=False)["input_ids"][:max_query_length]
    ctx = tokenizer(example["context"], add_special_tokens=False, return_offsets_mapping=True)
    c_ids, offsets = ctx["input_ids"], ctx["offset_mapping"]
    room = max_length - len(q_ids) - 3
    if room <= stride:
        raise SystemExit(f"--max-length {max_length} leaves {room} context tokens, not more than --stride {stride}")
    features, start = [], 0
    while True:
        span = range(start, min(start + room, len(c_ids)))
        ids = [
            tokenizer.cls_token_id,
            *q_ids,
            tokenizer.sep_token_id,
            *(c_ids[i] for i in span),
            tokenizer.sep_token_id,
        ]
        head = len(q_ids) + 2
        token_offsets = [None] * head + [tuple(offsets[i]) for i in span] + [None]
        features.append(
            {
                "input_ids": ids,
                "token_type_ids": [0] * head + [1] * (len(span) + 1),
                "offsets": token_offsets,
                "context_start": start,
            }
        )
        if span.stop >= len(c_ids):
            return features
        start += room - stride


def label_window(feature, answer):
    """Token positions of the answer's first and last character in this window, else (0, 0)."""
    first, last = answer["answer_start"], answer["answer_start"] + len(answer["text"])
    start = end = None
    for i, off in enumerate(feature["offsets"]):
        if off is None:
            continue
        if start is None and off[0] <= first < off[1]:
            start = i
        if off[0] < last <= off[1]:
            end = i
    return (start, end) if start is not None and end is not None else (0, 0)


def featurize(tokenizer, examples, max_length, stride, with_labels):
    feats, owners = [], []
    for n, ex in enumerate(examples):
        for f in windows(tokenizer, ex, max_length, stride):
            if with_labels:
                f["start_positions"], f["end_positions"] = label_window(f, ex["answers"][0])
            feats.append(f)
            owners.append(n)
    arrays = {k: np.zeros((len(feats), max_length), "int32") for k in ("input_ids", "token_type_ids", "attention_mask")}
    for i, f in enumerate(feats):
        arrays["input_ids"][i, : len(f["input_ids"])] = f["input_ids"]
        arrays["token_type_ids"][i, : len(f["token_type_ids"])] = f["token_type_ids"]
        arrays["attention_mask"][i, : len(f["input_ids"])] = 1
    if with_labels:
        arrays["start_positions"] = np.array([f["start_positions"] for f in feats], "int32")
        arrays["end_positions"] = np.array([f["end_positions"] for f in feats], "int32")
    return arrays, feats, owners


def decode(examples, feats, owners, start_logits, end_logits, n_best=20, max_answer_length=30):
    """Best-scoring valid span (inside the context, start <= end, short enough) per example."""
    best = {}
    for i, f in enumerate(feats):
        offsets = f["offsets"]
        starts = np.argsort(start_logits[i])[::-1][:n_best]
        ends = np.argsort(end_logits[i])[::-1][:n_best]
        for s in starts:
            for e in ends:
                if s >= len(offsets) or e >= len(offsets) or offsets[s] is None or offsets[e] is None:
                    continue
                if e < s or e - s + 1 > max_answer_length:
                    continue
                score = float(start_logits[i][s] + end_logits[i][e])
                n = owners[i]
                if n not in best or score > best[n][0]:
                    best[n] = (score, offsets[s][0], offsets[e][1])
    return {ex["id"]: ex["context"][best[n][1] : best[n][2]] if n in best else "" for n, ex in enumerate(examples)}


def normalize_answer(s):
    s = "".join(ch for ch in s.lower() if ch not in set(string.punctuation))
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", s).split())


def f1(prediction, truth):
    p, t = normalize_answer(prediction).split(), normalize_answer(truth).split()
    common = sum((collections.Counter(p) & collections.Counter(t)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(p), common / len(t)
    return 2 * precision * recall / (precision + recall)


def parse_args(argv):
    p = _common.base_parser(
        __doc__.splitlines()[1],
        train_file=_common.data_path("qa_train.json"),
        eval_file=_common.data_path("qa_test.json"),
        max_length=96,
        learning_rate=1e-4,
    )
    p.add_argument("--stride", type=int, default=32, help="tokens shared by consecutive windows")
    p.add_argument("--max-answer-length", type=int, default=30, help="in tokens")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    strategy = _common.setup(args)
    tokenizer = BertTokenizerFast.from_pretrained(args.model)
    train_examples = read_squad(args.train_file, args.max_train_examples)
    x, feats, _ = featurize(tokenizer, train_examples, args.max_length, args.stride, with_labels=True)
    n = len(x["input_ids"])
    print(
        f"{len(train_examples)} questions -> {n} windows ({int(np.sum(x['start_positions'] > 0))} contain the answer)"
    )
    train_ds = (
        tf.data.Dataset.from_tensor_slices(x)
        .shuffle(n, seed=args.seed)
        .batch(args.batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    steps = _common.steps_for(args, n)
    model, history = _common.fine_tune(args, strategy, keras_bert.TFBertForQuestionAnswering, train_ds, steps)
    result = {"loss": history.history["loss"]}
    if args.eval_file:
        examples = read_squad(args.eval_file, args.max_eval_examples)
        ex, efeats, owners = featurize(tokenizer, examples, args.max_length, args.stride, with_labels=False)
        out = model.predict(ex, batch_size=args.batch_size, verbose=0)
        start, end = (out["start_logits"], out["end_logits"]) if isinstance(out, dict) else out[:2]
        predictions = decode(
            examples, efeats, owners, np.asarray(start), np.asarray(end), max_answer_length=args.max_answer_length
        )
        truths = {e["id"]: [a["text"] for a in e["answers"]] for e in examples}
        em = np.mean([max(normalize_answer(predictions[i]) == normalize_answer(t) for t in truths[i]) for i in truths])
        f = np.mean([max(f1(predictions[i], t) for t in truths[i]) for i in truths])
        result.update(predictions=predictions, exact_match=float(em), f1=float(f), windows=len(efeats))
        print(f"eval on {len(examples)} questions ({len(efeats)} windows): exact match {em:.3f}, F1 {f:.3f}")
        for e in examples[:3]:
            print(f"  Q: {e['question']}  predicted: {predictions[e['id']]!r}  gold: {truths[e['id']][0]!r}")
    result["saved"] = _common.save_model(args, model, tokenizer, strategy)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
