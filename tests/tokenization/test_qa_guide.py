"""The question-answering guide's preprocessing and post-processing, run on our tokenizers.

transformers 4.x's tasks/question_answering guide and the course chapter it points to for evaluation
(chapter 7.7) split long contexts into overlapping windows (`return_overflowing_tokens`, `stride`),
label each window with the answer's token positions through `offset_mapping` and `sequence_ids`, and
map start/end logits back to a character span of the context. The functions below are that code as a
user has it, with only the tokenizer swapped. They run on every example of `examples/data/qa_*.json`
with the guide's lengths (384/128, one window per example here) and with short ones (64/16, several
windows per example) and are checked two ways:

* every window and label equals what transformers' `BertTokenizerFast` (the installed oracle, loaded
  from the same MiniLM files) gives on the same calls;
* fed the gold positions as one-hot logits, the post-processing recovers every gold answer text.
"""

import collections
import json
import os

import numpy as np
import pytest

from keras_bert import BertTokenizerFast

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "data")
N_BEST = 20
MAX_ANSWER_LENGTH = 30


def squad_examples():
    """Both bundled SQuAD files as the column dict a batched `datasets.map` hands the guide."""
    columns = collections.defaultdict(list)
    for name in ("qa_train.json", "qa_test.json"):
        with open(os.path.join(DATA, name), encoding="utf-8") as f:
            articles = json.load(f)["data"]
        for article in articles:
            for paragraph in article["paragraphs"]:
                for qa in paragraph["qas"]:
                    columns["id"].append(qa["id"] + name)
                    columns["context"].append(paragraph["context"])
                    columns["question"].append(qa["question"])
                    columns["answers"].append(
                        {
                            "text": [a["text"] for a in qa["answers"]],
                            "answer_start": [a["answer_start"] for a in qa["answers"]],
                        }
                    )
    return dict(columns)


# --- the guide's code (course chapter 7.7), unchanged but for taking the tokenizer and lengths as arguments ---


def preprocess_training_examples(tokenizer, examples, max_length, stride):
    questions = [q.strip() for q in examples["question"]]
    inputs = tokenizer(
        questions,
        examples["context"],
        max_length=max_length,
        truncation="only_second",
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        padding="max_length",
    )

    offset_mapping = inputs.pop("offset_mapping")
    sample_map = inputs.pop("overflow_to_sample_mapping")
    answers = examples["answers"]
    start_positions = []
    end_positions = []

    for i, offset in enumerate(offset_mapping):
        sample_idx = sample_map[i]
        answer = answers[sample_idx]
        start_char = answer["answer_start"][0]
        end_char = answer["answer_start"][0] + len(answer["text"][0])
        sequence_ids = inputs.sequence_ids(i)

        # Find the start and end of the context
        idx = 0
        while sequence_ids[idx] != 1:
            idx += 1
        context_start = idx
        while sequence_ids[idx] == 1:
            idx += 1
        context_end = idx - 1

        # If the answer is not fully inside the context, label is (0, 0)
        if offset[context_start][0] > start_char or offset[context_end][1] < end_char:
            start_positions.append(0)
            end_positions.append(0)
        else:
            # Otherwise it's the start and end token positions
            idx = context_start
            while idx <= context_end and offset[idx][0] <= start_char:
                idx += 1
            start_positions.append(idx - 1)

            idx = context_end
            while idx >= context_start and offset[idx][1] >= end_char:
                idx -= 1
            end_positions.append(idx + 1)

    inputs["start_positions"] = start_positions
    inputs["end_positions"] = end_positions
    return inputs


def preprocess_validation_examples(tokenizer, examples, max_length, stride):
    questions = [q.strip() for q in examples["question"]]
    inputs = tokenizer(
        questions,
        examples["context"],
        max_length=max_length,
        truncation="only_second",
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        padding="max_length",
    )

    sample_map = inputs.pop("overflow_to_sample_mapping")
    example_ids = []

    for i in range(len(inputs["input_ids"])):
        sample_idx = sample_map[i]
        example_ids.append(examples["id"][sample_idx])

        sequence_ids = inputs.sequence_ids(i)
        offset = inputs["offset_mapping"][i]
        inputs["offset_mapping"][i] = [o if sequence_ids[k] == 1 else None for k, o in enumerate(offset)]

    inputs["example_id"] = example_ids
    return inputs


def postprocess(start_logits, end_logits, features, examples):
    """The course's answer extraction: best n_best x n_best span inside the context, per example."""
    example_to_features = collections.defaultdict(list)
    for idx, example_id in enumerate(features["example_id"]):
        example_to_features[example_id].append(idx)

    predicted_answers = []
    for example_id, context in zip(examples["id"], examples["context"]):
        answers = []
        for feature_index in example_to_features[example_id]:
            start_logit = start_logits[feature_index]
            end_logit = end_logits[feature_index]
            offsets = features["offset_mapping"][feature_index]

            start_indexes = np.argsort(start_logit)[-1 : -N_BEST - 1 : -1].tolist()
            end_indexes = np.argsort(end_logit)[-1 : -N_BEST - 1 : -1].tolist()
            for start_index in start_indexes:
                for end_index in end_indexes:
                    # Skip answers that are not fully in the context
                    if offsets[start_index] is None or offsets[end_index] is None:
                        continue
                    # Skip answers with a length that is either < 0 or > max_answer_length
                    if end_index < start_index or end_index - start_index + 1 > MAX_ANSWER_LENGTH:
                        continue
                    answers.append(
                        {
                            "text": context[offsets[start_index][0] : offsets[end_index][1]],
                            "logit_score": start_logit[start_index] + end_logit[end_index],
                        }
                    )
        if answers:
            best_answer = max(answers, key=lambda x: x["logit_score"])
            predicted_answers.append({"id": example_id, "prediction_text": best_answer["text"]})
        else:
            predicted_answers.append({"id": example_id, "prediction_text": ""})
    return predicted_answers


# --- checks ---

LENGTHS = [(384, 128), (64, 16), (48, 8)]


@pytest.fixture(scope="module")
def tokenizers_pair(minilm_dir):
    import transformers

    return BertTokenizerFast.from_pretrained(minilm_dir), transformers.BertTokenizerFast.from_pretrained(minilm_dir)


@pytest.fixture(scope="module")
def examples():
    return squad_examples()


def as_lists(encoding):
    return {key: [list(map(_plain, row)) for row in value] for key, value in encoding.items()}


def _plain(x):
    return tuple(x) if isinstance(x, (tuple, list)) else x


@pytest.mark.parametrize("max_length,stride", LENGTHS)
def test_training_windows_and_labels_equal_transformers(tokenizers_pair, examples, max_length, stride):
    ours, reference = tokenizers_pair
    got = preprocess_training_examples(ours, examples, max_length, stride)
    want = preprocess_training_examples(reference, examples, max_length, stride)
    assert (
        sorted(got)
        == sorted(want)
        == [
            "attention_mask",
            "end_positions",
            "input_ids",
            "start_positions",
            "token_type_ids",
        ]
    )
    for key in want:
        assert got[key] == want[key], key
    rows = len(want["input_ids"])
    assert [got.sequence_ids(i) for i in range(rows)] == [want.sequence_ids(i) for i in range(rows)]
    assert {len(r) for r in got["input_ids"]} == {max_length}
    n_examples = len(examples["id"])
    answered = sum(s > 0 for s in got["start_positions"])
    if max_length == 384:  # the bundled contexts (<= 126 tokens) fit: one window, always labelled
        assert rows == n_examples == answered
    else:  # several windows per example, some without the answer (labelled (0, 0)), none lost
        assert rows >= 2 * n_examples and answered >= n_examples and rows - answered >= n_examples
    # The labels point at the answer: the tokens between them decode to it (uncased vocabulary).
    decoded = {
        ours.decode(ids[s : e + 1])
        for ids, s, e in zip(got["input_ids"], got["start_positions"], got["end_positions"])
        if s > 0
    }
    assert decoded == {a["text"][0].lower() for a in examples["answers"]}


@pytest.mark.parametrize("max_length,stride", LENGTHS)
def test_validation_features_and_postprocessing_recover_every_answer(tokenizers_pair, examples, max_length, stride):
    ours, reference = tokenizers_pair
    features = preprocess_validation_examples(ours, examples, max_length, stride)
    want = preprocess_validation_examples(reference, examples, max_length, stride)
    assert sorted(features) == sorted(want)
    for key in want:
        if key == "offset_mapping":
            assert [[_plain(o) for o in row] for row in features[key]] == [
                [_plain(o) for o in row] for row in want[key]
            ]
        else:
            assert features[key] == want[key], key
    labels = preprocess_training_examples(ours, examples, max_length, stride)
    start_logits = np.eye(max_length, dtype=np.float32)[labels["start_positions"]]
    end_logits = np.eye(max_length, dtype=np.float32)[labels["end_positions"]]
    predicted = postprocess(start_logits, end_logits, features, examples)
    assert [p["id"] for p in predicted] == examples["id"]
    wrong = [
        (p["prediction_text"], a["text"][0])
        for p, a in zip(predicted, examples["answers"])
        if p["prediction_text"] != a["text"][0]
    ]
    assert not wrong, wrong[:5]


def test_windows_overlap_by_stride(tokenizers_pair, examples):
    """Consecutive windows of one example share exactly `stride` context tokens (the overflow contract)."""
    ours, _ = tokenizers_pair
    max_length, stride = 64, 16
    enc = ours(
        examples["question"][:12],
        examples["context"][:12],
        max_length=max_length,
        truncation="only_second",
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )
    sample = enc["overflow_to_sample_mapping"]
    for i in range(1, len(sample)):
        if sample[i] != sample[i - 1]:
            continue
        before = [t for t, s in zip(enc["input_ids"][i - 1], enc.sequence_ids(i - 1)) if s == 1]
        after = [t for t, s in zip(enc["input_ids"][i], enc.sequence_ids(i)) if s == 1]
        assert before[-stride:] == after[:stride], i
