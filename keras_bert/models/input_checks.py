"""Input checks of the Keras models: no silent wrong answer from a bad id, dtype or shape.

An embedding lookup with an id outside the table wraps, clamps or reads zeros depending on the
device and backend, and a float id is truncated: both return plausible numbers. transformers 4.x
TF checked ids against the vocabulary; so do we, inside the graph, so the check also holds in
`tf.function`, `predict_fn` and exported SavedModels (`serving_ids`).

What is checked, each failure naming the input and the bad value or shapes:

- dtype: `input_ids`, `token_type_ids`, `position_ids` must be integers; `attention_mask` may
  be int, bool or float (not a string), checked when the call is traced.
- rank: `input_ids` is (B, T), or (B, C, T) for multiple choice; `attention_mask` has the ids'
  rank, or one more (an explicit (B, T, S) mask: its query axis T or 1, its key axis S).
- length: at least one token per sequence (T > 0): a zero-length row has no [CLS] to pool and no
  answer a reference gives.
- shapes: `attention_mask` (its last axis covers past + new tokens), `token_type_ids` and
  `position_ids` have the ids' shape; statically where the shape is known, in the graph otherwise.
- values: ids in [0, vocab_size), token types in [0, type_vocab_size), positions in
  [0, max_position_embeddings), and past + new length within max_position_embeddings.

Cost: one min/max reduction per id tensor and a few shape compares: nothing measurable next to
the encoder (`tools/benchmark.py --sections input-checks` measures it). The value checks run
inside the graph on TensorFlow; on JAX and torch they run where the values are concrete.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

INTEGER_INPUTS = ("input_ids", "token_type_ids", "position_ids")


def _dtype_name(x) -> str:
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        return np.asarray(x).dtype.name
    return keras.backend.standardize_dtype(dtype)


def _tensor(name: str, x):
    """Python lists and NumPy arrays become backend tensors; tensors pass through."""
    if isinstance(x, (list, tuple, np.ndarray, int)):
        try:
            array = np.asarray(x)
        except ValueError as error:  # rows of different lengths
            raise ValueError(f"{name} is not a rectangular array (pad the rows to one length): {error}") from None
        if array.dtype.kind in "iu":
            array = array.astype("int32")
        return ops.convert_to_tensor(array)
    return x


def _static_shape(x) -> tuple:
    return tuple(x.shape)


def _shape_text(shape) -> str:
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ")"


def _concrete(x) -> bool:
    """Whether the values of `x` can be read now (not a JAX tracer / symbolic tensor)."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return not isinstance(x, jax.core.Tracer)
    return backend == "torch" or backend == "numpy"


def _check_values(name: str, x, upper: int, what: str):
    """Every value of integer tensor `x` lies in [0, upper)."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        low, high = tf.reduce_min(x), tf.reduce_max(x)
        empty = tf.equal(tf.size(x), 0)
        ok = tf.logical_or(empty, tf.logical_and(low >= 0, high < upper))
        return tf.debugging.Assert(
            ok,
            [f"{name} holds values outside [0, {what}={upper}): min", low, "max", high],
            summarize=1,
            name=f"check_{name}",
        )
    if not _concrete(x):
        return None
    values = ops.convert_to_numpy(x)
    if values.size and (values.min() < 0 or values.max() >= upper):
        raise ValueError(f"{name} holds values outside [0, {what}={upper}): min {values.min()}, max {values.max()}")


def _check_dims(name_a: str, a, name_b: str, b, dims: int, extra: int = 0):
    """`a` has rank dims + 1, its first `dims` axes equal `b`'s, and its next axis is `b`'s +
    `extra` when `extra` is not None (None: only the leading axes are compared). `b` may carry
    more axes (`inputs_embeds` (B, T, H))."""
    sa, sb = _static_shape(a), _static_shape(b)
    known = all(d is not None for d in sa[: dims + 1] + sb[: dims + 1])
    if known or len(sa) != dims + 1:
        lead_ok = sa[:dims] == sb[:dims]
        last_ok = extra is None or (len(sa) > dims and len(sb) > dims and sa[dims] == sb[dims] + extra)
        if not (lead_ok and last_ok and len(sa) == dims + 1):
            note = f" (past length {extra} + new tokens)" if extra else ""
            raise ValueError(
                f"{name_a} has shape {_shape_text(sa)} but {name_b} has shape {_shape_text(sb)}; they must match{note}"
            )
        return
    if keras.backend.backend() != "tensorflow":
        return
    import tensorflow as tf

    shape_a, shape_b = tf.shape(a), tf.shape(b)
    expected = shape_b[: dims + 1] + tf.one_hot(dims, dims + 1, dtype=shape_b.dtype) * (extra or 0)
    compare = shape_a[: dims + 1] if extra is not None else shape_a[:dims]
    target = expected if extra is not None else shape_b[:dims]
    return tf.debugging.Assert(
        tf.reduce_all(tf.equal(compare, target)),
        [f"{name_a} and {name_b} must have matching shapes; got", shape_a, "and", shape_b],
        name=f"check_{name_a}_shape",
    )


def _check_length(name: str, x, axis: int, past_length, limit: int):
    """Past + new positions fit the absolute position table."""
    length = _static_shape(x)[axis]
    if length is not None and past_length is not None:
        if length + past_length > limit:
            raise ValueError(
                f"{name} has {length} positions (+ {past_length} cached) but the model has only "
                f"max_position_embeddings={limit}"
            )
        return None
    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    total = tf.shape(x)[axis] + (past_length if past_length is not None else 0)
    return tf.debugging.Assert(
        total <= limit,
        [f"{name} has more positions than max_position_embeddings={limit}:", total],
        name=f"check_{name}_length",
    )


def _check_nonempty(name: str, x, axis: int):
    """The length axis of `x` is not 0 (a batch of zero rows is fine, a row of zero tokens is not)."""
    length = _static_shape(x)[axis]
    if length == 0:
        raise ValueError(
            f"{name} has shape {_shape_text(_static_shape(x))}: every sequence needs at least one token "
            f"(axis {axis} is 0)"
        )
    if length is not None or keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    return tf.debugging.Assert(
        tf.shape(x)[axis] > 0,
        [f"{name} has zero tokens per sequence (axis {axis} is 0); got shape", tf.shape(x)],
        name=f"check_{name}_nonempty",
    )


def _check_mask(mask, name_b: str, b, dims: int, past_length):
    """`attention_mask` is (B[, C], S) like the ids (S = past + new tokens), or an explicit
    (B[, C], T or 1, S) mask; numbers, not strings."""
    dtype = _dtype_name(mask)
    if not dtype.startswith(("int", "uint", "float", "bool", "bfloat")):
        raise TypeError(f"attention_mask must hold 0/1 numbers or booleans, got dtype {dtype}")
    sm, sb = _static_shape(mask), _static_shape(b)
    if len(sm) == dims + 1:
        return _check_dims("attention_mask", mask, name_b, b, dims, past_length)
    if len(sm) != dims + 2:
        raise ValueError(
            f"attention_mask has shape {_shape_text(sm)} but {name_b} has shape {_shape_text(sb)}; the mask must "
            f"have rank {dims + 1} (the ids' shape) or {dims + 2} (an explicit query x key mask)"
        )
    # (B[, C], T or 1, S): compare the batch axes, then the query and key axes.
    lead_a, lead_b = sm[:dims], sb[:dims]
    query, key, length = sm[dims], sm[dims + 1], sb[dims]
    total = None if length is None or past_length is None else length + past_length
    static = [lead_a == lead_b, query in (1, length), key == total]
    known = None not in lead_a + lead_b + (query, key, length) and past_length is not None
    if known or keras.backend.backend() != "tensorflow":
        if known and not all(static):
            raise ValueError(
                f"attention_mask has shape {_shape_text(sm)} but {name_b} has shape {_shape_text(sb)}; an explicit "
                f"mask must be (batch{', choices' if dims == 2 else ''}, length or 1, past + length)"
            )
        return None
    import tensorflow as tf

    shape_m, shape_b = tf.shape(mask), tf.shape(b)
    new = shape_b[dims]
    conditions = [
        tf.reduce_all(tf.equal(shape_m[:dims], shape_b[:dims])),
        tf.logical_or(tf.equal(shape_m[dims], 1), tf.equal(shape_m[dims], new)),
    ]
    if past_length is not None:  # an unknown cache length leaves the key axis unchecked
        conditions.append(tf.equal(shape_m[dims + 1], new + past_length))
    ok = tf.reduce_all(tf.stack(conditions))
    return tf.debugging.Assert(
        ok,
        [f"attention_mask and {name_b} must have matching shapes; got", shape_m, "and", shape_b],
        name="check_attention_mask_shape",
    )


def check_inputs(inputs: dict, config, input_rank: int) -> dict:
    """Validates (and converts list/NumPy inputs of) one call's `inputs`; returns them."""
    inputs = dict(inputs)
    for name in ("input_ids", "attention_mask", "token_type_ids", "position_ids"):
        if inputs.get(name) is not None:
            inputs[name] = _tensor(name, inputs[name])
    for name in INTEGER_INPUTS:
        value = inputs.get(name)
        if value is not None and not _dtype_name(value).startswith(("int", "uint")):
            raise TypeError(f"{name} must hold integers, got dtype {_dtype_name(value)}")

    ids = inputs.get("input_ids")
    reference_name = "input_ids" if ids is not None else "inputs_embeds"
    reference = ids if ids is not None else inputs.get("inputs_embeds")
    if reference is None:
        return inputs
    rank = len(_static_shape(reference)) - (0 if ids is not None else 1)
    if rank != input_rank:
        expected = "(batch, choices, length)" if input_rank == 3 else "(batch, length)"
        raise ValueError(
            f"{reference_name} must have rank {input_rank} {expected}, got shape {_shape_text(_static_shape(reference))}"
        )
    past = inputs.get("past_key_values")
    past_length = 0
    if past is not None:
        past_length = _static_shape(past[0][0])[2]
    dims = input_rank - 1
    checks = []  # in-graph assertions (TensorFlow); empty where everything was checked statically
    checks.append(_check_nonempty(reference_name, reference, dims))
    mask = inputs.get("attention_mask")
    if mask is not None:
        checks.append(_check_mask(mask, reference_name, reference, dims, past_length))
    for name in ("token_type_ids", "position_ids"):
        value = inputs.get(name)
        if value is not None:
            checks.append(_check_dims(name, value, reference_name, reference, dims, 0))

    if ids is not None:
        checks.append(_check_values("input_ids", ids, config.vocab_size, "vocab_size"))
    if inputs.get("token_type_ids") is not None:
        checks.append(
            _check_values("token_type_ids", inputs["token_type_ids"], config.type_vocab_size, "type_vocab_size")
        )
    if inputs.get("position_ids") is not None:
        checks.append(
            _check_values(
                "position_ids", inputs["position_ids"], config.max_position_embeddings, "max_position_embeddings"
            )
        )
    elif config.position_embedding_type == "absolute":
        checks.append(_check_length(reference_name, reference, dims, past_length, config.max_position_embeddings))
    return _after(inputs, [c for c in checks if c is not None])


def _after(inputs: dict, checks: list) -> dict:
    """Inputs that the graph computes only after `checks` ran, so a bad id is reported by name
    before an embedding lookup fails on it (graph ops are otherwise unordered)."""
    if not checks:
        return inputs
    import tensorflow as tf

    with tf.control_dependencies(checks):
        for name in ("input_ids", "attention_mask", "token_type_ids", "position_ids", "inputs_embeds"):
            if inputs.get(name) is not None:
                inputs[name] = tf.identity(inputs[name])
    return inputs
