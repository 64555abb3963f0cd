"""transformers 4.x docs: quicktour.md and training.md (TensorFlow paths), run on keras_bert.

Changed from the docs: imports; checkpoints "bert-base-uncased" from the local HF cache (instead of
nlptown/... and bert-base-cased); rotten_tomatoes / glue-cola from `_local_data`; no pipeline().
"""

import _local_data
import numpy as np

from keras_bert import AutoTokenizer

model_name = "bert-base-uncased"
tokenizer = AutoTokenizer.from_pretrained(model_name)
encoding = tokenizer("We are very happy to show you the 🤗 Transformers library.")
print(encoding)
tf_batch = tokenizer(
    ["We are very happy to show you the 🤗 Transformers library.", "We hope you don't hate it."],
    padding=True,
    truncation=True,
    max_length=512,
    return_tensors="tf",
)

from keras_bert import TFAutoModelForSequenceClassification  # noqa: E402

tf_model = TFAutoModelForSequenceClassification.from_pretrained(model_name)
tf_outputs = tf_model(tf_batch)

import tensorflow as tf  # noqa: E402

tf_predictions = tf.nn.softmax(tf_outputs.logits, axis=-1)

tf_save_directory = "./tf_save_pretrained"
tokenizer.save_pretrained(tf_save_directory)
tf_model.save_pretrained(tf_save_directory)
tf_model = TFAutoModelForSequenceClassification.from_pretrained("./tf_save_pretrained")
reloaded = tf.nn.softmax(tf_model(tf_batch).logits, axis=-1)

from keras_bert import TFAutoModel  # noqa: E402, F401

tokenizer = AutoTokenizer.from_pretrained(tf_save_directory)
tf_model = TFAutoModelForSequenceClassification.from_pretrained(tf_save_directory, from_pt=True)

from keras_bert import AutoConfig  # noqa: E402

my_config = AutoConfig.from_pretrained("bert-base-uncased", num_attention_heads=12)
my_model = TFAutoModel.from_config(my_config)

# quicktour, "Train with TensorFlow"
model = TFAutoModelForSequenceClassification.from_pretrained("bert-base-uncased")
tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")


def tokenize_dataset(dataset):
    return tokenizer(dataset["text"])


dataset = _local_data.imdb()["train"]
dataset = dataset.map(tokenize_dataset)
tf_dataset = model.prepare_tf_dataset(dataset, batch_size=16, shuffle=True, tokenizer=tokenizer)

from tensorflow.keras.optimizers import Adam  # noqa: E402

model.compile(optimizer=Adam(3e-5))
quick_history = model.fit(tf_dataset)

# training.md, "Loading data as a NumPy array"
dataset = _local_data.imdb()["train"]
tokenized_data = tokenizer(dataset["text"], return_tensors="np", padding=True)
# Tokenizer returns a BatchEncoding, but we convert that to a dict for Keras
tokenized_data = dict(tokenized_data)
labels = np.array(dataset["label"])  # Label is already an array of 0 and 1

model = TFAutoModelForSequenceClassification.from_pretrained("bert-base-uncased")
# Lower learning rates are often better for fine-tuning transformers
model.compile(optimizer=Adam(3e-5))
numpy_history = model.fit(tokenized_data, labels)

assert encoding["input_ids"][0] == tokenizer.cls_token_id and encoding["input_ids"][-1] == tokenizer.sep_token_id
np.testing.assert_allclose(reloaded.numpy(), tf_predictions.numpy(), atol=1e-6)
assert my_model.config.num_attention_heads == 12
assert np.isfinite(quick_history.history["loss"][-1]) and np.isfinite(numpy_history.history["loss"][-1])
np.save("batch_ids.npy", tf_batch["input_ids"].numpy())
print("OK")
