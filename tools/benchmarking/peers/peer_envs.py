"""Runners for the peers in their own environments: transformers 4.57 TF, keras-hub, ONNX Runtime.

No keras_bert here (those environments do not have it). Each loads the same HF checkpoint
directory (config.json + model.safetensors) keras_bert and the twin load, and is called the way
a user of that library serves a model:

    tf457-{fp32,bf16}      transformers 4.57 TFBertModel (tf-keras, TF_USE_LEGACY_KERAS=1) through a
                           tf.function with an input_signature; bf16 = tf_keras mixed_bfloat16 policy
    kerashub-{fp32,bf16}   keras_hub.models.BertBackbone.from_preset(dir) (its Hugging Face converter),
                           through a tf.function; bf16 = dtype="bfloat16". Its encoder uses the tanh
                           approximation of GELU (keras_hub gelu_approximate), so its fp32 output
                           differs from the twin's by ~5e-4, not ~1e-6: the model, not the weights
    ort-{fp32,optimized,int8}  onnxruntime InferenceSession on the exported model (onnx_export.py):
                           plain, after onnxruntime.transformers.optimizer, and that quantized with
                           quantize_dynamic (QInt8); intra_op_num_threads=2, inter_op_num_threads=1
    tf457-tokenizer        transformers 4.57 TFBertTokenizer (tensorflow-text FastBertTokenizer)
    kerashub-tokenizer     keras_hub.tokenizers.BertTokenizer + MultiSegmentPacker (its preprocessor's parts)
"""

from __future__ import annotations

import os

from .runner import Runner, threads


def make(kind, spec):
    family, variant = kind.split("-", 1)
    if kind.endswith("-tokenizer"):
        return {"tf457": _tf457_tokenizer, "kerashub": _kerashub_tokenizer}[family](spec)
    if family == "tf457":
        return _tf457(variant, spec["checkpoint"])
    if family == "kerashub":
        return _kerashub(variant, spec["checkpoint"])
    if family == "ort":
        return _ort(spec["onnx"][variant])
    raise ValueError(f"unknown peer contender kind {kind!r}")


def _tf():
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads())
    tf.config.threading.set_inter_op_parallelism_threads(threads())
    return tf


def _signature(tf, n=2):
    return [tf.TensorSpec([None, None], tf.int32)] * n


def _tf457(precision, path):
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    tf = _tf()
    import tf_keras
    import transformers

    if precision == "bf16":
        tf_keras.mixed_precision.set_global_policy("mixed_bfloat16")
    model = _tf457_model(transformers, path)

    @tf.function(input_signature=_signature(tf))
    def serve(ids, mask):
        hidden = model(input_ids=ids, attention_mask=mask, training=False).last_hidden_state
        return tf.cast(hidden, tf.float32)

    version = f"transformers {transformers.__version__}, tf_keras {tf_keras.__version__}"
    return Runner(lambda ids, mask: serve(ids, mask).numpy(), version)


def _tf457_model(transformers, path):
    """TFBertModel with the checkpoint's weights, every one accounted for.

    4.57's `TFBertModel.from_pretrained` on a PyTorch-format model.safetensors iterates a
    `safe_open` handle, which safetensors does not support (TypeError); so the same loader it calls
    gets the tensors as a dict of NumPy arrays, as its .bin path does.
    """
    from safetensors.numpy import load_file
    from transformers.modeling_tf_pytorch_utils import load_pytorch_state_dict_in_tf2_model

    model = transformers.TFBertModel(transformers.BertConfig.from_pretrained(path))
    state = load_file(os.path.join(path, "model.safetensors"))
    model, info = load_pytorch_state_dict_in_tf2_model(model, state, allow_missing_keys=True, output_loading_info=True)
    missing = [k for k in info["missing_keys"] if "position_ids" not in k]
    if missing or info["mismatched_keys"]:
        raise ValueError(f"{path}: TFBertModel weights not in the checkpoint: {missing} {info['mismatched_keys']}")
    return model


def _kerashub(precision, path):
    tf = _tf()
    import keras_hub

    dtype = "bfloat16" if precision == "bf16" else "float32"
    backbone = keras_hub.models.BertBackbone.from_preset(path, dtype=dtype)

    @tf.function(input_signature=_signature(tf))
    def serve(ids, mask):
        inputs = {"token_ids": ids, "segment_ids": tf.zeros_like(ids), "padding_mask": mask}
        return tf.cast(backbone(inputs, training=False)["sequence_output"], tf.float32)

    return Runner(lambda ids, mask: serve(ids, mask).numpy(), f"keras_hub {keras_hub.__version__}")


def _ort(path):
    import numpy as np
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads()
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}

    def forward(ids, mask):
        feed = {"input_ids": ids.astype(np.int64), "attention_mask": mask.astype(np.int64)}
        if "token_type_ids" in names:
            feed["token_type_ids"] = np.zeros_like(feed["input_ids"])
        return session.run(["last_hidden_state"], feed)[0]

    return Runner(forward, f"onnxruntime {ort.__version__}")


def _tf457_tokenizer(spec):
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    tf = _tf()
    import transformers

    layer = transformers.TFBertTokenizer.from_pretrained(spec["checkpoint"])  # use_fast_bert_tokenizer=True
    length = spec["max_length"]

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def tokenize(texts):
        return layer(texts, max_length=length, padding="longest", truncation=True)

    version = f"transformers {transformers.__version__} TFBertTokenizer"
    return _tf_tokenizer_runner(tf, tokenize, spec["batch"], version)


def _kerashub_tokenizer(spec):
    tf = _tf()
    import keras_hub

    tokenizer = keras_hub.tokenizers.BertTokenizer(
        vocabulary=os.path.join(spec["checkpoint"], "vocab.txt"), lowercase=True
    )
    packer = keras_hub.layers.MultiSegmentPacker(
        sequence_length=spec["max_length"],
        start_value=tokenizer.cls_token_id,
        end_value=tokenizer.sep_token_id,
        pad_value=tokenizer.pad_token_id,
    )

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def tokenize(texts):
        ids, _ = packer(tokenizer(texts))
        return {"input_ids": ids, "attention_mask": tf.cast(ids != tokenizer.pad_token_id, tf.int32)}

    return _tf_tokenizer_runner(tf, tokenize, spec["batch"], f"keras_hub {keras_hub.__version__} BertTokenizer")


def _tf_tokenizer_runner(tf, tokenize, size, version):
    def forward(texts):
        return [tokenize(tf.constant(texts[i : i + size]))["input_ids"].numpy() for i in range(0, len(texts), size)]

    def collect(texts):
        rows = []
        for i in range(0, len(texts), size):
            out = tokenize(tf.constant(texts[i : i + size]))
            ids, mask = out["input_ids"].numpy(), out["attention_mask"].numpy()
            rows += [r[m.astype(bool)].tolist() for r, m in zip(ids, mask)]
        return rows

    return Runner(forward, version, collect)
