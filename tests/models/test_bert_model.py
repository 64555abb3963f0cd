"""TFBertModel: parity with transformers on the real checkpoint and tiny models, plus Keras contracts."""

import keras
import numpy as np
import pytest
import torch

from keras_bert import BertConfig, TFBertModel


def _reference(path, batch, **kw):
    import transformers

    model = transformers.BertModel.from_pretrained(path, **kw).eval()
    with torch.no_grad():
        return model(**{k: torch.tensor(v).long() for k, v in batch.items()})


@pytest.mark.slow
def test_minilm_matches_transformers(minilm_dir, minilm_batch):
    model = TFBertModel.from_pretrained(minilm_dir)
    assert model.loading_info["missing_keys"] == [] and model.loading_info["unexpected_keys"] == []
    out = model(minilm_batch)
    ref = _reference(minilm_dir, minilm_batch)
    valid = minilm_batch["attention_mask"].astype(bool)
    diff = np.abs(np.asarray(out.last_hidden_state) - ref.last_hidden_state.numpy())[valid]
    assert diff.max() < 1e-4
    assert np.abs(np.asarray(out.pooler_output) - ref.pooler_output.numpy()).max() < 1e-4


@pytest.mark.parametrize("act", ["gelu", "gelu_new", "relu", "silu"])
def test_tiny_matches_transformers(hf_checkpoint, make_batch, act):
    path, _ = hf_checkpoint(hidden_act=act)
    batch = make_batch()
    out = TFBertModel.from_pretrained(path)(batch, output_hidden_states=True, output_attentions=True)
    ref = _reference(path, batch, attn_implementation="eager")
    valid = batch["attention_mask"].astype(bool)
    np.testing.assert_allclose(
        np.asarray(out.last_hidden_state)[valid], ref.last_hidden_state.numpy()[valid], atol=1e-5
    )
    np.testing.assert_allclose(np.asarray(out.pooler_output), ref.pooler_output.numpy(), atol=1e-5)


def test_output_record_access_and_tuple(make_tiny_config, make_batch):
    model = TFBertModel(make_tiny_config())
    batch = make_batch()
    out = model(**batch, output_hidden_states=True, output_attentions=True)
    assert out[0] is out.last_hidden_state is out["last_hidden_state"]
    assert out[1] is out.pooler_output
    assert len(out.hidden_states) == 3 and len(out.attentions) == 2
    assert tuple(out.attentions[0].shape) == (3, 4, 9, 9)
    as_tuple = model(**batch, return_dict=False)
    assert isinstance(as_tuple, tuple) and len(as_tuple) == 2
    np.testing.assert_array_equal(np.asarray(as_tuple[0]), np.asarray(out.last_hidden_state))


def test_dict_input_equals_keywords(make_tiny_config, make_batch):
    model = TFBertModel(make_tiny_config())
    batch = make_batch()
    a = model(batch).last_hidden_state
    b = model(**batch).last_hidden_state
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    with pytest.raises(ValueError, match="bogus"):
        model({**batch, "bogus": batch["input_ids"]})


def test_symbolic_and_eager_shapes(make_tiny_config):
    model = TFBertModel(make_tiny_config())
    ids = keras.Input(shape=(None,), dtype="int32", name="input_ids")
    mask = keras.Input(shape=(None,), dtype="int32", name="attention_mask")
    out = model({"input_ids": ids, "attention_mask": mask})
    assert tuple(out["last_hidden_state"].shape) == (None, None, 32)
    assert tuple(out["pooler_output"].shape) == (None, 32)
    eager = model(np.ones((2, 7), "int32"))
    assert tuple(eager.last_hidden_state.shape) == (2, 7, 32)


def test_padding_invariance_and_fully_padded_row(make_tiny_config, make_batch):
    model = TFBertModel(make_tiny_config())
    batch = make_batch()
    base = np.asarray(model(batch).last_hidden_state)
    changed = dict(batch, input_ids=np.where(batch["attention_mask"] == 0, 7, batch["input_ids"]).astype("int32"))
    other = np.asarray(model(changed).last_hidden_state)
    valid = batch["attention_mask"].astype(bool)
    np.testing.assert_allclose(base[valid], other[valid], atol=1e-6)
    # A wholly padded row gives finite numbers and does not disturb the other rows.
    padded = dict(batch, attention_mask=batch["attention_mask"].copy())
    padded["attention_mask"][0] = 0
    out = model(padded)
    assert np.isfinite(np.asarray(out.last_hidden_state)).all()
    assert np.isfinite(np.asarray(out.pooler_output)).all()
    np.testing.assert_allclose(np.asarray(out.last_hidden_state)[1:][valid[1:]], base[1:][valid[1:]], atol=1e-6)


def _non_default_model():
    cfg = BertConfig(
        vocab_size=50,
        hidden_size=24,
        num_hidden_layers=2,
        num_attention_heads=3,
        intermediate_size=40,
        hidden_act="gelu_new",
        max_position_embeddings=32,
        type_vocab_size=3,
        layer_norm_eps=1e-7,
        position_embedding_type="relative_key_query",
        custom_field="kept",
    )
    return TFBertModel(cfg, add_pooling_layer=False, name="my_bert")


def test_get_config_from_config_round_trip(make_batch):
    model = _non_default_model()
    batch = make_batch(vocab=50, length=8)
    expected = np.asarray(model(batch).last_hidden_state)
    clone = TFBertModel.from_config(model.get_config())
    assert clone.name == "my_bert" and clone.add_pooling_layer is False and clone.bert.pooler is None
    assert clone.config == model.config and clone.config.extra["custom_field"] == "kept"
    clone.build()
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(np.asarray(clone(batch).last_hidden_state), expected)


def test_keras_file_round_trip(tmp_path, make_batch):
    model = _non_default_model()
    batch = make_batch(vocab=50, length=8)
    expected = np.asarray(model(batch).last_hidden_state)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, TFBertModel) and loaded.config == model.config
    np.testing.assert_allclose(np.asarray(loaded(batch).last_hidden_state), expected, atol=1e-6)


def test_inputs_embeds_equals_input_ids(make_tiny_config, make_batch):
    model = TFBertModel(make_tiny_config())
    batch = make_batch()
    embeds = model.bert.embeddings.word_embeddings(batch["input_ids"])
    a = model(batch).last_hidden_state
    b = model(inputs_embeds=embeds, attention_mask=batch["attention_mask"], token_type_ids=batch["token_type_ids"])
    np.testing.assert_allclose(np.asarray(a), np.asarray(b.last_hidden_state), atol=1e-6)
    with pytest.raises(ValueError, match="exactly one"):
        model(input_ids=batch["input_ids"], inputs_embeds=embeds)


def test_tokenizer_output_mapping_is_accepted(minilm_dir):
    """A BatchEncoding (a dict subclass) goes straight into the model, as in transformers."""
    from keras_bert.tokenization import BertTokenizer

    tokenizer = BertTokenizer.from_pretrained(minilm_dir)
    model = TFBertModel(
        BertConfig(
            vocab_size=tokenizer.vocab_size,
            hidden_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=20,
        )
    )
    enc = tokenizer(["hello world", "a longer second sentence"], padding=True, return_tensors="np")
    assert type(enc) is not dict
    np.testing.assert_array_equal(
        np.asarray(model(enc).last_hidden_state), np.asarray(model(dict(enc)).last_hidden_state)
    )
