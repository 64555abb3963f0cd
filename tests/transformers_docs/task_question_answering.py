"""transformers 4.x docs, tasks/question_answering (TensorFlow path), run on keras_bert.

Changed from the guide: imports; "bert-base-uncased" from the local HF cache instead of DistilBERT;
SQuAD from `_local_data` (our bundled SQuAD-format file); no PushToHubCallback and no pipeline(); the
guide's `TFAutoModelForQuestionAnswering("...")` typo is called as `.from_pretrained("...")`; inference
from the saved directory. The preprocessing is the full one the guide points to (course chapter 7.7,
TF): overlapping windows (`return_overflowing_tokens`, `stride`, `overflow_to_sample_mapping`) labelled
through `offset_mapping` and `sequence_ids`, and the course's post-processing (n-best start/end logits
-> a character span of the context). `max_length`/`stride` are 64/16 instead of 384/128 so that our
~120-token contexts really overflow, as SQuAD's long ones do at 384. Our checks at the end: the labels
decode to the answers, and the post-processing fed the gold positions recovers every answer text.
`datasets` 4 returns a `Column` where the course's older `datasets` returned an array, hence one
`np.asarray` in the evaluation batch.
"""

import _local_data
import numpy as np

squad = _local_data.squad()
squad = squad.train_test_split(test_size=0.2, seed=0)

from keras_bert import AutoTokenizer  # noqa: E402

tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")


max_length = 64
stride = 16


def preprocess_training_examples(examples):
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


def preprocess_validation_examples(examples):
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


tokenized_squad = squad.map(preprocess_training_examples, batched=True, remove_columns=squad["train"].column_names)
validation_dataset = squad["test"].map(
    preprocess_validation_examples, batched=True, remove_columns=squad["test"].column_names
)

import collections  # noqa: E402

n_best = 20
max_answer_length = 30


def compute_answers(start_logits, end_logits, features, examples):
    example_to_features = collections.defaultdict(list)
    for idx, feature in enumerate(features):
        example_to_features[feature["example_id"]].append(idx)

    predicted_answers = []
    for example in examples:
        example_id = example["id"]
        context = example["context"]
        answers = []

        # Loop through all features associated with that example
        for feature_index in example_to_features[example_id]:
            start_logit = start_logits[feature_index]
            end_logit = end_logits[feature_index]
            offsets = features[feature_index]["offset_mapping"]

            start_indexes = np.argsort(start_logit)[-1 : -n_best - 1 : -1].tolist()
            end_indexes = np.argsort(end_logit)[-1 : -n_best - 1 : -1].tolist()
            for start_index in start_indexes:
                for end_index in end_indexes:
                    # Skip answers that are not fully in the context
                    if offsets[start_index] is None or offsets[end_index] is None:
                        continue
                    # Skip answers with a length that is either < 0 or > max_answer_length
                    if end_index < start_index or end_index - start_index + 1 > max_answer_length:
                        continue

                    answer = {
                        "text": context[offsets[start_index][0] : offsets[end_index][1]],
                        "logit_score": start_logit[start_index] + end_logit[end_index],
                    }
                    answers.append(answer)

        # Select the answer with the best score
        if len(answers) > 0:
            best_answer = max(answers, key=lambda x: x["logit_score"])
            predicted_answers.append({"id": example_id, "prediction_text": best_answer["text"]})
        else:
            predicted_answers.append({"id": example_id, "prediction_text": ""})
    return predicted_answers


# Our checks, not the guide's: contexts really overflow into several windows; every labelled window
# decodes to its answer; the post-processing fed the gold positions as one-hot logits recovers every
# answer text of the held-out split through the validation features' offsets.
assert len(tokenized_squad["train"]) >= 2 * len(squad["train"]), (len(tokenized_squad["train"]), len(squad["train"]))
answers_by_row = [squad["train"][i]["answers"]["text"][0].lower() for i in range(len(squad["train"]))]
labelled = [row for row in tokenized_squad["train"] if row["start_positions"] > 0]
spans = {tokenizer.decode(row["input_ids"][row["start_positions"] : row["end_positions"] + 1]) for row in labelled}
assert spans == set(answers_by_row), spans ^ set(answers_by_row)
gold = squad["test"].map(preprocess_training_examples, batched=True, remove_columns=squad["test"].column_names)
one_hot = np.eye(max_length, dtype=np.float32)
gold_answers = compute_answers(
    one_hot[gold["start_positions"]], one_hot[gold["end_positions"]], validation_dataset, squad["test"]
)
recovered = sum(p["prediction_text"] == ex["answers"]["text"][0] for p, ex in zip(gold_answers, squad["test"]))
assert recovered == len(squad["test"]), [p["prediction_text"] for p in gold_answers]

from keras_bert import DefaultDataCollator  # noqa: E402

data_collator = DefaultDataCollator(return_tensors="tf")

from keras_bert import create_optimizer  # noqa: E402

batch_size = 16
num_epochs = 2
total_train_steps = (len(tokenized_squad["train"]) // batch_size) * num_epochs
optimizer, schedule = create_optimizer(
    init_lr=2e-5,
    num_warmup_steps=0,
    num_train_steps=total_train_steps,
)

from keras_bert import TFAutoModelForQuestionAnswering  # noqa: E402

model = TFAutoModelForQuestionAnswering.from_pretrained("bert-base-uncased")
tf_train_set = model.prepare_tf_dataset(
    tokenized_squad["train"],
    shuffle=True,
    batch_size=16,
    collate_fn=data_collator,
)
tf_validation_set = model.prepare_tf_dataset(
    tokenized_squad["test"],
    shuffle=False,
    batch_size=16,
    collate_fn=data_collator,
)

import tensorflow as tf  # noqa: E402

model.compile(optimizer=optimizer)
history = model.fit(x=tf_train_set, validation_data=tf_validation_set, epochs=3)

eval_set_for_model = validation_dataset.remove_columns(["example_id", "offset_mapping"])
eval_set_for_model.set_format("numpy")
batch = {k: np.asarray(eval_set_for_model[k]) for k in eval_set_for_model.column_names}
outputs = model(**batch)
start_logits = outputs.start_logits.numpy()
end_logits = outputs.end_logits.numpy()
predicted_answers = compute_answers(start_logits, end_logits, validation_dataset, squad["test"])

model.save_pretrained("my_awesome_qa_model")
tokenizer.save_pretrained("my_awesome_qa_model")
question = "How many programming languages does BLOOM support?"
context = "BLOOM has 176 billion parameters and can generate text in 46 languages natural languages and 13 programming languages."
tokenizer = AutoTokenizer.from_pretrained("my_awesome_qa_model")
inputs = tokenizer(question, context, return_tensors="tf")
model = TFAutoModelForQuestionAnswering.from_pretrained("my_awesome_qa_model")
outputs = model(**inputs)
answer_start_index = int(tf.math.argmax(outputs.start_logits, axis=-1)[0])
answer_end_index = int(tf.math.argmax(outputs.end_logits, axis=-1)[0])
predict_answer_tokens = inputs.input_ids[0, answer_start_index : answer_end_index + 1]
answer = tokenizer.decode(predict_answer_tokens)

assert all(np.isfinite(history.history["loss"])) and all(np.isfinite(history.history["val_loss"]))
assert isinstance(answer, str)
assert len(predicted_answers) == len(squad["test"])
assert all(isinstance(p["prediction_text"], str) for p in predicted_answers)
np.save("start_logits.npy", outputs.start_logits.numpy())
print("OK", recovered, repr(answer))
