"""keras_bert.data: in-graph tokenizing and bucketing pipelines, BERT masking, MLM+NSP pairs."""

import numpy as np
import pytest

from keras_bert.data import IGNORE_INDEX, mask_tokens, pretraining_dataset, sentence_pairs, text_dataset

TEXTS = [
    "hi",
    "a short one",
    "The quick brown fox jumps over the lazy dog.",
    "ok",
    "Keras and TensorFlow serve BERT models in production, with raw text in and predictions out.",
    "Hello world!",
    "naïve café",
    "one two three four five six seven eight nine ten eleven twelve",
    "yes",
    "no way",
    "Ünïcödé text 東京",
    "the end",
]


@pytest.fixture(scope="module")
def tokenizers(minilm_dir):
    from keras_bert.tokenization import BertTokenizer, TFBertTokenizer

    return TFBertTokenizer.from_pretrained(minilm_dir, max_length=24), BertTokenizer.from_pretrained(minilm_dir)


def _rows(dataset):
    """Unpadded rows keyed by their ids, with labels, from a batched (inputs, labels) dataset."""
    rows = []
    for x, y in dataset:
        for i in range(len(y)):
            n = int(np.sum(x["attention_mask"][i]))
            assert np.all(x["attention_mask"][i, n:] == 0) and np.all(x["input_ids"][i, n:] == 0)
            rows.append((tuple(x["input_ids"][i, :n].numpy()), tuple(x["token_type_ids"][i, :n].numpy()), int(y[i])))
    return rows


def test_text_dataset_matches_python_tokenizer_and_buckets(tokenizers):
    tf_tok, py_tok = tokenizers
    labels = np.arange(len(TEXTS), dtype="int32")
    ds = text_dataset(TEXTS, labels, tf_tok, batch_size=3, bucket_boundaries=(4, 8, 16), chunk_size=5)
    rows = _rows(ds)
    assert sorted(r[2] for r in rows) == list(labels)  # every example once
    for ids, types, label in rows:
        ref = py_tok(TEXTS[label], truncation=True, max_length=24)
        assert list(ids) == ref["input_ids"] and list(types) == ref["token_type_ids"]
    # Bucketing: each batch holds rows of one length bucket, padded to its longest row only.
    edges = [0, 5, 9, 17, 10**9]
    for x, _ in ds:
        lengths = np.sum(x["attention_mask"].numpy(), axis=1)
        bucket = {next(b for b in range(4) if edges[b] <= n < edges[b + 1]) for n in lengths}
        assert len(bucket) == 1, lengths
        assert x["input_ids"].shape[1] == lengths.max()


def test_text_dataset_pairs_order_and_padding_saved(tokenizers):
    tf_tok, py_tok = tokenizers
    firsts, seconds = TEXTS[:6], TEXTS[6:]
    ds = text_dataset(firsts, [0, 1, 0, 1, 0, 1], tf_tok, batch_size=4, text_pairs=seconds, bucket_boundaries=None)
    rows = _rows(ds)
    for i, (ids, types, _) in enumerate(rows):  # no bucketing: order kept
        ref = py_tok(firsts[i], seconds[i], truncation=True, max_length=24)
        assert list(ids) == ref["input_ids"] and list(types) == ref["token_type_ids"]
    bucketed = sum(
        int(np.prod(x["input_ids"].shape))
        for x, _ in text_dataset(TEXTS * 4, [0] * 48, tf_tok, batch_size=8, bucket_boundaries=(4, 8, 16))
    )
    plain = sum(
        int(np.prod(x["input_ids"].shape))
        for x, _ in text_dataset(TEXTS * 4, [0] * 48, tf_tok, batch_size=8, bucket_boundaries=None)
    )
    assert bucketed < plain


def test_text_dataset_without_labels_and_shuffled(tokenizers):
    tf_tok, _ = tokenizers
    ds = text_dataset(TEXTS, None, tf_tok, batch_size=4, shuffle_buffer=12, seed=1)
    batches = list(ds)
    assert isinstance(batches[0], dict) and sum(int(b["input_ids"].shape[0]) for b in batches) == len(TEXTS)


def test_mask_tokens_statistics():
    ids = np.random.default_rng(0).integers(1000, 2000, (400, 128)).astype("int32")
    special = np.zeros_like(ids)
    special[:, 0] = special[:, -1] = 1
    special[:, 100:] = 1  # e.g. padding
    masked, labels = mask_tokens(ids, special, mask_token_id=103, vocab_size=30522, seed=[1, 2])
    masked, labels = masked.numpy(), labels.numpy()
    chosen = labels != IGNORE_INDEX
    assert not np.any(chosen[special == 1]) and np.all(masked[special == 1] == ids[special == 1])
    np.testing.assert_array_equal(labels[chosen], ids[chosen])
    rate = chosen.sum() / (special == 0).sum()
    assert abs(rate - 0.15) < 0.01, rate
    to_mask = np.mean(masked[chosen] == 103)
    unchanged = np.mean(masked[chosen] == ids[chosen])
    random = 1 - to_mask - unchanged
    assert abs(to_mask - 0.8) < 0.02 and abs(unchanged - 0.1) < 0.02 and abs(random - 0.1) < 0.02
    assert np.all(masked[~chosen] == ids[~chosen])
    again, _ = mask_tokens(ids, special, mask_token_id=103, vocab_size=30522, seed=[1, 2])
    np.testing.assert_array_equal(again.numpy(), masked)  # a stateless seed repeats


def _corpus(tmp_path, docs=30, sentences=5):
    path = tmp_path / "corpus.txt"
    lines = []
    for d in range(docs):
        lines += [f"document {d} sentence {s} talks about topic {d * 7 % 11}." for s in range(sentences)] + [""]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_sentence_pairs_next_or_random(tmp_path):
    pairs = list(sentence_pairs(_corpus(tmp_path), seed=3).as_numpy_iterator())
    assert len(pairs) == 30 * 4  # consecutive pairs inside documents only
    for p in pairs:
        a, b = p["text"].decode(), p["text_pair"].decode()
        da, sa = int(a.split()[1]), int(a.split()[3])
        is_next = b.startswith(f"document {da} sentence {sa + 1} ")
        assert p["next_sentence_label"] == (0 if is_next else 1)
    random_share = np.mean([p["next_sentence_label"] for p in pairs])
    assert 0.3 < random_share < 0.7, random_share


def test_pretraining_dataset_batches(tmp_path, tokenizers):
    tf_tok, py_tok = tokenizers
    ds = pretraining_dataset(_corpus(tmp_path), tf_tok, batch_size=8, seed=0)
    n_masked = n_tokens = 0
    for x, y in ds:
        ids, labels = x["input_ids"].numpy(), y["labels"].numpy()
        assert ids.shape == labels.shape and ids.shape[0] == 8 and ids.shape[1] <= 24
        assert y["next_sentence_label"].shape == (8,)
        real = x["attention_mask"].numpy() == 1
        special = np.isin(np.where(labels == IGNORE_INDEX, ids, labels), [101, 102, 0])
        assert np.all(labels[special] == IGNORE_INDEX)
        assert np.all(x["token_type_ids"].numpy()[~real] == 0) and np.any(x["token_type_ids"].numpy() == 1)
        n_masked += int(np.sum(labels != IGNORE_INDEX))
        n_tokens += int(np.sum(real & ~special))
    assert 0.08 < n_masked / n_tokens < 0.25
