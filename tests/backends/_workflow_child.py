"""Run as a script in a fresh process with KERAS_BACKEND set: a user's whole workflow with TensorFlow
unimportable; prints one JSON line of what it saw. Used by test_backend_imports.py."""

import sys

for blocked in ("tensorflow", "tensorflow_text"):  # "not installed": import raises, find_spec is None
    sys.modules[blocked] = None

import json  # noqa: E402
import os  # noqa: E402

import numpy as np  # noqa: E402

import keras_bert  # noqa: E402

out_dir, minilm = sys.argv[1], sys.argv[2]
report = {}
keras_bert.TFBertModel  # noqa: B018
import keras  # noqa: E402

report["backend"] = keras.backend.backend()
config = keras_bert.BertConfig(
    vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37, num_labels=3
)
keras.utils.set_random_seed(0)
model = keras_bert.TFBertForSequenceClassification(config)
rng = np.random.default_rng(0)
x = {"input_ids": rng.integers(1, 99, (8, 6)).astype("int32"), "attention_mask": np.ones((8, 6), "int32")}
y = rng.integers(0, 3, (8,)).astype("int32")
logits = keras.ops.convert_to_numpy(model(x).logits)
model.compile(optimizer=keras.optimizers.SGD(0.1))
report["fit"] = model.fit(x, y, batch_size=4, epochs=1, verbose=0).history["loss"]
report["evaluate"] = float(model.evaluate(x, y, batch_size=4, verbose=0))
report["predict_shape"] = list(np.shape(model.predict(x, batch_size=4, verbose=0)["logits"]))
after = keras.ops.convert_to_numpy(model(x).logits)
for kind, kwargs in {"safetensors": {}, "h5": {"format": "tf-h5"}}.items():
    path = os.path.join(out_dir, kind)
    model.save_pretrained(path, **kwargs)
    again = keras_bert.TFBertForSequenceClassification.from_pretrained(path)
    report[kind] = float(np.abs(keras.ops.convert_to_numpy(again(x).logits) - after).max())
keras_path = os.path.join(out_dir, "model.keras")
model.save(keras_path)
report["keras"] = float(np.abs(keras.ops.convert_to_numpy(keras.saving.load_model(keras_path)(x).logits) - after).max())
try:
    model(x | {"input_ids": x["input_ids"] + 99})
    report["bad_ids"] = "accepted"
except ValueError as error:
    report["bad_ids"] = str(error)
try:
    keras_bert.TFBertTokenizer  # noqa: B018
    report["tf_tokenizer"] = "imported"
except ImportError as error:
    report["tf_tokenizer"] = str(error)
tokenizer = keras_bert.BertTokenizerFast.from_pretrained(minilm)
slow = keras_bert.BertTokenizer.from_pretrained(minilm)
batch = tokenizer(["Hello world!", "A second, longer sentence."], padding=True, return_tensors="np")
report["tokenizers_agree"] = slow(["Hello world!"])["input_ids"] == tokenizer(["Hello world!"])["input_ids"]
encoder = keras_bert.TFBertModel.from_pretrained(minilm)
report["minilm"] = list(np.shape(keras.ops.convert_to_numpy(encoder(dict(batch)).last_hidden_state)))
report["tensorflow_imported"] = "tensorflow" in sys.modules and sys.modules["tensorflow"] is not None
report["logits_changed_by_fit"] = float(np.abs(after - logits).max())
print(json.dumps(report))
