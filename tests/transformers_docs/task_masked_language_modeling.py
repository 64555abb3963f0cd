"""transformers 4.x docs, tasks/masked_language_modeling (TensorFlow path), run on keras_bert.

Changed from the guide: imports; "bert-base-uncased" from the local HF cache instead of
DistilRoBERTa (so the mask token is "[MASK]", not "<mask>"); ELI5 (already flattened) from
`_local_data`; `map(..., num_proc=4)` runs in one process (forking after TensorFlow is loaded is
unsafe); `block_size` 32 instead of 128 for the small local corpus; no PushToHubCallback and no
pipeline(); inference from the saved directory.
"""

import _local_data
import numpy as np

eli5 = _local_data.eli5()
eli5 = eli5.train_test_split(test_size=0.2, seed=0)

from keras_bert import AutoTokenizer  # noqa: E402

tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")


def preprocess_function(examples):
    return tokenizer([" ".join(x) for x in examples["answers.text"]], truncation=True)


tokenized_eli5 = eli5.map(
    preprocess_function,
    batched=True,
    remove_columns=eli5["train"].column_names,
)

block_size = 32


def group_texts(examples):
    concatenated_examples = {k: sum(examples[k], []) for k in examples.keys()}
    total_length = len(concatenated_examples[list(examples.keys())[0]])
    total_length = (total_length // block_size) * block_size
    result = {
        k: [t[i : i + block_size] for i in range(0, total_length, block_size)] for k, t in concatenated_examples.items()
    }
    result["labels"] = result["input_ids"].copy()
    return result


lm_dataset = tokenized_eli5.map(group_texts, batched=True)

from keras_bert import DataCollatorForLanguageModeling  # noqa: E402

data_collator = DataCollatorForLanguageModeling(tokenizer=tokenizer, mlm_probability=0.15, return_tensors="tf")

from keras_bert import AdamWeightDecay, create_optimizer  # noqa: E402, F401

optimizer = AdamWeightDecay(learning_rate=2e-5, weight_decay_rate=0.01)

from keras_bert import TFAutoModelForMaskedLM  # noqa: E402

model = TFAutoModelForMaskedLM.from_pretrained("bert-base-uncased")
tf_train_set = model.prepare_tf_dataset(
    lm_dataset["train"],
    shuffle=True,
    batch_size=16,
    collate_fn=data_collator,
)
tf_test_set = model.prepare_tf_dataset(
    lm_dataset["test"],
    shuffle=False,
    batch_size=16,
    collate_fn=data_collator,
)

import tensorflow as tf  # noqa: E402

model.compile(optimizer=optimizer)
history = model.fit(x=tf_train_set, validation_data=tf_test_set, epochs=3)

model.save_pretrained("my_awesome_eli5_mlm_model")
tokenizer.save_pretrained("my_awesome_eli5_mlm_model")
text = "The Milky Way is a [MASK] galaxy."
tokenizer = AutoTokenizer.from_pretrained("my_awesome_eli5_mlm_model")
inputs = tokenizer(text, return_tensors="tf")
mask_token_index = tf.where(inputs["input_ids"] == tokenizer.mask_token_id)[0, 1]
model = TFAutoModelForMaskedLM.from_pretrained("my_awesome_eli5_mlm_model")
logits = model(**inputs).logits
mask_token_logits = logits[0, mask_token_index, :]
top_3_tokens = tf.math.top_k(mask_token_logits, 3).indices.numpy()
filled = [text.replace(tokenizer.mask_token, tokenizer.decode([token])) for token in top_3_tokens]
for line in filled:
    print(line)

assert all(np.isfinite(history.history["loss"])) and all(np.isfinite(history.history["val_loss"]))
assert len(filled) == 3 and all("[MASK]" not in line for line in filled)
np.save("mask_logits.npy", mask_token_logits.numpy())
print("OK")
