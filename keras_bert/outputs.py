"""Output records of the models: readable by attribute, by key and by index.

Like `transformers.utils.ModelOutput`: fields that are `None` are left out of the
key and index views, so `outputs[0]` is the first field that was computed
(`loss` when labels were given, the logits otherwise). Records hold framework
tensors of either backend; this module imports neither TensorFlow nor torch.
"""

from __future__ import annotations

import sys
import types
from collections import OrderedDict
from collections.abc import Mapping

from keras_bert.backend import backend


class ModelOutput(OrderedDict):
    """Base of all output records. Subclasses only declare `_fields`."""

    _fields: tuple = ()

    def __init__(self, *args, **kwargs):
        super().__init__()
        if len(args) == 1 and _is_pairs(args[0]):
            # Rebuilt from (key, value) pairs, as tf.nest and copy do.
            kwargs = {**dict(args[0]), **kwargs}
            args = ()
        unknown = set(kwargs) - set(self._fields)
        if unknown:
            raise TypeError(f"{type(self).__name__} got unknown fields {sorted(unknown)}; fields are {self._fields}")
        if len(args) > len(self._fields):
            raise TypeError(f"{type(self).__name__} takes at most {len(self._fields)} positional fields")
        values = dict(zip(self._fields, args))
        values.update(kwargs)
        for name in self._fields:
            value = values.get(name)
            object.__setattr__(self, name, value)
            if value is not None:
                OrderedDict.__setitem__(self, name, value)

    def __getitem__(self, key):
        if isinstance(key, str):
            return OrderedDict.__getitem__(self, key)
        return self.to_tuple()[key]

    def __setitem__(self, key, value):
        if key not in self._fields:
            raise KeyError(f"{type(self).__name__} has no field {key!r}")
        object.__setattr__(self, key, value)
        # Rebuild in field order, so a field set late (e.g. `loss`) still comes first.
        present = [(f, getattr(self, f)) for f in self._fields if getattr(self, f) is not None]
        OrderedDict.clear(self)
        for name, v in present:
            OrderedDict.__setitem__(self, name, v)

    def __setattr__(self, name, value):
        if name in self._fields:
            self[name] = value
        else:
            object.__setattr__(self, name, value)

    def __reduce__(self):
        return type(self), tuple(getattr(self, f) for f in self._fields)

    def to_tuple(self) -> tuple:
        return tuple(self[k] for k in self.keys())


def _is_pairs(value) -> bool:
    if isinstance(value, (Mapping, types.GeneratorType)):
        return True
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in value)
    )


def _flatten(record):
    return list(record.values()), list(record.keys())


def _register_with_keras_tree(cls):
    """Lets Keras (optree, namespace "keras") see records as nested structures, not leaves."""
    try:
        import optree
    except ImportError:  # torch-only installs
        return
    optree.register_pytree_node(
        cls,
        lambda r: (*_flatten(r), list(r.keys())),
        lambda keys, children: cls(**dict(zip(keys, children))),
        namespace="keras",
    )


def _register_with_jax_tree(cls):
    """Lets JAX see records as pytrees: a model's output leaves a `jax.jit` function (Keras'
    jitted `predict_step`, a user's `stateless_call` under `jax.jit`/`jax.grad`) as a record.
    Only where JAX is the Keras backend or already imported: other processes never import JAX."""
    if backend() != "jax" and "jax" not in sys.modules:
        return
    try:
        import jax
    except ImportError:
        return
    jax.tree_util.register_pytree_node(cls, _flatten, lambda keys, children: cls(**dict(zip(keys, children))))


def _register_with_torch_tree(cls):
    """Lets torch's pytree (Keras' tree on the torch backend: `predict` concatenating batches)
    see records as nested structures. Only where torch is the Keras backend or already imported."""
    if backend() != "torch" and "torch" not in sys.modules:
        return
    try:
        from torch.utils import _pytree
    except ImportError:
        return
    _pytree.register_pytree_node(
        cls,
        _flatten,
        lambda children, keys: cls(**dict(zip(keys, children))),
        serialized_type_name=f"{__name__}.{cls.__name__}",
    )


def _record(name: str, fields: tuple, doc: str):
    cls = type(name, (ModelOutput,), {"_fields": fields, "__doc__": doc, "__module__": __name__})
    _register_with_keras_tree(cls)
    _register_with_jax_tree(cls)
    _register_with_torch_tree(cls)
    return cls


_ENC = ("hidden_states", "attentions")

TFBaseModelOutputWithPoolingAndCrossAttentions = _record(
    "TFBaseModelOutputWithPoolingAndCrossAttentions",
    ("last_hidden_state", "pooler_output", "past_key_values") + _ENC + ("cross_attentions",),
    "Output of `TFBertModel`: last_hidden_state (B, T, H), pooler_output (B, H).",
)
TFBertForPreTrainingOutput = _record(
    "TFBertForPreTrainingOutput",
    ("loss", "prediction_logits", "seq_relationship_logits") + _ENC,
    "Output of `TFBertForPreTraining`: MLM logits (B, T, V) and NSP logits (B, 2).",
)
TFMaskedLMOutput = _record("TFMaskedLMOutput", ("loss", "logits") + _ENC, "Masked-LM logits (B, T, V).")
TFCausalLMOutputWithCrossAttentions = _record(
    "TFCausalLMOutputWithCrossAttentions",
    ("loss", "logits", "past_key_values") + _ENC + ("cross_attentions",),
    "Causal-LM logits (B, T, V) and the decoding cache.",
)
TFNextSentencePredictorOutput = _record(
    "TFNextSentencePredictorOutput", ("loss", "logits") + _ENC, "Next-sentence logits (B, 2)."
)
TFSequenceClassifierOutput = _record(
    "TFSequenceClassifierOutput", ("loss", "logits") + _ENC, "Sequence-classification logits (B, num_labels)."
)
TFMultipleChoiceModelOutput = _record(
    "TFMultipleChoiceModelOutput", ("loss", "logits") + _ENC, "Multiple-choice logits (B, num_choices)."
)
TFTokenClassifierOutput = _record(
    "TFTokenClassifierOutput", ("loss", "logits") + _ENC, "Token-classification logits (B, T, num_labels)."
)
TFQuestionAnsweringModelOutput = _record(
    "TFQuestionAnsweringModelOutput",
    ("loss", "start_logits", "end_logits") + _ENC,
    "Span logits (B, T) for the answer start and end.",
)

__all__ = [
    "ModelOutput",
    "TFBaseModelOutputWithPoolingAndCrossAttentions",
    "TFBertForPreTrainingOutput",
    "TFMaskedLMOutput",
    "TFCausalLMOutputWithCrossAttentions",
    "TFNextSentencePredictorOutput",
    "TFSequenceClassifierOutput",
    "TFMultipleChoiceModelOutput",
    "TFTokenClassifierOutput",
    "TFQuestionAnsweringModelOutput",
]
