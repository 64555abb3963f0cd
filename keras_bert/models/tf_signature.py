"""Serving a keras_bert model the transformers 4.x way on the TensorFlow backend.

Keras traces a subclassed model's default `serving_default` with every input in the model's
float dtype, which feeds float ids to the model (refused by the input checks, and wrong anyway).
transformers 4.x TF models served int32 `input_ids`, `attention_mask` and `token_type_ids`
through `model.serving` and `serving_output`; so do we, with the head's input rank ((B, T), or
(B, C, T) for multiple choice). One function here, `serving_function`, is both `model.serving`
and the model's default SavedModel signature; `save_serving_model` adds 4.x's `int64_serving`
for `save_pretrained(saved_model=True)`. TensorFlow only: imported when a SavedModel is written
or `serving` is asked for.
"""

from __future__ import annotations

import os

import keras
import tensorflow as tf

SIGNATURE_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def input_signature(model, dtype=tf.int32) -> dict:
    """{name: TensorSpec} of the ids the model is served with."""
    shape = [None] * model.spec.input_rank
    return {name: tf.TensorSpec(shape, dtype, name=name) for name in SIGNATURE_INPUTS}


def with_rank(x, name: str, rank: int, expected: str):
    """`x` if it has exactly rank `rank` (read at run time), else an InvalidArgumentError naming
    `name`, `expected` and the shape received; returned with that static rank.

    Signatures declare any rank (`TensorSpec(None)`): TF Serving and the SavedModel signature
    wrappers do not check a request's shape against the declared one, and a declared rank is
    folded into the graph as a constant, so a (B, T) spec would let a 1-D request reach the model
    and fail inside it."""
    check = tf.debugging.Assert(
        tf.equal(tf.raw_ops.Rank(input=x), rank), [f"{name} must be {expected}; got shape", tf.shape(x)], summarize=8
    )
    with tf.control_dependencies([check]):
        x = tf.reshape(x, tf.shape(x))
    x.set_shape([None] * rank)
    return x


def _any_rank_signature(dtype) -> dict:
    return {name: tf.TensorSpec(None, dtype, name=name) for name in SIGNATURE_INPUTS}


def _checked_ranks(model, inputs: dict) -> dict:
    rank = model.spec.input_rank
    expected = "(batch, choices, length)" if rank == 3 else "(batch, length)"
    return {k: with_rank(v, k, rank, expected) for k, v in inputs.items()}


def _require_tensorflow():
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(
            f"model.serving and SavedModel export need the TensorFlow backend; Keras runs on "
            f"{keras.backend.backend()!r} (set KERAS_BACKEND=tensorflow)"
        )


def serving_function(model):
    """`tf.function` over int32 `input_ids`, `attention_mask`, `token_type_ids` (the shapes of
    `input_signature`, checked at run time by `with_rank`), returning `model.serving_output(...)`."""
    _require_tensorflow()

    @tf.function(input_signature=[_any_rank_signature(tf.int32)])
    def serving(inputs):
        return model.serving_output(model(_checked_ranks(model, inputs), training=False))

    return serving


def serving_output(config, output):
    """transformers 4.x's `serving_output`: fields the config does not ask for are dropped
    (hidden states, attentions, cache, cross-attentions) and tuples become stacked tensors
    (left as they are when their shapes differ)."""
    if not isinstance(output, dict):
        return output
    drop = {
        "hidden_states": not config.output_hidden_states,
        "attentions": not config.output_attentions,
        "past_key_values": not config.use_cache,
        "cross_attentions": not (config.output_attentions and config.add_cross_attention),
    }
    for key in list(output.keys()):
        if drop.get(key, False):
            output[key] = None
            continue
        if isinstance(output[key], (tuple, list)):
            try:
                output[key] = tf.convert_to_tensor(output[key])
            except (ValueError, TypeError, tf.errors.InvalidArgumentError):
                pass  # e.g. a cache whose layers differ in shape
    return output


def save_serving_model(model, directory, version: int = 1, signatures=None) -> str:
    """Writes `directory/saved_model/<version>` with `serving_default` (int32) and
    `int64_serving` (int64 ids, cast to int32) unless `signatures` are given. Returns the path.
    The SavedModel holds the signatures and the variables (not the Keras objects), so TF Serving
    and `saved_model_cli run` restore it as well as `tf.saved_model.load`."""
    _require_tensorflow()
    if not model.built:
        model.build()
    if signatures is None:
        serving = model.serving

        @tf.function(input_signature=[_any_rank_signature(tf.int64)])
        def int64_serving(inputs):
            return serving({k: tf.cast(v, tf.int32) for k, v in inputs.items()})

        signatures = {
            "serving_default": serving.get_concrete_function(),
            "int64_serving": int64_serving.get_concrete_function(),
        }
    path = os.path.join(os.fspath(directory), "saved_model", str(version))
    tf.saved_model.save(_serving_root(model, signatures), path, signatures=signatures)
    return path


def _serving_root(model, signatures) -> tf.Module:
    """What is saved: the signatures and the model's backing `tf.Variable`s, each once.

    Saving the Keras model itself stores its Keras variable wrappers, which TF1-style loaders
    (TF Serving's session bundle, `saved_model_cli run`) cannot restore ("Could not find
    variable"); the plain `tf.Variable`s the signature functions capture restore everywhere."""
    for function in signatures.values():  # traced: every variable exists
        if hasattr(function, "get_concrete_function"):
            function.get_concrete_function()
    root = tf.Module(name="keras_bert_saved_model")
    root.model_variables = [v.value for v in model.variables]
    root.signature_functions = dict(signatures)
    return root
