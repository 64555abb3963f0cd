"""Retrace-free compiled inference for any keras_bert model.

A plain `tf.function(model)` traces again for every new batch size and length. `predict_fn`
wraps the model in `tf.function`s whose input signatures have `None` batch and length
dimensions, so each is traced once and then serves every shape:

    >>> fn = keras_bert.predict_fn(model)                   # graph mode, one trace
    >>> out = fn(input_ids=ids, attention_mask=mask)        # dict of output tensors
    >>> fn.tracing_count                                     # 1, whatever shapes follow

Inputs are `(B, T)`, or `(B, C, T)` for a model whose class sets `input_rank = 3` (multiple
choice). Ids, masks and token types must be integers (masks may be bool); anything else, and
shapes that disagree, is an error naming the input, never a silent cast. Id values are checked
by the models inside the graph; XLA drops those checks, so with `jit_compile=True` ids, token
types and the length are checked here, on the host, before the call.

Decoders (`config.is_decoder`) also take `past_key_values`, `encoder_hidden_states` and
`encoder_attention_mask`, and return `past_key_values` when `config.use_cache`; feed them back
for incremental decoding. One function is traced per call structure, at most one each for:
no cache / a self-attention cache (2 tensors per layer) / a self + cross cache (4 per layer),
with or without `encoder_hidden_states`; never one per length or batch size.

With `jit_compile=True` XLA still compiles once per distinct shape (the tf.function is
not traced again); `pad_to_multiple_of=64` pads the last (length) axis to buckets so the
number of XLA programs stays small, and slices token-level outputs (and the new cache
entries) back to the caller's length. Padding at the end is exact: padded keys are masked
out, and a decoder's causal mask keeps them from the real positions.

`unpadded=True` (encoders and their heads) runs embeddings, projections, feed-forward, LayerNorm
and heads on the real tokens only (`keras_bert.unpadded`), which saves the padded share of the
compute; outputs equal the padded path's at real positions, token-level outputs are 0 at padded ones.

`quantize="int8"` (TensorFlow backend, combinable with `unpadded`) runs the encoder's Dense
projections (and the MLM transform) as int8 matmuls on TensorFlow's oneDNN int8 kernels
(`keras_bert.quantization`): the kernels are quantized once, here, and held by the function; the
model stays fp32 and unchanged. Activations are quantized per call over the whole batch (as ONNX
Runtime's dynamic quantization), so a row's int8 result depends slightly on its batch companions.
The int8 kernels are constants of the traced graphs, so oneDNN lays each out once.

On TensorFlow (without jit_compile) the traced graphs run each LayerNorm as oneDNN's one-op
LayerNorm (`keras_bert.layers.layer_norm`): ~1e-6 from Keras' float32 LayerNorm, 2-3x faster.

`freeze=True` traces the model with its weights as graph constants (a snapshot taken when a call
structure is first traced, through Keras' StatelessScope), so oneDNN reorders each weight once
instead of on every call (AMX bfloat16 wants blocked weights: ~1.5x for BERT-base here). The cost:
the first call takes seconds longer and the graph holds a copy of the weights (BERT-base bfloat16:
5.3 GB resident after it, 1.1 GB without; float32 more).
"""

from __future__ import annotations

import contextlib

import numpy as np
import tensorflow as tf

ID_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
CACHE = "past_key_values"


def _integer_tensor(name: str, value, allow_bool: bool = False) -> tf.Tensor:
    """`value` as int32; a non-integer dtype is a TypeError naming `name` (no silent 1.7 -> 1)."""
    if not tf.is_tensor(value):
        value = np.asarray(value)
    try:
        dtype = tf.as_dtype(value.dtype)
    except TypeError:
        dtype = None
    if dtype is not None and dtype.is_bool and allow_bool:
        return tf.cast(value, tf.int32)
    if dtype is None or not dtype.is_integer:
        allowed = "integers or booleans" if allow_bool else "integers"
        raise TypeError(f"{name} must hold {allowed}, got dtype {getattr(value.dtype, 'name', value.dtype)}")
    # Saturating: an int64 id beyond int32 becomes INT32_MAX (rejected by the vocabulary check)
    # instead of wrapping to a valid id.
    return tf.saturate_cast(value, tf.int32)


def _check_range(name: str, value: tf.Tensor, upper: int, what: str):
    """Every value of `value` lies in [0, upper); read on the host (eager)."""
    if tf.size(value) == 0:
        return
    low, high = int(tf.reduce_min(value)), int(tf.reduce_max(value))
    if low < 0 or high >= upper:
        raise ValueError(f"{name} holds values outside [0, {what}={upper}): min {low}, max {high}")


def _float_tensor(name: str, value, dtype) -> tf.Tensor:
    value = tf.convert_to_tensor(value)
    if not value.dtype.is_floating:
        raise TypeError(f"{name} must hold floats, got dtype {value.dtype.name}")
    return tf.cast(value, dtype)


def input_rank(model) -> int:
    """Rank of the model's `input_ids`: 2 for (B, T), 3 for multiple choice's (B, C, T).

    Contract with the model classes: a class attribute `input_rank`, else the `input_rank` of the
    class's `spec` (`keras_bert.contract.HeadSpec`), else 2.
    """
    rank = getattr(model, "input_rank", None)
    if rank is None:
        rank = getattr(getattr(model, "spec", None), "input_rank", 2)
    return int(rank)


def inference_outputs(model, input_ids, attention_mask, token_type_ids, unpadded=False, **kwargs):
    """`model`'s inference call (training=False, `kwargs` passed on), or with `unpadded` its packed
    path (`keras_bert.unpadded`, real tokens only): what predict_fn and export_tflite trace."""
    if unpadded:
        from keras_bert.unpadded import unpadded_outputs

        return unpadded_outputs(model, input_ids, attention_mask, token_type_ids)
    return model(
        input_ids=input_ids,
        attention_mask=attention_mask,
        token_type_ids=token_type_ids,
        training=False,
        **kwargs,
    )


def frozen_weights(model):
    """A scope in which every variable of `model` reads as a constant of the graph being traced:
    Keras' StatelessScope mapping each variable to its current value (the snapshot)."""
    import keras

    variables = list(model.variables)
    with tf.init_scope():  # eager: read the values now, not as graph reads
        values = [v.numpy() for v in variables]
    return keras.StatelessScope(state_mapping=[(v, tf.constant(x)) for v, x in zip(variables, values)])


def _shape(x) -> tuple:
    return tuple(x.shape.as_list())


class PredictFunction:
    """Callable returned by `predict_fn`; see the module docstring."""

    def __init__(
        self,
        model,
        outputs=None,
        jit_compile=False,
        pad_to_multiple_of=None,
        unpadded=False,
        quantize=None,
        freeze=False,
    ):
        from keras_bert.quantization import check_quantize, int8_weights

        self.quantize = check_quantize(quantize)  # None or "int8"; anything else is refused by value
        if not isinstance(freeze, bool):
            raise TypeError(f"freeze must be True or False, got {freeze!r}")
        if freeze and jit_compile:
            raise ValueError(
                "freeze=True traces a graph of constants for oneDNN, which XLA does not use; use jit_compile=False"
            )
        self.freeze = freeze
        if self.quantize and jit_compile:
            raise ValueError(
                f"quantize={quantize!r} runs TensorFlow's oneDNN int8 kernels, which XLA cannot compile; "
                "use jit_compile=False"
            )
        if pad_to_multiple_of is not None and (not isinstance(pad_to_multiple_of, int) or pad_to_multiple_of <= 0):
            raise ValueError(f"pad_to_multiple_of must be a positive int or None, got {pad_to_multiple_of!r}")
        if unpadded:
            from keras_bert.unpadded import check_supported

            check_supported(model)  # decoders and heads without a packed path: refused here, by name
            if jit_compile:
                raise ValueError(
                    "unpadded=True packs a data-dependent number of tokens, which XLA cannot compile; "
                    "use jit_compile=False (or pad_to_multiple_of buckets on the padded path)"
                )
        self.unpadded = bool(unpadded)
        if not model.built:
            model.build()  # variables exist before tracing, so the first call traces once
        self.model = model
        # Quantized once, now; the traced graphs hold them as constants (the model is untouched).
        self.int8_weights = int8_weights(model, constant=True) if self.quantize == "int8" else None
        self.outputs = tuple(outputs) if outputs is not None else None
        self.jit_compile = jit_compile
        self.pad_to_multiple_of = pad_to_multiple_of
        config = model.config
        self.input_rank = input_rank(model)
        self.is_decoder = bool(getattr(config, "is_decoder", False))
        self.use_cache = self.is_decoder and bool(getattr(config, "use_cache", True))
        self.cross_attention = self.is_decoder and bool(getattr(config, "add_cross_attention", False))
        self._config = config
        self._compute_dtype = tf.as_dtype(model.dtype_policy.compute_dtype)
        self._functions = {}  # (tensors per cached layer or 0, with encoder_hidden_states) -> tf.function
        self._token_level = {}  # same key -> names of outputs whose last input axis is the length

    @property
    def tracing_count(self) -> int:
        """How many times a graph was traced: 1 per call structure used, whatever the shapes."""
        return sum(fn.experimental_get_tracing_count() for fn in self._functions.values())

    # -- tracing ------------------------------------------------------------------------
    def _function(self, cached: int, cross: bool):
        key = (cached, cross)
        if key in self._functions:
            return self._functions[key]
        c = self._config
        ids = tf.TensorSpec([None] * self.input_rank, tf.int32)  # (B, T) or (B, C, T)
        signature = [ids, ids, ids]
        if cached:
            head_dim = c.hidden_size // c.num_attention_heads
            kv = tf.TensorSpec([None, c.num_attention_heads, None, head_dim], self._compute_dtype)  # (B, N, S, D)
            signature.append(tuple(tuple(kv for _ in range(cached)) for _ in range(c.num_hidden_layers)))
        if cross:
            signature.append(tf.TensorSpec([None, None, c.hidden_size], self._compute_dtype))  # (B, S_enc, H)
            signature.append(tf.TensorSpec([None, None], tf.int32))  # (B, S_enc)
        model, rank = self.model, self.input_rank

        def forward(input_ids, attention_mask, token_type_ids, *extra):
            extra = list(extra)
            kwargs = {}
            if cached:
                kwargs[CACHE] = extra.pop(0)
            if cross:
                kwargs["encoder_hidden_states"], kwargs["encoder_attention_mask"] = extra
            if self.is_decoder:
                kwargs["use_cache"] = self.use_cache
            from keras_bert.layers.layer_norm import fused_layer_norm
            from keras_bert.quantization import int8_scope

            # int8_weights None: every Dense runs fp32. LayerNorms run oneDNN's one-op LayerNorm,
            # which XLA cannot compile (jit_compile keeps Keras' LayerNorm).
            fused = fused_layer_norm() if not self.jit_compile else contextlib.nullcontext()
            frozen = self._frozen_weights() if self.freeze else contextlib.nullcontext()
            with int8_scope(self.int8_weights), fused, frozen:
                out = inference_outputs(model, input_ids, attention_mask, token_type_ids, self.unpadded, **kwargs)
            if self.outputs is not None:
                missing = [name for name in self.outputs if out.get(name) is None]
                if missing:
                    raise ValueError(
                        f"{type(model).__name__} has no output(s) {missing}; it returns {sorted(out.keys())}"
                    )
                names = self.outputs
            else:
                names = [k for k, v in out.items() if v is not None and (k == CACHE or not isinstance(v, tuple))]
            out = {name: out[name] for name in names}
            # Token-level outputs: those whose axis `rank - 1` is the (unknown) length, e.g. (B, T, V)
            # for rank-2 inputs; multiple choice logits (B, C) have no such axis.
            self._token_level[key] = {
                k
                for k, v in out.items()
                if k != CACHE and v.shape.rank is not None and v.shape.rank >= rank and v.shape[rank - 1] is None
            }
            return out

        fn = tf.function(forward, input_signature=signature, jit_compile=self.jit_compile)
        self._functions[key] = fn
        return fn

    def _frozen_weights(self):
        return frozen_weights(self.model)

    # -- calling ------------------------------------------------------------------------
    def _check_cache(self, past_key_values):
        c = self._config
        if not self.is_decoder:
            raise ValueError(f"past_key_values were given but {type(self.model).__name__} is not a decoder")
        past = tuple(tuple(_float_tensor(CACHE, t, self._compute_dtype) for t in layer) for layer in past_key_values)
        sizes = {len(layer) for layer in past}
        if len(past) != c.num_hidden_layers or len(sizes) != 1 or sizes.pop() not in (2, 4):
            raise ValueError(
                f"past_key_values must hold num_hidden_layers={c.num_hidden_layers} entries of 2 (self-attention) "
                f"or 4 (plus cross-attention) tensors, got {len(past)} entries of sizes {[len(x) for x in past]}"
            )
        return past

    def _pad(self, x, amount):
        return tf.pad(x, [[0, 0]] * (x.shape.rank - 1) + [[0, amount]])  # the last (length) axis

    def __call__(
        self,
        input_ids,
        attention_mask=None,
        token_type_ids=None,
        past_key_values=None,
        encoder_hidden_states=None,
        encoder_attention_mask=None,
    ):
        input_ids = _integer_tensor("input_ids", input_ids)
        shape = _shape(input_ids)
        if len(shape) != self.input_rank:
            expected = "(batch, choices, length)" if self.input_rank == 3 else "(batch, length)"
            raise ValueError(
                f"input_ids must have rank {self.input_rank} {expected} for {type(self.model).__name__}, got shape {shape}"
            )
        past = self._check_cache(past_key_values) if past_key_values is not None else None
        past_length = int(past[0][0].shape[2]) if past is not None else 0
        mask_shape = shape[:-1] + (past_length + shape[-1],)  # covers past + new tokens
        if attention_mask is None:
            attention_mask = tf.ones(mask_shape, tf.int32)
        else:
            attention_mask = _integer_tensor("attention_mask", attention_mask, allow_bool=True)
            if _shape(attention_mask) != mask_shape:
                note = f" (past length {past_length} + new tokens)" if past is not None else ""
                raise ValueError(
                    f"attention_mask has shape {_shape(attention_mask)} but input_ids has shape {shape}; "
                    f"expected {mask_shape}{note}"
                )
        if token_type_ids is None:
            token_type_ids = tf.zeros_like(input_ids)
        else:
            token_type_ids = _integer_tensor("token_type_ids", token_type_ids)
            if _shape(token_type_ids) != shape:
                raise ValueError(
                    f"token_type_ids has shape {_shape(token_type_ids)} but input_ids has shape {shape}; they must match"
                )
        extra = [past] if past is not None else []
        cross = encoder_hidden_states is not None and self.is_decoder  # an encoder ignores them, as transformers
        if cross:
            if not self.cross_attention:
                raise ValueError(
                    "encoder_hidden_states were given but the decoder has no cross-attention "
                    "(build it with add_cross_attention=True)"
                )
            encoder_hidden_states = _float_tensor("encoder_hidden_states", encoder_hidden_states, self._compute_dtype)
            encoder_shape = _shape(encoder_hidden_states)
            if encoder_attention_mask is None:
                encoder_attention_mask = tf.ones(encoder_shape[:2], tf.int32)
            else:
                encoder_attention_mask = _integer_tensor(
                    "encoder_attention_mask", encoder_attention_mask, allow_bool=True
                )
                if _shape(encoder_attention_mask) != encoder_shape[:2]:
                    raise ValueError(
                        f"encoder_attention_mask has shape {_shape(encoder_attention_mask)} but "
                        f"encoder_hidden_states has shape {encoder_shape}; expected {encoder_shape[:2]}"
                    )
            extra += [encoder_hidden_states, encoder_attention_mask]
        elif past is not None and len(past[0]) == 4:
            raise ValueError("past_key_values hold cross-attention entries: pass encoder_hidden_states again")

        length = shape[-1]
        if self.jit_compile:
            # XLA drops the models' in-graph value checks (tf.debugging.Assert): check here instead.
            c = self._config
            _check_range("input_ids", input_ids, c.vocab_size, "vocab_size")
            _check_range("token_type_ids", token_type_ids, c.type_vocab_size, "type_vocab_size")
            if c.position_embedding_type == "absolute" and past_length + length > c.max_position_embeddings:
                raise ValueError(
                    f"input_ids has {length} positions (+ {past_length} cached) but the model has only "
                    f"max_position_embeddings={c.max_position_embeddings}"
                )
        padded = length
        if self.pad_to_multiple_of:
            padded = -(-length // self.pad_to_multiple_of) * self.pad_to_multiple_of
            if padded != length:
                input_ids = self._pad(input_ids, padded - length)
                attention_mask = self._pad(attention_mask, padded - length)  # padded keys are masked out
                token_type_ids = self._pad(token_type_ids, padded - length)
        key = (len(past[0]) if past is not None else 0, cross)
        out = self._function(*key)(input_ids, attention_mask, token_type_ids, *extra)
        if padded != length:
            out = self._unpad(out, self._token_level[key], length, past_length)
        return out

    def _unpad(self, out: dict, token_level: set, length: int, past_length: int) -> dict:
        """Token-level outputs (..., T_padded, ...) and the new self-attention cache entries
        (B, N, past + T_padded, D) go back to the caller's length; cross-attention entries
        (encoder length) and sequence-level outputs are left as they are."""
        axis = self.input_rank - 1
        trimmed = {}
        for name, value in out.items():
            if name == CACHE:
                keep = past_length + length
                value = tuple(tuple(t[:, :, :keep] if i < 2 else t for i, t in enumerate(layer)) for layer in value)
            elif name in token_level:
                value = tf.gather(value, tf.range(length), axis=axis)
            trimmed[name] = value
        return trimmed


def predict_fn(
    model, outputs=None, jit_compile=False, pad_to_multiple_of=None, unpadded=False, quantize=None, freeze=False
) -> PredictFunction:
    """A compiled inference function for `model` that never retraces for new shapes.

    `fn(input_ids, attention_mask=None, token_type_ids=None, past_key_values=None,
    encoder_hidden_states=None, encoder_attention_mask=None)` returns a dict of tensors.

    Args:
        model: any keras_bert model (`TFBertModel`, any of the eight heads).
        outputs: names of the output-record fields to return (default: every tensor field,
            plus `past_key_values` for a decoder with `use_cache`).
        jit_compile: compile with XLA (one XLA program per distinct input shape).
        pad_to_multiple_of: pad the length up to a multiple of this (length buckets), which
            bounds the number of XLA programs; outputs are sliced back to the input length.
        unpadded: compute on the real tokens only (`keras_bert.unpadded`): equal to the padded
            path at real positions and in sequence-level outputs; token-level outputs are 0 at
            padded positions (except position 0). Encoders only; not with `jit_compile`.
        quantize: None (fp32) or "int8": the encoder's Dense projections (and the MLM transform)
            run as int8 matmuls (`keras_bert.quantization`), kernels quantized once, here; the
            model is not modified. TensorFlow backend; not with `jit_compile`.
        freeze: trace with the model's weights as graph constants: a snapshot taken at the first
            call (later changes to the weights are not seen); the first call is slower and the
            graph holds copies of the weights (module docstring). oneDNN then keeps its reordered
            weights instead of reordering them on every call: BERT-base bfloat16 ~1.5x at 1x128
            and 8x128 here (float32 and int8: 1.0-1.1x). TensorFlow backend; not with `jit_compile`.
    """
    return PredictFunction(
        model,
        outputs=outputs,
        jit_compile=jit_compile,
        pad_to_multiple_of=pad_to_multiple_of,
        unpadded=unpadded,
        quantize=quantize,
        freeze=freeze,
    )
