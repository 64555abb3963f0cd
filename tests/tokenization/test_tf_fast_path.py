"""TFBertTokenizer's fast path (tf_fast_path): rows and words it takes equal BertTokenizer's ids.

The reference is the pure-Python BertTokenizer on the real MiniLM vocabulary; every comparison is
exact (ids, token types, attention mask). Router tests pin which strings take the FastBertTokenizer
op, so that an equality test cannot pass by sending everything down the exact pipeline.
"""

import random

import numpy as np
import pytest
import tensorflow as tf

from keras_bert.tokenization import BertTokenizer, TFBertTokenizer, tf_fast_path, tf_fast_safe, tf_fast_tables

ASCII_WORDS = (
    "the of and to in is was for on that with as by at from his it an were are which this be or has had not "
    "first one their its new after but who they have two her she been other when there all during into school "
    "Time May Years MORE most only over city some world would where , . ! ? ( ) - ' \" 42 3.14 e-mail don't"
).split()
# Accents, CJK, Korean, Greek, Cyrillic, typographic punctuation; Straße, ΌΣΟΣ and the ellipsis take
# the exact path (ß and final sigma normalize differently in the op, … is a compatibility character).
MULTI_WORDS = (
    "naïve café Straße 東京 北京 Ελληνικά Привет İstanbul ΌΣΟΣ Ñandú São Kraków Zürich 日本語 한국어 "
    "«guillemets» “quotes” — – … ¿qué? ¡sí! hello, world!"
).split()


def corpus(words, n, seed=0):
    rng = random.Random(seed)
    return [" ".join(rng.choice(words) for _ in range(rng.randint(3, 40))) for _ in range(n)]


@pytest.fixture(scope="module")
def reference(minilm_dir):
    return BertTokenizer.from_pretrained(minilm_dir)


@pytest.fixture(scope="module")
def layer(reference):
    tokenizer = TFBertTokenizer.from_tokenizer(reference, max_length=128)
    assert tokenizer._fast is not None
    return tokenizer


def assert_equal_to_reference(layer, reference, text, text_pair=None, **options):
    """Layer == BertTokenizer on every output, rows in order."""
    got = layer(text, text_pair, **options)
    kwargs = dict(truncation=options.get("truncation", True), max_length=options.get("max_length", 128))
    kwargs["padding"] = options.get("padding", "longest")
    if options.get("pad_to_multiple_of"):
        kwargs["pad_to_multiple_of"] = options["pad_to_multiple_of"]
    want = reference(list(text), None if text_pair is None else list(text_pair), return_tensors="np", **kwargs)
    for key in ("input_ids", "token_type_ids", "attention_mask"):
        np.testing.assert_array_equal(got[key].numpy(), want[key], err_msg=key)


def eligible(layer, texts):
    return layer._fast.eligible(tf.constant(texts)).numpy().tolist()


def test_ascii_corpus_takes_the_fast_path_and_equals_the_reference(layer, reference):
    texts = corpus(ASCII_WORDS, 300)
    assert all(eligible(layer, texts))
    assert_equal_to_reference(layer, reference, texts)


def test_multilingual_corpus_equals_the_reference(layer, reference):
    texts = corpus(MULTI_WORDS, 300, seed=1)
    share = np.mean(eligible(layer, texts))
    assert 0.05 < share < 0.5, share  # whole rows both ways; the rest goes word by word
    words = sorted({w for t in texts for w in t.split(" ")})
    word_share = np.mean(eligible(layer, words))
    assert 0.8 < word_share < 1.0, word_share
    assert_equal_to_reference(layer, reference, texts)


def taken_fast(layer, texts):
    """Rows whose ids the op gives: eligible, and no [UNK] or special token."""
    text = tf.constant(texts)
    redo = layer._fast._redo(text, layer._fast.tokenizer.tokenize(text))
    return (layer._fast.eligible(text) & ~redo).numpy().tolist()


def test_router_sends_what_it_should(layer):
    cases = {  # text: (eligible before the op, the op's ids kept)
        "hello, world!": (True, True),
        "naïve café 東京 한국어 İstanbul": (True, True),
        "Ελληνικά Привет «x» “y” — –": (True, True),
        "x" * 300: (True, False),  # the op's [UNK] sends a long word back
        "": (True, True),
        "straße": (False, False),  # the op folds ß to ss
        "ΌΣΟΣ": (False, False),  # capital sigma: the reference's Final_Sigma rule
        "wait…": (False, False),  # compatibility character, decomposed by the op
        "a\x0bb": (False, False),  # control character: dropped by the reference, a split for the op
        "e\u0301": (False, False),  # combining mark: composes with its neighbour
        # Special tokens, kept whole by the reference: rows with a "[" id are searched for them
        "a [MASK] b": (True, False),
        "x[SEP]": (True, False),
        "[brackets] [CLS": (True, True),  # a "[" but no special token
    }
    assert layer._fast.start_ids is not None
    assert eligible(layer, list(cases)) == [e for e, _ in cases.values()]
    assert taken_fast(layer, list(cases)) == [t for _, t in cases.values()]
    assert layer._fast.eligible(tf.constant([b"ok \xff"])).numpy().tolist() == [False]  # invalid UTF-8


def test_special_tokens_not_starting_with_punctuation_use_the_pattern(minilm_dir):
    """A special token the op would not split off by its first character is looked for before the op."""
    reference = BertTokenizer.from_pretrained(minilm_dir, mask_token="maskword")
    layer = TFBertTokenizer.from_tokenizer(reference, max_length=64)
    assert layer._fast.start_ids is None
    texts = ["the maskword is here", "the city", "amaskwordb [CLS] x", "maskword"]
    assert eligible(layer, texts) == [False, True, False, False]
    assert_equal_to_reference(layer, reference, texts, max_length=64)


def test_mixed_batch_keeps_order_and_redoes_unknowns(layer, reference):
    """Rows taken fast, word by word, exactly, and sent back for an [UNK], interleaved."""
    texts = [
        "the first city",
        "straße in the city",
        "x" * 101 + " is too long",  # reference: [UNK]; the op: word pieces
        "é" * 60,  # 120 bytes: the op says [UNK], the reference word pieces
        "a [MASK] b, and [CLS]",
        "",
        "ΌΣΟΣ όσος Zürich",
        "zzqxj unknownish ⅷ",
        "日本語 and 한국어",
        "a\x0bb wait… e\u0301",
    ] * 3
    random.Random(0).shuffle(texts)
    assert_equal_to_reference(layer, reference, texts)
    fn = tf.function(lambda t: layer(t)["input_ids"], input_signature=[tf.TensorSpec([None], tf.string)])
    np.testing.assert_array_equal(fn(tf.constant(texts)).numpy(), layer(texts)["input_ids"].numpy())
    exact = TFBertTokenizer.from_tokenizer(reference, max_length=128)
    exact._fast = None
    np.testing.assert_array_equal(exact(texts)["input_ids"].numpy(), layer(texts)["input_ids"].numpy())


@pytest.mark.parametrize(
    "texts",
    [
        ["the city", "é" * 60, "x" * 101, "one"],  # every row eligible, two sent back for an [UNK]
        ["é" * 60],
        ["zzqxj", "the"],  # a genuine [UNK]
        ["the", "straße"],  # one row word by word
        ["straße", "ΌΣΟΣ x", "wait…", "the [MASK] city"],  # under half eligible: all word by word
        ["", " "],
    ],
)
def test_each_route_of_a_batch(layer, reference, texts):
    assert_equal_to_reference(layer, reference, texts)


def test_invalid_utf8_row_among_fast_rows(layer, reference):
    texts = [b"the city", b"caf\xc3 \xff the", b"one two"]
    got = layer(tf.constant(texts))["input_ids"].numpy()
    want = reference([t.decode("utf-8", "replace") for t in texts], padding=True, return_tensors="np")["input_ids"]
    np.testing.assert_array_equal(got, want)


def _op_count(concrete, op_type):
    graph_def = concrete.graph.as_graph_def()
    nodes = list(graph_def.node) + [n for f in graph_def.library.function for n in f.node_def]
    return sum(n.op == op_type for n in nodes)


def test_a_traced_pair_holds_the_exact_pipeline_once(layer, reference):
    """Both fast paths call the exact pipeline from several branches, and a pair routes two texts:
    the traced graph holds its ops once (inline: 18 copies, 21,600 graph ops in all)."""
    spec = tf.TensorSpec([None], tf.string)
    alone = tf.function(layer.tokenize_ids).get_concrete_function(spec)
    per_copy = _op_count(alone, "NormalizeUTF8")  # NFC, and NFD to strip accents: only the exact pipeline has them
    assert per_copy == 2
    pair = tf.function(lambda a, b: layer(a, b)["input_ids"]).get_concrete_function(spec, spec)
    assert _op_count(pair, "NormalizeUTF8") == per_copy
    first, second = ["the city", "straße", "ΌΣΟΣ x", "wait…"], ["one", "naïve café", "the", "[MASK] x"]
    want = reference(first, second, padding=True, truncation=True, max_length=128, return_tensors="np")["input_ids"]
    np.testing.assert_array_equal(pair(tf.constant(first), tf.constant(second)).numpy(), want)


def test_pair_sizes_must_match(layer):
    with pytest.raises(ValueError, match="same number of strings, got 2 and 3"):
        layer(tf.constant(["a", "b"]), tf.constant(["x", "y", "z"]))
    spec = tf.TensorSpec([None], tf.string)
    fn = tf.function(lambda a, b: layer(a, b)["input_ids"]).get_concrete_function(spec, spec)
    with pytest.raises(tf.errors.InvalidArgumentError, match="same number of strings"):
        fn(tf.constant(["a", "b"]), tf.constant(["x"]))


@pytest.mark.parametrize(
    "options",
    [
        dict(),
        dict(truncation="longest_first", max_length=12),
        dict(truncation="only_second", max_length=14),
        dict(padding="max_length", max_length=40),
        dict(pad_to_multiple_of=8),
    ],
)
def test_pairs_truncation_padding(layer, reference, options):
    first = corpus(ASCII_WORDS, 12, seed=2) + corpus(MULTI_WORDS, 12, seed=3)
    second = corpus(MULTI_WORDS, 12, seed=4) + corpus(ASCII_WORDS, 12, seed=5)
    assert_equal_to_reference(layer, reference, first, second, **options)
    assert_equal_to_reference(layer, reference, first, **options)


def test_cased_mode_equals_the_cased_reference(minilm_dir):
    reference = BertTokenizer.from_pretrained(minilm_dir, do_lower_case=False)
    layer = TFBertTokenizer.from_tokenizer(reference, max_length=128)
    assert layer._fast is not None
    texts = corpus(ASCII_WORDS + MULTI_WORDS, 200, seed=6)
    assert np.mean(eligible(layer, texts)) > 0.05
    assert_equal_to_reference(layer, reference, texts)


def test_options_the_op_cannot_honour_keep_the_exact_path():
    mode = tf_fast_path.fast_mode
    assert mode(True, [], True, True, True) == "uncased"
    assert mode(True, [], True, False, False) == "cased"
    assert mode(True, [], True, True, False) is None  # lowercase, accents kept
    assert mode(True, [], True, False, True) is None  # accents stripped, case kept
    assert mode(True, ["foo"], True, True, True) is None  # never_split
    assert mode(True, [], False, True, True) is None  # tokenize_chinese_chars=False
    assert mode(False, [], True, True, True) is None  # no basic tokenization


def test_stored_table_shape():
    """Cheap sanity of the stored table; the slow test below re-derives it."""
    for mode in tf_fast_safe.MODES:
        ranges = tf_fast_tables.SAFE_RANGES[mode]
        assert all(lo <= hi for lo, hi in ranges)
        assert all(a[1] + 1 < b[0] for a, b in zip(ranges, ranges[1:]))  # sorted, disjoint, merged
        safe = {cp for lo, hi in ranges for cp in range(lo, hi + 1)}
        assert set(range(0x20, 0x7F)) <= safe and 0x03A3 not in safe and 0x1 not in safe
    assert 0xDF not in {cp for lo, hi in tf_fast_tables.SAFE_RANGES["uncased"] for cp in range(lo, hi + 1)}


@pytest.mark.slow
@pytest.mark.parametrize("mode", sorted(tf_fast_safe.MODES))
def test_stored_table_is_rederived(mode):
    """The stored safe table equals a fresh exhaustive derivation (every code point, four contexts)."""
    import unicodedata

    import tensorflow_text as tf_text

    assert (unicodedata.unidata_version, tf_text.__version__) == (
        tf_fast_tables.UNIDATA_VERSION,
        tf_fast_tables.TF_TEXT_VERSION,
    ), "regenerate tf_fast_tables (python -m keras_bert.tokenization.tf_fast_safe)"
    fresh = tf_fast_safe.to_ranges(tf_fast_safe.derive_safe_code_points(mode))
    stored = tf_fast_tables.SAFE_RANGES[mode]
    assert fresh == stored, (
        f"{mode}: stored table is stale; regenerate with python -m keras_bert.tokenization.tf_fast_safe "
        f"(first differences: {sorted(set(fresh) ^ set(stored))[:5]})"
    )
