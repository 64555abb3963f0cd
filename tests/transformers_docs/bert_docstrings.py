"""transformers 4.x `modeling_tf_bert.py` docstring examples (and the shared TF code samples they
use), run on keras_bert.

Changed from the docstrings: imports; "bert-base-uncased" resolves from the local HF cache (a
MiniLM checkpoint stands in for it). Heads the checkpoint lacks are initialised fresh, so each model
is saved and the test compares its numbers with transformers loading the same directory.
"""

import json

import numpy as np
import tensorflow as tf

from keras_bert import (
    AutoTokenizer,
    BertTokenizer,
    TFBertForMaskedLM,
    TFBertForMultipleChoice,
    TFBertForNextSentencePrediction,
    TFBertForPreTraining,
    TFBertForQuestionAnswering,
    TFBertForSequenceClassification,
    TFBertForTokenClassification,
    TFBertLMHeadModel,
    TFBertModel,
)

results, report = {}, {}
tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")

# TFBertModel (TF_BASE_MODEL_SAMPLE)
model = TFBertModel.from_pretrained("bert-base-uncased")
inputs = tokenizer("Hello, my dog is cute", return_tensors="tf")
outputs = model(inputs)
last_hidden_states = outputs.last_hidden_state
results["TFBertModel"] = last_hidden_states.numpy()
model.save_pretrained("saved/TFBertModel")

# TFBertForPreTraining, old and new docstring forms
tokenizer_slow = BertTokenizer.from_pretrained("bert-base-uncased")
model = TFBertForPreTraining.from_pretrained("bert-base-uncased")
input_ids = tf.constant(tokenizer_slow.encode("Hello, my dog is cute", add_special_tokens=True))[
    None, :
]  # Batch size 1
outputs = model(input_ids)
prediction_scores, seq_relationship_scores = outputs[:2]
input_ids = tokenizer("Hello, my dog is cute", add_special_tokens=True, return_tensors="tf")
outputs = model(input_ids)
prediction_logits, seq_relationship_logits = outputs[:2]
np.testing.assert_array_equal(prediction_scores.numpy(), prediction_logits.numpy())
results["TFBertForPreTraining"] = prediction_logits.numpy()
results["TFBertForPreTraining.nsp"] = seq_relationship_logits.numpy()
model.save_pretrained("saved/TFBertForPreTraining")

# TFBertLMHeadModel (TF_CAUSAL_LM_SAMPLE)
model = TFBertLMHeadModel.from_pretrained("bert-base-uncased", is_decoder=True)
inputs = tokenizer("Hello, my dog is cute", return_tensors="tf")
outputs = model(inputs)
logits = outputs.logits
results["TFBertLMHeadModel"] = logits.numpy()
model.save_pretrained("saved/TFBertLMHeadModel")

# TFBertForMaskedLM (TF_MASKED_LM_SAMPLE)
model = TFBertForMaskedLM.from_pretrained("bert-base-uncased")
inputs = tokenizer("The capital of France is [MASK].", return_tensors="tf")
logits = model(**inputs).logits
# retrieve index of [MASK]
mask_token_index = tf.where((inputs.input_ids == tokenizer.mask_token_id)[0])
selected_logits = tf.gather_nd(logits[0], indices=mask_token_index)
predicted_token_id = tf.math.argmax(selected_logits, axis=-1)
report["masked_lm_prediction"] = tokenizer.decode(predicted_token_id)
labels = tokenizer("The capital of France is Paris.", return_tensors="tf")["input_ids"]
# mask labels of non-[MASK] tokens
labels = tf.where(inputs.input_ids == tokenizer.mask_token_id, labels, -100)
outputs = model(**inputs, labels=labels)
report["masked_lm_loss"] = round(float(outputs.loss), 2)
results["TFBertForMaskedLM"] = logits.numpy()
model.save_pretrained("saved/TFBertForMaskedLM")

# TFBertForNextSentencePrediction
model = TFBertForNextSentencePrediction.from_pretrained("bert-base-uncased")
prompt = "In Italy, pizza served in formal settings, such as at a restaurant, is presented unsliced."
next_sentence = "The sky is blue due to the shorter wavelength of blue light."
encoding = tokenizer(prompt, next_sentence, return_tensors="tf")
logits = model(encoding["input_ids"], token_type_ids=encoding["token_type_ids"])[0]
results["TFBertForNextSentencePrediction"] = logits.numpy()
model.save_pretrained("saved/TFBertForNextSentencePrediction")

# TFBertForSequenceClassification (TF_SEQUENCE_CLASSIFICATION_SAMPLE, new and old forms)
model = TFBertForSequenceClassification.from_pretrained("bert-base-uncased")
inputs = tokenizer("Hello, my dog is cute", return_tensors="tf")
logits = model(**inputs).logits
predicted_class_id = int(tf.math.argmax(logits, axis=-1)[0])
report["sequence_label"] = model.config.id2label[predicted_class_id]
results["TFBertForSequenceClassification"] = logits.numpy()
model.save_pretrained("saved/TFBertForSequenceClassification")
# To train a model on `num_labels` classes, you can pass `num_labels=num_labels` to `.from_pretrained(...)`
num_labels = len(model.config.id2label)
model = TFBertForSequenceClassification.from_pretrained("saved/TFBertForSequenceClassification", num_labels=num_labels)
labels = tf.constant(1)
loss = model(**inputs, labels=labels).loss
report["sequence_loss"] = float(loss)
inputs["labels"] = tf.reshape(tf.constant(1), (-1, 1))  # Batch size 1
outputs = model(inputs)
loss, logits = outputs[:2]
report["sequence_loss_old_form"] = float(loss)

# TFBertForMultipleChoice (TF_MULTIPLE_CHOICE_SAMPLE)
model = TFBertForMultipleChoice.from_pretrained("bert-base-uncased")
prompt = "In Italy, pizza served in formal settings, such as at a restaurant, is presented unsliced."
choice0 = "It is eaten with a fork and a knife."
choice1 = "It is eaten while held in the hand."
encoding = tokenizer([prompt, prompt], [choice0, choice1], return_tensors="tf", padding=True)
inputs = {k: tf.expand_dims(v, 0) for k, v in encoding.items()}
outputs = model(inputs)  # batch size is 1
# the linear classifier still needs to be trained
logits = outputs.logits
results["TFBertForMultipleChoice"] = logits.numpy()
model.save_pretrained("saved/TFBertForMultipleChoice")

# TFBertForTokenClassification (TF_TOKEN_CLASSIFICATION_SAMPLE)
model = TFBertForTokenClassification.from_pretrained("bert-base-uncased")
inputs = tokenizer(
    "HuggingFace is a company based in Paris and New York", add_special_tokens=False, return_tensors="tf"
)
logits = model(**inputs).logits
predicted_token_class_ids = tf.math.argmax(logits, axis=-1)
# Note that tokens are classified rather then input words which means that
# there might be more predicted token classes than words.
# Multiple token classes might account for the same word
predicted_tokens_classes = [model.config.id2label[t] for t in predicted_token_class_ids[0].numpy().tolist()]
labels = predicted_token_class_ids
loss = tf.math.reduce_mean(model(**inputs, labels=labels).loss)
report["token_loss"] = float(loss)
results["TFBertForTokenClassification"] = logits.numpy()
model.save_pretrained("saved/TFBertForTokenClassification")

# TFBertForQuestionAnswering (TF_QUESTION_ANSWERING_SAMPLE)
model = TFBertForQuestionAnswering.from_pretrained("bert-base-uncased")
question, text = "Who was Jim Henson?", "Jim Henson was a nice puppet"
inputs = tokenizer(question, text, return_tensors="tf")
outputs = model(**inputs)
answer_start_index = int(tf.math.argmax(outputs.start_logits, axis=-1)[0])
answer_end_index = int(tf.math.argmax(outputs.end_logits, axis=-1)[0])
predict_answer_tokens = inputs.input_ids[0, answer_start_index : answer_end_index + 1]
report["qa_answer"] = tokenizer.decode(predict_answer_tokens)
# target is "nice puppet"
target_start_index = tf.constant([14])
target_end_index = tf.constant([15])
outputs = model(**inputs, start_positions=target_start_index, end_positions=target_end_index)
loss = tf.math.reduce_mean(outputs.loss)
report["qa_loss"] = float(loss)
results["TFBertForQuestionAnswering"] = outputs.start_logits.numpy()
model.save_pretrained("saved/TFBertForQuestionAnswering")

np.savez("results.npz", **results)
with open("report.json", "w") as f:
    json.dump(report, f)
print("OK", report)
