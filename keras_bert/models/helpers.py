"""transformers 4.x `TFPreTrainedModel` helpers of every keras_bert model (a mixin of the base class).

Embeddings in and out (`get/set_input_embeddings`, `get/set_output_embeddings`, `get_lm_head`,
`get/set_bias`, `resize_token_embeddings`), `num_parameters`, `dummy_inputs`, `hf_compute_loss`
(4.x's per-example loss rules), `can_generate` and `prepare_tf_dataset`. They read the model's
`config`, `spec` and layers; none of them is on the call path.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from keras_bert.layers.common import replace_weight


class ModelHelpers:
    """Mixin of `TFBertPreTrainedModel`."""

    def get_input_embeddings(self):
        """The word-embedding layer (its variable is also the tied MLM decoder matrix)."""
        return self.bert.embeddings.word_embeddings

    def set_input_embeddings(self, value):
        """Replaces the word-embedding matrix with `value` (V, H): an array, a variable or a
        Keras `Embedding` layer (its matrix is copied). As in transformers 4.x, the vocabulary
        size follows `value` (`config.vocab_size` too); a model with a language-model head must
        keep its size (use `resize_token_embeddings` to change it, which resizes the head too).

        >>> model.set_input_embeddings(np.zeros((config.vocab_size, config.hidden_size)))
        """
        if not self.built:
            self.build()
        if isinstance(value, keras.layers.Embedding):
            value = value.embeddings
        value = np.asarray(keras.ops.convert_to_numpy(value))
        embedding = self.get_input_embeddings()
        rows, hidden = embedding.input_dim, self.config.hidden_size
        if value.ndim != 2 or value.shape[1] != hidden:
            raise ValueError(f"set_input_embeddings: expected a (vocab_size, {hidden}) matrix, got shape {value.shape}")
        if value.shape[0] != rows and self.get_lm_head() is not None:
            raise ValueError(
                f"set_input_embeddings: {type(self).__name__} has a language-model head of {rows} tokens; got "
                f"{value.shape[0]} rows. Call resize_token_embeddings({value.shape[0]}) first."
            )
        self._set_matrix(embedding, "_embeddings", value)
        embedding.input_dim = int(value.shape[0])
        self.config.vocab_size = int(value.shape[0])

    @staticmethod
    def _set_matrix(layer, attr: str, value: np.ndarray):
        variable = getattr(layer, attr)
        if tuple(variable.shape) == value.shape:
            variable.assign(value.astype(variable.dtype))
        else:
            replace_weight(layer, attr, value.astype(variable.dtype))

    # -- the language-model head (transformers 4.x TFPreTrainedModel helpers) ---------------
    def get_lm_head(self):
        """The LM prediction head layer (HF's `cls.predictions`), or None for heads without one."""
        if not self.spec.mlm:
            return None
        if not self.built:
            self.build()
        return self.cls.predictions

    def get_output_embeddings(self):
        """The layer holding the LM decoder matrix: the word-embedding layer when tied
        (`config.tie_word_embeddings`, the default), the `decoder` Dense layer when untied,
        None for heads without a language-model head (as transformers).

        >>> TFBertForMaskedLM(config).get_output_embeddings() is model.get_input_embeddings()
        True
        """
        head = self.get_lm_head()
        if head is None:
            return None
        return self.get_input_embeddings() if head.tied else head.decoder

    def set_output_embeddings(self, value):
        """Replaces the LM decoder matrix with `value` (V, H) (HF's orientation, as the word
        embeddings). Tied: this is the word-embedding matrix (as transformers 4.x); untied: the
        decoder's kernel becomes `value` transposed. A no-op for heads without an LM head."""
        head = self.get_lm_head()
        if head is None:
            return
        if head.tied:
            self.set_input_embeddings(value)
            return
        value = np.asarray(keras.ops.convert_to_numpy(value))
        expected = (head.decoder.units, self.config.hidden_size)
        if value.shape != expected:
            raise ValueError(f"set_output_embeddings: expected a {expected} matrix, got shape {value.shape}")
        self._set_matrix(head.decoder, "_kernel", value.T)

    def get_bias(self):
        """The LM output bias as transformers 4.x returns it: `{"bias": variable}` (V,), or None
        for heads without an LM head."""
        head = self.get_lm_head()
        return None if head is None else head.get_bias()

    def set_bias(self, value):
        """Sets the LM output bias from `{"bias": array (V,)}` (what `get_bias` returns)."""
        head = self.get_lm_head()
        if head is None:
            raise ValueError(f"{type(self).__name__} has no language-model head, so no output bias to set")
        head.set_bias(value)

    def get_prefix_bias_name(self):
        """The name scope of the LM bias (transformers 4.x, deprecated there), or None."""
        return f"{self.name}/cls/predictions" if self.spec.mlm else None

    # -- counts, dummies, losses (transformers 4.x TFPreTrainedModel helpers) ----------------
    def num_parameters(self, only_trainable: bool = False, exclude_embeddings: bool = False) -> int:
        """Number of parameters; a tied matrix counts once. `exclude_embeddings` leaves out the
        word, position and token-type embedding tables (transformers' PyTorch option).

        >>> TFBertModel(config).num_parameters() == transformers.BertModel(config).num_parameters()
        True
        """
        if not self.built:
            self.build()
        variables = self.trainable_weights if only_trainable else self.weights
        skip = set()
        if exclude_embeddings:
            for layer in self._flatten_layers(include_self=False):
                if isinstance(layer, keras.layers.Embedding):
                    skip.update(id(v) for v in layer.weights)
        seen, total = set(), 0
        for v in variables:
            if id(v) in seen or id(v) in skip:
                continue
            seen.add(id(v))
            total += int(np.prod(v.shape))
        return total

    @property
    def dummy_inputs(self) -> dict:
        """Tiny int32 inputs to build or smoke-test the model (transformers 4.x): ones of shape
        (1, 2) ((1, 2, 2) for multiple choice), token_type_ids zeros."""
        shape = (1,) + (2,) * (self.spec.input_rank - 1)
        ones = ops.ones(shape, "int32")
        return {"input_ids": ones, "attention_mask": ones, "token_type_ids": ops.zeros(shape, "int32")}

    def hf_compute_loss(self, labels, logits):
        """The head's loss from `labels` and `logits`, as transformers 4.x's TF loss mixins give it.

        - masked LM, causal LM (no shift here: 4.x shifts before calling it), token classification:
          the mean over labels >= 0 (-100 ignored), shape (1,);
        - pretraining: `labels={"labels", "next_sentence_label"}`, `logits=(mlm, nsp)`: the sum of
          both means, shape (1,);
        - next sentence: per example (B,), 0 where the label is -100;
        - sequence classification, multiple choice: per example (B,): squared error when there
          is one logit, softmax cross-entropy otherwise; deviation: with
          `config.problem_type="multi_label_classification"` the per-example mean binary
          cross-entropy (4.x's TF mixin has no multi-label rule and fails on such labels);
        - question answering: `labels={"start_position", "end_position"}` (the `_positions`
          names too), `logits=(start, end)`: per example (B,), the mean of both cross-entropies;
          deviation: a position outside [0, T) counts 0 (4.x TF fails on it).

        >>> model.hf_compute_loss(labels, model(batch).logits)
        """
        name = self.spec.hf_name
        if name in ("BertForMaskedLM", "BertLMHeadModel", "BertForTokenClassification"):
            return ops.reshape(_masked_mean(_cross_entropy(labels, logits)), (1,))
        if name == "BertForPreTraining":
            mlm = _masked_mean(_cross_entropy(labels["labels"], logits[0]))
            nsp = _masked_mean(_cross_entropy(labels["next_sentence_label"], logits[1]))
            return ops.reshape(mlm + nsp, (1,))
        if name == "BertForNextSentencePrediction":
            loss, keep = _cross_entropy(labels, logits)
            return loss * keep
        if name in ("BertForSequenceClassification", "BertForMultipleChoice"):
            logits = ops.cast(logits, "float32")
            if len(logits.shape) == 1 or logits.shape[-1] == 1:
                return ops.square(ops.reshape(logits, (-1,)) - ops.reshape(ops.cast(labels, "float32"), (-1,)))
            if self.config.problem_type == "multi_label_classification":
                z = ops.cast(labels, "float32")
                return ops.mean(ops.relu(logits) - logits * z + ops.log1p(ops.exp(-ops.abs(logits))), axis=-1)
            return _cross_entropy(labels, logits)[0]
        if name == "BertForQuestionAnswering":
            length = ops.shape(logits[0])[-1]
            per_end = []
            for key, end_logits in (("start_position", logits[0]), ("end_position", logits[1])):
                positions = ops.cast(labels[key] if key in labels else labels[key + "s"], "int32")
                outside = ops.logical_or(positions < 0, positions >= length)
                loss, keep = _cross_entropy(ops.where(outside, -100, positions), end_logits)
                per_end.append(loss * keep)
            return (per_end[0] + per_end[1]) / 2.0
        raise NotImplementedError(f"{type(self).__name__} has no built-in loss")

    @classmethod
    def can_generate(cls) -> bool:
        """Whether `generate` works for this class (False; the causal LM head overrides it)."""
        return False

    def prepare_tf_dataset(self, *args, **kwargs):
        """A `tf.data.Dataset` of this model's inputs and labels from a `datasets.Dataset`; see
        `keras_bert.models.tf_dataset.prepare_tf_dataset` (transformers 4.x's method). Needs
        TensorFlow installed (Keras' `fit` takes a `tf.data.Dataset` on every backend)."""
        from keras_bert.backend import require_tensorflow

        require_tensorflow("prepare_tf_dataset (tf.data)")
        from keras_bert.models.tf_dataset import prepare_tf_dataset

        return prepare_tf_dataset(self, *args, **kwargs)

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


def _cross_entropy(labels, logits):
    """Per-element softmax cross-entropy (labels (...,), logits (..., C)) and the float mask of
    labels >= 0; a negative label (-100) gives 0 loss, not NaN."""
    logits = ops.cast(logits, "float32")
    labels = ops.cast(labels, "int32")
    keep = labels >= 0
    picked = ops.take_along_axis(ops.log_softmax(logits, axis=-1), ops.where(keep, labels, 0)[..., None], axis=-1)
    keep = ops.cast(keep, "float32")
    return -picked[..., 0] * keep, keep


def _masked_mean(loss_and_keep):
    loss, keep = loss_and_keep
    return ops.sum(loss) / ops.sum(keep)
