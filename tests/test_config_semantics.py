"""Config semantics as in transformers: `PretrainedConfig` attributes, `update`, unused kwargs, and
`output_hidden_states` / `output_attentions` / `return_dict` from the config applying to calls that
do not say (Keras models and the twin, both through `contract.split_call`)."""

import json
import os
import warnings

import numpy as np
import pytest

SWITCHES = ("output_hidden_states", "output_attentions", "return_dict", "is_encoder_decoder", "chunk_size_feed_forward")


def test_pretrained_config_defaults_match_transformers():
    import transformers

    from keras_bert import BertConfig

    ours, theirs = BertConfig(), transformers.BertConfig()
    for name in SWITCHES + ("model_type", "name_or_path"):
        assert getattr(ours, name) == getattr(theirs, name), name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ours.use_return_dict is theirs.use_return_dict is True
    assert BertConfig(return_dict=False).use_return_dict is False


def test_switches_written_only_when_set_like_transformers(tmp_path):
    import transformers

    from keras_bert import BertConfig

    assert not set(SWITCHES) & set(BertConfig().to_dict())
    transformers.BertConfig(output_hidden_states=True).save_pretrained(tmp_path / "hf")
    BertConfig(output_hidden_states=True).save_pretrained(tmp_path / "ours")
    theirs = json.loads((tmp_path / "hf" / "config.json").read_text())
    ours = json.loads((tmp_path / "ours" / "config.json").read_text())
    assert ours["output_hidden_states"] is theirs["output_hidden_states"] is True
    assert BertConfig.from_pretrained(tmp_path / "hf").output_hidden_states is True
    assert BertConfig.from_pretrained(tmp_path / "ours") == BertConfig(output_hidden_states=True)


def test_update_and_unused_kwargs_match_transformers(tmp_path):
    import transformers

    from keras_bert import BertConfig

    ours, theirs = BertConfig(), transformers.BertConfig()
    for config in (ours, theirs):
        config.update({"output_attentions": True, "num_labels": 4, "hidden_dropout_prob": 0.3})
    assert (ours.output_attentions, ours.num_labels, ours.id2label, ours.hidden_dropout_prob) == (
        theirs.output_attentions,
        theirs.num_labels,
        theirs.id2label,
        theirs.hidden_dropout_prob,
    )
    with pytest.raises(ValueError, match="hidden_dropout_prob"):
        ours.update({"hidden_dropout_prob": 1.5})
    transformers.BertConfig().save_pretrained(tmp_path)
    want_config, want_unused = transformers.BertConfig.from_pretrained(
        tmp_path, return_unused_kwargs=True, foo=1, num_labels=3, output_hidden_states=True
    )
    config, unused = BertConfig.from_pretrained(
        tmp_path, return_unused_kwargs=True, foo=1, num_labels=3, output_hidden_states=True
    )
    assert unused == want_unused == {"foo": 1}
    assert (config.num_labels, config.output_hidden_states) == (want_config.num_labels, True)
    assert config.name_or_path == os.fspath(tmp_path)
    assert "foo" not in BertConfig.from_pretrained(tmp_path, foo=1).to_dict()  # ignored, as in transformers


@pytest.fixture
def reference(hf_checkpoint, make_batch):
    """transformers' hidden states and attentions of a tiny checkpoint, with the batch."""
    import torch
    import transformers

    path, _ = hf_checkpoint("BertModel")
    model = transformers.BertModel.from_pretrained(path, attn_implementation="eager").eval()  # eager returns attentions
    batch = make_batch(vocab=model.config.vocab_size)
    with torch.no_grad():
        out = model(**{k: torch.tensor(v) for k, v in batch.items()}, output_hidden_states=True, output_attentions=True)
    return path, batch, [h.numpy() for h in out.hidden_states], [a.numpy() for a in out.attentions]


def test_keras_config_switches_apply_when_the_call_does_not_say(reference):
    from keras_bert import TFBertModel

    path, batch, hidden, attentions = reference
    model = TFBertModel.from_pretrained(path, output_hidden_states=True, output_attentions=True)
    out = model(batch)
    assert len(out.hidden_states) == len(hidden) and len(out.attentions) == len(attentions)
    for got, want in zip(out.hidden_states + out.attentions, hidden + attentions):
        np.testing.assert_allclose(np.asarray(got), want, atol=1e-5, rtol=1e-5)
    assert model(batch, output_hidden_states=False).hidden_states is None  # the call wins
    model.config.return_dict = False
    as_tuple = model(batch)
    assert isinstance(as_tuple, tuple) and len(as_tuple) == 4  # last, pooled, hidden states, attentions
    assert not isinstance(model(batch, return_dict=True), tuple)


def test_twin_config_switches_apply_when_the_call_does_not_say(reference):
    import torch

    from keras_bert.torch import BertForSequenceClassification

    path, batch, hidden, attentions = reference
    twin = BertForSequenceClassification.from_pretrained(path, output_hidden_states=True, return_dict=False)
    with torch.no_grad():
        out = twin(**{k: torch.tensor(v) for k, v in batch.items()})
    assert isinstance(out, tuple)
    got = out[1]  # (logits, hidden_states)
    assert len(got) == len(hidden)
    for g, want in zip(got, hidden):
        np.testing.assert_allclose(g.numpy(), want, atol=1e-5, rtol=1e-5)


def test_bare_encoders_take_config_switches(reference):
    """The Keras main layer called directly and the twin's bare BertModel apply the config too."""
    import torch

    from keras_bert import TFBertModel
    from keras_bert.torch import BertModel

    path, batch, hidden, attentions = reference
    keras_model = TFBertModel.from_pretrained(path, output_hidden_states=True)
    out = keras_model.bert(**{k: np.asarray(v, "int32") for k, v in batch.items()})
    assert len(out.hidden_states) == len(hidden)
    for got, want in zip(out.hidden_states, hidden):
        np.testing.assert_allclose(np.asarray(got), want, atol=1e-5, rtol=1e-5)
    twin = BertModel.from_pretrained(path, output_attentions=True, attn_implementation="eager").eval()
    with torch.no_grad():
        twin_out = twin(**{k: torch.tensor(v) for k, v in batch.items()})
    assert len(twin_out.attentions) == len(attentions)
    for got, want in zip(twin_out.attentions, attentions):
        np.testing.assert_allclose(got.numpy(), want, atol=1e-5, rtol=1e-5)
