import json

import pytest

from keras_bert import BertConfig


def test_defaults_match_hf():
    import transformers

    ours, ref = BertConfig(), transformers.BertConfig()
    for name in (
        "vocab_size hidden_size num_hidden_layers num_attention_heads intermediate_size hidden_act "
        "hidden_dropout_prob attention_probs_dropout_prob max_position_embeddings type_vocab_size "
        "initializer_range layer_norm_eps pad_token_id is_decoder add_cross_attention use_cache "
        "classifier_dropout num_labels problem_type"
    ).split():
        assert getattr(ours, name) == getattr(ref, name), name
    assert ours.position_embedding_type == "absolute"
    assert ours.id2label == {0: "LABEL_0", 1: "LABEL_1"}


def test_json_round_trip_keeps_unknown_keys(tmp_path):
    cfg = BertConfig(
        hidden_size=64, num_attention_heads=4, num_labels=3, foo_bar={"x": 1}, transformers_version="4.8.2"
    )
    cfg.save_pretrained(tmp_path)
    raw = json.loads((tmp_path / "config.json").read_text())
    assert raw["foo_bar"] == {"x": 1} and raw["transformers_version"] == "4.8.2"
    back = BertConfig.from_pretrained(tmp_path)
    assert back == cfg
    assert back.num_labels == 3 and back.id2label[2] == "LABEL_2" and back.label2id["LABEL_1"] == 1
    assert BertConfig.from_json_file(tmp_path / "config.json") == cfg


def test_reads_transformers_config(tmp_path):
    import transformers

    transformers.BertConfig(hidden_size=48, num_attention_heads=3, id2label={0: "neg", 1: "pos"}).save_pretrained(
        tmp_path
    )
    cfg = BertConfig.from_pretrained(tmp_path)
    assert cfg.hidden_size == 48 and cfg.head_dim == 16
    assert cfg.id2label == {0: "neg", 1: "pos"} and cfg.label2id == {"neg": 0, "pos": 1}


def test_overrides_and_num_labels():
    cfg = BertConfig(id2label={0: "a", 1: "b"})
    assert cfg.copy(num_labels=4).id2label == {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2", 3: "LABEL_3"}
    cfg.num_labels = 5
    assert len(cfg.label2id) == 5


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(hidden_size=100, num_attention_heads=12), "hidden_size"),
        (dict(hidden_act="gelu_fast_unknown"), "hidden_act"),
        (dict(position_embedding_type="rotary"), "position_embedding_type"),
        (dict(vocab_size=0), "vocab_size"),
        (dict(num_hidden_layers=-1), "num_hidden_layers"),
        (dict(intermediate_size=2.5), "intermediate_size"),
        (dict(problem_type="ranking"), "problem_type"),
        (dict(hidden_dropout_prob=1.5), "hidden_dropout_prob"),
    ],
)
def test_invalid_values_name_field_and_value(kwargs, field):
    with pytest.raises(ValueError) as err:
        BertConfig(**kwargs)
    message = str(err.value)
    assert f"BertConfig.{field}" in message, message
    for value in kwargs.values():  # every value involved, as the user typed it
        assert repr(value) in message, (value, message)


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="config.json"):
        BertConfig.from_pretrained(tmp_path)
    bad = tmp_path / "config.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        BertConfig.from_pretrained(tmp_path)
