"""`export_saved_model`: a Keras BERT model plus its in-graph tokenizer as one SavedModel
for TF Serving. Raw strings in (`serving_default`), or token ids in (`serving_ids`)."""

from __future__ import annotations

import os
import shutil
import tempfile

import tensorflow as tf

from keras_bert.serving import tasks
from keras_bert.serving.ops_check import check_serving_ops
from keras_bert.tokenization.tf_offsets import model_input_offsets

TASK_BY_CLASS = {
    "TFBertModel": "features",
    "TFBertForSequenceClassification": "classification",
    "TFBertForNextSentencePrediction": "classification",
    "TFBertForTokenClassification": "token-classification",
    "TFBertForQuestionAnswering": "question-answering",
    "TFBertForMaskedLM": "fill-mask",
    "TFBertForMultipleChoice": "multiple-choice",
    "TFBertForPreTraining": "pretraining",
}


def infer_task(model) -> str:
    for cls in type(model).__mro__:
        if cls.__name__ in TASK_BY_CLASS:
            return TASK_BY_CLASS[cls.__name__]
    raise ValueError(f"Cannot infer a serving task for {type(model).__name__}; pass task= one of {tasks.TASKS}")


def _as_tf_tokenizer(tokenizer, max_length):
    from keras_bert.tokenization import BertTokenizer, TFBertTokenizer

    if isinstance(tokenizer, (str, os.PathLike)):
        tokenizer = BertTokenizer.from_pretrained(tokenizer)
    if isinstance(tokenizer, TFBertTokenizer):
        if max_length is not None and tokenizer.max_length != max_length:
            raise ValueError(f"max_length={max_length} differs from the TFBertTokenizer's {tokenizer.max_length}")
        return tokenizer
    return TFBertTokenizer.from_tokenizer(tokenizer, max_length=max_length, padding="longest", truncation=True)


def _text_table(lines, directory, name, key_dtype=tf.int64):
    """A table line number -> text, from a file that becomes a SavedModel asset."""
    path = os.path.join(directory, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(line.replace("\n", " ") + "\n" for line in lines))
    initializer = tf.lookup.TextFileInitializer(
        path, key_dtype, tf.lookup.TextFileIndex.LINE_NUMBER, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE
    )
    return tf.lookup.StaticHashTable(initializer, default_value="")


class ServingModule(tf.Module):
    """What is saved: the model, the tokenizer layer, the label and vocabulary tables."""

    def __init__(self, model, tokenizer, task, asset_dir):
        super().__init__(name="keras_bert_serving")
        self.model = model
        # The backing tf.Variables themselves: TF1-style loaders (saved_model_cli run,
        # TF Serving's session bundle) restore variables through these, not through Keras'.
        self.model_variables = [v.value for v in model.variables]
        self.tokenizer = tokenizer
        self.task = task
        self.config = model.config
        labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
        self.labels_table = _text_table(labels, asset_dir, "labels.txt")
        with open(tokenizer.vocab_file, encoding="utf-8") as f:
            vocab = [line.rstrip("\n") for line in f]
        self.id_to_token = _text_table(vocab, asset_dir, "id_to_token.txt")
        self.mask_token_id = vocab.index(tokenizer.mask_token)
        rank = 3 if task == "multiple-choice" else 2
        ids_spec = tf.TensorSpec([None] * rank, tf.int32)
        self.serve_ids = tf.function(
            self._serve_ids,
            input_signature=[
                tf.TensorSpec(ids_spec.shape, tf.int32, name="input_ids"),
                tf.TensorSpec(ids_spec.shape, tf.int32, name="attention_mask"),
                tf.TensorSpec(ids_spec.shape, tf.int32, name="token_type_ids"),
            ],
        )
        text_shape = [None, None] if task == "multiple-choice" else [None]
        text_specs = [tf.TensorSpec(text_shape, tf.string, name="text")]
        if task in tasks.PAIR_TASKS:
            text_specs.append(tf.TensorSpec(text_shape, tf.string, name="text_pair"))
        self.serve_text = tf.function(self._serve_text, input_signature=text_specs)

    # -- graphs --------------------------------------------------------------------------
    def _run(self, inputs):
        return self.model(inputs, training=False)

    def _raw_outputs(self, out, inputs):
        if self.task == "features":
            return tasks.features(out, inputs)
        names = self.model.logit_names
        return {n: tf.cast(out[n], tf.float32) for n in names}

    def _serve_ids(self, input_ids, attention_mask, token_type_ids):
        inputs = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
        return self._raw_outputs(self._run(inputs), inputs)

    def _tokenize(self, text, text_pair=None):
        if self.task != "multiple-choice":
            return self.tokenizer(text, text_pair)
        shape = tf.shape(text)  # (B, C)
        flat = self.tokenizer(tf.reshape(text, [-1]), tf.reshape(text_pair, [-1]))  # (B * C, T)
        return {k: tf.reshape(v, tf.concat([shape, [-1]], 0)) for k, v in flat.items()}  # (B, C, T)

    def _serve_text(self, text, text_pair=None):
        inputs = {k: tf.cast(v, tf.int32) for k, v in self._tokenize(text, text_pair).items()}
        out = self._run(inputs)
        if self.task == "features":
            return tasks.features(out, inputs)
        if self.task == "classification":
            return tasks.classification(out, self.config, self.labels_table)
        if self.task == "token-classification":
            offsets = model_input_offsets(self.tokenizer, text, tf.shape(inputs["input_ids"])[1])
            return tasks.token_classification(out, inputs, self.labels_table, self.id_to_token, offsets)
        if self.task == "question-answering":
            return tasks.question_answering(out, inputs, self.id_to_token)
        if self.task == "fill-mask":
            return tasks.fill_mask(out, inputs, self.mask_token_id, self.id_to_token)
        return self._raw_outputs(out, inputs)  # multiple-choice, pretraining


def export_saved_model(model, tokenizer, path, task=None, max_length=None, overwrite=False) -> str:
    """Writes a TF Serving SavedModel of `model` with `tokenizer` inside, at `path`.

    Args:
        model: any keras_bert Keras model (a fine-tuned head or `TFBertModel`).
        tokenizer: a `BertTokenizer`, `BertTokenizerFast`, `TFBertTokenizer` or a directory
            with vocab.txt; it runs inside the graph, the vocabulary travels as an asset.
        path: the version directory, e.g. `saved_models/NAME/1` (TF Serving's layout).
        task: one of `keras_bert.serving.TASKS`; inferred from the model class when None.
        max_length: truncation length (default: the tokenizer's, capped at the model's
            max_position_embeddings).
        overwrite: replace an existing `path`.

    Signatures: `serving_default` (`text`, plus `text_pair` for pair tasks, tf.string with
    a None batch dimension) and `serving_ids` (int32 `input_ids`, `attention_mask`,
    `token_type_ids`). The export is written to a temporary directory, its ops are checked
    against what TF Serving ships (core TF + tensorflow-text), and only then moved to `path`.
    """
    task = task or infer_task(model)
    if task not in tasks.TASKS:
        raise ValueError(f"Unknown task {task!r}; expected one of {tasks.TASKS}")
    path = os.fspath(path)
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{path!r} exists; pass overwrite=True (CLI: --force) to replace it")
    if max_length is None:
        max_length = getattr(tokenizer, "max_length", None) or getattr(tokenizer, "model_max_length", None)
        max_length = min(max_length or model.config.max_position_embeddings, model.config.max_position_embeddings)
    tf_tokenizer = _as_tf_tokenizer(tokenizer, max_length)
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    work = tempfile.mkdtemp(prefix=".export-", dir=parent)
    try:
        assets = os.path.join(work, "tables")
        os.makedirs(assets)
        module = ServingModule(model, tf_tokenizer, task, assets)
        staged = os.path.join(work, "saved_model")
        tf.saved_model.save(
            module,
            staged,
            signatures={
                "serving_default": module.serve_text.get_concrete_function(),
                "serving_ids": module.serve_ids.get_concrete_function(),
            },
        )
        check_serving_ops(staged)
        if os.path.exists(path):
            shutil.rmtree(path)
        os.replace(staged, path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return path
