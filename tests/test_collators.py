"""tokenizer.pad and the data collators against transformers' own (torch/NumPy) implementations.

transformers 5 still ships `PreTrainedTokenizerBase.pad` and the NumPy collators, so values are
compared exactly on the same inputs; the random masking is compared by its statistics.
"""

import numpy as np
import pytest
import tensorflow as tf

from keras_bert.collators import (
    DataCollatorForLanguageModeling,
    DataCollatorForTokenClassification,
    DataCollatorWithPadding,
    DefaultDataCollator,
    default_data_collator,
)
from keras_bert.tokenization import BertTokenizer, BertTokenizerFast

TEXTS = ["hello world", "a somewhat longer sentence than the first one", "ok", "The quick brown fox."]


@pytest.fixture(scope="module")
def toks(minilm_dir):
    import transformers

    return BertTokenizerFast.from_pretrained(minilm_dir), transformers.BertTokenizerFast.from_pretrained(minilm_dir)


def _features(tok, **kw):
    return [dict(tok(t, **kw)) for t in TEXTS]


def _assert_same(ours, ref):
    assert set(ours) == set(ref), (sorted(ours), sorted(ref))
    for key in ref:
        if isinstance(ref[key], list):  # possibly ragged (padding=False)
            assert _lists(ours[key]) == _lists(ref[key]), key
        else:
            np.testing.assert_array_equal(np.asarray(ours[key]), np.asarray(ref[key]), err_msg=key)


def _lists(value):
    return [list(map(int, row)) if isinstance(row, (list, tuple, np.ndarray)) else int(row) for row in value]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"padding": "max_length", "max_length": 16},
        {"pad_to_multiple_of": 8},
        {"padding": False},
        {"padding_side": "left", "pad_to_multiple_of": 4},
        {"return_attention_mask": False},
    ],
)
def test_pad_list_of_encodings_matches_transformers(toks, kwargs):
    ours, ref = toks
    feats = _features(ref, return_special_tokens_mask=True)
    if kwargs.get("return_attention_mask") is False:
        # transformers would leave a given attention_mask unpadded (a ragged batch); ours pads it.
        for f in feats:
            f.pop("attention_mask")
    got = ours.pad([dict(f) for f in feats], **kwargs)
    want = ref.pad([dict(f) for f in feats], **kwargs)
    _assert_same(got, want)
    if kwargs.get("padding", True) is not False:
        got = ours.pad([dict(f) for f in feats], return_tensors="np", **kwargs)
        want = ref.pad([dict(f) for f in feats], return_tensors="np", **kwargs)
        _assert_same(got, want)
        assert got["input_ids"].dtype == np.int64


def test_pad_dict_of_lists_single_and_tensors(toks):
    ours, ref = toks
    batch = {k: [f[k] for f in _features(ref)] for k in ("input_ids", "token_type_ids")}
    _assert_same(ours.pad(dict(batch), padding="longest"), ref.pad(dict(batch), padding="longest"))
    one = dict(ref("hello there"))
    _assert_same(
        ours.pad(one, padding="max_length", max_length=9), ref.pad(dict(one), padding="max_length", max_length=9)
    )
    # Labels (other keys) are kept as given; float labels stay float.
    feats = [dict(f, labels=float(i) / 2) for i, f in enumerate(_features(ref))]
    got = ours.pad(feats, return_tensors="tf")
    assert got["labels"].dtype == tf.float32 and got["input_ids"].dtype == tf.int32
    np.testing.assert_allclose(got["labels"].numpy(), [0.0, 0.5, 1.0, 1.5], rtol=0, atol=0)
    # Tensor input comes back in its framework.
    arrays = [{k: np.asarray(v) for k, v in f.items()} for f in _features(ref)]
    assert isinstance(ours.pad(arrays)["input_ids"], np.ndarray)


def test_pad_python_tokenizer_and_errors(toks, minilm_dir):
    ours, ref = toks
    slow = BertTokenizer.from_pretrained(minilm_dir)
    feats = _features(ref)
    _assert_same(slow.pad([dict(f) for f in feats]), ref.pad([dict(f) for f in feats]))
    with pytest.raises(ValueError, match=r"includes input_ids, but you provided \['attention_mask'\]"):
        ours.pad([{"attention_mask": [1, 1]}])
    with pytest.raises(ValueError, match="different lengths for 'input_ids'"):
        ours.pad([dict(f) for f in feats], padding=False, return_tensors="np")


def test_data_collator_with_padding_matches_transformers(toks):
    import transformers

    ours, ref = toks
    feats = [dict(f, label=i % 2) for i, f in enumerate(_features(ref))]
    for kw in ({}, {"pad_to_multiple_of": 8}, {"padding": "max_length", "max_length": 20}):
        got = DataCollatorWithPadding(ours, return_tensors="np", **kw)([dict(f) for f in feats])
        want = transformers.DataCollatorWithPadding(ref, return_tensors="np", **kw)([dict(f) for f in feats])
        _assert_same(got, want)
    got = DataCollatorWithPadding(ours, return_tensors="tf")([dict(f) for f in feats])
    assert got["input_ids"].dtype == tf.int32 and "label" not in got
    np.testing.assert_array_equal(got["labels"].numpy(), [0, 1, 0, 1])
    torch_batch = DataCollatorWithPadding(ours)([dict(f) for f in feats])  # default "pt", as transformers
    want = transformers.DataCollatorWithPadding(ref)([dict(f) for f in feats])
    _assert_same({k: v.numpy() for k, v in torch_batch.items()}, {k: v.numpy() for k, v in want.items()})


def test_default_data_collator_matches_transformers():
    import transformers

    feats = [{"input_ids": [1, 2, 3], "label": i, "text": "x"} for i in range(3)]
    got = default_data_collator(feats, return_tensors="np")
    _assert_same(got, transformers.default_data_collator(feats, return_tensors="np"))
    assert got["labels"].dtype == np.int64
    regression = [{"input_ids": [1, 2], "label": 0.5}, {"input_ids": [3, 4], "label": 1.5}]
    tf_batch = DefaultDataCollator(return_tensors="tf")(regression)
    assert tf_batch["labels"].dtype == tf.float32 and tf_batch["input_ids"].dtype == tf.int32
    with pytest.raises(ValueError, match="'input_ids' has different lengths"):
        default_data_collator([{"input_ids": [1]}, {"input_ids": [1, 2]}], return_tensors="np")


@pytest.mark.parametrize("side", ["right", "left"])
def test_token_classification_collator_matches_transformers(toks, side):
    import transformers

    ours, ref = toks
    feats = [dict(f, labels=[i % 5] * len(f["input_ids"])) for i, f in enumerate(_features(ref))]
    ours.padding_side = ref.padding_side = side
    try:
        got = DataCollatorForTokenClassification(ours, return_tensors="np", pad_to_multiple_of=8)(feats)
        want = transformers.DataCollatorForTokenClassification(ref, return_tensors="np", pad_to_multiple_of=8)(feats)
    finally:
        ours.padding_side = ref.padding_side = "right"
    _assert_same(got, want)
    assert (got["labels"] == -100).sum() > 0 and got["labels"].dtype == np.int64
    tf_batch = DataCollatorForTokenClassification(ours, return_tensors="tf")(feats)
    assert all(v.dtype == tf.int64 for v in tf_batch.values())


def test_language_modeling_collator_statistics(toks):
    ours, ref = toks
    rng = np.random.default_rng(0)
    rows = [
        [ours.cls_token_id, *rng.integers(1000, 2000, size=int(n)).tolist(), ours.sep_token_id]
        for n in rng.integers(20, 60, 64)
    ]
    feats = [{"input_ids": r, "token_type_ids": [0] * len(r)} for r in rows]
    collator = DataCollatorForLanguageModeling(ours, mlm_probability=0.15, return_tensors="np", seed=0)
    chosen = masked = randomized = kept = candidates = 0
    for _ in range(5):
        batch = collator([dict(f) for f in feats])
        original = ours.pad([dict(f) for f in feats], return_tensors="np")["input_ids"]
        labels, ids, attention = batch["labels"], batch["input_ids"], batch["attention_mask"]
        special = np.isin(original, ours.all_special_ids)
        assert np.all(labels[special] == -100) and np.all(ids[special] == original[special])
        sel = labels != -100
        np.testing.assert_array_equal(labels[sel], original[sel])
        np.testing.assert_array_equal(ids[~sel], original[~sel])
        assert np.all(attention == (original != ours.pad_token_id))
        chosen += sel.sum()
        candidates += (~special).sum()
        masked += (ids[sel] == ours.mask_token_id).sum()
        kept += (ids[sel] == original[sel]).sum()
        randomized += ((ids[sel] != original[sel]) & (ids[sel] != ours.mask_token_id)).sum()
    n = chosen
    # Binomial tolerances: ~4-5 standard deviations at these counts (candidates ~ 12000, chosen ~ 1800).
    assert abs(chosen / candidates - 0.15) < 0.02
    assert abs(masked / n - 0.8) < 0.05 and abs(randomized / n - 0.1) < 0.035 and abs(kept / n - 0.1) < 0.035
    # Seeded: the same seed gives the same masks; transformers' collator has the same label layout.
    again = DataCollatorForLanguageModeling(ours, return_tensors="np", seed=0)([dict(f) for f in feats])
    first = DataCollatorForLanguageModeling(ours, return_tensors="np", seed=0)([dict(f) for f in feats])
    _assert_same(again, first)
    import transformers

    ref_batch = transformers.DataCollatorForLanguageModeling(ref, return_tensors="np", seed=0)([dict(f) for f in feats])
    assert set(ref_batch) == set(again) and ref_batch["input_ids"].shape == again["input_ids"].shape


def test_language_modeling_collator_lists_causal_and_tf(toks):
    import transformers

    ours, ref = toks
    rows = [[101, 2023, 102], [101, 2023, 2003, 1037, 102]]
    got = DataCollatorForLanguageModeling(ours, mlm=False, return_tensors="np", pad_to_multiple_of=4)(rows)
    want = transformers.DataCollatorForLanguageModeling(ref, mlm=False, return_tensors="np", pad_to_multiple_of=4)(rows)
    _assert_same(got, want)
    batch = DataCollatorForLanguageModeling(ours, return_tensors="tf", seed=1)([dict(ours(t)) for t in TEXTS])
    assert batch["input_ids"].dtype == tf.int64 and batch["labels"].dtype == tf.int64
    assert batch["attention_mask"].dtype == tf.int32
    with pytest.raises(ValueError, match="mlm_probability should be between 0 and 1, got 1.5"):
        DataCollatorForLanguageModeling(ours, mlm_probability=1.5)
