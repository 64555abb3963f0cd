"""`TFBertPreTrainedModel`: the base of every Keras model.

It composes jobs kept in their own modules: the calling contract (`calling.py`: transformers'
call signature, input checks, built-in loss), `model.fit` integration (`fit.py`), transformers 4.x's
model helpers (`helpers.py`: embeddings, LM head, counts, losses) and checkpoint IO (`pretrained.py`).
What is left here: the encoder, Keras serialization, serving the transformers 4.x way and Keras'
`quantize` with one garbage collection (see `TFBertPreTrainedModel.quantize`).
"""

from __future__ import annotations

import contextlib
import gc

import keras

from keras_bert.checkpoints.names import BASE_PREFIX
from keras_bert.config import BertConfig
from keras_bert.contract import HEADS, HeadSpec
from keras_bert.layers.common import as_config
from keras_bert.models import pretrained
from keras_bert.models.calling import CallingContract
from keras_bert.models.fit import FitIntegration
from keras_bert.models.helpers import ModelHelpers
from keras_bert.models.main_layer import TFBertMainLayer


class TFBertPreTrainedModel(CallingContract, FitIntegration, ModelHelpers, keras.Model):
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
    config_class = BertConfig
    main_input_name = "input_ids"
    framework = "tf"  # transformers 4.x TF models answer "tf"

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
        return self.bert(**inputs, return_dict=True, training=training)  # the head builds its own record

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

    # -- serving the transformers 4.x way (TensorFlow backend; see tf_signature.py) ---------
    @property
    def input_signature(self) -> dict:
        """{name: tf.TensorSpec}: int32 `input_ids`, `attention_mask`, `token_type_ids` of the
        head's input rank ((None, None), or (None, None, None) for multiple choice).

        >>> model.input_signature["input_ids"]
        TensorSpec(shape=(None, None), dtype=tf.int32, name='input_ids')
        """
        return _tf_signature("input_signature").input_signature(self)

    @property
    def serving(self):
        """transformers 4.x's `model.serving`: a `tf.function` over `input_signature` (a dict of
        int32 tensors) returning `serving_output(model(inputs))`. Made once per model.

        >>> model.serving({"input_ids": ids, "attention_mask": mask, "token_type_ids": types})["logits"]
        """
        fn = self.__dict__.get("_serving_fn")
        if fn is None:
            fn = _tf_signature("serving").serving_function(self)
            object.__setattr__(self, "_serving_fn", fn)
        return fn

    def serving_output(self, output):
        """The output as 4.x serves it: hidden states, attentions, the decoding cache and
        cross-attentions dropped unless the config asks for them, tuples stacked into tensors.

        >>> list(model.serving_output(model(batch, output_hidden_states=True)))  # config default
        ['logits']
        """
        return _tf_signature("serving_output").serving_output(self.config, output)

    @property
    def _default_save_signature(self):
        """TF SavedModel's default signature: `serving` (int32 ids), not Keras' float32 default."""
        if keras.backend.backend() != "tensorflow":
            return None
        return self.serving

    def build(self, input_shape=None):
        for layer in self._flatten_layers(include_self=False, recursive=False):
            if not layer.built:
                layer.build(None)
        self.built = True

    def quantize(self, *args, **kwargs):
        """Keras' `Model.quantize` (e.g. `model.quantize("int8")`), unchanged, with one full
        garbage collection at the end instead of one per replaced variable.

        Keras' `Layer.__delattr__` runs `gc.collect()` for every variable quantize replaces: on a
        BERT-base classifier in a fresh process, ~80 collections of ~440,000 objects each, 17.3 s
        for the call (1.6 s with this; measured on a 2-core AMD EPYC). The objects that exist
        before the call are frozen meanwhile (`gc.freeze`), so each of those collections sees only
        what quantize creates; then one collection frees the replaced float weights. A heap the
        caller froze already is left as it is.
        """
        with _one_collection():
            return super().quantize(*args, **kwargs)

    # -- checkpoints (see pretrained.py) ----------------------------------------------------
    @classmethod
    def from_pretrained(cls, path, config: BertConfig | None = None, **overrides):
        """Builds the model from a checkpoint directory and loads its weights; see
        `keras_bert.models.pretrained.load_pretrained`."""
        return pretrained.load_pretrained(cls, path, config=config, **overrides)

    def hf_state_dict(self) -> dict:
        """Weights as {HF PyTorch name: numpy array}, named as the transformers class saves them."""
        return pretrained.hf_state_dict(self)

    def load_extras(self, directory: str):
        """Reads the files a head keeps besides config and weights (none here; the LM head's
        `generation_config.json`). Called by `from_pretrained` with the resolved directory."""

    def save_extras(self, directory: str):
        """Writes the files `load_extras` reads. Called by `save_pretrained`."""

    def save_pretrained(
        self, directory, saved_model: bool = False, version: int = 1, signatures=None, format: str = "hf", **kwargs
    ):
        """Writes `config.json` plus the weights; see `keras_bert.models.pretrained.save_pretrained`.

        `saved_model=True` (transformers 4.x) also writes a TF SavedModel to
        `directory/saved_model/<version>` with signatures `serving_default` (int32 ids) and
        `int64_serving` (int64 ids), or the given `signatures`; TensorFlow backend only.

        >>> model.save_pretrained("out", saved_model=True)  # out/saved_model/1
        """
        if saved_model:
            _tf_signature("save_pretrained(saved_model=True)").save_serving_model(self, directory, version, signatures)
        pretrained.save_pretrained(self, directory, format=format, **kwargs)


def _tf_signature(feature: str):
    """`keras_bert.models.tf_signature` (TensorFlow signatures and SavedModels), imported for
    `feature` only on the TensorFlow backend; elsewhere the error says what `feature` needs."""
    from keras_bert.backend import require_tensorflow_backend

    require_tensorflow_backend(f"TFBertPreTrainedModel.{feature}")
    from keras_bert.models import tf_signature

    return tf_signature


@contextlib.contextmanager
def _one_collection():
    """Freezes the heap for the block, then collects once (see `TFBertPreTrainedModel.quantize`);
    a no-op where the caller has frozen objects already (unfreezing would undo their freeze)."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.collect()
