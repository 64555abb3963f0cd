"""Auto classes (`keras_bert.auto`) and the from_pretrained keywords every model class takes."""

import json
import shutil

import numpy as np
import pytest

from keras_bert.contract import HEADS


def test_auto_table_covers_every_head():
    from keras_bert import auto

    assert sorted(auto.AUTO_MODELS.values()) == sorted(HEADS)
    assert auto.AUTO_MODELS["TFAutoModelForCausalLM"] == "BertLMHeadModel"
    for name, cls in auto.AUTO_CLASSES.items():
        assert cls.model_class().__name__ == "TF" + auto.AUTO_MODELS[name]
        assert cls.__name__ == name and cls.__doc__


def test_auto_models_load_every_head_and_match_transformers(hf_checkpoint, make_batch):
    import torch

    from keras_bert import auto

    path, reference = hf_checkpoint("BertForPreTraining")
    batch = make_batch(vocab=reference.config.vocab_size)
    with torch.no_grad():
        want = reference(**{k: torch.tensor(v) for k, v in batch.items()})
    for name, cls in auto.AUTO_CLASSES.items():
        if name == "TFAutoModelForMultipleChoice":
            continue  # (B, C, T) inputs; its loading is the same code
        model = cls.from_pretrained(path)
        assert type(model).__name__ == "TF" + auto.AUTO_MODELS[name]
        assert model.config.name_or_path == path
    model = auto.TFAutoModelForPreTraining.from_pretrained(path)
    got = model(batch)
    np.testing.assert_allclose(np.asarray(got.prediction_logits), want.prediction_logits.numpy(), atol=1e-4)
    np.testing.assert_allclose(np.asarray(got.seq_relationship_logits), want.seq_relationship_logits.numpy(), atol=1e-5)
    fresh = auto.TFAutoModelForTokenClassification.from_config(model.config.copy(num_labels=5))
    assert type(fresh).__name__ == "TFBertForTokenClassification" and fresh.config.num_labels == 5


def test_other_model_types_are_refused_by_name(hf_checkpoint, tmp_path):
    from keras_bert import auto

    path, _ = hf_checkpoint("BertModel")
    other = tmp_path / "roberta"
    shutil.copytree(path, other)
    data = json.loads((other / "config.json").read_text())
    (other / "config.json").write_text(json.dumps({**data, "model_type": "roberta"}))
    for load in (auto.AutoConfig.from_pretrained, auto.TFAutoModel.from_pretrained):
        with pytest.raises(ValueError, match="model_type 'roberta'.*BERT only"):
            load(str(other))
    with pytest.raises(ValueError, match="BERT only"):
        auto.AutoConfig.for_model("gpt2")
    with pytest.raises(ValueError, match="BertConfig"):
        auto.TFAutoModel.from_config({"model_type": "bert"})


def test_auto_config_and_tokenizer_match_transformers(minilm_dir):
    import transformers

    from keras_bert import auto

    config = auto.AutoConfig.from_pretrained(minilm_dir, output_attentions=True)
    want = transformers.AutoConfig.from_pretrained(minilm_dir, output_attentions=True)
    assert (config.hidden_size, config.num_hidden_layers, config.output_attentions) == (
        want.hidden_size,
        want.num_hidden_layers,
        want.output_attentions,
    )
    assert auto.AutoConfig.for_model("bert", hidden_size=64, num_attention_heads=2).hidden_size == 64
    texts = ["Hello, World!", "Unwanted running héllo"]
    reference = transformers.AutoTokenizer.from_pretrained(minilm_dir)(texts, padding=True)["input_ids"]
    fast = auto.AutoTokenizer.from_pretrained(minilm_dir)
    slow = auto.AutoTokenizer.from_pretrained(minilm_dir, use_fast=False)
    assert (type(fast).__name__, type(slow).__name__) == ("BertTokenizerFast", "BertTokenizer")
    assert fast(texts, padding=True)["input_ids"] == slow(texts, padding=True)["input_ids"] == reference


def test_from_pretrained_keywords_keras_and_twin(hf_checkpoint):
    from keras_bert import TFBertForSequenceClassification
    from keras_bert.torch import BertForSequenceClassification

    path, _ = hf_checkpoint("BertForSequenceClassification", num_labels=2)
    for cls in (TFBertForSequenceClassification, BertForSequenceClassification):
        model, info = cls.from_pretrained(
            path, num_labels=2, classifier_dropout=0.2, from_pt=True, output_loading_info=True
        )
        assert set(info) >= {"missing_keys", "unexpected_keys", "mismatched_keys"} and info["missing_keys"] == []
        assert model.config.classifier_dropout == 0.2
        with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) \['not_an_option'\]"):
            cls.from_pretrained(path, not_an_option=1)
        with pytest.raises(ValueError, match="trust_remote_code"):
            cls.from_pretrained(path, trust_remote_code=True)
        config = model.config.copy(output_hidden_states=True)
        assert cls.from_pretrained(path, config=config).config.output_hidden_states is True
        assert cls.from_pretrained(path, config=path, problem_type="regression").config.problem_type == "regression"


def test_ignore_mismatched_sizes_as_transformers(hf_checkpoint, make_batch):
    import torch
    import transformers

    from keras_bert import TFBertForSequenceClassification
    from keras_bert.checkpoints import CheckpointError
    from keras_bert.torch import BertForSequenceClassification

    path, _ = hf_checkpoint("BertForSequenceClassification", num_labels=2)
    want_model, want = transformers.BertForSequenceClassification.from_pretrained(
        path, num_labels=5, ignore_mismatched_sizes=True, output_loading_info=True
    )
    want_names = sorted(m[0] if isinstance(m, tuple) else m for m in want["mismatched_keys"])
    assert want_names == ["classifier.bias", "classifier.weight"]
    batch = make_batch(vocab=want_model.config.vocab_size)
    with torch.no_grad():
        want_pooled = want_model.bert(**{k: torch.tensor(v) for k, v in batch.items()}).pooler_output.numpy()
    for cls in (TFBertForSequenceClassification, BertForSequenceClassification):
        with pytest.raises(CheckpointError, match="classifier"):
            cls.from_pretrained(path, num_labels=5)
        model, info = cls.from_pretrained(path, num_labels=5, ignore_mismatched_sizes=True, output_loading_info=True)
        assert sorted(info["mismatched_keys"]) == [
            ("classifier.bias", (2,), (5,)),
            ("classifier.weight", (2, 32), (5, 32)),
        ]
        assert sorted(info["newly_initialized"]) == want_names
        if cls is TFBertForSequenceClassification:
            pooled = np.asarray(model.bert(**batch).pooler_output)
            assert model(batch).logits.shape == (3, 5)
        else:
            with torch.no_grad():
                pooled = model.bert(**{k: torch.tensor(v) for k, v in batch.items()}).pooler_output.numpy()
        np.testing.assert_allclose(pooled, want_pooled, atol=1e-5)
