"""transformers 4.x docs, tasks/question_answering (TensorFlow path), run on keras_bert.

Changed from the guide: imports; "bert-base-uncased" from the local HF cache instead of DistilBERT;
SQuAD from `_local_data` (our bundled SQuAD-format file); `max_length=384` kept; no
PushToHubCallback and no pipeline(); the guide's `TFAutoModelForQuestionAnswering("...")` typo is
called as `.from_pretrained("...")`; inference from the saved directory. The preprocessing below is
the guide's, which recovers the answer span of every example (checked at the end).
"""

import _local_data
import numpy as np

squad = _local_data.squad()
squad = squad.train_test_split(test_size=0.2, seed=0)

from keras_bert import AutoTokenizer  # noqa: E402

tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")


def preprocess_function(examples):
    questions = [q.strip() for q in examples["question"]]
    inputs = tokenizer(
        questions,
        examples["context"],
        max_length=384,
        truncation="only_second",
        return_offsets_mapping=True,
        padding="max_length",
    )

    offset_mapping = inputs.pop("offset_mapping")
    answers = examples["answers"]
    start_positions = []
    end_positions = []

    for i, offset in enumerate(offset_mapping):
        answer = answers[i]
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

        # If the answer is not fully inside the context, label it (0, 0)
        if offset[context_start][0] > end_char or offset[context_end][1] < start_char:
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


tokenized_squad = squad.map(preprocess_function, batched=True, remove_columns=squad["train"].column_names)

# The labelled spans decode back to the answers (our check, not the guide's).
recovered = 0
for row, source in zip(tokenized_squad["train"], squad["train"]):
    span = tokenizer.decode(row["input_ids"][row["start_positions"] : row["end_positions"] + 1])
    recovered += span == source["answers"]["text"][0].lower()
assert recovered == len(squad["train"]), (recovered, len(squad["train"]))

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
np.save("start_logits.npy", outputs.start_logits.numpy())
print("OK", recovered, repr(answer))
