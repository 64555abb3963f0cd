"""transformers 4.x `tests/models/bert/test_tokenization_bert.py`, ported, plus its options on every load path.

Expected values are the test's own; where it compares the Python and fast tokenizers we compare
both to transformers' original Python tokenizer (`BertTokenizerLegacy`, the reference for ids)
with the same options.
"""

import pytest

from keras_bert.tokenization import BertTokenizer, BertTokenizerFast
from keras_bert.tokenization.basic import BasicTokenizer

TOKENIZERS = [BertTokenizer, BertTokenizerFast]
HF_VOCAB = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]", "want", "##want", "##ed", "wa", "un", "runn", "##ing", ","]
HF_VOCAB += ["low", "lowest"]
HELLO = " \tHäLLo!how  \n Are yoU?  "


def write_vocab(tmp_path, tokens):
    path = tmp_path / "vocab.txt"
    path.write_text("".join(t + "\n" for t in tokens), encoding="utf-8")
    return str(path)


def legacy(vocab_file, **options):
    mod = pytest.importorskip("transformers.models.bert.tokenization_bert_legacy")
    return mod.BertTokenizerLegacy(vocab_file, **options)


@pytest.mark.parametrize("cls", TOKENIZERS)
def test_full_tokenizer(tmp_path, cls):
    tok = cls(write_vocab(tmp_path, HF_VOCAB))
    tokens = tok.tokenize("UNwant\u00e9d,running")
    assert tokens == ["un", "##want", "##ed", ",", "runn", "##ing"]
    assert tok.convert_tokens_to_ids(tokens) == [9, 6, 7, 12, 10, 11]


@pytest.mark.parametrize(
    "options, expected, hello",
    [
        (dict(do_lower_case=True), ["hallo", "!", "how", "are", "you", "?"], ["hello"]),
        (dict(do_lower_case=True, strip_accents=False), ["hällo", "!", "how", "are", "you", "?"], ["h\u00e9llo"]),
        (dict(do_lower_case=True, strip_accents=True), ["hallo", "!", "how", "are", "you", "?"], ["hello"]),
        (dict(do_lower_case=False), ["HäLLo", "!", "how", "Are", "yoU", "?"], ["H\u00e9llo"]),
        (dict(do_lower_case=False, strip_accents=False), ["HäLLo", "!", "how", "Are", "yoU", "?"], ["H\u00e9llo"]),
        (dict(do_lower_case=False, strip_accents=True), ["HaLLo", "!", "how", "Are", "yoU", "?"], ["Hello"]),
    ],
)
def test_basic_tokenizer_options(tmp_path, options, expected, hello):
    assert BasicTokenizer(**options).tokenize(HELLO) == expected
    assert BasicTokenizer(**options).tokenize("H\u00e9llo") == hello
    # the same words through both tokenizers, given a vocabulary that holds them
    vocab = write_vocab(tmp_path, ["[UNK]", "[CLS]", "[SEP]", *dict.fromkeys(expected + hello)])
    for cls in TOKENIZERS:
        assert cls(vocab, **options).tokenize(HELLO + "H\u00e9llo") == expected + hello, cls.__name__


def test_basic_tokenizer_never_split():
    tok = BasicTokenizer(do_lower_case=False, never_split=["[UNK]"])
    assert tok.tokenize(" \tHeLLo!how  \n Are yoU? [UNK]") == ["HeLLo", "!", "how", "Are", "yoU", "?", "[UNK]"]


@pytest.mark.parametrize("cls", TOKENIZERS)
def test_splits_on_punctuation(tmp_path, cls):
    expected = ["a", "'", "ll", "!", "!", "to", "?", "'", "d", "of", ",", "can", "'", "t", "."]
    assert BasicTokenizer().tokenize("a\n'll !!to?'d of, can't.") == expected
    tok = cls(write_vocab(tmp_path, ["[UNK]", "[CLS]", "[SEP]", *dict.fromkeys(expected)]))
    assert tok.tokenize("a\n'll !!to?'d of, can't.") == expected


@pytest.mark.parametrize("cls", TOKENIZERS)
def test_clean_text(tmp_path, cls):
    tok = cls(write_vocab(tmp_path, HF_VOCAB))
    assert [tok.tokenize(t) for t in ["Test", "\xad", "test"]] == [["[UNK]"], [], ["[UNK]"]]


@pytest.mark.parametrize("cls", TOKENIZERS)
def test_sequence_builders(minilm_dir, cls):
    tok = cls.from_pretrained(minilm_dir)
    text = tok.encode("sequence builders", add_special_tokens=False)
    text_2 = tok.encode("multi-sequence build", add_special_tokens=False)
    assert text == [5537, 16472]
    assert tok.build_inputs_with_special_tokens(text) == [101] + text + [102]
    assert tok.build_inputs_with_special_tokens(text, text_2) == [101] + text + [102] + text_2 + [102]


def test_offsets_with_special_characters(minilm_dir):
    tok = BertTokenizerFast.from_pretrained(minilm_dir)
    sentence = f"A, naïve {tok.mask_token} AllenNLP sentence."
    enc = tok(sentence, return_attention_mask=False, return_token_type_ids=False, return_offsets_mapping=True)
    expected = [
        ((0, 0), "[CLS]"),
        ((0, 1), "a"),
        ((1, 2), ","),
        ((3, 8), "naive"),
        ((9, 15), "[MASK]"),
        ((16, 21), "allen"),
        ((21, 23), "##nl"),
        ((23, 24), "##p"),
        ((25, 33), "sentence"),
        ((33, 34), "."),
        ((0, 0), "[SEP]"),
    ]
    assert [tuple(o) for o in enc["offset_mapping"]] == [e[0] for e in expected]
    assert tok.convert_ids_to_tokens(enc["input_ids"]) == [e[1] for e in expected]
    with pytest.raises(NotImplementedError, match="return_offset_mapping"):
        BertTokenizer.from_pretrained(minilm_dir)(sentence, return_offsets_mapping=True)


@pytest.mark.parametrize("cls", TOKENIZERS)
def test_change_tokenize_chinese_chars(minilm_dir, cls):
    chars = ["的", "人", "有"]
    text = "".join(chars)
    on = cls.from_pretrained(minilm_dir, tokenize_chinese_chars=True)
    assert on.convert_ids_to_tokens(on.encode(text, add_special_tokens=False)) == chars
    off = cls.from_pretrained(minilm_dir, tokenize_chinese_chars=False)
    assert off.convert_ids_to_tokens(off.encode(text, add_special_tokens=False)) == ["的", "##人", "##有"]


OPTIONS = [
    dict(do_lower_case=False),
    dict(strip_accents=False),
    dict(do_lower_case=False, strip_accents=True),
    dict(tokenize_chinese_chars=False),
    dict(do_basic_tokenize=False),
    dict(never_split=["hello", "world"], do_lower_case=False),
    {},
]
TEXTS = [
    "的人有 Héllo WORLD",
    "Héllo, WORLD! x[MASK]y naïve",
    "a\ufffeb\uffff c\U0010ffff",
    "Hello hello WORLD",
    "hello world, hello",
]


@pytest.mark.parametrize("cls", TOKENIZERS)
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "defaults")
def test_options_override_saved_files(minilm_dir, cls, options):
    """Options win over tokenizer_config.json and (fast) over tokenizer.json's normalizer, as transformers 4.x.

    `never_split` words are vocabulary words here: the fast tokenizer keeps only those whole (an
    out-of-vocabulary one would need an added token with the unk id, which `tokenizers` cannot express).
    """
    ref = legacy(f"{minilm_dir}/vocab.txt", **options)
    tok = cls.from_pretrained(minilm_dir, **options)
    for text in TEXTS:
        assert tok.encode(text) == ref.encode(text), (text, tok.tokenize(text), ref.tokenize(text))


def test_issue_example(minilm_dir):
    """The issue's case: do_lower_case=False through tokenizer.json."""
    tok = BertTokenizerFast.from_pretrained(minilm_dir, do_lower_case=False)
    assert tok.tokenize("的人有 Héllo WORLD") == ["的", "人", "有", "[UNK]", "[UNK]"]
    assert BertTokenizerFast.from_pretrained(minilm_dir).tokenize("的人有 Héllo WORLD") == [
        "的",
        "人",
        "有",
        "hello",
        "world",
    ]


@pytest.mark.parametrize("cls", TOKENIZERS)
def test_options_survive_save_and_reload(tmp_path, minilm_dir, cls):
    tok = cls.from_pretrained(minilm_dir, do_lower_case=False, tokenize_chinese_chars=False)
    tok.save_pretrained(tmp_path / "saved")
    again = cls.from_pretrained(tmp_path / "saved")
    assert (again.do_lower_case, again.tokenize_chinese_chars) == (False, False)
    assert again.tokenize("的人有 Héllo WORLD") == ["的", "##人", "##有", "[UNK]", "[UNK]"]


@pytest.mark.parametrize("cls", TOKENIZERS)
def test_unassigned_and_noncharacters_dropped(minilm_dir, cls):
    """U+FFFE, U+FFFF, U+10FFFF, unassigned U+0378 and lone surrogates: dropped as the reference does."""
    ref = legacy(f"{minilm_dir}/vocab.txt")
    tok = cls.from_pretrained(minilm_dir)
    for text in ["a\ufffeb", "a\uffffb", "a\U0010ffffb", "a\u0378b", "a\ud800b c\udfff", "x\u200by"]:
        assert tok.encode(text) == ref.encode(text), (text, tok.tokenize(text))
    assert tok.tokenize("a\ufffeb c") == ["ab", "c"]
