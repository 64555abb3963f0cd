"""transformers 4.x docs, tasks/token_classification (TensorFlow path), run on keras_bert.

Changed from the guide: imports; "bert-base-uncased" from the local HF cache instead of DistilBERT;
WNUT from `_local_data` (our bundled CoNLL-style data, label list below); `evaluate.load("seqeval")`
replaced by a token-level NumPy accuracy; no PushToHubCallback and no pipeline(); inference from the
saved directory.
"""

import _local_data
import numpy as np

wnut = _local_data.wnut()
label_list = _local_data.NER_TAGS

from keras_bert import AutoTokenizer  # noqa: E402

tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")
example = wnut["train"][0]
tokenized_input = tokenizer(example["tokens"], is_split_into_words=True)
tokens = tokenizer.convert_ids_to_tokens(tokenized_input["input_ids"])


def tokenize_and_align_labels(examples):
    tokenized_inputs = tokenizer(examples["tokens"], truncation=True, is_split_into_words=True)

    labels = []
    for i, label in enumerate(examples["ner_tags"]):
        word_ids = tokenized_inputs.word_ids(batch_index=i)  # Map tokens to their respective word.
        previous_word_idx = None
        label_ids = []
        for word_idx in word_ids:  # Set the special tokens to -100.
            if word_idx is None:
                label_ids.append(-100)
            elif word_idx != previous_word_idx:  # Only label the first token of a given word.
                label_ids.append(label[word_idx])
            else:
                label_ids.append(-100)
            previous_word_idx = word_idx
        labels.append(label_ids)

    tokenized_inputs["labels"] = labels
    return tokenized_inputs


tokenized_wnut = wnut.map(tokenize_and_align_labels, batched=True)

from keras_bert import DataCollatorForTokenClassification  # noqa: E402

data_collator = DataCollatorForTokenClassification(tokenizer=tokenizer, return_tensors="tf")


def compute_metrics(p):  # token accuracy instead of seqeval
    predictions, labels = p
    predictions = np.argmax(predictions, axis=2)
    true = [(p, l) for prediction, label in zip(predictions, labels) for (p, l) in zip(prediction, label) if l != -100]
    return {"accuracy": float(np.mean([p == l for p, l in true]))}


id2label = dict(enumerate(label_list))
label2id = {v: k for k, v in id2label.items()}

from keras_bert import create_optimizer  # noqa: E402

batch_size = 16
num_train_epochs = 3
num_train_steps = (len(tokenized_wnut["train"]) // batch_size) * num_train_epochs
optimizer, lr_schedule = create_optimizer(
    init_lr=2e-5,
    num_train_steps=num_train_steps,
    weight_decay_rate=0.01,
    num_warmup_steps=0,
)

from keras_bert import TFAutoModelForTokenClassification  # noqa: E402

model = TFAutoModelForTokenClassification.from_pretrained(
    "bert-base-uncased", num_labels=len(label_list), id2label=id2label, label2id=label2id
)
tf_train_set = model.prepare_tf_dataset(
    tokenized_wnut["train"],
    shuffle=True,
    batch_size=16,
    collate_fn=data_collator,
)
tf_validation_set = model.prepare_tf_dataset(
    tokenized_wnut["validation"],
    shuffle=False,
    batch_size=16,
    collate_fn=data_collator,
)

import tensorflow as tf  # noqa: E402

model.compile(optimizer=optimizer)

from keras_bert.keras_callbacks import KerasMetricCallback  # noqa: E402

metric_callback = KerasMetricCallback(metric_fn=compute_metrics, eval_dataset=tf_validation_set)
history = model.fit(x=tf_train_set, validation_data=tf_validation_set, epochs=3, callbacks=[metric_callback])

model.save_pretrained("my_awesome_wnut_model")
tokenizer.save_pretrained("my_awesome_wnut_model")
text = "The Golden State Warriors are an American professional basketball team based in San Francisco."
tokenizer = AutoTokenizer.from_pretrained("my_awesome_wnut_model")
inputs = tokenizer(text, return_tensors="tf")
model = TFAutoModelForTokenClassification.from_pretrained("my_awesome_wnut_model")
logits = model(**inputs).logits
predicted_token_class_ids = tf.math.argmax(logits, axis=-1)
predicted_token_class = [model.config.id2label[t] for t in predicted_token_class_ids[0].numpy().tolist()]

assert "accuracy" in history.history and all(np.isfinite(history.history["loss"]))
assert len(predicted_token_class) == inputs["input_ids"].shape[1] and set(predicted_token_class) <= set(label_list)
np.save("logits.npy", logits.numpy())
print("OK", history.history["accuracy"][-1])
