"""`TFBertPreTrainedModel`: the base of every Keras model: config, inputs, checkpoint IO."""

from __future__ import annotations

import os
from collections.abc import Mapping

import keras
import numpy as np
from keras import ops

from keras_bert import losses
from keras_bert.checkpoints import load_checkpoint
from keras_bert.checkpoints.hf_pytorch import SAFE_WEIGHTS, write_safetensors
from keras_bert.checkpoints.keras_weights import load_state, state_dict
from keras_bert.checkpoints.names import BASE_PREFIX, TIED_DECODER_WEIGHT, to_base_model_names
from keras_bert.config import BertConfig
from keras_bert.layers.common import as_config, replace_weight
from keras_bert.models.main_layer import TFBertMainLayer

# Model inputs that may arrive inside a dict as the first argument (what `model.fit` passes).
INPUT_NAMES = (
    "input_ids",
    "attention_mask",
    "token_type_ids",
    "position_ids",
    "head_mask",
    "inputs_embeds",
    "encoder_hidden_states",
    "encoder_attention_mask",
    "past_key_values",
    "use_cache",
    "output_attentions",
    "output_hidden_states",
    "return_dict",
    "labels",
    "next_sentence_label",
    "start_positions",
    "end_positions",
)


def merge_inputs(input_ids, kwargs: dict) -> dict:
    """Folds a dict first argument into the keyword arguments; explicit keywords win."""
    if not isinstance(input_ids, Mapping):
        return {"input_ids": input_ids, **kwargs}
    unknown = sorted(set(input_ids) - set(INPUT_NAMES))
    if unknown:
        raise ValueError(f"Unknown model input(s) {unknown} in the input dict; expected names from {INPUT_NAMES}")
    merged = dict(kwargs)
    for name, value in input_ids.items():
        if merged.get(name) is None:
            merged[name] = value
    merged.setdefault("input_ids", None)
    return merged


class TFBertPreTrainedModel(keras.Model):
    """Base of every model: the encoder, HF-style calls and losses, `fit` support, checkpoints.

    `call(input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
    head_mask=None, inputs_embeds=None, output_attentions=None, output_hidden_states=None,
    return_dict=None, <labels>, training=False)`; decoder models also take
    `encoder_hidden_states`, `encoder_attention_mask`, `past_key_values`, `use_cache`.
    The first argument may be a dict of those (what `model.fit` passes). With labels
    the output record's `loss` holds the head's built-in loss.

    Subclasses set `hf_class_name` (the HF PyTorch class whose checkpoints they match),
    `label_names`, `logit_names`, create their head layers with HF's module names in
    `__init__` and implement `forward(inputs, training)` and `head_loss(labels, outputs)`.
    """

    hf_class_name = "BertModel"
    add_pooling_layer = True
    label_names: tuple = ()
    logit_names: tuple = ()
    # Token-level heads: metrics skip positions labelled -100.
    token_level_labels = False

    def __init__(self, config, **kwargs):
        kwargs.setdefault("autocast", False)  # float labels and masks stay float32 (see ConfigLayer)
        super().__init__(**kwargs)
        self.config = as_config(config)
        self.loading_info = None
        self.bert = TFBertMainLayer(self.config, self.add_pooling_layer, name="bert", dtype=self.dtype_policy)

    # -- calling ----------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        # Any mapping of inputs (a tokenizer's BatchEncoding, say) is passed on as a plain
        # dict: Keras only treats exact dicts as nested structures of tensors.
        if args and isinstance(args[0], Mapping) and type(args[0]) is not dict:
            args = (dict(args[0]),) + args[1:]
        return super().__call__(*args, **kwargs)

    def call(
        self,
        input_ids=None,
        attention_mask=None,
        token_type_ids=None,
        position_ids=None,
        head_mask=None,
        inputs_embeds=None,
        encoder_hidden_states=None,
        encoder_attention_mask=None,
        past_key_values=None,
        use_cache=None,
        output_attentions=None,
        output_hidden_states=None,
        return_dict=None,
        labels=None,
        next_sentence_label=None,
        start_positions=None,
        end_positions=None,
        training=False,
    ):
        given = locals()
        inputs = merge_inputs(input_ids, {n: given[n] for n in INPUT_NAMES[1:]})
        labels = {n: inputs.pop(n) for n in INPUT_NAMES[INPUT_NAMES.index("labels") :] if n in inputs}
        labels = {n: v for n, v in labels.items() if v is not None}
        unsupported = sorted(set(labels) - set(self.label_names))
        if unsupported:
            raise ValueError(f"{type(self).__name__} takes labels {self.label_names}, got {unsupported}")
        return_dict = inputs.pop("return_dict", None)
        outputs = self.forward(inputs, training=training)
        if labels:
            outputs["loss"] = self.head_loss(labels, outputs)
        return outputs if return_dict in (None, True) else outputs.to_tuple()

    def forward(self, inputs: dict, training=False):
        raise NotImplementedError

    def head_loss(self, labels: dict, outputs):
        raise NotImplementedError(f"{type(self).__name__} has no built-in loss")

    def get_input_embeddings(self):
        """The word-embedding layer (its variable is also the MLM decoder matrix)."""
        return self.bert.embeddings.word_embeddings

    def resize_token_embeddings(self, new_num_tokens: int):
        """Grows or shrinks the vocabulary: word embeddings (and the tied MLM decoder) plus
        the MLM output bias. Kept rows are copied; new rows are initialized as in training.
        Call it before `compile`. Returns the word-embedding layer."""
        if not isinstance(new_num_tokens, int) or new_num_tokens <= 0:
            raise ValueError(f"new_num_tokens must be a positive int, got {new_num_tokens!r}")
        if not self.built:
            self.build()
        embedding = self.get_input_embeddings()
        old = keras.ops.convert_to_numpy(embedding.embeddings)
        keep = min(len(old), new_num_tokens)
        fresh = np.random.default_rng().normal(0.0, self.config.initializer_range, (new_num_tokens, old.shape[1]))
        fresh = np.clip(fresh, -2 * self.config.initializer_range, 2 * self.config.initializer_range).astype(old.dtype)
        fresh[:keep] = old[:keep]
        replace_weight(embedding, "_embeddings", fresh)
        embedding.input_dim = new_num_tokens
        predictions = getattr(getattr(self, "cls", None), "predictions", None)
        if predictions is not None:
            bias = keras.ops.convert_to_numpy(predictions.bias)
            new_bias = np.zeros((new_num_tokens,), bias.dtype)
            new_bias[:keep] = bias[:keep]
            replace_weight(predictions, "bias", new_bias)
        self.config.vocab_size = new_num_tokens
        return embedding

    def encode(self, inputs: dict, training=False):
        """Runs the encoder with HF's hidden-state / attention options."""
        return self.bert(**inputs, training=training)

    # -- model.fit --------------------------------------------------------------------
    def _labels(self, x, y) -> dict:
        if y is None:
            found = {n: x[n] for n in self.label_names if isinstance(x, Mapping) and x.get(n) is not None}
            return found
        if isinstance(y, Mapping):
            return {n: y[n] for n in self.label_names if n in y}
        if isinstance(y, (tuple, list)):
            return dict(zip(self.label_names, y))
        return {self.label_names[0]: y}

    def logits(self, outputs):
        """The output(s) a user's own Keras loss and metrics see."""
        values = tuple(outputs[n] for n in self.logit_names)
        return values[0] if len(values) == 1 else values

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """With `compile(loss=...)` the user's loss sees `(y, logits)`; without, the head's
        built-in loss runs on labels from `y` or from the input dict."""
        if self._compile_loss is not None:
            return super().compute_loss(x, y, self.logits(y_pred), sample_weight, training)
        labels = self._labels(x, y)
        if y is None and y_pred.get("loss") is not None:
            loss = y_pred["loss"]
        elif labels:
            loss = self.head_loss(labels, y_pred)
        else:
            raise ValueError(
                f"{type(self).__name__}: no labels to compute the built-in loss. Pass {self.label_names} "
                "in the input dict or as y, or compile(loss=...)"
            )
        for extra in self.losses:
            loss = loss + ops.cast(extra, loss.dtype)
        # As Keras losses do: under tf.distribute each replica returns loss / replicas, so the
        # summed gradients are those of the global-batch mean (fit's tracker unscales it).
        return losses.scale_for_replicas(loss)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        labels = self._labels(x, y)
        if labels and self._compile_metrics is not None:
            target = (
                labels[self.label_names[0]]
                if len(self.label_names) == 1 or len(labels) == 1
                else tuple(labels[n] for n in self.label_names if n in labels)
            )
            if self.token_level_labels and sample_weight is None:
                sample_weight = ops.cast(ops.not_equal(target, -100), "float32")
                target = ops.where(ops.equal(target, -100), 0, target)
            return super().compute_metrics(x, target, self.logits(y_pred), sample_weight)
        return super().compute_metrics(x, y, self.logits(y_pred), sample_weight)

    # -- Keras serialization ----------------------------------------------------------
    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": keras.dtype_policies.serialize(self.dtype_policy),
            "config": self.config.to_dict(),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["dtype"] = keras.dtype_policies.deserialize(config["dtype"]) if config.get("dtype") else None
        return cls(**config)

    def build(self, input_shape=None):
        for layer in self._flatten_layers(include_self=False, recursive=False):
            if not layer.built:
                layer.build(None)
        self.built = True

    # -- checkpoints ------------------------------------------------------------------
    @classmethod
    def from_pretrained(cls, path, config: BertConfig | None = None, **overrides):
        """Builds the model from a checkpoint directory and loads its weights.

        `overrides` change config fields (e.g. `num_labels=3`); a head the checkpoint
        lacks is initialized fresh and listed in `model.loading_info["newly_initialized"]`.
        """
        path = os.fspath(path)
        if not os.path.exists(path):
            raise FileNotFoundError(f"Checkpoint path {path!r} does not exist")
        if config is None:
            config = BertConfig.from_pretrained(path, **overrides)
        elif overrides:
            config = config.copy(**overrides)
        state = load_checkpoint(path)
        model = cls(config)
        model.build()
        model.loading_info = load_state(model, state, source=path)
        return model

    def hf_state_dict(self) -> dict:
        """Weights as {HF PyTorch name: numpy array}, named as `hf_class_name` saves them."""
        state = state_dict(self)
        if self.hf_class_name == "BertModel":
            return to_base_model_names(state)
        state.pop(TIED_DECODER_WEIGHT, None)
        return state

    def save_pretrained(self, directory, format: str = "hf"):
        """Writes `config.json` plus the weights, written to a temporary file and renamed.

        `format="hf"`: `model.safetensors` in HF PyTorch naming (transformers v5 reads it).
        `format="tf-h5"`: `tf_model.h5` laid out as transformers 4.x `TFBert*.save_pretrained`
        writes it (Keras 2 HDF5, `tf_bert_for_.../bert/...:0` names), for `tf-keras` users.
        """
        if format not in ("hf", "tf-h5"):
            raise ValueError(f"Unknown save format {format!r}; supported: 'hf', 'tf-h5'")
        directory = os.fspath(directory)
        os.makedirs(directory, exist_ok=True)
        config = self.config.copy(architectures=[self.hf_class_name])
        if format == "hf":
            weights = os.path.join(directory, SAFE_WEIGHTS)
            write = lambda tmp: write_safetensors(self.hf_state_dict(), tmp)  # noqa: E731
        else:
            from keras_bert.checkpoints.tf_h5 import TF_WEIGHTS, to_snake_case, write_tf_h5

            weights = os.path.join(directory, TF_WEIGHTS)
            state = state_dict(self)
            state.pop(TIED_DECODER_WEIGHT, None)
            write = lambda tmp: write_tf_h5(state, tmp, to_snake_case("TF" + self.hf_class_name))  # noqa: E731
        tmp = weights + ".tmp"
        try:
            write(tmp)
            os.replace(tmp, weights)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        config.save_pretrained(directory)

    @property
    def base_model_prefix(self) -> str:
        return BASE_PREFIX[:-1]
