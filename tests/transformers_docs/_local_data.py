"""Local stand-ins for the `datasets.load_dataset(...)` calls of the transformers 4.x guides.

The guides download IMDb, WNUT, SQuAD, SWAG and ELI5; there is no network here, so each script
builds a `datasets.DatasetDict` with the same columns from keras_bert's bundled `examples/data`
(a few dozen rows each, so a guide runs end to end in seconds). Nothing else in the scripts changes.
"""

import csv
import json
import os

from datasets import Dataset, DatasetDict

DATA = os.environ.get("KB_DATA") or os.path.join(os.path.dirname(__file__), "..", "..", "examples", "data")


def _path(name):
    return os.path.join(DATA, name)


def imdb(rows=48):
    """IMDb columns: text, label (0 negative, 1 positive)."""

    def load(name):
        with open(_path(name), encoding="utf-8") as f:
            return [
                {"text": r["text"], "label": int(r["label"] == "positive")} for r in csv.DictReader(f, delimiter="\t")
            ]

    return DatasetDict(
        train=Dataset.from_list(load("sentiment_train.tsv")[:rows]),
        test=Dataset.from_list(load("sentiment_test.tsv")[: rows // 2]),
    )


NER_TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]


def wnut(rows=48):
    """WNUT columns: id, tokens, ner_tags (ints)."""

    def load(name):
        sentences, words, tags = [], [], []
        with open(_path(name), encoding="utf-8") as f:
            for line in list(f) + [""]:
                line = line.strip()
                if not line:
                    if words:
                        sentences.append({"id": str(len(sentences)), "tokens": words, "ner_tags": tags})
                    words, tags = [], []
                    continue
                word, tag = line.split()
                words.append(word)
                tags.append(NER_TAGS.index(tag) if tag in NER_TAGS else 0)
        return sentences

    test = load("ner_test.conll")[: rows // 2]
    return DatasetDict(
        train=Dataset.from_list(load("ner_train.conll")[:rows]),
        validation=Dataset.from_list(test),
        test=Dataset.from_list(test),
    )


def squad(rows=48):
    """SQuAD columns: id, title, context, question, answers {text, answer_start}."""
    with open(_path("qa_train.json"), encoding="utf-8") as f:
        data = json.load(f)["data"]
    out = []
    for article in data:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answers = {
                    "text": [a["text"] for a in qa["answers"]],
                    "answer_start": [a["answer_start"] for a in qa["answers"]],
                }
                out.append(
                    {
                        "id": qa["id"],
                        "title": article["title"],
                        "context": paragraph["context"],
                        "question": qa["question"],
                        "answers": answers,
                    }
                )
    return Dataset.from_list(out[:rows])


def swag(rows=32):
    """SWAG columns: sent1, sent2, ending0..ending3, label."""

    def load(name):
        out = []
        with open(_path(name), encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                row = {"sent1": r["context"], "sent2": r["question"], "label": r["label"]}
                row.update({f"ending{i}": c for i, c in enumerate(r["choices"])})
                out.append(row)
        return out

    return DatasetDict(
        train=Dataset.from_list(load("choice_train.jsonl")[:rows]),
        validation=Dataset.from_list(load("choice_test.jsonl")[: rows // 2]),
    )


def eli5(rows=64):
    """ELI5 after `.flatten()`: the guide reads the `answers.text` column (a list of strings)."""
    with open(_path("pretrain_corpus.txt"), encoding="utf-8") as f:
        lines = [line.strip() for line in f if line.strip()]
    groups = [lines[i : i + 3] for i in range(0, 3 * rows, 3)]
    return Dataset.from_list([{"answers.text": g, "q_id": str(i)} for i, g in enumerate(groups)])
