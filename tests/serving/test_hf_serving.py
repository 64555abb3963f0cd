"""Serving the transformers 4.x way: `model.serving`, `serving_output`, `input_signature` and
`save_pretrained(saved_model=True)`, whose SavedModel gives the model's numbers in a fresh
process that imports only TensorFlow."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_bert import BertConfig
from keras_bert.models.lm_heads import TFBertForMaskedLM
from keras_bert.models.task_heads import TFBertForMultipleChoice, TFBertForSequenceClassification
from tests.support.tiny import random_batch, tiny_config

FRESH = textwrap.dedent(
    """
    import json, sys
    import numpy as np, tensorflow as tf
    args = json.loads(sys.argv[1])
    if args["tf_text"]:
        import tensorflow_text  # registers the tokenizer's ops
    loaded = tf.saved_model.load(args["path"])
    results = {}
    for i, (kind, name, inputs) in enumerate(args["runs"]):
        fn = loaded.signatures[name] if kind == "signature" else getattr(loaded, name)
        if kind == "signature":
            if isinstance(inputs, list):  # positional: the signature's input names, in order
                inputs = dict(zip(sorted(fn.structured_input_signature[1]), inputs))
            out = fn(**{k: tf.constant(v, dtype=tf.as_dtype(d)) for k, (v, d) in inputs.items()})
        else:
            out = fn(*[tf.constant(v, dtype=tf.as_dtype(d)) for v, d in inputs])
        if not isinstance(out, dict):
            out = {"output": out}
        results.update({f"{i}/{k}": v.numpy() for k, v in out.items()})
    assert not any(m.startswith("keras_bert") for m in sys.modules), "keras_bert was imported"
    np.savez(args["out"], **results)
    """
)


def run_fresh(path, runs, out, tf_text=False):
    """Runs `runs` [(kind, name, inputs)] on a SavedModel in a new process importing only
    TensorFlow (and tensorflow_text when asked). kind "signature": inputs {name: (values, dtype)}
    or [(values, dtype)] in the order of the signature's sorted input names; kind "attr": inputs
    [(values, dtype)] passed positionally to `loaded.<name>`. Returns {"<run>/<output>": array}."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    args = json.dumps({"path": str(path), "runs": runs, "out": str(out), "tf_text": tf_text})
    res = subprocess.run([sys.executable, "-c", FRESH, args], capture_output=True, text=True, env=env, cwd="/")
    assert res.returncode == 0, res.stderr[-3000:]
    return dict(np.load(str(out) + ".npz"))


def as_inputs(batch, dtype="int32"):
    return {k: (v.tolist(), dtype) for k, v in batch.items()}


def test_serving_matches_the_model_and_drops_what_the_config_does_not_ask_for():
    model = TFBertForSequenceClassification(BertConfig(**tiny_config(num_labels=3)))
    batch = random_batch()
    expected = keras.ops.convert_to_numpy(model(batch).logits)
    out = model.serving(batch)
    assert set(out.keys()) == {"logits"}
    np.testing.assert_allclose(out["logits"].numpy(), expected, rtol=1e-5, atol=1e-6)
    assert model.serving is model.serving  # made once
    assert {k: (v.shape.as_list(), v.dtype) for k, v in model.input_signature.items()} == {
        n: ([None, None], tf.int32) for n in ("input_ids", "attention_mask", "token_type_ids")
    }


def test_serving_output_stacks_hidden_states_and_attentions_when_configured():
    config = BertConfig(**tiny_config(output_hidden_states=True, output_attentions=True))
    model = TFBertForMaskedLM(config)
    batch = random_batch()
    eager = model(batch)
    out = model.serving(batch)
    assert set(out.keys()) == {"logits", "hidden_states", "attentions"}
    hidden = np.stack([keras.ops.convert_to_numpy(h) for h in eager.hidden_states])  # (L + 1, B, T, H)
    np.testing.assert_allclose(out["hidden_states"].numpy(), hidden, rtol=1e-5, atol=1e-6)
    assert out["attentions"].shape == (2, 3, 4, 9, 9)
    quiet = TFBertForMaskedLM(BertConfig(**tiny_config()))
    record = quiet(batch, output_hidden_states=True, output_attentions=True)
    assert set(quiet.serving_output(record).keys()) == {"logits"}


def test_multiple_choice_serves_rank_three_ids():
    model = TFBertForMultipleChoice(BertConfig(**tiny_config()))
    flat = random_batch(batch=6, length=5)
    batch = {k: v.reshape(2, 3, 5) for k, v in flat.items()}
    assert all(spec.shape.as_list() == [None, None, None] for spec in model.input_signature.values())
    np.testing.assert_allclose(
        model.serving(batch)["logits"].numpy(), keras.ops.convert_to_numpy(model(batch).logits), rtol=1e-5, atol=1e-6
    )


@pytest.mark.slow
def test_save_pretrained_saved_model_loads_in_a_tensorflow_only_process(tmp_path):
    model = TFBertForSequenceClassification(BertConfig(**tiny_config(num_labels=3)))
    batch = random_batch()
    expected = keras.ops.convert_to_numpy(model(batch).logits)
    model.save_pretrained(tmp_path / "out", saved_model=True, version=3)
    assert {"config.json", "model.safetensors", "saved_model"} <= set(os.listdir(tmp_path / "out"))
    path = tmp_path / "out" / "saved_model" / "3"
    runs = [
        ("signature", "serving_default", as_inputs(batch, "int32")),
        ("signature", "int64_serving", as_inputs(batch, "int64")),
    ]
    got = run_fresh(path, runs, tmp_path / "fresh")
    np.testing.assert_allclose(got["0/logits"], expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got["1/logits"], expected, rtol=1e-5, atol=1e-5)


def test_tf_saved_model_save_uses_the_serving_signature(tmp_path):
    model = TFBertForSequenceClassification(BertConfig(**tiny_config(num_labels=3)))
    batch = random_batch()
    expected = keras.ops.convert_to_numpy(model(batch).logits)
    tf.saved_model.save(model, str(tmp_path / "sm"))
    loaded = tf.saved_model.load(str(tmp_path / "sm"))
    fn = loaded.signatures["serving_default"]
    assert {k: v.dtype for k, v in fn.structured_input_signature[1].items()} == {
        n: tf.int32 for n in ("input_ids", "attention_mask", "token_type_ids")
    }
    np.testing.assert_allclose(fn(**batch)["logits"].numpy(), expected, rtol=1e-5, atol=1e-6)
