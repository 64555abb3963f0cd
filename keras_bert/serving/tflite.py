"""BERT as a TFLite file, run on XNNPACK (LiteRT's CPU kernels): the fast int8 path on CPU.

`export_tflite(model, path, quantize="int8")` writes one `.tflite` file; `load_tflite(path)` runs
it on batches of ids. With `quantize="int8"` the file is TFLite's dynamic-range quantization: every
Dense kernel stored int8 (per output channel), activations quantized per call by XNNPACK, products
accumulated in int32; embeddings, LayerNorm, softmax and the attention products stay float32.
Measured side by side on a 2-core AMD EPYC Zen 4 (BERT-base, one 128-token row without padding, 2
threads; `tools/benchmark.py --sections peer_int8`): 1.25x ONNX Runtime's dynamic int8 and 1.9x
`predict_fn(quantize="int8")` (TensorFlow's oneDNN int8 kernels, whose fixed cost per op dominates
at small batches).

The file's one signature, `serving_default`: inputs `input_ids`, `attention_mask`,
`token_type_ids` (int32, shape (1, T), or (1, C, T) for multiple choice), T free; outputs the
model's output fields (`outputs`, default every tensor field: `last_hidden_state` and
`pooler_output` for `TFBertModel`, `logits` for a classifier...). One sequence per invoke, at its
own length: with the batch fixed at 1 every reshape of the encoder has a constant target shape
((1, -1, heads, head_dim)), which XNNPACK needs to run the whole encoder as one subgraph (a free
batch *and* length leave shape arithmetic XNNPACK does not run, and the graph splits into ~14
parts: 1.25x slower here). A batch is therefore run row by row, each row at its real length: the
padding is never computed.

`export_tflite(..., unpadded=True)` writes the packed graph instead (`keras_bert.unpadded`;
encoders and their heads, not decoders): inputs (B, T) with both free, one invoke per batch, the
embeddings, projections, feed-forward blocks and heads computed on the batch's real tokens only
(the attention core in the batch layout). The runner recognises it by its free batch and cuts the
batch after its longest row's last real token. Which is faster depends on the rows: the packed
file reads the weights once per batch, the row-by-row file once per row but runs its encoder as one
XNNPACK subgraph. On BERT-base (2-core Zen 4, side by side): on `examples/data` sentences at batch
8 (~13 tokens each) the packed float32 file does 1.17x TensorFlow's `predict_fn(unpadded=True)`
and the packed int8 file ~1.6x the row-by-row one (a separate measurement); on 128-token rows the
row-by-row int8 file is 3-5% faster than the packed one.

The model is traced inside `lowering("tflite")` (`keras_bert.layers.lowering`): LayerNorm as 9 ops
that XNNPACK runs (Keras' formula converts to 11, with a NEG and a SQUARED_DIFFERENCE), and in the
packed graph q, k and v as one FULLY_CONNECTED against the concatenated kernels, gathered straight
into the attention layout; the packed BERT-base graph has 519 TFLite ops (1,189 before). Values:
as Keras' graph within float32 rounding.

No tokenizer inside: TFLite has no tensorflow-text kernels. Pair the file with `BertTokenizer` or
`BertTokenizerFast` (the text-in artifact for TF Serving is `export_saved_model`).
"""

from __future__ import annotations

import os
import threading
import warnings

import numpy as np

from keras_bert.atomic import atomic_file

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
MODES = (None, "int8")


def export_tflite(model, path, outputs=None, quantize=None, unpadded=False, overwrite=False) -> str:
    """Writes `model` as a TFLite file at `path` (atomically: complete or absent); returns the path.

    Args:
        model: any keras_bert model (`TFBertModel`, the heads), float32.
        path: the `.tflite` file to write.
        outputs: names of the output-record fields to keep (default: every tensor field).
        quantize: None (float32) or "int8" (dynamic-range quantization, module docstring).
        unpadded: write the packed graph (`keras_bert.unpadded`): a whole batch per invoke, only its
            real tokens computed; encoders and their heads (not decoders), as `predict_fn(unpadded=True)`.
        overwrite: replace an existing file (else FileExistsError, nothing written).
    """
    import tensorflow as tf

    from keras_bert.backend import require_tensorflow_backend
    from keras_bert.inference import inference_outputs, input_rank
    from keras_bert.layers.lowering import lowering

    require_tensorflow_backend("export_tflite (the TFLite converter traces a TensorFlow graph)")
    if quantize not in MODES:
        raise ValueError(f"quantize must be one of {MODES}, got {quantize!r}")
    compute = model.dtype_policy.compute_dtype
    if compute != "float32":
        raise ValueError(
            f"export_tflite takes a float32 model, got compute dtype {compute!r}; "
            "for a smaller, faster file use quantize='int8'"
        )
    path = os.fspath(path)
    if os.path.lexists(path) and not overwrite:
        raise FileExistsError(17, f"{path!r} exists (pass overwrite=True to replace it)", path)
    if unpadded:
        from keras_bert.unpadded import check_supported

        check_supported(model)
    if not model.built:
        model.build()
    rank = input_rank(model)
    spec = tf.TensorSpec([None if unpadded else 1] + [None] * (rank - 1), tf.int32)
    extra = {"use_cache": False} if getattr(model.config, "is_decoder", False) else {}
    wanted = tuple(outputs) if outputs is not None else None

    def forward(input_ids, attention_mask, token_type_ids):
        # Layers in TFLite's fewest ops; the weights stay variables here (the converter freezes them).
        with lowering("tflite"):
            out = inference_outputs(model, input_ids, attention_mask, token_type_ids, unpadded, **extra)
        names = (
            wanted if wanted is not None else [k for k, v in out.items() if v is not None and not isinstance(v, tuple)]
        )
        missing = [name for name in names if out.get(name) is None or isinstance(out.get(name), tuple)]
        if missing:
            raise ValueError(
                f"{type(model).__name__} has no tensor output(s) {missing}; it returns {sorted(out.keys())}"
            )
        return {name: out[name] for name in names}

    concrete = tf.function(forward, input_signature=[spec] * 3).get_concrete_function()
    # The converter saves `holder` and the function as a SavedModel, freezes the variables it tracks
    # into the file's constants (and quantizes them for int8) and writes the function's signature.
    # It tracks the tf.Variables under Keras' variables (Keras' wrappers would stay TFLite resource
    # variables, without their values). Tracing with the weights as graph constants instead took
    # 13.3 GB and 35 s for BERT-base (this: 4.4 GB, 17 s; the outputs are identical).
    holder = tf.Module()
    holder.weights = [v.value for v in model.variables]
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], holder)
    if quantize == "int8":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    blob = converter.convert()
    with atomic_file(path, overwrite=overwrite) as tmp:
        with open(tmp, "wb") as f:
            f.write(blob)
    return path


def _interpreter(path, num_threads):
    """LiteRT's interpreter where installed (`ai-edge-litert`), else TensorFlow's `tf.lite` one."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice (it points to LiteRT)
        return Interpreter(model_path=path, num_threads=num_threads)


class TFLiteModel:
    """A TFLite file written by `export_tflite`, callable on batches of ids (module docstring).

    `model(input_ids, attention_mask=None, token_type_ids=None)` -> dict of NumPy arrays, batch
    first: each row runs alone at its length (up to its last attention-mask 1; a row with no 1 runs
    whole), or, for a packed file (`unpadded` True), the whole batch in one invoke up to its longest
    row's length; either way token-level outputs are 0 after a row's last real token (the packed
    file: at every masked position but position 0, exactly as `predict_fn(model, unpadded=True)`);
    sequence-level outputs (pooler, logits) are the padded model's. One interpreter: concurrent calls from several threads take turns (a lock).
    """

    def __init__(self, path, num_threads=None):
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(2, f"no TFLite file at {path!r}", path)
        if num_threads is not None and (not isinstance(num_threads, int) or num_threads < 1):
            raise ValueError(f"num_threads must be a positive int or None, got {num_threads!r}")
        self.path = path
        self._interpreter = _interpreter(path, num_threads)
        signatures = self._interpreter.get_signature_list()
        if list(signatures) != ["serving_default"]:
            raise ValueError(f"{path!r} is not a keras_bert TFLite file: signatures {list(signatures)}")
        runner = self._interpreter.get_signature_runner("serving_default")
        self._inputs = runner.get_input_details()
        self._outputs = runner.get_output_details()
        if sorted(self._inputs) != sorted(INPUTS):
            raise ValueError(f"{path!r} is not a keras_bert TFLite file: inputs {sorted(self._inputs)}")
        signature = list(self._inputs["input_ids"]["shape_signature"])
        self.input_rank = len(signature)
        if signature[0] not in (1, -1) or signature[-1] != -1:
            raise ValueError(f"{path!r}: input_ids of shape {signature}, expected (1 or -1, ..., -1)")
        # A free batch: the unpadded graph (export_tflite(unpadded=True)), one invoke per batch.
        self.unpadded = signature[0] == -1
        # Token-level outputs are those whose length axis is free in the file: (1, -1, ...).
        self.token_level = {
            name: bool(len(d["shape_signature"]) >= self.input_rank and d["shape_signature"][self.input_rank - 1] == -1)
            for name, d in self._outputs.items()
        }
        self.output_names = tuple(self._outputs)
        self._shape = None
        self._lock = threading.Lock()

    def _check(self, name, value, like=None):
        x = np.asarray(value)
        if x.dtype == bool and name != "input_ids":
            x = x.astype(np.int32)
        if not np.issubdtype(x.dtype, np.integer):
            raise TypeError(f"{name} must hold integers, got dtype {x.dtype}")
        if x.ndim == self.input_rank - 1:
            x = x[None]
        if x.ndim != self.input_rank:
            raise ValueError(f"{name} must have rank {self.input_rank} (batch first), got shape {x.shape}")
        if like is not None and x.shape != like.shape:
            raise ValueError(f"{name} has shape {x.shape}, input_ids {like.shape}")
        if x.size and (x.min() < 0 or x.max() > np.iinfo(np.int32).max):
            raise ValueError(f"{name} holds values outside [0, 2**31): {x.min()}..{x.max()}")
        return x.astype(np.int32)

    def __call__(self, input_ids, attention_mask=None, token_type_ids=None) -> dict:
        ids = self._check("input_ids", input_ids)
        mask = np.ones_like(ids) if attention_mask is None else self._check("attention_mask", attention_mask, ids)
        types = np.zeros_like(ids) if token_type_ids is None else self._check("token_type_ids", token_type_ids, ids)
        if ids.shape[-1] == 0:
            raise ValueError("input_ids has length 0: a sequence needs at least one token")
        if ids.shape[0] == 0:
            return {name: self._empty(name, ids.shape) for name in self.output_names}
        # Each row's length: up to its last attention-mask 1 (the whole row if it has none).
        lengths = []
        for b in range(ids.shape[0]):
            real = np.nonzero(mask[b].reshape(-1, mask.shape[-1]).any(axis=0))[0]
            lengths.append(int(real[-1]) + 1 if real.size else ids.shape[-1])
        inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        if self.unpadded:  # the whole batch at once, cut after the longest row's last real token
            parts = [(slice(None), max(lengths))]
        else:
            parts = [(slice(b, b + 1), length) for b, length in enumerate(lengths)]
        with self._lock:
            outs = [self._run({k: v[rows, ..., :length] for k, v in inputs.items()}) for rows, length in parts]
        return {name: self._join(name, [out[name] for out in outs], ids.shape[-1]) for name in self.output_names}

    def _run(self, inputs: dict) -> dict:
        it = self._interpreter
        shape = inputs["input_ids"].shape
        if shape != self._shape:
            for name in INPUTS:
                it.resize_tensor_input(self._inputs[name]["index"], shape)
            it.allocate_tensors()  # plans memory (and XNNPACK's runtime) once per distinct shape
            self._shape = shape
        for name in INPUTS:
            it.set_tensor(self._inputs[name]["index"], np.ascontiguousarray(inputs[name]))
        try:
            it.invoke()
        except RuntimeError as e:  # e.g. an id past the vocabulary: TFLite's gather refuses it
            raise ValueError(f"the TFLite model refused the input: {e}") from e
        return {name: it.get_tensor(d["index"]) for name, d in self._outputs.items()}

    def _empty(self, name, shape):
        """An empty batch's output: a free axis takes the size of the input axis at its place
        (the length; the choices, for multiple choice)."""
        d = self._outputs[name]
        dims = [shape[i] if size == -1 else int(size) for i, size in enumerate(d["shape_signature"]) if i > 0]
        return np.zeros([0] + dims, d["dtype"])

    def _join(self, name, values, length):
        """Batches of one output -> one array, token-level ones zero-padded back to `length`."""
        if self.token_level[name]:
            axis = self.input_rank - 1  # the length axis
            padded = []
            for v in values:
                pad = [(0, 0)] * v.ndim
                pad[axis] = (0, length - v.shape[axis])
                padded.append(np.pad(v, pad))
            values = padded
        return values[0] if len(values) == 1 else np.concatenate(values)


def load_tflite(path, num_threads=None) -> TFLiteModel:
    """A `TFLiteModel` running the file at `path` (written by `export_tflite`) on XNNPACK with
    `num_threads` threads (None: TFLite's default)."""
    return TFLiteModel(path, num_threads=num_threads)
