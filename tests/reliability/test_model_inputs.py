"""Hostile model inputs: every bad id, dtype, shape or length is refused with the input named,
eagerly, inside `tf.function` (shapes unknown at trace time) and through `predict_fn`; the
edge cases that are valid (an empty batch, an explicit (B, T, S) mask, other integer dtypes)
give the same numbers as the plain call.

References: transformers 4.x TF refused ids >= vocab_size; transformers (torch) refuses any id
outside the embedding table, float ids and mismatched shapes; an empty sequence has no [CLS]
to pool. Expected messages are regular expressions over the error text.
"""

import numpy as np
import pytest
import tensorflow as tf

import keras_bert
from tests.support.tiny import tiny_config

IDS = np.array([[5, 6, 7, 8], [9, 10, 0, 0]], "int32")  # (2, 4)
MASK = np.array([[1, 1, 1, 1], [1, 1, 0, 0]], "int32")
ERRORS = (ValueError, TypeError, tf.errors.InvalidArgumentError)


def ids(*values, dtype="int32"):
    return np.array([values], dtype)


# name: (keyword inputs, regular expression the error must match)
BAD = {
    "negative id": (dict(input_ids=ids(5, -1, 7)), r"input_ids holds values outside \[0, vocab_size=99\).*-1"),
    "id = vocab_size": (dict(input_ids=ids(5, 99)), r"input_ids holds values outside \[0, vocab_size=99\).*99"),
    "id far too large int64": (dict(input_ids=ids(5, 2**40, dtype="int64")), "input_ids holds values outside"),
    "int32 minimum id": (dict(input_ids=ids(5, -(2**31))), "input_ids holds values outside"),
    "float32 ids": (dict(input_ids=IDS.astype("float32")), "input_ids must hold integers, got dtype float32"),
    "float16 ids": (dict(input_ids=IDS.astype("float16")), "input_ids must hold integers, got dtype float16"),
    "float list ids": (dict(input_ids=[[1.0, 2.0]]), "input_ids must hold integers, got dtype float64"),
    "bool ids": (dict(input_ids=IDS.astype(bool)), "input_ids must hold integers, got dtype bool"),
    "string ids": (dict(input_ids=np.array([["5", "6"]])), "input_ids must hold integers, got dtype string"),
    "ragged list ids": (dict(input_ids=[[1, 2, 3], [1]]), "input_ids is not a rectangular array"),
    "scalar ids": (dict(input_ids=5), r"input_ids must have rank 2 \(batch, length\), got shape \(\)"),
    "1-D ids": (dict(input_ids=IDS[0]), r"input_ids must have rank 2 \(batch, length\), got shape \(4\)"),
    "3-D ids": (dict(input_ids=IDS[None]), r"input_ids must have rank 2 \(batch, length\), got shape \(1, 2, 4\)"),
    "4-D ids": (dict(input_ids=IDS[None, None]), r"input_ids must have rank 2.*\(1, 1, 2, 4\)"),
    "zero-length rows": (dict(input_ids=np.zeros((2, 0), "int32")), r"input_ids has shape \(2, 0\).*at least one"),
    "zero-length, zero rows": (dict(input_ids=np.zeros((0, 0), "int32")), r"input_ids has shape \(0, 0\)"),
    "too many positions": (dict(input_ids=np.ones((1, 65), "int32")), "65 positions.*max_position_embeddings=64"),
    "mask batch larger": (dict(input_ids=IDS, attention_mask=np.ones((3, 4), "int32")), r"attention_mask.*\(3, 4\)"),
    "mask batch 1 (would broadcast)": (
        dict(input_ids=IDS, attention_mask=np.ones((1, 4), "int32")),
        r"attention_mask has shape \(1, 4\) but input_ids has shape \(2, 4\)",
    ),
    "mask longer": (dict(input_ids=IDS, attention_mask=np.ones((2, 5), "int32")), r"attention_mask.*\(2, 5\)"),
    "mask shorter": (dict(input_ids=IDS, attention_mask=np.ones((2, 3), "int32")), r"attention_mask.*\(2, 3\)"),
    "mask rank 1": (
        dict(input_ids=IDS, attention_mask=np.ones((4,), "int32")),
        r"attention_mask has shape \(4\).*rank 2 .*or 3",
    ),
    "mask rank 4": (dict(input_ids=IDS, attention_mask=np.ones((2, 1, 1, 4), "int32")), r"attention_mask.*rank 2"),
    "mask of strings": (
        dict(input_ids=IDS, attention_mask=np.array([["1"] * 4] * 2)),
        "attention_mask must hold 0/1 numbers or booleans, got dtype string",
    ),
    "explicit mask, bad key axis": (
        dict(input_ids=IDS, attention_mask=np.ones((2, 4, 5), "int32")),
        r"attention_mask has shape \(2, 4, 5\).*explicit mask",
    ),
    "explicit mask, bad query axis": (
        dict(input_ids=IDS, attention_mask=np.ones((2, 3, 4), "int32")),
        r"attention_mask has shape \(2, 3, 4\)",
    ),
    "explicit mask, bad batch": (
        dict(input_ids=IDS, attention_mask=np.ones((1, 4, 4), "int32")),
        r"attention_mask has shape \(1, 4, 4\)",
    ),
    "token type 2": (
        dict(input_ids=IDS, token_type_ids=np.full((2, 4), 2, "int32")),
        r"token_type_ids holds values outside \[0, type_vocab_size=2\)",
    ),
    "token type -1": (dict(input_ids=IDS, token_type_ids=np.full((2, 4), -1, "int32")), "token_type_ids holds values"),
    "token types shorter": (dict(input_ids=IDS, token_type_ids=np.zeros((2, 3), "int32")), r"token_type_ids.*\(2, 3\)"),
    "token types batch": (dict(input_ids=IDS, token_type_ids=np.zeros((1, 4), "int32")), r"token_type_ids.*\(1, 4\)"),
    "float token types": (
        dict(input_ids=IDS, token_type_ids=np.zeros((2, 4), "float32")),
        "token_type_ids must hold integers, got dtype float32",
    ),
    "position 64": (
        dict(input_ids=IDS, position_ids=np.full((2, 4), 64, "int32")),
        r"position_ids holds values outside \[0, max_position_embeddings=64\)",
    ),
    "position -1": (dict(input_ids=IDS, position_ids=np.full((2, 4), -1, "int32")), "position_ids holds values"),
    "positions shorter": (dict(input_ids=IDS, position_ids=np.zeros((2, 3), "int32")), r"position_ids.*\(2, 3\)"),
    "float positions": (
        dict(input_ids=IDS, position_ids=np.zeros((2, 4), "float64")),
        "position_ids must hold integers, got dtype float64",
    ),
    "embeds rank 2": (
        dict(inputs_embeds=np.zeros((2, 32), "float32")),
        r"inputs_embeds must have rank 2 \(batch, length\), got shape \(2, 32\)",
    ),
    "embeds zero-length": (
        dict(inputs_embeds=np.zeros((2, 0, 32), "float32")),
        r"inputs_embeds has shape \(2, 0, 32\)",
    ),
}


@pytest.fixture(scope="module")
def model():
    m = keras_bert.TFBertForSequenceClassification(keras_bert.BertConfig(**tiny_config()))
    m(input_ids=IDS)  # built before any test traces it
    return m


@pytest.mark.parametrize("case", list(BAD))
def test_eager_refuses_by_name(model, case):
    inputs, message = BAD[case]
    with pytest.raises(ERRORS, match="(?s)" + message):
        model(**inputs)


INT = tf.TensorSpec([None, None], tf.int32)
# Shapes unknown when traced: the same refusals come from assertions inside the graph.
GRAPH_BAD = {
    "negative id": (ids(5, -3), None, r"input_ids holds values outside.*\[-3\]"),
    "id too large": (ids(5, 500), None, r"input_ids holds values outside.*\[500\]"),
    "zero-length rows": (np.zeros((2, 0), "int32"), None, "input_ids has zero tokens per sequence"),
    "mask batch": (ids(5, 6), np.ones((3, 2), "int32"), "attention_mask and input_ids must have matching shapes"),
    "mask batch 1 under 2 rows": (
        np.ones((2, 2), "int32"),
        np.ones((1, 2), "int32"),
        "attention_mask and input_ids must have matching shapes",
    ),
    "mask length": (ids(5, 6), np.ones((1, 3), "int32"), "attention_mask and input_ids must have matching shapes"),
    "too many positions": (np.ones((1, 70), "int32"), None, "more positions than max_position_embeddings=64"),
}


@pytest.fixture(scope="module")
def graph_fn(model):
    fn = tf.function(
        lambda i, m: model(input_ids=i, attention_mask=m).logits, input_signature=[INT, INT], reduce_retracing=True
    )
    fn(IDS, MASK)
    return fn


@pytest.mark.parametrize("case", list(GRAPH_BAD))
def test_graph_refuses_by_name(model, graph_fn, case):
    input_ids, mask, message = GRAPH_BAD[case]
    mask = np.ones(input_ids.shape, "int32") if mask is None else mask
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        graph_fn(input_ids, mask)
    assert graph_fn.experimental_get_tracing_count() == 1  # one graph, checked at run time


def test_graph_refuses_explicit_mask_shape(model):
    spec3 = tf.TensorSpec([None, None, None], tf.int32)
    fn = tf.function(lambda i, m: model(input_ids=i, attention_mask=m).logits, input_signature=[INT, spec3])
    full = np.broadcast_to(MASK[:, None, :], (2, 4, 4)).astype("int32")
    np.testing.assert_allclose(fn(IDS, full), model(input_ids=IDS, attention_mask=MASK).logits, atol=1e-6)
    for bad in (np.ones((2, 4, 5), "int32"), np.ones((2, 3, 4), "int32"), np.ones((1, 4, 4), "int32")):
        with pytest.raises(tf.errors.InvalidArgumentError, match="attention_mask and input_ids must have matching"):
            fn(IDS, bad)


PREDICT_BAD = {
    "negative id": ((ids(5, -1),), tf.errors.InvalidArgumentError, "input_ids holds values outside"),
    "id too large": ((ids(5, 99),), tf.errors.InvalidArgumentError, "input_ids holds values outside"),
    "float ids": ((IDS.astype("float32"),), (TypeError, ValueError), "input_ids"),
    "zero-length rows": ((np.zeros((2, 0), "int32"),), ERRORS, "input_ids has (zero tokens|shape)"),
    "mask batch": ((IDS, np.ones((3, 4), "int32")), ERRORS, "attention_mask"),
    "1-D ids": ((IDS[0],), ERRORS, "input_ids"),
}


@pytest.mark.parametrize("case", list(PREDICT_BAD))
def test_predict_fn_refuses_by_name(model, case):
    args, error, message = PREDICT_BAD[case]
    fn = keras_bert.predict_fn(model)
    with pytest.raises(error, match=message):
        fn(*args)


def test_valid_edges_give_the_plain_numbers(model):
    plain = model(input_ids=IDS, attention_mask=MASK).logits.numpy()
    # Other integer dtypes and Python lists: the same ids, the same answer.
    for dtype in ("int64", "int16", "uint8"):
        np.testing.assert_array_equal(model(input_ids=IDS.astype(dtype), attention_mask=MASK).logits, plain)
    np.testing.assert_array_equal(model(input_ids=IDS.tolist(), attention_mask=MASK.tolist()).logits, plain)
    # An explicit (B, T, S) mask and a (B, 1, S) one equal the (B, S) mask they spell out.
    full = np.broadcast_to(MASK[:, None, :], (2, 4, 4))
    np.testing.assert_allclose(model(input_ids=IDS, attention_mask=full).logits, plain, atol=1e-6)
    np.testing.assert_allclose(model(input_ids=IDS, attention_mask=MASK[:, None, :]).logits, plain, atol=1e-6)
    # Boolean and float masks are masks.
    np.testing.assert_allclose(model(input_ids=IDS, attention_mask=MASK.astype(bool)).logits, plain, atol=1e-6)
    np.testing.assert_allclose(model(input_ids=IDS, attention_mask=MASK.astype("float32")).logits, plain, atol=1e-6)
    # An empty batch is valid: no rows, the right trailing shape.
    empty = model(input_ids=np.zeros((0, 4), "int32")).logits
    assert tuple(empty.shape) == (0, 2) and empty.dtype == plain.dtype


@pytest.fixture(scope="module")
def multiple_choice():
    m = keras_bert.TFBertForMultipleChoice(keras_bert.BertConfig(**tiny_config()))
    m(input_ids=np.ones((1, 2, 3), "int32"))
    return m


MC_BAD = {
    "2-D ids": (dict(input_ids=IDS), r"input_ids must have rank 3 \(batch, choices, length\), got shape \(2, 4\)"),
    "4-D ids": (dict(input_ids=np.ones((1, 2, 3, 4), "int32")), r"rank 3 \(batch, choices, length\)"),
    "zero-length choices": (dict(input_ids=np.ones((2, 3, 0), "int32")), r"input_ids has shape \(2, 3, 0\)"),
    "id too large": (dict(input_ids=np.full((2, 3, 4), 120, "int32")), "input_ids holds values outside"),
    "mask choices": (
        dict(input_ids=np.ones((2, 3, 4), "int32"), attention_mask=np.ones((2, 2, 4), "int32")),
        r"attention_mask has shape \(2, 2, 4\) but input_ids has shape \(2, 3, 4\)",
    ),
    "mask length": (
        dict(input_ids=np.ones((2, 3, 4), "int32"), attention_mask=np.ones((2, 3, 5), "int32")),
        r"attention_mask has shape \(2, 3, 5\)",
    ),
}


@pytest.mark.parametrize("case", list(MC_BAD))
def test_multiple_choice_refuses_by_name(multiple_choice, case):
    inputs, message = MC_BAD[case]
    with pytest.raises(ERRORS, match="(?s)" + message):
        multiple_choice(**inputs)
