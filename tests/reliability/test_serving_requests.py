"""Hostile requests to an exported SavedModel: scalars, empty batches, wrong ranks and dtypes,
mismatched pairs, hostile strings, bad ids through `serving_ids`.

What TF Serving sends: the REST "instances" form gives a (B,) string tensor; the "inputs" form
gives whatever JSON shape was written, a scalar for `{"inputs": {"text": "..."}}`, (0,) for an
empty list. Neither TF Serving nor the SavedModel signature wrappers check the request's shape
against the declared one, so the graph does: a scalar is a batch of one, an empty batch gives
empty outputs, anything else is refused by name. Accepted requests are compared with the
reference: the Python `BertTokenizer` plus the in-process model (start/end logits, atol 1e-5).
One export (question answering: a pair task) serves every case.
"""

import numpy as np
import pytest
import tensorflow as tf

import keras_bert
from keras_bert.tokenization import BertTokenizer
from tests.support.tiny import tiny_config

MAX_LENGTH = 24
ERRORS = (ValueError, TypeError, tf.errors.InvalidArgumentError)


@pytest.fixture(scope="module")
def served(tmp_path_factory, minilm_dir):
    """(signatures, model, tokenizer): a tiny QA encoder with the real MiniLM vocabulary, exported."""
    tokenizer = BertTokenizer.from_pretrained(minilm_dir)
    config = keras_bert.BertConfig(**tiny_config(vocab_size=tokenizer.vocab_size))
    model = keras_bert.TFBertForQuestionAnswering(config)
    path = keras_bert.export_saved_model(
        model, tokenizer, tmp_path_factory.mktemp("qa") / "qa" / "1", max_length=MAX_LENGTH
    )
    return tf.saved_model.load(path).signatures, model, tokenizer


def reference(model, tokenizer, texts, pairs):
    """Start/end logits of the in-process model on the Python tokenizer's encoding, with mask."""
    enc = tokenizer(texts, pairs, padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="np")
    fn = tf.function(lambda inputs: model(inputs, training=False))
    out = fn({k: tf.constant(v, tf.int32) for k, v in enc.items()})
    return out.start_logits.numpy(), out.end_logits.numpy(), enc["attention_mask"].astype(bool)


def assert_matches_reference(served, got, texts, pairs):
    _, model, tokenizer = served
    decode = [t.decode("utf-8", "replace") if isinstance(t, bytes) else t for t in texts]
    decode_pairs = [t.decode("utf-8", "replace") if isinstance(t, bytes) else t for t in pairs]
    start, end, valid = reference(model, tokenizer, decode, decode_pairs)
    assert got["start_logits"].shape == start.shape, (got["start_logits"].shape, start.shape)
    np.testing.assert_allclose(got["start_logits"].numpy()[valid], start[valid], atol=1e-5)
    np.testing.assert_allclose(got["end_logits"].numpy()[valid], end[valid], atol=1e-5)


LONG = " ".join(["antidisestablishmentarianism"] * 2000)
# name: (text, text_pair) lists sent as (B,) tensors; the answer must equal the reference.
HOSTILE_STRINGS = {
    "empty strings": ([""], [""]),
    "very long text, truncated": ([LONG], ["short question"]),
    "very long pair, truncated": (["short context"], [LONG]),
    "a 300-character word": (["a" * 300], ["b"]),
    "control characters": (["a\x00b\x01c\x07d\x1b\x7fe"], ["\x85\x9f"]),
    "only NULs": (["\x00" * 64], ["\x00"]),
    "lone surrogate bytes": ([b"lone \xed\xa0\x80 surrogate"], [b"\xed\xb0\x80"]),
    "invalid UTF-8": ([b"\xff\xfe bad \xc3"], [b"\x80\x80"]),
    "right-to-left scripts": (["مرحبا بالعالم"], ["שלום עולם"]),
    "right-to-left override": (["\u202egnirts desrever\u202c ok"], ["\u200fmark\u200e"]),
    "stacked combining marks": (["e" + "\u0301" * 50 + " Z\u0335\u0321\u0322"], ["a\u0308\u0301"]),
    "emoji with ZWJ and modifiers": (["👩‍👩‍👧 👍🏽 🇺🇸 ❤️"], ["🙂"]),
    "CJK and full-width": (["北京大学 ｆｕｌｌ ＷＩＤＴＨ"], ["東京タワー"]),
    "special tokens written as text": (["[SEP] [CLS] [MASK] [PAD] [UNK]"], ["x[SEP]y"]),
    "unicode whitespace only": (["\u3000\u2028\u2029 \t\n\r\u00a0"], [" "]),
    "private use and unassigned": (["\ue000\U000f0000\u0378"], ["\ufffe"]),
    "mixed lengths": (["a", "b c d e f g h", ""], ["q", "", "r s"]),
}


@pytest.mark.parametrize("case", list(HOSTILE_STRINGS))
def test_hostile_strings_answer_as_the_reference(served, case):
    texts, pairs = HOSTILE_STRINGS[case]
    got = served[0]["serving_default"](text=tf.constant(texts), text_pair=tf.constant(pairs))
    assert_matches_reference(served, got, texts, pairs)
    assert got["answer"].shape == (len(texts),) and got["answer"].dtype == tf.string


def test_huge_batch_of_empty_strings(served):
    n = 2048
    got = served[0]["serving_default"](text=tf.fill([n], ""), text_pair=tf.fill([n], ""))
    one = served[0]["serving_default"](text=tf.constant([""]), text_pair=tf.constant([""]))
    assert got["start_logits"].shape == (n, 3)  # [CLS] [SEP] [SEP]
    np.testing.assert_allclose(got["start_logits"].numpy(), np.repeat(one["start_logits"].numpy(), n, 0), atol=1e-5)


def test_scalar_text_is_a_batch_of_one(served):
    fn = served[0]["serving_default"]
    got = fn(text=tf.constant("the context"), text_pair=tf.constant("a question"))
    assert_matches_reference(served, got, ["the context"], ["a question"])
    # A scalar pair with a batch of one text, and the other way round.
    mixed = fn(text=tf.constant(["the context"]), text_pair=tf.constant("a question"))
    np.testing.assert_array_equal(mixed["start_logits"], got["start_logits"])


def test_empty_batch_gives_empty_outputs(served):
    got = served[0]["serving_default"](text=tf.constant([], tf.string), text_pair=tf.constant([], tf.string))
    one = served[0]["serving_default"](text=tf.constant(["x"]), text_pair=tf.constant(["y"]))
    for key, value in got.items():
        assert value.shape[0] == 0 and value.dtype == one[key].dtype, (key, value.shape, value.dtype)
        assert value.shape.rank == one[key].shape.rank, key


# name: (text, text_pair, message) refused by the text signature.
BAD_TEXT = {
    "text (B, 1)": ([["a"], ["b"]], ["a", "b"], r"text must be a string or \(batch,\) strings; got shape.*\[2 1\]"),
    "text rank 3": ([[["a"]]], ["a"], r"text must be a string or \(batch,\) strings; got shape.*\[1 1 1\]"),
    "pair (B, 2)": (["a"], [["a", "b"]], r"text_pair must be a string or \(batch,\) strings; got shape.*\[1 2\]"),
    "pair batch larger": (["a", "b"], ["q", "r", "s"], r"text_pair must have the shape of text.*\[3\].*\[2\]"),
    "pair batch smaller": (["a", "b", "c"], ["q"], r"text_pair must have the shape of text.*\[1\].*\[3\]"),
    "scalar pair, two texts": (["a", "b"], "q", r"text_pair must have the shape of text.*\[1\].*\[2\]"),
    "empty pair, one text": (["a"], np.array([], object), r"text_pair must have the shape of text.*\[0\].*\[1\]"),
    "empty text, one pair": (np.array([], object), ["q"], r"text_pair must have the shape of text.*\[1\].*\[0\]"),
}


@pytest.mark.parametrize("case", list(BAD_TEXT))
def test_bad_text_requests_are_refused_by_name(served, case):
    text, pair, message = BAD_TEXT[case]
    with pytest.raises(tf.errors.InvalidArgumentError, match="(?s)" + message):
        served[0]["serving_default"](text=tf.constant(text, tf.string), text_pair=tf.constant(pair, tf.string))


@pytest.mark.parametrize("value", [tf.constant([1, 2]), tf.constant([0.5]), tf.constant([True])], ids=str)
def test_non_string_text_is_refused(served, value):
    with pytest.raises(ERRORS, match="(?s)(string|dtype)"):
        served[0]["serving_default"](text=value, text_pair=tf.constant(["q"]))


IDS = np.array([[101, 2023, 102, 2054, 102], [101, 7592, 102, 102, 0]], "int32")
MASK = (IDS != 0).astype("int32")
TYPES = np.array([[0, 0, 0, 1, 1], [0, 0, 0, 1, 0]], "int32")
# name: (overrides of the valid (ids, mask, types), message)
BAD_IDS = {
    "1-D ids": (dict(input_ids=IDS[0]), r"input_ids must be \(batch, length\); got shape.*\[5\]"),
    "3-D ids": (dict(input_ids=IDS[None]), r"input_ids must be \(batch, length\); got shape.*\[1 2 5\]"),
    "scalar ids": (dict(input_ids=np.int32(101)), r"input_ids must be \(batch, length\); got shape"),
    "1-D mask": (dict(attention_mask=MASK[0]), r"attention_mask must be \(batch, length\)"),
    "3-D token types": (dict(token_type_ids=TYPES[None]), r"token_type_ids must be \(batch, length\)"),
    "negative id": (dict(input_ids=np.where(IDS == 2023, -7, IDS)), r"input_ids holds values outside.*-7"),
    "id = vocab_size": (dict(input_ids=np.where(IDS == 2023, 30522, IDS)), r"input_ids holds values outside.*30522"),
    "token type 5": (dict(token_type_ids=TYPES * 5), "token_type_ids holds values outside"),
    "mask batch": (dict(attention_mask=np.ones((3, 5), "int32")), "attention_mask and input_ids must have matching"),
    "mask length": (dict(attention_mask=np.ones((2, 4), "int32")), "attention_mask and input_ids must have matching"),
    "token types length": (dict(token_type_ids=np.zeros((2, 6), "int32")), "token_type_ids and input_ids must have"),
    "zero-length rows": (
        dict(input_ids=np.zeros((2, 0), "int32"), attention_mask=np.zeros((2, 0), "int32"), token_type_ids=None),
        "input_ids has zero tokens",
    ),
    "too many positions": (
        dict(input_ids=np.ones((1, 65), "int32"), attention_mask=None, token_type_ids=None),
        "more positions than max_position_embeddings=64",
    ),
}


def _ids_request(overrides):
    request = {"input_ids": IDS, "attention_mask": MASK, "token_type_ids": TYPES, **overrides}
    shape = np.shape(request["input_ids"])
    for key in ("attention_mask", "token_type_ids"):
        if request[key] is None:
            request[key] = np.ones(shape, "int32") if key == "attention_mask" else np.zeros(shape, "int32")
    return {k: tf.constant(v, tf.int32) for k, v in request.items()}


@pytest.mark.parametrize("case", list(BAD_IDS))
def test_bad_ids_requests_are_refused_by_name(served, case):
    overrides, message = BAD_IDS[case]
    with pytest.raises(tf.errors.InvalidArgumentError, match="(?s)" + message):
        served[0]["serving_ids"](**_ids_request(overrides))


def test_ids_requests_that_are_valid(served):
    signatures, model, _ = served
    got = signatures["serving_ids"](**_ids_request({}))
    want = model(input_ids=IDS, attention_mask=MASK, token_type_ids=TYPES)
    np.testing.assert_allclose(got["start_logits"], want.start_logits, atol=1e-5)
    np.testing.assert_allclose(got["end_logits"], want.end_logits, atol=1e-5)
    empty = signatures["serving_ids"](
        **_ids_request({"input_ids": np.zeros((0, 5), "int32"), "attention_mask": None, "token_type_ids": None})
    )
    assert empty["start_logits"].shape == (0, 5)
    with pytest.raises(ERRORS, match="(?s)(int32|dtype)"):
        signatures["serving_ids"](
            input_ids=tf.constant(IDS, tf.float32), attention_mask=tf.constant(MASK), token_type_ids=tf.constant(TYPES)
        )


@pytest.mark.slow
def test_multiple_choice_requests(minilm_dir, tmp_path):
    """Multiple choice takes (B, C) texts; (C,) is one question; other ranks and pairs of
    another shape are refused (in-process module: the same graph functions that are exported)."""
    from keras_bert.serving.export import ServingModule, _as_tf_tokenizer

    tokenizer = BertTokenizer.from_pretrained(minilm_dir)
    config = keras_bert.BertConfig(**tiny_config(vocab_size=tokenizer.vocab_size))
    model = keras_bert.TFBertForMultipleChoice(config)
    module = ServingModule(model, _as_tf_tokenizer(tokenizer, MAX_LENGTH), "multiple-choice", str(tmp_path))
    texts = [["the sky is", "the sky is"], ["grass is", "grass is"]]
    pairs = [["blue", "green"], ["red", "green"]]
    got = module.serve_text(tf.constant(texts), tf.constant(pairs))["logits"].numpy()
    flat = tokenizer(sum(texts, []), sum(pairs, []), padding=True, return_tensors="np")
    want = model({k: v.reshape(2, 2, -1).astype("int32") for k, v in flat.items()}).logits.numpy()
    np.testing.assert_allclose(got, want, atol=1e-5)
    one = module.serve_text(tf.constant(texts[0]), tf.constant(pairs[0]))["logits"].numpy()
    np.testing.assert_allclose(one, got[:1], atol=1e-5)
    empty = module.serve_text(tf.zeros([0, 2], tf.string), tf.zeros([0, 2], tf.string))["logits"]
    assert empty.shape == (0, 2)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"text must be \(batch, choices\) strings"):
        module.serve_text(tf.constant([texts]), tf.constant([pairs]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="text_pair must have the shape of text"):
        module.serve_text(tf.constant(texts), tf.constant([["a", "b", "c"], ["d", "e", "f"]]))
