"""`export_saved_model(..., quantize="int8")` and `tools/convert export --quantize int8`: the
SavedModel serves text in a fresh TF-only process with the int8 `predict_fn`'s numbers, passes the
TF Serving op check with the quantized ops, and stores the quantized kernels as int8 only."""

import os
import shutil

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_bert
from keras_bert.cli.convert import main
from keras_bert.serving import export_saved_model
from keras_bert.serving.ops_check import saved_model_ops
from keras_bert.tokenization import BertTokenizer
from tests.serving.test_export import TEXTS, run_fresh

INT8_OPS = {"QuantizeV2", "QuantizedMatMulWithBiasAndDequantize", "Bitcast"}


def _classifier(seed=0):
    config = keras_bert.BertConfig(
        vocab_size=30522,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        max_position_embeddings=64,
        id2label={0: "negative", 1: "neutral", 2: "positive"},
    )
    keras.utils.set_random_seed(seed)
    model = keras_bert.TFBertForSequenceClassification(config)
    model.build()
    rng = np.random.default_rng(seed)
    for v in model.weights:  # non-trivial biases and LayerNorms, logits far enough apart to compare
        v.assign(v.numpy() + rng.standard_normal(v.shape).astype("float32") * 0.1)
    return model


def _variable_bytes(path):
    reader = tf.train.load_checkpoint(os.path.join(path, "variables", "variables"))
    shapes, dtypes = reader.get_variable_to_shape_map(), reader.get_variable_to_dtype_map()
    return sum(int(np.prod(shapes[k])) * dtypes[k].size for k in shapes)


@pytest.mark.slow
def test_int8_export_serves_text_in_fresh_process(tmp_path, minilm_dir):
    model = _classifier()
    tokenizer = BertTokenizer.from_pretrained(minilm_dir)
    path = export_saved_model(model, tokenizer, tmp_path / "int8" / "1", max_length=64, quantize="int8")
    fp32_path = export_saved_model(model, tokenizer, tmp_path / "fp32" / "1", max_length=64)
    assert INT8_OPS <= saved_model_ops(path)  # and export's op check passed: TF Serving has them
    assert not INT8_OPS & saved_model_ops(fp32_path) - {"Bitcast"}
    # The 12 encoder kernels are saved as int8 (1 byte, not 4); embeddings, pooler, classifier stay fp32.
    kernels = sum(int(np.prod(v.shape)) for v in model.weights if "encoder" in v.path and "kernel" in v.path)
    assert _variable_bytes(fp32_path) - _variable_bytes(path) >= 3 * kernels - 4 * 4 * 1024

    got = run_fresh(path, {"text": TEXTS}, tmp_path / "out")
    enc = tokenizer(TEXTS, padding=True, truncation=True, max_length=64, return_tensors="np")
    ids, mask = enc["input_ids"].astype("int32"), enc["attention_mask"].astype("int32")
    int8 = keras_bert.predict_fn(model, ["logits"], quantize="int8")(ids, mask, enc["token_type_ids"])["logits"]
    fp32 = keras_bert.predict_fn(model, ["logits"])(ids, mask, enc["token_type_ids"])["logits"].numpy()
    # Same int8 arithmetic, same batch. predict_fn's LayerNorm is oneDNN's fused op (export keeps
    # Keras' for TF Serving's op set): ~1e-6 apart, which moves a few activations across an int8
    # rounding step, so a few logits differ by up to ~0.01 (not 1e-6).
    np.testing.assert_allclose(got["logits"], int8.numpy(), atol=0.02)
    np.testing.assert_array_equal(got["label_id"], got["logits"].argmax(-1))
    assert 1e-5 < np.abs(got["logits"] - fp32).max() < 0.05 * np.abs(fp32).max()
    assert (got["label_id"] == fp32.argmax(-1)).mean() >= 0.9


def test_int8_export_refusals(tmp_path, minilm_dir):
    model = _classifier()
    tokenizer = BertTokenizer.from_pretrained(minilm_dir)
    with pytest.raises(ValueError, match="got 'int4'"):
        export_saved_model(model, tokenizer, tmp_path / "x" / "1", quantize="int4")
    assert not (tmp_path / "x").exists()


def test_cli_export_quantize_int8(tmp_path, minilm_dir, capsys):
    model = _classifier()
    ckpt = tmp_path / "ckpt"
    model.save_pretrained(ckpt)
    shutil.copy(os.path.join(minilm_dir, "vocab.txt"), ckpt)
    out = tmp_path / "saved" / "1"
    assert main(["export", str(ckpt), str(out), "--max-length", "16", "--quantize", "int8"]) == 0
    assert INT8_OPS <= saved_model_ops(str(out))
    texts = ["a fine day", "ünïcode", "terrible service, never again"]
    served = tf.saved_model.load(str(out)).signatures["serving_default"](text=tf.constant(texts))
    enc = BertTokenizer.from_pretrained(minilm_dir)(texts, padding=True, return_tensors="np")
    int8 = keras_bert.predict_fn(model, ["logits"], quantize="int8")(**enc)["logits"].numpy()
    np.testing.assert_allclose(served["logits"].numpy(), int8, atol=1e-4)
    assert main(["export", str(ckpt), str(tmp_path / "bad" / "1"), "--quantize", "int4"]) == 2
    assert "invalid choice: 'int4'" in capsys.readouterr().err
