"""TFBertTokenizer's transformers 4.x API: constructor, call forms, per-call options, checks.

Expected ids come from our `BertTokenizer` and transformers' `BertTokenizerLegacy` (the original
Python tokenizer) on the same texts and options.
"""

import os
import re

import keras
import numpy as np
import pytest
import tensorflow as tf
from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

from keras_bert.tokenization import BertTokenizer, TFBertTokenizer
from keras_bert.tokenization.tf_options import check_max_length
from tests.support.tokenizer_corpus import REAL_VOCAB_DIR, SENTENCES, seeded_corpus, write_vocab

VOCAB = os.path.join(REAL_VOCAB_DIR, "vocab.txt")
TEXTS = SENTENCES + seeded_corpus(40, seed=7)
PAIRS = TEXTS[::-1]
# google-research/bert tokenization_test.py's vocabulary: no [PAD], no [MASK].
GOOGLE_VOCAB = ["[UNK]", "[CLS]", "[SEP]", "want", "##want", "##ed", "wa", "un", "runn", "##ing", ",", "low", "lowest"]


@pytest.fixture(scope="module")
def py():
    return BertTokenizer(VOCAB)


@pytest.fixture(scope="module")
def layer(py):
    return TFBertTokenizer.from_tokenizer(py)


def _tokens():
    with open(VOCAB, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def _padded(rows, width, pad=0):
    return np.asarray([list(r) + [pad] * (width - len(r)) for r in rows])


def test_transformers_constructor_from_vocab_list(py, layer):
    tokens = _tokens()
    tf_tok = TFBertTokenizer(tokens, True)  # transformers: (vocab_list, do_lower_case)
    assert (tf_tok.cls_token_id, tf_tok.sep_token_id, tf_tok.pad_token_id) == (101, 102, 0)
    assert tf_tok.vocab_list == tokens and tf_tok.max_length == 512 and tf_tok.padding == "longest"
    got = tf_tok(TEXTS)
    want = py(TEXTS, padding=True)
    assert list(got) == ["input_ids", "attention_mask", "token_type_ids"]  # transformers' keys and order
    assert all(v.dtype == tf.int64 for v in got.values())
    for key in got:
        np.testing.assert_array_equal(got[key], want[key])
    # Explicit ids are used to frame and pad; use_fast_bert_tokenizer is accepted either way.
    custom = TFBertTokenizer(tokens, do_lower_case=True, pad_token_id=7, use_fast_bert_tokenizer=False)
    out = custom(["hello", "hello world again"])["input_ids"].numpy()
    assert out.tolist() == [[101, 7592, 102, 7, 7], [101, 7592, 2088, 2153, 102]]
    with pytest.raises(ValueError, match="pad_token_id must be an id in"):
        TFBertTokenizer(tokens, pad_token_id=len(tokens))


def test_vocabulary_without_pad_and_mask_loads(tmp_path):
    path = write_vocab(tmp_path, GOOGLE_VOCAB)
    legacy = BertTokenizerLegacy(path)
    tf_tok = TFBertTokenizer(path)
    # transformers registers the missing tokens after the vocabulary: [PAD] 13, [MASK] 14.
    assert (tf_tok.pad_token_id, tf_tok.mask_token_id) == (legacy.pad_token_id, legacy.mask_token_id) == (13, 14)
    texts = ["UNwant\u00e9d,running", "a", "lowest [MASK] [PAD] low"]
    want = legacy(texts, padding=True)["input_ids"]
    assert want[0] == [1, 7, 4, 5, 10, 8, 9, 2]  # google's golden vector, framed
    assert tf_tok(texts)["input_ids"].numpy().tolist() == want
    assert TFBertTokenizer(GOOGLE_VOCAB, do_lower_case=True)(texts)["input_ids"].numpy().tolist() == want
    ours = BertTokenizer(path)
    assert ours(texts, padding=True)["input_ids"] == want
    assert TFBertTokenizer.from_tokenizer(ours)(texts)["input_ids"].numpy().tolist() == want


def test_call_forms_agree(layer, py):
    """Lists, tuples, NumPy arrays, tensors, keywords; pairs as two inputs, 2-tuples or (B, 2)."""
    want = layer(tf.constant(TEXTS), tf.constant(PAIRS))
    forms = [
        layer(TEXTS, PAIRS),
        layer(text=TEXTS, text_pair=PAIRS),
        layer(list(zip(TEXTS, PAIRS))),
        layer(tf.constant(list(zip(TEXTS, PAIRS)))),
        layer(np.array(list(zip(TEXTS, PAIRS)))),
        layer(tuple(TEXTS), np.array(PAIRS, dtype=object)),
    ]
    for got in forms:
        for key in want:
            np.testing.assert_array_equal(got[key], want[key])
    ref = py(TEXTS, PAIRS, padding=True)
    for key in want:
        np.testing.assert_array_equal(want[key], _padded(ref[key], want[key].shape[1]))
    single = layer("Hello world!")["input_ids"].numpy().tolist()
    assert single == [py("Hello world!")["input_ids"]] == [[101, 7592, 2088, 999, 102]]
    with pytest.raises(ValueError, match=r"shape \(batch, 2\)"):
        layer(tf.constant([["a", "b", "c"]]))
    with pytest.raises(ValueError, match="text must be a \\(batch,\\) string tensor when text_pair is given"):
        layer(tf.constant([["a", "b"]]), ["c"])
    with pytest.raises(ValueError, match=r"text\[1\] must hold strings, got int"):
        layer(["a", 3])
    with pytest.raises(ValueError, match="dtype int32"):
        layer(tf.constant([1, 2]))


@pytest.mark.parametrize(
    "options",
    [
        dict(max_length=9, padding="max_length"),
        dict(max_length=16, truncation="only_second", pad_to_multiple_of=8),
        dict(max_length=7, truncation=False, padding="max_length"),
        dict(max_length=12, truncation="only_first", return_token_type_ids=False),
        dict(return_attention_mask=False, pad_to_multiple_of=8),
    ],
    ids=["max_length", "only_second_multiple", "no_truncation", "only_first", "no_mask"],
)
def test_per_call_options_override_the_constructor(layer, py, options):
    graph = tf.function(lambda a, b: layer(a, b, **options))
    got = layer(TEXTS, PAIRS, **options)
    ref_opts = dict(options)
    ref_opts["padding"] = ref_opts.get("padding", True)
    ref_opts.setdefault("truncation", True)
    ref_opts.setdefault("max_length", 512)
    ref = py(TEXTS, PAIRS, **ref_opts)
    names = ["input_ids"]
    names += ["attention_mask"] if options.get("return_attention_mask", True) else []
    names += ["token_type_ids"] if options.get("return_token_type_ids", True) else []
    assert list(got) == names
    width = got["input_ids"].shape[1]
    longest = max(len(r) for r in ref["input_ids"])
    multiple = options.get("pad_to_multiple_of") or 1
    least = options["max_length"] if options.get("padding") == "max_length" else 0
    assert width == -(-max(longest, least) // multiple) * multiple
    for key in names:
        np.testing.assert_array_equal(got[key], _padded(ref[key], width))
    for key, value in graph(tf.constant(TEXTS), tf.constant(PAIRS)).items():
        np.testing.assert_array_equal(value, got[key])
    # The layer's own settings are untouched by a call's options.
    assert (layer.max_length, layer.padding, layer.truncation) == (512, "longest", True)


@pytest.mark.parametrize("bad", [0, -1, 1, 2.5, "8", True])
def test_invalid_lengths_refused(layer, bad):
    with pytest.raises(ValueError, match=f"max_length.*{re.escape(repr(bad))}"):
        TFBertTokenizer(VOCAB, max_length=bad)
    with pytest.raises(ValueError, match="max_length"):
        layer(["a"], max_length=bad)


def test_length_checks_for_pairs_and_models(layer):
    assert layer(["a b c"], max_length=2)["input_ids"].numpy().tolist() == [[101, 102]]
    with pytest.raises(ValueError, match="max_length=2 is too small: it must be at least 3"):
        layer(["a"], ["b"], max_length=2)
    assert layer(["a b c"], ["d e"], max_length=3)["input_ids"].numpy().tolist() == [[101, 102, 102]]
    with pytest.raises(ValueError, match="padding='max_length' needs max_length"):
        TFBertTokenizer(VOCAB, padding="max_length", max_length=None)
    with pytest.raises(ValueError, match="padding must be 'longest' or 'max_length', got 'left'"):
        layer(["a"], padding="left")
    with pytest.raises(ValueError, match="truncation must be one of"):
        layer(["a"], truncation="both")
    with pytest.raises(ValueError, match=r"max_length \(9\) is not a multiple of pad_to_multiple_of \(4\)"):
        layer(["a"], max_length=9, pad_to_multiple_of=4)
    with pytest.raises(ValueError, match="pad_to_multiple_of must be a positive int or None, got 0"):
        TFBertTokenizer(VOCAB, pad_to_multiple_of=0)
    assert check_max_length(512, 512) == 512 and check_max_length(None, 512) is None
    assert check_max_length(np.int64(3), pair=True) == 3
    with pytest.raises(ValueError, match="max_length=513 exceeds the model's max_position_embeddings=512"):
        check_max_length(513, 512)
    with pytest.raises(ValueError, match="at least 3"):
        check_max_length(2, 512, pair=True)


def test_lone_surrogates_and_bad_bytes_as_the_reference(layer, py):
    texts = ["a\ud800b caf\u00e9", "\udfff", "x \ud83d\ude00 y"]
    got = layer(texts)["input_ids"].numpy()
    want = py(texts, padding=True)["input_ids"]
    np.testing.assert_array_equal(got, want)
    assert want[1] == [101, 102, 0, 0]  # the surrogate alone is dropped: an empty text


def test_from_config_of_a_vocab_list_layer_and_keras_save(tmp_path, py):
    tf_tok = TFBertTokenizer(_tokens(), do_lower_case=False, max_length=16, padding="max_length")
    clone = TFBertTokenizer.from_config(tf_tok.get_config())
    for key, value in tf_tok(TEXTS, PAIRS).items():
        np.testing.assert_array_equal(clone(TEXTS, PAIRS)[key], value)
    cased = BertTokenizer(VOCAB, do_lower_case=False)
    want = cased(TEXTS, PAIRS, max_length=16, padding="max_length", truncation=True)["input_ids"]
    np.testing.assert_array_equal(tf_tok(TEXTS, PAIRS)["input_ids"], want)
    inp = keras.Input(shape=(2,), dtype="string")  # (text, text_pair) columns
    model = keras.Model(inp, tf_tok(inp))
    path = str(tmp_path / "pairs.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    got = restored(tf.constant(list(zip(TEXTS, PAIRS))))
    np.testing.assert_array_equal(got["input_ids"], want)


def test_from_tokenizer_fast_and_overrides():
    from keras_bert.tokenization import BertTokenizerFast

    fast = BertTokenizerFast.from_pretrained(REAL_VOCAB_DIR)
    tf_tok = TFBertTokenizer.from_tokenizer(fast, do_lower_case=False, max_length=10)
    assert not tf_tok.do_lower_case and tf_tok.max_length == 10
    want = BertTokenizer(VOCAB, do_lower_case=False)(TEXTS, padding=True, truncation=True, max_length=10)
    np.testing.assert_array_equal(tf_tok(TEXTS)["input_ids"], want["input_ids"])


def test_from_tokenizer_refuses_added_tokens_it_cannot_reproduce(py):
    tokenizer = BertTokenizer(VOCAB)
    tokenizer.add_tokens(["newword"])
    with pytest.raises(ValueError, match="added or additional special tokens \\['newword'\\]"):
        TFBertTokenizer.from_tokenizer(tokenizer)
    special = BertTokenizer(VOCAB, additional_special_tokens=["[E1]"])
    with pytest.raises(ValueError, match="E1"):
        TFBertTokenizer.from_tokenizer(special)
    TFBertTokenizer.from_tokenizer(py)  # the five special tokens alone are fine
