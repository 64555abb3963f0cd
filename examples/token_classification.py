#!/usr/bin/env python
"""Fine-tunes BERT for token classification (NER) on CoNLL-style files.

Input: one `word<TAB>tag` per line, a blank line between sentences. Word labels are
aligned to word pieces: the first piece of a word carries the word's tag, the other
pieces -100 (ignored by the loss), unless --label-all-pieces.

    python examples/token_classification.py
    python examples/token_classification.py --train-file train.conll --eval-file dev.conll
"""

from __future__ import annotations

import sys

import _common
import numpy as np
import tensorflow as tf

import keras_bert
from keras_bert.tokenization import BertTokenizer

IGNORE = -100


def read_conll(path, limit=None):
    """-> list of (words, tags); the tag is the last whitespace-separated column."""
    sentences, words, tags = [], [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if not parts or parts[0] == "-DOCSTART-":
                if words:
                    sentences.append((words, tags))
                words, tags = [], []
                continue
            words.append(parts[0])
            tags.append(parts[-1])
    if words:
        sentences.append((words, tags))
    return sentences[:limit] if limit else sentences


def align(tokenizer, words, tags, tag_index, max_length, label_all_pieces=False):
    """Word tags -> piece ids and piece labels, with [CLS]/[SEP]; also each word's first piece."""
    ids, labels, first_piece = [tokenizer.cls_token_id], [IGNORE], []
    for word, tag in zip(words, tags):
        pieces = tokenizer.convert_tokens_to_ids(tokenizer.tokenize(word)) or [tokenizer.unk_token_id]
        if len(ids) + len(pieces) > max_length - 1:
            break  # truncated: the remaining words get no prediction
        first_piece.append(len(ids))
        label = tag_index.get(tag, IGNORE)
        ids += pieces
        labels += [label] + [label if label_all_pieces else IGNORE] * (len(pieces) - 1)
    ids.append(tokenizer.sep_token_id)
    labels.append(IGNORE)
    return ids, labels, first_piece


def encode(tokenizer, sentences, tag_index, max_length, label_all_pieces=False):
    n = len(sentences)
    arrays = {k: np.zeros((n, max_length), "int32") for k in ("input_ids", "attention_mask", "token_type_ids")}
    arrays["input_ids"][:] = tokenizer.pad_token_id
    labels = np.full((n, max_length), IGNORE, "int32")
    firsts = []
    for i, (words, tags) in enumerate(sentences):
        ids, lab, first = align(tokenizer, words, tags, tag_index, max_length, label_all_pieces)
        arrays["input_ids"][i, : len(ids)] = ids
        arrays["attention_mask"][i, : len(ids)] = 1
        labels[i, : len(lab)] = lab
        firsts.append(first)
    return arrays, labels, firsts


def parse_args(argv):
    p = _common.base_parser(
        __doc__.splitlines()[1],
        train_file=_common.data_path("ner_train.conll"),
        eval_file=_common.data_path("ner_test.conll"),
        max_length=48,
        learning_rate=1e-4,
    )
    p.add_argument("--label-all-pieces", action="store_true", help="label every piece of a word")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    strategy = _common.setup(args)
    tokenizer = BertTokenizer.from_pretrained(args.model)
    train_sents = read_conll(args.train_file, args.max_train_examples)
    tags = sorted({t for _, ts in train_sents for t in ts})
    tag_index = {t: i for i, t in enumerate(tags)}
    x, y, _ = encode(tokenizer, train_sents, tag_index, args.max_length, args.label_all_pieces)
    train_ds = (
        tf.data.Dataset.from_tensor_slices((x, y))
        .shuffle(len(y), seed=args.seed)
        .batch(args.batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    steps = _common.steps_for(args, len(y))
    model, history = _common.fine_tune(
        args, strategy, keras_bert.TFBertForTokenClassification, train_ds, steps, model_kwargs={"num_labels": len(tags)}
    )
    result = {"tags": tags, "loss": history.history["loss"]}
    if args.eval_file:
        sents = read_conll(args.eval_file, args.max_eval_examples)
        ex, _, firsts = encode(tokenizer, sents, tag_index, args.max_length)
        logits = model.predict(ex, batch_size=args.batch_size, verbose=0)
        logits = logits["logits"] if isinstance(logits, dict) else logits.logits
        pred = np.argmax(logits, axis=-1)
        gold, guess = [], []
        for i, (_words, word_tags) in enumerate(sents):
            for w, pos in enumerate(firsts[i]):
                gold.append(word_tags[w])
                guess.append(tags[pred[i, pos]])
        gold, guess = np.array(gold), np.array(guess)
        entity = gold != "O"
        result["accuracy"] = float(np.mean(gold == guess))
        result["entity_accuracy"] = float(np.mean(gold[entity] == guess[entity]))
        result["majority_baseline"] = float(np.mean(gold == "O"))
        print(
            f"eval word accuracy {result['accuracy']:.3f} (all-'O' baseline {result['majority_baseline']:.3f}); "
            f"accuracy on entity words {result['entity_accuracy']:.3f}"
        )
        example = sents[0][0]
        print(" ".join(f"{w}/{guess[k]}" for k, w in enumerate(example[: len(firsts[0])])))
    result["saved"] = _common.save_model(args, model, tokenizer, strategy)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
