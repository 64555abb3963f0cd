"""`keras_bert.predict_fn` drives every model (encoder, all eight heads, multiple choice, decoders
with a cache) and equals transformers' PyTorch model on perturbed tiny checkpoints."""

import numpy as np
import pytest
import torch

import keras_bert

B, T, C, TE = 3, 9, 2, 5

CASES = {
    # HF class: config overrides
    "BertModel": {},
    "BertForPreTraining": {},
    "BertLMHeadModel": {"is_decoder": True},
    "BertForMaskedLM": {},
    "BertForNextSentencePrediction": {},
    "BertForSequenceClassification": {"num_labels": 3},
    "BertForMultipleChoice": {},
    "BertForTokenClassification": {"num_labels": 5},
    "BertForQuestionAnswering": {},
}


def _inputs(make_batch, hf_name):
    if hf_name == "BertForMultipleChoice":
        return {k: v.reshape(B, C, T) for k, v in make_batch(B * C, T).items()}  # (B, C, T)
    return make_batch(B, T)


def _reference(model, batch, **kwargs):
    with torch.no_grad():
        return model(**{k: torch.tensor(np.asarray(v)) for k, v in batch.items()}, **kwargs)


def _compare(ours: dict, theirs, atol=1e-4):
    names = [name for name in ours if name != "past_key_values"]
    assert names, "no outputs compared"
    for name in names:
        expected = theirs[name].detach().numpy()
        actual = np.asarray(ours[name], dtype="float32")
        assert actual.shape == expected.shape, f"{name}: {actual.shape} != {expected.shape}"
        np.testing.assert_allclose(actual, expected, atol=atol, rtol=0, err_msg=name)


@pytest.mark.parametrize("pad_to_multiple_of, freeze", [(None, False), (8, False), (None, True)])
@pytest.mark.parametrize("hf_name", sorted(CASES))
def test_predict_fn_matches_transformers(hf_checkpoint, make_batch, hf_name, pad_to_multiple_of, freeze):
    path, reference = hf_checkpoint(hf_name, **CASES[hf_name])
    model = getattr(keras_bert, "TF" + hf_name).from_pretrained(path)
    batch = _inputs(make_batch, hf_name)
    fn = keras_bert.predict_fn(model, pad_to_multiple_of=pad_to_multiple_of, freeze=freeze)  # T=9 pads to 16
    ours = fn(**batch)
    _compare(ours, _reference(reference, batch))
    assert fn.tracing_count == 1
    if CASES[hf_name].get("is_decoder"):
        assert ours["past_key_values"][0][0].shape == (B, 4, T, 8)  # (B, N, T, D), padding trimmed


def test_multiple_choice_other_shapes_do_not_retrace(hf_checkpoint, make_batch):
    path, reference = hf_checkpoint("BertForMultipleChoice")
    fn = keras_bert.predict_fn(keras_bert.TFBertForMultipleChoice.from_pretrained(path), pad_to_multiple_of=4)
    for batch, choices, length in [(3, 2, 9), (1, 4, 5), (2, 3, 12)]:
        inputs = {k: v.reshape(batch, choices, length) for k, v in make_batch(batch * choices, length).items()}
        ours = fn(**inputs)
        assert ours["logits"].shape == (batch, choices)
        _compare(ours, _reference(reference, inputs))
    assert fn.tracing_count == 1


def _decoder_inputs(seed=0, batch=2, length=8):
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, 99, size=(batch, length)).astype("int32")
    encoder_hidden_states = rng.normal(size=(batch, TE, 32)).astype("float32")
    encoder_attention_mask = np.ones((batch, TE), "int32")
    encoder_attention_mask[-1, 3:] = 0
    return ids, encoder_hidden_states, encoder_attention_mask


def _incremental(fn, ids, steps, **cross):
    """Feeds `ids` in chunks of the given sizes, carrying the cache; the concatenated logits."""
    past, logits, start = None, [], 0
    for n in steps:
        out = fn(ids[:, start : start + n], past_key_values=past, **cross)
        past = out["past_key_values"]
        assert past[0][0].shape[2] == start + n  # (B, N, past + new, D)
        logits.append(np.asarray(out["logits"]))
        start += n
    return np.concatenate(logits, axis=1)


@pytest.mark.parametrize("pad_to_multiple_of, freeze", [(None, False), (4, False), (None, True)])
@pytest.mark.parametrize("cross", [False, True])
def test_decoder_cache_loop_equals_full_recomputation(hf_checkpoint, cross, pad_to_multiple_of, freeze):
    path, reference = hf_checkpoint("BertLMHeadModel", is_decoder=True, add_cross_attention=cross)
    model = keras_bert.TFBertLMHeadModel.from_pretrained(path)
    fn = keras_bert.predict_fn(model, pad_to_multiple_of=pad_to_multiple_of, freeze=freeze)
    ids, states, states_mask = _decoder_inputs()
    kw = dict(encoder_hidden_states=states, encoder_attention_mask=states_mask) if cross else {}

    full = np.asarray(fn(ids, **kw)["logits"])
    expected = _reference(reference, {"input_ids": ids, **kw}, use_cache=False).logits.numpy()
    np.testing.assert_allclose(full, expected, atol=1e-4, rtol=0)
    step = _incremental(fn, ids, [4, 1, 2, 1], **kw)
    np.testing.assert_allclose(step, full, atol=1e-5, rtol=0)
    # Two structures traced: no cache, and a cache of 2 (or 4 with cross-attention) tensors per layer.
    assert fn.tracing_count == 2
    ids, states, states_mask = _decoder_inputs(seed=1, batch=3, length=11)
    kw = dict(encoder_hidden_states=states, encoder_attention_mask=states_mask) if cross else {}
    np.testing.assert_allclose(
        _incremental(fn, ids, [3, 5, 1, 2], **kw), np.asarray(fn(ids, **kw)["logits"]), atol=1e-5, rtol=0
    )
    assert fn.tracing_count == 2  # never one per length or batch size


@pytest.fixture(scope="module")
def encoder_fn():
    config = keras_bert.BertConfig(
        vocab_size=99, hidden_size=32, num_hidden_layers=1, num_attention_heads=4, intermediate_size=37
    )
    return keras_bert.predict_fn(keras_bert.TFBertModel(config))


@pytest.mark.parametrize("name", ["input_ids", "attention_mask", "token_type_ids"])
def test_float_inputs_are_rejected(encoder_fn, name):
    inputs = {"input_ids": np.ones((2, 5), "int32")}
    inputs[name] = np.full((2, 5), 1.7 if name == "input_ids" else 1.0, "float32")
    with pytest.raises(TypeError, match=rf"{name} must hold .*float32"):
        encoder_fn(**inputs)


def test_bool_mask_equals_int_mask(encoder_fn):
    ids = np.arange(1, 13, dtype="int64").reshape(2, 6)  # int64 ids are fine
    mask = np.ones((2, 6), bool)
    mask[1, 3:] = False
    ours = encoder_fn(ids, attention_mask=mask)["last_hidden_state"]
    expected = encoder_fn(ids.astype("int32"), attention_mask=mask.astype("int32"))["last_hidden_state"]
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(expected))


def test_mismatched_shapes_and_ranks_are_rejected(encoder_fn):
    ids = np.ones((2, 5), "int32")
    with pytest.raises(ValueError, match=r"attention_mask has shape \(2, 4\) but input_ids has shape \(2, 5\)"):
        encoder_fn(ids, attention_mask=np.ones((2, 4), "int32"))
    with pytest.raises(ValueError, match=r"token_type_ids has shape \(3, 5\) but input_ids has shape \(2, 5\)"):
        encoder_fn(ids, token_type_ids=np.zeros((3, 5), "int32"))
    with pytest.raises(ValueError, match=r"input_ids must have rank 2 .* got shape \(2, 2, 5\)"):
        encoder_fn(np.ones((2, 2, 5), "int32"))
    with pytest.raises(ValueError, match="past_key_values were given but TFBertModel is not a decoder"):
        encoder_fn(ids, past_key_values=((np.zeros((2, 4, 1, 8), "float32"),) * 2,))


def test_multiple_choice_rejects_rank_2(hf_checkpoint):
    path, _ = hf_checkpoint("BertForMultipleChoice")
    fn = keras_bert.predict_fn(keras_bert.TFBertForMultipleChoice.from_pretrained(path))
    with pytest.raises(ValueError, match=r"input_ids must have rank 3 \(batch, choices, length\).*got shape \(2, 5\)"):
        fn(np.ones((2, 5), "int32"))


def test_unknown_output_name_is_named(encoder_fn):
    fn = keras_bert.predict_fn(encoder_fn.model, outputs=["logits"])
    with pytest.raises(ValueError, match=r"no output\(s\) \['logits'\]"):
        fn(np.ones((1, 3), "int32"))


def test_out_of_range_ids_are_rejected_under_xla(encoder_fn):
    """The models check ids inside the graph, but XLA drops those checks (tf.debugging.Assert):
    with jit_compile=True predict_fn checks them itself."""
    fn = keras_bert.predict_fn(encoder_fn.model, jit_compile=True)
    with pytest.raises(ValueError, match=r"input_ids holds values outside \[0, vocab_size=99\): min 1, max 150"):
        fn(np.array([[1, 150, 3]], "int64"))
    with pytest.raises(ValueError, match=r"token_type_ids holds values outside \[0, type_vocab_size=2\)"):
        fn(np.array([[1, 2, 3]], "int32"), token_type_ids=np.array([[0, 2, 0]], "int32"))
    with pytest.raises(ValueError, match=r"input_ids has 513 positions .* max_position_embeddings=512"):
        fn(np.ones((1, 513), "int32"))


def test_freeze_is_a_snapshot_of_constants(make_tiny_config, make_batch):
    config = make_tiny_config()
    model = keras_bert.TFBertModel(config)
    model.build()
    batch = make_batch(B, T)
    frozen = keras_bert.predict_fn(model, ["last_hidden_state"], freeze=True)
    before = np.asarray(frozen(**batch)["last_hidden_state"])
    graph = frozen._functions[(0, False)].get_concrete_function().graph
    assert not {"ReadVariableOp", "VarHandleOp"} & {op.type for op in graph.get_operations()}
    for v in model.weights:  # change every weight: the frozen function keeps its snapshot
        v.assign(v.numpy() + 0.1)
    np.testing.assert_array_equal(np.asarray(frozen(**batch)["last_hidden_state"]), before)
    live = np.asarray(keras_bert.predict_fn(model, ["last_hidden_state"])(**batch)["last_hidden_state"])
    assert np.abs(live - before).max() > 1e-2
    assert frozen.tracing_count == 1


def test_freeze_refusals(make_tiny_config):
    model = keras_bert.TFBertModel(make_tiny_config())
    with pytest.raises(ValueError, match="freeze=True traces a graph of constants"):
        keras_bert.predict_fn(model, jit_compile=True, freeze=True)
    with pytest.raises(TypeError, match="freeze must be True or False, got 'yes'"):
        keras_bert.predict_fn(model, freeze="yes")
