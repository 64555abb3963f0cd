"""`TFBertPreTrainedModel`: the base of every Keras model.

It composes three jobs kept in their own modules: the calling contract (`calling.py`: transformers'
call signature, input checks, built-in loss), `model.fit` integration (`fit.py`) and checkpoint IO
(`pretrained.py`). What is left here: the encoder, embedding helpers, and Keras serialization.
"""

from __future__ import annotations

import keras
import numpy as np

from keras_bert.checkpoints.names import BASE_PREFIX
from keras_bert.config import BertConfig
from keras_bert.contract import HEADS, HeadSpec
from keras_bert.layers.common import as_config, replace_weight
from keras_bert.models import pretrained
from keras_bert.models.calling import CallingContract
from keras_bert.models.fit import FitIntegration
from keras_bert.models.main_layer import TFBertMainLayer


class TFBertPreTrainedModel(CallingContract, FitIntegration, keras.Model):
    """Base of every model: the encoder, HF-style calls and losses, `fit` support, checkpoints.

    `call(input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
    head_mask=None, inputs_embeds=None, output_attentions=None, output_hidden_states=None,
    return_dict=None, <labels>, training=False)`; decoder models also take
    `encoder_hidden_states`, `encoder_attention_mask`, `past_key_values`, `use_cache`.
    The first argument may be a dict of those (what `model.fit` passes). With every label set of
    the head given, the output record's `loss` holds the head's built-in loss.

    Subclasses set `spec` (their `keras_bert.contract.HeadSpec`), create their head layers with
    HF's module names in `__init__` and implement `forward(inputs, training)` and
    `head_loss(labels, outputs)`.
    """

    spec: HeadSpec = HEADS["BertModel"]

    def __init__(self, config, **kwargs):
        kwargs.setdefault("autocast", False)  # float labels and masks stay float32 (see ConfigLayer)
        super().__init__(**kwargs)
        self.config = as_config(config)
        self.loading_info = None
        pooler = self.spec.pooler and getattr(self, "add_pooling_layer", True)
        self.bert = TFBertMainLayer(self.config, pooler, name="bert", dtype=self.dtype_policy)

    # -- names transformers code reads ----------------------------------------------------
    @property
    def hf_class_name(self) -> str:
        return self.spec.hf_name

    @property
    def label_names(self) -> tuple:
        return self.spec.label_names

    @property
    def logit_names(self) -> tuple:
        return self.spec.logit_names

    @property
    def base_model_prefix(self) -> str:
        return BASE_PREFIX[:-1]

    # -- the encoder ------------------------------------------------------------------------
    def encode(self, inputs: dict, training=False):
        """Runs the encoder with HF's hidden-state / attention options."""
        return self.bert(**inputs, training=training)

    def get_input_embeddings(self):
        """The word-embedding layer (its variable is also the tied MLM decoder matrix)."""
        return self.bert.embeddings.word_embeddings

    def resize_token_embeddings(self, new_num_tokens: int):
        """Grows or shrinks the vocabulary: word embeddings, the LM decoder (its own matrix when
        untied) and the output bias. Kept rows are copied; new rows are initialized as in
        training. Call it before `compile`. Returns the word-embedding layer."""
        if not isinstance(new_num_tokens, int) or new_num_tokens <= 0:
            raise ValueError(f"new_num_tokens must be a positive int, got {new_num_tokens!r}")
        if not self.built:
            self.build()
        embedding = self.get_input_embeddings()
        replace_weight(embedding, "_embeddings", self._resized(embedding.embeddings, new_num_tokens, 0, True))
        embedding.input_dim = new_num_tokens
        predictions = getattr(getattr(self, "cls", None), "predictions", None)
        if predictions is not None:
            predictions.resize(
                new_num_tokens, lambda value, axis, normal: self._resized(value, new_num_tokens, axis, normal)
            )
        self.config.vocab_size = new_num_tokens
        return embedding

    def _resized(self, variable, rows: int, axis: int, normal: bool) -> np.ndarray:
        """`variable` with `rows` entries along `axis`: kept entries copied, new ones initialized."""
        old = keras.ops.convert_to_numpy(variable)
        shape = list(old.shape)
        shape[axis] = rows
        r = self.config.initializer_range
        if normal:
            fresh = np.clip(np.random.default_rng().normal(0.0, r, shape), -2 * r, 2 * r).astype(old.dtype)
        else:
            fresh = np.zeros(shape, old.dtype)
        keep = min(rows, old.shape[axis])
        index = [slice(None)] * old.ndim
        index[axis] = slice(0, keep)
        fresh[tuple(index)] = old[tuple(index)]
        return fresh

    # -- Keras serialization ----------------------------------------------------------------
    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": keras.dtype_policies.serialize(self.dtype_policy),
            "config": self.config.to_dict(),
        }

    @classmethod
    def from_config(cls, config, **kwargs):
        """A fresh model from a `BertConfig` (transformers' `TFBertModel.from_config(config)`) or
        from the dict `get_config` returns (Keras deserialization)."""
        if isinstance(config, BertConfig):
            return cls(config, **kwargs)
        config = dict(config)
        config["dtype"] = keras.dtype_policies.deserialize(config["dtype"]) if config.get("dtype") else None
        return cls(**config)

    @property
    def _default_save_signature(self):
        """TF SavedModel's default signature: int32 ids, not Keras' float32 default."""
        if keras.backend.backend() != "tensorflow":
            return None
        from keras_bert.models.tf_signature import default_signature

        return default_signature(self)

    def build(self, input_shape=None):
        for layer in self._flatten_layers(include_self=False, recursive=False):
            if not layer.built:
                layer.build(None)
        self.built = True

    # -- checkpoints (see pretrained.py) ----------------------------------------------------
    @classmethod
    def from_pretrained(cls, path, config: BertConfig | None = None, **overrides):
        """Builds the model from a checkpoint directory and loads its weights; see
        `keras_bert.models.pretrained.load_pretrained`."""
        return pretrained.load_pretrained(cls, path, config=config, **overrides)

    def hf_state_dict(self) -> dict:
        """Weights as {HF PyTorch name: numpy array}, named as the transformers class saves them."""
        return pretrained.hf_state_dict(self)

    def save_pretrained(self, directory, format: str = "hf"):
        """Writes `config.json` plus the weights; see `keras_bert.models.pretrained.save_pretrained`."""
        pretrained.save_pretrained(self, directory, format=format)
