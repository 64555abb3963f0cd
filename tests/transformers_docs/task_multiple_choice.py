"""transformers 4.x docs, tasks/multiple_choice (TensorFlow path), run on keras_bert.

Changed from the guide: imports (`transformers.tokenization_utils_base` -> `keras_bert.tokenization_utils_base`);
"bert-base-uncased" from the local HF cache; SWAG from `_local_data`; `evaluate.load("accuracy")`
is a NumPy accuracy; no PushToHubCallback; inference from the saved directory.
"""

from dataclasses import dataclass

import _local_data
import numpy as np
import tensorflow as tf

from keras_bert.tokenization_utils_base import PaddingStrategy, PreTrainedTokenizerBase

swag = _local_data.swag()

from keras_bert import AutoTokenizer  # noqa: E402

tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")
ending_names = ["ending0", "ending1", "ending2", "ending3"]


def preprocess_function(examples):
    first_sentences = [[context] * 4 for context in examples["sent1"]]
    question_headers = examples["sent2"]
    second_sentences = [
        [f"{header} {examples[end][i]}" for end in ending_names] for i, header in enumerate(question_headers)
    ]

    first_sentences = sum(first_sentences, [])
    second_sentences = sum(second_sentences, [])

    tokenized_examples = tokenizer(first_sentences, second_sentences, truncation=True)
    return {k: [v[i : i + 4] for i in range(0, len(v), 4)] for k, v in tokenized_examples.items()}


tokenized_swag = swag.map(preprocess_function, batched=True)


@dataclass
class DataCollatorForMultipleChoice:
    """
    Data collator that will dynamically pad the inputs for multiple choice received.
    """

    tokenizer: PreTrainedTokenizerBase
    padding: bool | str | PaddingStrategy = True
    max_length: int | None = None
    pad_to_multiple_of: int | None = None

    def __call__(self, features):
        label_name = "label" if "label" in features[0].keys() else "labels"
        labels = [feature.pop(label_name) for feature in features]
        batch_size = len(features)
        num_choices = len(features[0]["input_ids"])
        flattened_features = [
            [{k: v[i] for k, v in feature.items()} for i in range(num_choices)] for feature in features
        ]
        flattened_features = sum(flattened_features, [])

        batch = self.tokenizer.pad(
            flattened_features,
            padding=self.padding,
            max_length=self.max_length,
            pad_to_multiple_of=self.pad_to_multiple_of,
            return_tensors="tf",
        )

        batch = {k: tf.reshape(v, (batch_size, num_choices, -1)) for k, v in batch.items()}
        batch["labels"] = tf.convert_to_tensor(labels, dtype=tf.int64)
        return batch


def compute_metrics(eval_pred):
    predictions, labels = eval_pred
    predictions = np.argmax(predictions, axis=1)
    return {"accuracy": float(np.mean(predictions == labels))}


from keras_bert import create_optimizer  # noqa: E402

batch_size = 16
num_train_epochs = 2
total_train_steps = (len(tokenized_swag["train"]) // batch_size) * num_train_epochs
optimizer, schedule = create_optimizer(init_lr=5e-5, num_warmup_steps=0, num_train_steps=total_train_steps)

from keras_bert import TFAutoModelForMultipleChoice  # noqa: E402

model = TFAutoModelForMultipleChoice.from_pretrained("bert-base-uncased")
data_collator = DataCollatorForMultipleChoice(tokenizer=tokenizer)
tf_train_set = model.prepare_tf_dataset(
    tokenized_swag["train"],
    shuffle=True,
    batch_size=batch_size,
    collate_fn=data_collator,
)
tf_validation_set = model.prepare_tf_dataset(
    tokenized_swag["validation"],
    shuffle=False,
    batch_size=batch_size,
    collate_fn=data_collator,
)
model.compile(optimizer=optimizer)

from keras_bert.keras_callbacks import KerasMetricCallback  # noqa: E402

metric_callback = KerasMetricCallback(metric_fn=compute_metrics, eval_dataset=tf_validation_set)
history = model.fit(x=tf_train_set, validation_data=tf_validation_set, epochs=2, callbacks=[metric_callback])

model.save_pretrained("my_awesome_swag_model")
tokenizer.save_pretrained("my_awesome_swag_model")
prompt = "France has a bread law, Le Décret Pain, with strict rules on what is allowed in a traditional baguette."
candidate1 = "The law does not apply to croissants and brioche."
candidate2 = "The law applies to baguettes."
tokenizer = AutoTokenizer.from_pretrained("my_awesome_swag_model")
inputs = tokenizer([[prompt, candidate1], [prompt, candidate2]], return_tensors="tf", padding=True)
model = TFAutoModelForMultipleChoice.from_pretrained("my_awesome_swag_model")
inputs = {k: tf.expand_dims(v, 0) for k, v in inputs.items()}
outputs = model(inputs)
logits = outputs.logits
predicted_class = int(tf.math.argmax(logits, axis=-1)[0])

assert "accuracy" in history.history and all(np.isfinite(history.history["loss"]))
assert logits.shape == (1, 2) and predicted_class in (0, 1)
np.save("logits.npy", logits.numpy())
print("OK", history.history["accuracy"][-1])
