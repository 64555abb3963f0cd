"""transformers 4.x `tests/models/bert/test_tokenization_bert_tf.py`, ported to our tokenizers.

Their test loads bert-base-uncased and bert-base-cased from the hub, each with
`use_fast_bert_tokenizer` True and False; here the local MiniLM vocabulary stands in (uncased and
cased), plus google-research/bert's small test vocabulary written in the test. Each check is
theirs: output equality with the Python tokenizer (singles and pairs given as 2-tuples, padding
"longest"), the two pairing styles, graph mode, and a model holding the tokenizer saved and
reloaded; plus padding/truncation to max_length and a SavedModel export.
"""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_bert import BertConfig, TFBertModel
from keras_bert.tokenization import BertTokenizer, TFBertTokenizer
from tests.support.tiny import tiny_config
from tests.support.tokenizer_corpus import REAL_VOCAB_DIR, write_vocab

TEST_SENTENCES = [
    "This is a straightforward English test sentence.",
    "This one has some weird characters\rto\nsee\r\nif  those\u00e9break things.",
    "Now we're going to add some Chinese: 一 二 三 一二三",
    "And some much more rare Chinese: 齉 堃 齉堃",
    "Je vais aussi écrire en français pour tester les accents",
    "Classical Irish also has some unusual characters, so in they go: Gaelaċ, ꝼ",
]
PAIRED_SENTENCES = list(zip(TEST_SENTENCES, TEST_SENTENCES[::-1]))
GOOGLE_VOCAB = ["[UNK]", "[CLS]", "[SEP]", "want", "##want", "##ed", "wa", "un", "runn", "##ing", ",", "low", "lowest"]
CASES = [("uncased", True, True), ("cased", False, True), ("uncased-slow", True, False), ("cased-slow", False, False)]


@pytest.fixture(scope="module", params=CASES, ids=[c[0] for c in CASES])
def tokenizers(request):
    _, lower, fast = request.param
    python = BertTokenizer.from_pretrained(REAL_VOCAB_DIR, do_lower_case=lower)
    layer = TFBertTokenizer.from_pretrained(REAL_VOCAB_DIR, do_lower_case=lower, use_fast_bert_tokenizer=fast)
    return python, layer


def test_output_equivalence(tokenizers):
    python, layer = tokenizers
    for inputs in (TEST_SENTENCES, PAIRED_SENTENCES):
        want = python(inputs, return_tensors="tf", padding="longest")
        got = layer(inputs)
        assert sorted(got) == sorted(want.keys())
        for key in want.keys():
            assert tuple(got[key].shape) == tuple(want[key].shape)
            np.testing.assert_array_equal(got[key].numpy(), tf.cast(want[key], tf.int64).numpy())


def test_golden_ids_and_the_original_python_tokenizer():
    """A recorded vector (MiniLM's vocabulary is bert-base-uncased's) and transformers' original
    Python tokenizer on every sentence, single and paired."""
    from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

    layer = TFBertTokenizer.from_pretrained(REAL_VOCAB_DIR)
    ids = layer(TEST_SENTENCES)["input_ids"].numpy().tolist()
    assert ids[0][:10] == [101, 2023, 2003, 1037, 19647, 2394, 3231, 6251, 1012, 102]
    legacy = BertTokenizerLegacy(os.path.join(REAL_VOCAB_DIR, "vocab.txt"))
    for inputs in (TEST_SENTENCES, PAIRED_SENTENCES):
        want = legacy(inputs, padding="longest", return_tensors="np")
        got = layer(inputs)
        for key in want.keys():
            np.testing.assert_array_equal(got[key], want[key])


def test_different_pairing_styles(tokenizers):
    _, layer = tokenizers
    merged = layer(PAIRED_SENTENCES)
    separated = layer(text=[p[0] for p in PAIRED_SENTENCES], text_pair=[p[1] for p in PAIRED_SENTENCES])
    for key in merged:
        np.testing.assert_array_equal(merged[key], separated[key])


def test_graph_mode(tokenizers):
    _, layer = tokenizers
    compiled = tf.function(layer)
    for inputs in (TEST_SENTENCES, PAIRED_SENTENCES):
        inputs = tf.constant(inputs)
        eager, graph = layer(inputs), compiled(inputs)
        for key in eager:
            np.testing.assert_array_equal(eager[key], graph[key])


@pytest.mark.parametrize("pair", [False, True], ids=["single", "pair"])
def test_padding_and_truncation_to_max_length(tokenizers, pair):
    python, layer = tokenizers
    inputs = PAIRED_SENTENCES if pair else TEST_SENTENCES
    want = python(inputs, padding="max_length", truncation=True, max_length=12, return_tensors="np")
    got = layer(inputs, padding="max_length", max_length=12)
    for key in want.keys():
        assert got[key].shape == (len(inputs), 12)
        np.testing.assert_array_equal(got[key], want[key])


def test_google_vocabulary():
    """google-research/bert tokenization_test.py's vocabulary (no [PAD], no [MASK]) loads."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = write_vocab(tmp, GOOGLE_VOCAB)
        python = BertTokenizer(path)
        layer = TFBertTokenizer(path)
        texts = ["UNwant\u00e9d,running", "unwantedX running", "lowest, low"]
        got = layer(texts)["input_ids"].numpy().tolist()
        assert got[0] == [1, 7, 4, 5, 10, 8, 9, 2]
        assert got[1][:6] == [1, 0, 8, 9, 2, layer.pad_token_id]
        assert got == python(texts, padding=True)["input_ids"]


class ModelToSave(keras.Model):
    """Their test's model: strings in, the tokenizer, a tiny BERT, the pooled output."""

    def __init__(self, tokenizer, **kwargs):
        super().__init__(**kwargs)
        self.tokenizer = tokenizer
        self.bert = TFBertModel(BertConfig(**tiny_config(vocab_size=len(tokenizer.vocab_list))))

    def call(self, inputs):
        tokenized = self.tokenizer(inputs)
        return self.bert(**tokenized)["pooler_output"]


@pytest.mark.slow
def test_saved_model(tmp_path):
    layer = TFBertTokenizer.from_pretrained(REAL_VOCAB_DIR, max_length=48)
    model = ModelToSave(layer)
    inputs = tf.constant(TEST_SENTENCES)
    out = model(inputs)
    path = str(tmp_path / "saved")
    model.export(path)
    assert os.path.isfile(os.path.join(path, "assets", "vocab.txt"))
    reloaded = tf.saved_model.load(path)
    np.testing.assert_allclose(reloaded.serve(inputs), out, atol=1e-5)
