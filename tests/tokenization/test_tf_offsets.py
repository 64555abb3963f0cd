"""Byte offsets of TFBertTokenizer's word pieces (used by token-classification serving)."""

import numpy as np
import tensorflow as tf

from keras_bert.tokenization import BertTokenizerFast, TFBertTokenizer
from keras_bert.tokenization.basic import clean_text
from keras_bert.tokenization.tf_offsets import word_piece_offsets
from tests.support.tokenizer_corpus import REAL_VOCAB_DIR, SENTENCES, seeded_corpus


def test_offsets_align_with_ids_and_point_at_the_text():
    layer = TFBertTokenizer.from_pretrained(REAL_VOCAB_DIR)
    texts = SENTENCES + seeded_corpus(300)
    ids = layer.tokenize_ids(tf.constant(texts))
    starts, ends = word_piece_offsets(layer, tf.constant(texts))
    assert starts.row_lengths().numpy().tolist() == ids.row_lengths().numpy().tolist()
    unaligned = []
    for text, s_row, e_row in zip(texts, starts.to_list(), ends.to_list()):
        raw = text.encode("utf-8")
        if s_row and s_row[0] == -1:
            assert set(s_row) == {-1} and set(e_row) == {-1}
            unaligned.append(text)
            continue
        assert all(0 <= s < e <= len(raw) for s, e in zip(s_row, e_row))
        assert all(a <= b for a, b in zip(s_row, s_row[1:]))  # in text order
        # Every span holds text, never only what the clean-up drops.
        assert all(clean_text(raw[s:e].decode("utf-8", "replace")).strip() for s, e in zip(s_row, e_row))
    # A row may go unaligned only for a context case, never for other text.
    assert unaligned, "the corpus holds context cases; none reported means the check is not running"
    for text in unaligned:
        assert _context_case(text), f"offsets not aligned for {text!r}, which has no context case"


def _context_case(text):
    """Where splitting before normalizing can change ids (module doc of tf_offsets): a capital sigma,
    whose lowercase depends on the next character, or a special token that only appears once
    clean-up drops a character inside it (e.g. "[CL\\x00S]" -> "[CLS]")."""
    specials = ("[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]")
    cleaned = clean_text(text)
    return "\u03a3" in text or any(cleaned.count(t) > text.count(t) for t in specials)


def test_offsets_equal_the_tokenizers_library_on_ascii():
    layer = TFBertTokenizer.from_pretrained(REAL_VOCAB_DIR)
    texts = ["Hello, world! It's 3.14 o'clock.", "UNwanted running-shoes (cheap)", "a  b\tc\nd"]
    starts, ends = word_piece_offsets(layer, tf.constant(texts))
    fast = BertTokenizerFast.from_pretrained(REAL_VOCAB_DIR)(
        texts, return_offsets_mapping=True, add_special_tokens=False
    )
    for s_row, e_row, want in zip(starts.to_list(), ends.to_list(), fast["offset_mapping"]):
        assert list(zip(s_row, e_row)) == [tuple(p) for p in want]
    # A multi-byte word that normalization shortens gets its whole span.
    s, e = word_piece_offsets(layer, tf.constant(["naïve café"]))
    assert np.array(list(zip(s.to_list()[0], e.to_list()[0]))).tolist()[-1][1] == len("naïve café".encode())
