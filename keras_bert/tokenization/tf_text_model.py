"""Exporting a subclassed Keras model whose inputs are the text it hands a TFBertTokenizer.

See the comment below: the layer marks such a model, and `Model.input_dtype` answers "string" for it.
"""

import inspect

import keras
import tensorflow as tf

# -- exporting a model that takes text -----------------------------------------------------
# Keras records only the *shapes* a subclassed model was first called with and traces its
# default SavedModel signature (`tf.saved_model.save`, `model.export`) with every input in the
# model's float dtype (`Model.input_dtype`), so text reached this layer as float32 and the export
# failed. The layer knows better: when the outermost model being called hands it string tensors
# and that model's call takes no more inputs than those strings, the model's inputs are text.
# It says so on that model (`_keras_bert_text_inputs`), and `Model.input_dtype`, which Keras'
# exporters read, answers "string" for such a model and exactly as before for every other.
_TEXT_MARK = "_keras_bert_text_inputs"


def mark_text_model(layer, text, text_pair):
    """Marks the outermost model being called as taking text when it hands `layer` strings."""
    from keras.src.backend.common import global_state
    from keras.src.models.functional import Functional

    context = global_state.get_global_attribute("current_call_ctx")
    model = getattr(context, "entry_layer", None)
    if model is None or model is layer or not isinstance(model, keras.Model):
        return
    if isinstance(model, (keras.Sequential, Functional)):
        return  # their signatures come from their Input layers
    given = [t for t in (text, text_pair) if t is not None]
    if not all(getattr(t, "dtype", None) in (tf.string, "string") for t in given):
        return
    # The model's required call arguments must be no more than these strings (a model that
    # also takes, say, float features keeps Keras' float input dtype).
    required = [
        p
        for p in inspect.signature(model.call).parameters.values()
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if 0 < len(required) <= len(given):
        model.__dict__[_TEXT_MARK] = True


def _is_shape(value) -> bool:
    return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, int) for d in value)


def _input_dtype(model):
    """`Model.input_dtype`, "string" for a subclassed model whose inputs are only the text it
    gives a TFBertTokenizer (flat shapes recorded, no nested input structures)."""
    shapes = getattr(model, "_build_shapes_dict", None)
    if model.__dict__.get(_TEXT_MARK) and shapes and all(_is_shape(s) for s in shapes.values()):
        return "string"
    return _KERAS_INPUT_DTYPE.fget(model)


_KERAS_INPUT_DTYPE = keras.Model.input_dtype
if not getattr(_KERAS_INPUT_DTYPE.fget, "_keras_bert", False):
    _input_dtype._keras_bert = True
    keras.Model.input_dtype = property(_input_dtype, doc=_KERAS_INPUT_DTYPE.__doc__)
