"""Bad ids, dtypes and shapes are refused with the input named: eagerly, in `tf.function`,
through `predict_fn` and through an exported SavedModel's `serving_ids` signature.

References: transformers 4.x TF raised on ids >= vocab_size; transformers (torch) raises on any id
outside the embedding table and on mismatched shapes. Valid inputs give the same numbers with the
checks on and off (the checks never change a result).
"""

import numpy as np
import pytest
import tensorflow as tf

import keras_bert
from keras_bert.tokenization import BertTokenizer
from tests.support.tiny import tiny_config

IDS = np.array([[5, 6, 7, 8], [9, 10, 0, 0]], "int32")
MASK = np.array([[1, 1, 1, 1], [1, 1, 0, 0]], "int32")
BAD = {
    "negative id": (dict(input_ids=np.array([[5, -1, 7, 8]], "int32")), "input_ids.*-1"),
    "id too large": (dict(input_ids=np.array([[5, 99, 7, 8]], "int32")), "input_ids.*vocab_size=99"),
    "float ids": (dict(input_ids=IDS.astype("float32")), "input_ids must hold integers.*float32"),
    "mask batch": (dict(input_ids=IDS[:1], attention_mask=np.ones((3, 4), "int32")), r"attention_mask.*\(3, 4\)"),
    "mask length": (dict(input_ids=IDS, attention_mask=np.ones((2, 5), "int32")), r"attention_mask.*\(2, 5\)"),
    "token types": (dict(input_ids=IDS, token_type_ids=np.full((2, 4), 2, "int32")), "token_type_ids.*2"),
    "token type shape": (dict(input_ids=IDS, token_type_ids=np.zeros((2, 3), "int32")), "token_type_ids"),
    "float token types": (dict(input_ids=IDS, token_type_ids=np.zeros((2, 4), "float32")), "token_type_ids"),
    "rank 1": (dict(input_ids=IDS[0]), "input_ids must have rank 2"),
    "rank 3": (dict(input_ids=IDS[None]), "input_ids must have rank 2"),
    "too long": (dict(input_ids=np.ones((1, 65), "int32")), "max_position_embeddings=64"),
}


@pytest.fixture(scope="module")
def model():
    return keras_bert.TFBertForSequenceClassification(keras_bert.BertConfig(**tiny_config()))


@pytest.mark.parametrize("case", list(BAD))
def test_eager_refuses(model, case):
    inputs, message = BAD[case]
    with pytest.raises((ValueError, TypeError, tf.errors.InvalidArgumentError), match="(?s)" + message):
        model(**inputs)


def test_graph_refuses_values_and_shapes(model):
    model(input_ids=IDS)  # variables exist before tracing
    spec = tf.TensorSpec([None, None], tf.int32)
    fn = tf.function(lambda i, m: model(input_ids=i, attention_mask=m).logits, input_signature=[spec, spec])
    fn(IDS, MASK)  # traced once with unknown shapes: the checks run inside the graph
    for ids, mask, message in (
        (np.array([[5, -3]], "int32"), np.ones((1, 2), "int32"), r"input_ids.*\[-3\]"),
        (np.array([[5, 500]], "int32"), np.ones((1, 2), "int32"), r"input_ids.*\[500\]"),
        (np.array([[5, 6]], "int32"), np.ones((3, 2), "int32"), "attention_mask and input_ids"),
        (np.array([[5, 6]], "int32"), np.ones((1, 3), "int32"), "attention_mask and input_ids"),
    ):
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            fn(ids, mask)
    assert fn.experimental_get_tracing_count() == 1
    floats = tf.function(lambda i: model(input_ids=i).logits)
    with pytest.raises(TypeError, match="input_ids must hold integers"):
        floats(tf.constant(IDS, tf.float32))


def test_predict_fn_refuses(model):
    fn = keras_bert.predict_fn(model)
    np.testing.assert_allclose(fn(IDS, MASK)["logits"], model(input_ids=IDS, attention_mask=MASK).logits, atol=1e-5)
    with pytest.raises(tf.errors.InvalidArgumentError, match="input_ids"):
        fn(np.array([[5, -1]], "int32"))
    with pytest.raises(tf.errors.InvalidArgumentError, match="input_ids"):
        fn(np.array([[5, 99]], "int32"))
    with pytest.raises((TypeError, ValueError), match="input_ids"):
        fn(IDS.astype("float32"))
    with pytest.raises((ValueError, tf.errors.InvalidArgumentError), match="attention_mask"):
        fn(IDS, np.ones((3, 4), "int32"))


def test_checks_change_no_number(model):
    unchecked = keras_bert.TFBertForSequenceClassification(model.config)
    unchecked.build()
    unchecked.set_weights(model.get_weights())
    unchecked.check_inputs = False
    np.testing.assert_array_equal(
        model(input_ids=IDS, attention_mask=MASK).logits, unchecked(input_ids=IDS, attention_mask=MASK).logits
    )
    # The switch really removes the check: an out-of-range id is looked up (CPU TF raises its own
    # error from the gather, with no input name) instead of being refused by name.
    with pytest.raises(Exception) as raised:
        unchecked(input_ids=np.array([[5, 99]], "int32"))
    assert "input_ids holds values" not in str(raised.value)


def test_multiple_choice_rank(tmp_path):
    config = keras_bert.BertConfig(**tiny_config())
    mc = keras_bert.TFBertForMultipleChoice(config)
    assert mc(input_ids=np.ones((2, 3, 4), "int32")).logits.shape == (2, 3)
    with pytest.raises(ValueError, match=r"rank 3 \(batch, choices, length\)"):
        mc(input_ids=IDS)
    with pytest.raises(tf.errors.InvalidArgumentError, match="input_ids"):
        mc(input_ids=np.full((2, 3, 4), 120, "int32"))


@pytest.mark.slow
def test_saved_model_serving_ids_refuses(tmp_path, minilm_dir):
    tokenizer = BertTokenizer.from_pretrained(minilm_dir)
    config = keras_bert.BertConfig(**tiny_config(vocab_size=tokenizer.vocab_size))
    model = keras_bert.TFBertForSequenceClassification(config)
    path = keras_bert.export_saved_model(model, tokenizer, tmp_path / "m" / "1", max_length=32)
    serve = tf.saved_model.load(path).signatures["serving_ids"]
    ok = serve(input_ids=tf.constant(IDS), attention_mask=tf.constant(MASK), token_type_ids=tf.zeros_like(IDS))
    np.testing.assert_allclose(
        ok["logits"].numpy(), model(input_ids=IDS, attention_mask=MASK).logits.numpy(), atol=1e-5
    )
    for ids, mask, message in (
        (np.array([[5, -1]], "int32"), np.ones((1, 2), "int32"), "input_ids"),
        (np.array([[5, tokenizer.vocab_size]], "int32"), np.ones((1, 2), "int32"), "input_ids"),
        (np.array([[5, 6]], "int32"), np.ones((3, 2), "int32"), "attention_mask"),
    ):
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            serve(input_ids=tf.constant(ids), attention_mask=tf.constant(mask), token_type_ids=tf.zeros_like(ids))
    with pytest.raises((TypeError, ValueError, tf.errors.InvalidArgumentError), match="int32"):
        serve(
            input_ids=tf.constant(IDS, tf.float32), attention_mask=tf.constant(MASK), token_type_ids=tf.zeros_like(IDS)
        )
