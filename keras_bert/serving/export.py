"""`export_saved_model`: a Keras BERT model plus its in-graph tokenizer as one SavedModel
for TF Serving. Raw strings in (`serving_default`), or token ids in (`serving_ids`)."""

from __future__ import annotations

import os

import tensorflow as tf

from keras_bert.models.tf_signature import with_rank
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


_IDS_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _text_table(lines, directory, name, key_dtype=tf.int64):
    """A table line number -> text, from a file that becomes a SavedModel asset."""
    path = os.path.join(directory, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(line.replace("\n", " ") + "\n" for line in lines))
    initializer = tf.lookup.TextFileInitializer(
        path, key_dtype, tf.lookup.TextFileIndex.LINE_NUMBER, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE
    )
    return tf.lookup.StaticHashTable(initializer, default_value="")


def _with_leading_axes(x, name: str, rank: int, expected: str):
    """`x` with rank `rank`: missing leading axes added (a scalar text is a batch of one), more
    axes refused naming `name`. The rank is read at run time: signatures take any rank, because
    TF Serving and the signature wrappers do not check the declared shape against the request."""
    actual = tf.raw_ops.Rank(input=x)
    check = tf.debugging.Assert(actual <= rank, [f"{name} must be {expected}; got shape", tf.shape(x)], summarize=8)
    with tf.control_dependencies([check]):
        shape = tf.concat([tf.ones([rank - actual], tf.int32), tf.shape(x)], 0)
        x = tf.reshape(x, shape)
    x.set_shape([None] * rank)
    return x


def _same_shape(name_a: str, a, name_b: str, b):
    """An assertion that `a` and `b` have the same shape, naming both."""
    return tf.debugging.Assert(
        tf.reduce_all(tf.equal(tf.shape(a), tf.shape(b))),
        [f"{name_b} must have the shape of {name_a} (one {name_b} per {name_a}); got", tf.shape(b), "and", tf.shape(a)],
        summarize=8,
    )


def _at_least_one_token(inputs: dict) -> dict:
    """An empty batch tokenizes to (0, 0); the model needs one position (rows: none), so the
    last axis is padded to 1 and the outputs keep their empty batch axis."""
    out = {}
    for key, value in inputs.items():
        rank = value.shape.rank
        missing = tf.maximum(1 - tf.shape(value)[-1], 0)
        paddings = tf.concat([tf.zeros([rank - 1, 2], tf.int32), [[0, missing]]], 0)
        out[key] = tf.pad(value, paddings)
    return out


class ServingModule(tf.Module):
    """What is saved: the model's variables (each once), the tokenizer layer, the label and
    vocabulary tables, and the two signatures' functions.

    The Keras model itself is not a child of the SavedModel: its Keras variables would save
    every weight a second time next to `model_variables` (the backing `tf.Variable`s that the
    functions capture and that TF1-style loaders, `saved_model_cli run` and TF Serving's session
    bundle, restore). Requests are checked in the graph: `text` may be a scalar (a batch of one)
    or (B,) ((B, C) for multiple choice), `text_pair` must match it, an empty batch gives empty
    outputs; `serving_ids` takes (B, T) ((B, C, T)) int32 ids and refuses other ranks by name.
    """

    def __init__(self, model, tokenizer, task, asset_dir, unpadded=False, quantize=None):
        super().__init__(name="keras_bert_serving")
        from keras_bert.quantization import int8_weights

        self.model = model
        self.unpadded = unpadded  # run the model on the real tokens only (keras_bert.unpadded)
        # quantize="int8": the encoder's Dense kernels quantized once, saved as int8 variables.
        self.int8_weights = int8_weights(model) if quantize == "int8" else None
        self.tokenizer = tokenizer
        self.task = task
        self.config = model.config
        labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
        self.labels_table = _text_table(labels, asset_dir, "labels.txt")
        with open(tokenizer.vocab_file, encoding="utf-8") as f:
            vocab = [line.rstrip("\n") for line in f]
        self.id_to_token = _text_table(vocab, asset_dir, "id_to_token.txt")
        self.mask_token_id = vocab.index(tokenizer.mask_token)
        self.rank = 3 if task == "multiple-choice" else 2
        self.serve_ids = tf.function(
            self._serve_ids,
            input_signature=[tf.TensorSpec(None, tf.int32, name=n) for n in _IDS_INPUTS],
        )
        text_specs = [tf.TensorSpec(None, tf.string, name="text")]
        if task in tasks.PAIR_TASKS:
            text_specs.append(tf.TensorSpec(None, tf.string, name="text_pair"))
        self.serve_text = tf.function(self._serve_text, input_signature=text_specs)
        # Tracing creates any variable the model has not built yet; then the backing
        # tf.Variables are collected (the functions capture exactly these).
        self.serve_ids.get_concrete_function()
        self.serve_text.get_concrete_function()
        # With int8 the fp32 kernels of the quantized layers are not captured, so not saved.
        replaced = self.int8_weights.replaces if self.int8_weights is not None else (lambda v: False)
        self.model_variables = [v.value for v in model.variables if not replaced(v)]

    def _trackable_children(self, save_type="checkpoint", **kwargs):
        children = super()._trackable_children(save_type, **kwargs)
        children.pop("model", None)  # saved once, as model_variables (see the class docstring)
        return children

    # -- graphs --------------------------------------------------------------------------
    def _run(self, inputs):
        from keras_bert.quantization import int8_scope

        with int8_scope(self.int8_weights):  # None: every Dense runs fp32
            if self.unpadded:
                from keras_bert.unpadded import unpadded_outputs

                return unpadded_outputs(
                    self.model, inputs["input_ids"], inputs["attention_mask"], inputs["token_type_ids"]
                )
            return self.model(inputs, training=False)

    def _raw_outputs(self, out, inputs):
        if self.task == "features":
            return tasks.features(out, inputs)
        names = self.model.logit_names
        return {n: tf.cast(out[n], tf.float32) for n in names}

    def _serve_ids(self, input_ids, attention_mask, token_type_ids):
        shape_text = "(batch, choices, length)" if self.rank == 3 else "(batch, length)"
        given = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
        inputs = {k: with_rank(v, k, self.rank, shape_text) for k, v in given.items()}
        return self._raw_outputs(self._run(inputs), inputs)

    def _tokenize(self, text, text_pair=None):
        if self.task != "multiple-choice":
            return _at_least_one_token(self.tokenizer(text, text_pair))
        shape = tf.shape(text)  # (B, C)
        flat = self.tokenizer(tf.reshape(text, [-1]), tf.reshape(text_pair, [-1]))  # (B * C, T)
        flat = _at_least_one_token(flat)
        return {k: tf.reshape(v, tf.concat([shape, tf.shape(v)[-1:]], 0)) for k, v in flat.items()}  # (B, C, T)

    def _serve_text(self, text, text_pair=None):
        if self.rank == 3:
            shape_text = "(batch, choices) strings, or (choices,) for one question"
        else:
            shape_text = "a string or (batch,) strings"
        text = _with_leading_axes(text, "text", self.rank - 1, shape_text)
        if text_pair is not None:
            text_pair = _with_leading_axes(text_pair, "text_pair", self.rank - 1, shape_text)
            with tf.control_dependencies([_same_shape("text", text, "text_pair", text_pair)]):
                text, text_pair = tf.identity(text), tf.identity(text_pair)
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


def export_saved_model(
    model, tokenizer, path, task=None, max_length=None, overwrite=False, unpadded=False, quantize=None
) -> str:
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
        unpadded: both signatures run the model on the real tokens only (`keras_bert.unpadded`;
            encoders and their heads): the same outputs at real tokens, in sentence-level outputs
            and in every task's post-processing; `last_hidden_state` is 0 at padded positions.
        quantize: None (fp32) or "int8": the encoder's Dense projections (and the MLM transform)
            run as int8 matmuls on TensorFlow's oneDNN int8 kernels (`keras_bert.quantization`;
            core TF ops, so TF Serving runs them); their kernels are saved as int8 only. The model
            is not modified. TensorFlow backend.

    Signatures: `serving_default` (`text`, plus `text_pair` for pair tasks, tf.string with
    a None batch dimension) and `serving_ids` (int32 `input_ids`, `attention_mask`,
    `token_type_ids`). The export is written to a temporary directory, its ops are checked
    against what TF Serving ships (core TF + tensorflow-text), and only then moved to `path`
    (`keras_bert.atomic`: an existing `path` is moved aside, the new one renamed in, then the
    old one deleted; a killed export leaves `path` absent or complete, and the next export in
    the same directory removes its temporaries).

    Raises:
        ValueError: an unknown task, or a `max_length` the model cannot take (`tf_options.check_max_length`).
        FileExistsError: `path` exists and `overwrite` is False.
    """
    from keras_bert import atomic
    from keras_bert.quantization import check_quantize
    from keras_bert.tokenization.tf_options import check_max_length

    check_quantize(quantize)  # "int4" or a jax backend: refused by name before anything is written
    task = task or infer_task(model)
    if unpadded:
        from keras_bert.unpadded import check_supported

        check_supported(model)  # a decoder is refused by name before anything is written
    if task not in tasks.TASKS:
        raise ValueError(f"Unknown task {task!r}; expected one of {tasks.TASKS}")
    path = os.fspath(path)
    if os.path.lexists(path) and not overwrite:
        raise FileExistsError(f"{path!r} exists; pass overwrite=True (CLI: --force) to replace it")
    pair = task in tasks.PAIR_TASKS
    if max_length is None:
        max_length = getattr(tokenizer, "max_length", None) or getattr(tokenizer, "model_max_length", None)
        max_length = min(max_length or model.config.max_position_embeddings, model.config.max_position_embeddings)
    else:
        check_max_length(max_length, model.config.max_position_embeddings, pair=pair)
    tf_tokenizer = _as_tf_tokenizer(tokenizer, max_length)
    if tf_tokenizer.max_length is not None:
        check_max_length(tf_tokenizer.max_length, model.config.max_position_embeddings, pair=pair)
    atomic.check_target(path)
    with atomic.scratch_directory(path) as assets, atomic.atomic_directory(path, overwrite=overwrite) as staged:
        module = ServingModule(model, tf_tokenizer, task, assets, unpadded=unpadded, quantize=quantize)
        tf.saved_model.save(
            module,
            staged,
            signatures={
                "serving_default": module.serve_text.get_concrete_function(),
                "serving_ids": module.serve_ids.get_concrete_function(),
            },
        )
        check_serving_ops(staged)
    return path
