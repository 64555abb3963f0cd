"""BertModel of the twin against transformers' BertModel."""

from __future__ import annotations

import pytest
import torch

from keras_bert import BertConfig
from keras_bert.torch import BertModel
from tests.support.twin import ATOL, assert_close, batch, hf_config, make_hf, transformers


@pytest.mark.parametrize("hidden_act", ["gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu", "swish", "tanh"])
@pytest.mark.parametrize("impl", ["sdpa", "eager"])
def test_parity_hidden_acts(tmp_path, hidden_act, impl):
    hf = make_hf("BertModel", tmp_path, hidden_act=hidden_act)
    twin = BertModel.from_pretrained(tmp_path, attn_implementation=impl)
    assert twin.loading_info["missing_keys"] == [] and twin.loading_info["unexpected_keys"] == []
    inputs = batch()
    with torch.no_grad():
        ref = hf(**inputs, output_hidden_states=True, output_attentions=True)
        out = twin(**inputs, output_hidden_states=True, output_attentions=True)
    valid = inputs["attention_mask"][..., None].expand_as(ref.last_hidden_state)
    assert_close(out.last_hidden_state, ref.last_hidden_state, mask=valid, what="last_hidden_state")
    assert_close(out.pooler_output, ref.pooler_output, what="pooler_output")
    assert len(out.hidden_states) == len(ref.hidden_states) == 3
    for a, r in zip(out.hidden_states, ref.hidden_states):
        assert_close(a, r, mask=valid, what="hidden_states")
    assert len(out.attentions) == len(ref.attentions) == 2
    for a, r in zip(out.attentions, ref.attentions):
        rows = inputs["attention_mask"][:, None, :, None].expand_as(r)
        assert_close(a, r, mask=rows, what="attentions")


def test_state_dict_names_equal_hf():
    torch.manual_seed(0)
    for kw in ({}, {"is_decoder": True, "add_cross_attention": True}):
        hf = transformers.BertModel(hf_config(**kw))
        twin = BertModel(BertConfig(**hf_config(**kw).to_dict()))
        assert list(twin.state_dict()) == list(hf.state_dict())
        for k, v in hf.state_dict().items():
            assert twin.state_dict()[k].shape == v.shape, k
    no_pool = BertModel(BertConfig(**hf_config().to_dict()), add_pooling_layer=False)
    assert not any(k.startswith("pooler.") for k in no_pool.state_dict())


def test_from_pretrained_without_pooler(tmp_path):
    make_hf("BertModel", tmp_path)
    model = BertModel.from_pretrained(tmp_path, add_pooling_layer=False)
    assert model.pooler is None and "add_pooling_layer" not in model.config.to_dict()
    assert model.loading_info["unexpected_keys"] == ["bert.pooler.dense.bias", "bert.pooler.dense.weight"]
    assert model(**batch()).pooler_output is None


def test_return_tuple_and_inputs_embeds(tmp_path):
    make_hf("BertModel", tmp_path)
    twin = BertModel.from_pretrained(tmp_path)
    inputs = batch()
    with torch.no_grad():
        out = twin(**inputs)
        tup = twin(**inputs, return_dict=False)
        embeds = twin.embeddings.word_embeddings(inputs["input_ids"])
        via_embeds = twin(
            inputs_embeds=embeds, attention_mask=inputs["attention_mask"], token_type_ids=inputs["token_type_ids"]
        )
    assert isinstance(tup, tuple) and len(tup) == 2
    assert torch.equal(tup[0], out.last_hidden_state) and torch.equal(out[1], out["pooler_output"])
    assert_close(via_embeds.last_hidden_state, out.last_hidden_state)
    with pytest.raises(ValueError, match="exactly one"):
        twin()


@pytest.mark.parametrize("impl", ["sdpa", "eager"])
def test_fully_padded_row_and_padding_invariance(tmp_path, impl):
    make_hf("BertModel", tmp_path)
    twin = BertModel.from_pretrained(tmp_path, attn_implementation=impl)
    inputs = batch()
    inputs["attention_mask"][2] = 0  # a row with no valid token at all
    with torch.no_grad():
        out = twin(**inputs, output_attentions=impl == "eager")
        changed = dict(inputs, input_ids=inputs["input_ids"].masked_fill(inputs["attention_mask"] == 0, 7))
        out2 = twin(**changed)
    assert torch.isfinite(out.last_hidden_state).all() and torch.isfinite(out.pooler_output).all()
    valid = inputs["attention_mask"][..., None].expand_as(out.last_hidden_state)
    assert_close(out2.last_hidden_state, out.last_hidden_state, mask=valid, what="padding invariance")


def test_sdpa_equals_eager_with_decoder_mask(tmp_path):
    make_hf("BertModel", tmp_path, is_decoder=True)
    sdpa = BertModel.from_pretrained(tmp_path)
    eager = BertModel.from_pretrained(tmp_path, attn_implementation="eager")
    inputs = batch()
    with torch.no_grad():
        a, b = sdpa(**inputs, use_cache=False), eager(**inputs, use_cache=False)
    assert_close(a.last_hidden_state, b.last_hidden_state)


def test_decoder_parity_with_hf(tmp_path):
    hf = make_hf("BertModel", tmp_path, is_decoder=True)
    twin = BertModel.from_pretrained(tmp_path)
    inputs = batch()
    with torch.no_grad():
        ref = hf(**inputs, use_cache=False)
        out = twin(**inputs, use_cache=False)
    valid = inputs["attention_mask"][..., None].expand_as(ref.last_hidden_state)
    assert_close(out.last_hidden_state, ref.last_hidden_state, mask=valid)


def test_head_mask(tmp_path):
    make_hf("BertModel", tmp_path)
    twin = BertModel.from_pretrained(tmp_path)
    inputs = batch()
    with torch.no_grad():
        plain = twin(**inputs)
        ones = twin(**inputs, head_mask=torch.ones(4))
        masked = twin(
            **inputs, head_mask=torch.tensor([[1.0, 0.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]]), output_attentions=True
        )
    assert_close(ones.last_hidden_state, plain.last_hidden_state)
    assert masked.attentions[0][:, 1].abs().max() == 0
    assert (masked.last_hidden_state - plain.last_hidden_state).abs().max() > 1e-3


# -- relative positions: transformers 5 dropped them, so the oracle is transformers'
# BertModel with the HF 4.x relative-attention formula plugged in as its attention function.


def _register_relative_attention():
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, AttentionMaskInterface

    def relative_eager(module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kwargs):
        scores = torch.matmul(query, key.transpose(2, 3))
        tq, tk = query.shape[2], key.shape[2]
        distance = torch.arange(tq).view(-1, 1) - torch.arange(tk).view(1, -1)
        pos = module.distance_embedding(distance + module.max_position_embeddings - 1)
        scores = scores + torch.einsum("bhld,lrd->bhlr", query, pos)
        if module.position_embedding_type == "relative_key_query":
            scores = scores + torch.einsum("bhrd,lrd->bhlr", key, pos)
        scores = scores * scaling
        if attention_mask is not None:
            scores = scores + attention_mask
        probs = torch.softmax(scores, dim=-1)
        return torch.matmul(probs, value).transpose(1, 2).contiguous(), probs

    AttentionInterface.register("relative_eager", relative_eager)
    AttentionMaskInterface.register("relative_eager", ALL_MASK_ATTENTION_FUNCTIONS["eager"])


@pytest.mark.parametrize("position_embedding_type", ["relative_key", "relative_key_query"])
@pytest.mark.parametrize("impl", ["sdpa", "eager"])
def test_parity_relative_positions(tmp_path, position_embedding_type, impl):
    _register_relative_attention()
    torch.manual_seed(0)
    config = hf_config(position_embedding_type=position_embedding_type)
    hf = transformers.BertModel(config)
    hf.save_pretrained(tmp_path)
    twin_config = BertConfig.from_pretrained(tmp_path)
    twin = BertModel(twin_config, attn_implementation=impl)
    # Perturb the twin, give every HF self-attention the twin's distance table.
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for p in twin.parameters():
            p.add_(torch.randn(p.shape, generator=g) * 0.1)
        state = {k: v for k, v in twin.state_dict().items() if "distance_embedding" not in k}
        hf.load_state_dict(state)
        # HF 4.x adds no absolute positions with relative types: zero them in the oracle only.
        hf.embeddings.position_embeddings.weight.zero_()
        for i, layer in enumerate(hf.encoder.layer):
            layer.attention.self.distance_embedding = twin.encoder.layer[i].attention.self.distance_embedding
            layer.attention.self.max_position_embeddings = config.max_position_embeddings
            layer.attention.self.position_embedding_type = position_embedding_type
    hf.set_attn_implementation("relative_eager")
    hf.eval()
    twin.eval()
    assert twin.encoder.layer[0].attention.self.distance_embedding.num_embeddings == 2 * 64 - 1
    inputs = batch()
    with torch.no_grad():
        ref = hf(**inputs, output_hidden_states=True, output_attentions=True)
        out = twin(**inputs, output_hidden_states=True, output_attentions=True)
    valid = inputs["attention_mask"][..., None].expand_as(ref.last_hidden_state)
    assert_close(out.last_hidden_state, ref.last_hidden_state, mask=valid, what="last_hidden_state")
    assert_close(out.pooler_output, ref.pooler_output, what="pooler_output")
    for a, r in zip(out.hidden_states, ref.hidden_states):
        assert_close(a, r, mask=valid, what="hidden_states")
    for a, r in zip(out.attentions, ref.attentions):
        rows = inputs["attention_mask"][:, None, :, None].expand_as(r)
        assert_close(a, r, mask=rows, what="attentions")


@pytest.mark.slow
def test_real_checkpoint_minilm(minilm_dir):
    tokenizer = transformers.BertTokenizerFast.from_pretrained(minilm_dir)
    sentences = [
        "The quick brown fox jumps over the lazy dog.",
        "Hello world",
        "Sentence embeddings map text to dense vectors; similar meanings land close together.",
        "A",
    ]
    enc = tokenizer(sentences, padding=True, return_tensors="pt")
    inputs = {k: enc[k] for k in ("input_ids", "attention_mask", "token_type_ids")}
    hf = transformers.BertModel.from_pretrained(minilm_dir, attn_implementation="eager").eval()
    with torch.no_grad():
        ref = hf(**inputs)
    for impl in ("sdpa", "eager"):
        twin = BertModel.from_pretrained(minilm_dir, attn_implementation=impl)
        assert twin.loading_info["missing_keys"] == []
        with torch.no_grad():
            out = twin(**inputs)
        valid = inputs["attention_mask"][..., None].expand_as(ref.last_hidden_state)
        assert_close(
            out.last_hidden_state, ref.last_hidden_state, atol=ATOL, mask=valid, what=f"{impl} last_hidden_state"
        )
        assert_close(out.pooler_output, ref.pooler_output, atol=ATOL, what=f"{impl} pooler_output")


def test_output_records_match_transformers_fields():
    import dataclasses

    from transformers import modeling_outputs
    from transformers.models.bert.modeling_bert import BertForPreTrainingOutput

    import keras_bert.torch.outputs as records

    # Our records keep transformers 4.x names on purpose (a drop-in for 4.x users); transformers 5
    # renamed `past_key_values` to `cache` in place. Map that one documented rename, nothing else.
    renamed_in_v5 = {"cache": "past_key_values"}
    renames_seen = 0
    for name in records.__all__[1:]:
        reference = BertForPreTrainingOutput if name == "BertForPreTrainingOutput" else getattr(modeling_outputs, name)
        reference_fields = tuple(f.name for f in dataclasses.fields(reference))
        renames_seen += sum(f in renamed_in_v5 for f in reference_fields)
        expected = tuple(renamed_in_v5.get(f, f) for f in reference_fields)
        assert getattr(records, name)._fields == expected, (name, reference_fields)
    if int(transformers.__version__.split(".")[0]) >= 5:
        # Two records carry the cache; if transformers stops using `cache` this map is stale.
        assert renames_seen == 2, f"expected `cache` in 2 transformers {transformers.__version__} records"


def test_bfloat16_padded_no_nan(tmp_path):
    make_hf("BertModel", tmp_path)
    for impl in ("sdpa", "eager"):
        model = BertModel.from_pretrained(tmp_path, attn_implementation=impl).to(torch.bfloat16)
        inputs = batch()
        inputs["attention_mask"][2] = 0
        with torch.no_grad():
            out = model(**inputs)
        assert out.last_hidden_state.dtype == torch.bfloat16
        assert torch.isfinite(out.last_hidden_state.float()).all()


def test_training_step_grads_reach_tied_weights(tmp_path):
    import keras_bert.torch as kt

    make_hf("BertForMaskedLM", tmp_path)
    model = kt.BertForMaskedLM.from_pretrained(tmp_path).train()
    inputs = batch()
    labels = inputs["input_ids"].masked_fill(inputs["attention_mask"] == 0, -100)
    loss = model(**inputs, labels=labels).loss
    loss.backward()
    emb = model.bert.embeddings.word_embeddings.weight
    assert emb.grad is not None and torch.isfinite(emb.grad).all() and emb.grad.abs().sum() > 0
    assert model.cls.predictions.bias.grad is not None
