"""Retrace-free compiled inference for any keras_bert model.

A plain `tf.function(model)` traces again for every new batch size and length. `predict_fn`
wraps the model in one `tf.function` whose input signature has `None` batch and length
dimensions, so it is traced once and then serves every shape:

    >>> fn = keras_bert.predict_fn(model)                   # graph mode, one trace
    >>> out = fn(input_ids=ids, attention_mask=mask)        # dict of output tensors
    >>> fn.tracing_count                                     # 1, whatever shapes follow

With `jit_compile=True` XLA still compiles once per distinct shape (the tf.function is
not traced again); `pad_to_multiple_of=64` pads the length to buckets so the number of
XLA programs stays small, and slices token-level outputs back to the caller's length.
"""

from __future__ import annotations

import tensorflow as tf

ID_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class PredictFunction:
    """Callable returned by `predict_fn`; see the module docstring."""

    def __init__(self, model, outputs=None, jit_compile=False, pad_to_multiple_of=None):
        if pad_to_multiple_of is not None and (not isinstance(pad_to_multiple_of, int) or pad_to_multiple_of <= 0):
            raise ValueError(f"pad_to_multiple_of must be a positive int or None, got {pad_to_multiple_of!r}")
        if not model.built:
            model.build()  # variables exist before tracing, so the first call traces once
        self.model = model
        self.outputs = tuple(outputs) if outputs is not None else None
        self.jit_compile = jit_compile
        self.pad_to_multiple_of = pad_to_multiple_of
        self._token_level = set()
        spec = tf.TensorSpec([None, None], tf.int32)  # (B, T), any batch size and length

        def forward(input_ids, attention_mask, token_type_ids):
            out = model(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
                training=False,
            )
            names = self.outputs or [k for k, v in out.items() if v is not None and not isinstance(v, tuple)]
            out = {name: out[name] for name in names}
            # Token-level outputs are the ones whose dimension 1 is the (unknown) length.
            self._token_level = {k for k, v in out.items() if v.shape.rank >= 2 and v.shape[1] is None}
            return out

        self._fn = tf.function(
            forward,
            input_signature=[spec, spec, spec],
            jit_compile=jit_compile,
        )

    @property
    def tracing_count(self) -> int:
        """How many times the graph was traced (stays 1 after the first call)."""
        return self._fn.experimental_get_tracing_count()

    def __call__(self, input_ids, attention_mask=None, token_type_ids=None):
        input_ids = tf.cast(tf.convert_to_tensor(input_ids), tf.int32)  # (B, T)
        attention_mask = tf.ones_like(input_ids) if attention_mask is None else tf.cast(attention_mask, tf.int32)
        token_type_ids = tf.zeros_like(input_ids) if token_type_ids is None else tf.cast(token_type_ids, tf.int32)
        length = int(input_ids.shape[1])
        if self.pad_to_multiple_of:
            padded = -(-length // self.pad_to_multiple_of) * self.pad_to_multiple_of
            if padded != length:
                pad = [[0, 0], [0, padded - length]]
                input_ids = tf.pad(input_ids, pad)
                attention_mask = tf.pad(attention_mask, pad)  # padded keys are masked out
                token_type_ids = tf.pad(token_type_ids, pad)
        out = self._fn(input_ids, attention_mask, token_type_ids)
        if self.pad_to_multiple_of and int(input_ids.shape[1]) != length:
            # Token-level outputs (B, T_padded, ...) go back to the caller's length.
            out = {k: v[:, :length] if k in self._token_level else v for k, v in out.items()}
        return out


def predict_fn(model, outputs=None, jit_compile=False, pad_to_multiple_of=None) -> PredictFunction:
    """A compiled inference function for `model` that never retraces for new shapes.

    Args:
        model: any keras_bert model (`TFBertModel`, a head, ...).
        outputs: names of the output-record fields to return (default: every tensor field).
        jit_compile: compile with XLA (one XLA program per distinct input shape).
        pad_to_multiple_of: pad the length up to a multiple of this (length buckets), which
            bounds the number of XLA programs; outputs are sliced back to the input length.
    """
    return PredictFunction(model, outputs=outputs, jit_compile=jit_compile, pad_to_multiple_of=pad_to_multiple_of)
