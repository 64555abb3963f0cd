"""transformers 4.x docs, tasks/sequence_classification (TensorFlow path), run on keras_bert.

Changed from the guide: `transformers` -> `keras_bert` in imports; the checkpoint is
"bert-base-uncased" (resolved from the local Hugging Face cache) instead of DistilBERT; IMDb comes
from `_local_data`; `evaluate.load("accuracy")` (downloads a metric script) is a NumPy accuracy;
the PushToHubCallback is left out (keras_bert does not push to the Hub); the final pipeline() call
is left out (no pipelines); inference uses the directory the model was saved to.
"""

import _local_data
import numpy as np

imdb = _local_data.imdb()

from keras_bert import AutoTokenizer  # noqa: E402

tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")


def preprocess_function(examples):
    return tokenizer(examples["text"], truncation=True)


tokenized_imdb = imdb.map(preprocess_function, batched=True)

from keras_bert import DataCollatorWithPadding  # noqa: E402

data_collator = DataCollatorWithPadding(tokenizer=tokenizer, return_tensors="tf")


class _Accuracy:  # stands in for evaluate.load("accuracy")
    def compute(self, predictions, references):
        return {"accuracy": float(np.mean(np.asarray(predictions) == np.asarray(references)))}


accuracy = _Accuracy()


def compute_metrics(eval_pred):
    predictions, labels = eval_pred
    predictions = np.argmax(predictions, axis=1)
    return accuracy.compute(predictions=predictions, references=labels)


id2label = {0: "NEGATIVE", 1: "POSITIVE"}
label2id = {"NEGATIVE": 0, "POSITIVE": 1}

import tensorflow as tf  # noqa: E402

from keras_bert import create_optimizer  # noqa: E402

batch_size = 16
num_epochs = 5
batches_per_epoch = len(tokenized_imdb["train"]) // batch_size
total_train_steps = int(batches_per_epoch * num_epochs)
optimizer, schedule = create_optimizer(init_lr=2e-5, num_warmup_steps=0, num_train_steps=total_train_steps)

from keras_bert import TFAutoModelForSequenceClassification  # noqa: E402

model = TFAutoModelForSequenceClassification.from_pretrained(
    "bert-base-uncased", num_labels=2, id2label=id2label, label2id=label2id
)

tf_train_set = model.prepare_tf_dataset(
    tokenized_imdb["train"],
    shuffle=True,
    batch_size=16,
    collate_fn=data_collator,
)

tf_validation_set = model.prepare_tf_dataset(
    tokenized_imdb["test"],
    shuffle=False,
    batch_size=16,
    collate_fn=data_collator,
)

model.compile(optimizer=optimizer)

from keras_bert.keras_callbacks import KerasMetricCallback  # noqa: E402

metric_callback = KerasMetricCallback(metric_fn=compute_metrics, eval_dataset=tf_validation_set)
callbacks = [metric_callback]
history = model.fit(x=tf_train_set, validation_data=tf_validation_set, epochs=3, callbacks=callbacks)

# Inference, from the directory the guide would have pushed to the Hub.
model.save_pretrained("my_awesome_model")
tokenizer.save_pretrained("my_awesome_model")
text = "This was a masterpiece. Not completely faithful to the books, but enthralling from beginning to end. Might be my favorite of the three."
tokenizer = AutoTokenizer.from_pretrained("my_awesome_model")
inputs = tokenizer(text, return_tensors="tf")
model = TFAutoModelForSequenceClassification.from_pretrained("my_awesome_model")
logits = model(**inputs).logits
predicted_class_id = int(tf.math.argmax(logits, axis=-1)[0])
label = model.config.id2label[predicted_class_id]

# What the test checks.
assert "accuracy" in history.history, history.history.keys()
assert all(np.isfinite(history.history["loss"])), history.history["loss"]
assert label in ("NEGATIVE", "POSITIVE"), label
np.save("logits.npy", logits.numpy())
print("OK", history.history["accuracy"][-1], label)
