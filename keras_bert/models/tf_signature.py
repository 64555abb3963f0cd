"""The default SavedModel signature of a keras_bert model on the TensorFlow backend.

Keras traces a subclassed model's default `serving_default` with every input in the model's
float dtype, which feeds float ids to the model (refused by the input checks, and wrong anyway).
transformers 4.x TF models served int32 `input_ids`, `attention_mask` and `token_type_ids`; so
do we, with the head's input rank ((B, T), or (B, C, T) for multiple choice). TensorFlow only:
imported when a TF SavedModel is written.
"""

from __future__ import annotations

import tensorflow as tf

SIGNATURE_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def input_signature(model) -> dict:
    shape = [None] * model.spec.input_rank
    return {name: tf.TensorSpec(shape, tf.int32, name=name) for name in SIGNATURE_INPUTS}


def default_signature(model):
    """`tf.function` taking a dict of int32 id tensors, returning the output record's tensors."""

    @tf.function(input_signature=[input_signature(model)])
    def serving_default(inputs):
        out = model(inputs, training=False)
        return {k: v for k, v in out.items() if not isinstance(v, (tuple, list))}

    return serving_default
