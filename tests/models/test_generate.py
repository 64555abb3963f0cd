"""`TFBertLMHeadModel.generate` against transformers 5's `BertLMHeadModel.generate`, token for token.

A perturbed tiny decoder (noise large enough that greedy paths differ per row and eos tokens occur
mid-sequence) saved by transformers; greedy and beam search with padding, eos lists, length
controls and penalties must give the same ids, and beam scores the same values (1e-4). The XLA
path (fixed cache, one while loop) must give the eager path's tokens and trace once. Sampling is
checked for reproducibility and against the top-k / top-p support computed in NumPy from
transformers' logits.
"""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import tensorflow as tf
import torch
import transformers

import keras_bert
from keras_bert.generation import GenerationConfig
from tests.support.tiny import perturb_, tiny_config

SCORE_ATOL = 1e-4


def _save(tmp_path_factory, name, **config):
    torch.manual_seed(0)
    reference = transformers.BertLMHeadModel(transformers.BertConfig(**tiny_config(is_decoder=True, **config)))
    reference = perturb_(reference, seed=1, scale=0.3).eval()
    path = tmp_path_factory.mktemp(name)
    reference.save_pretrained(path)
    return str(path), reference


@pytest.fixture(scope="module")
def decoder(tmp_path_factory):
    path, reference = _save(tmp_path_factory, "decoder")
    return keras_bert.TFBertLMHeadModel.from_pretrained(path), reference


@pytest.fixture(scope="module")
def cross_decoder(tmp_path_factory):
    path, reference = _save(tmp_path_factory, "cross", add_cross_attention=True)
    return keras_bert.TFBertLMHeadModel.from_pretrained(path), reference


def _prompt(padded, batch=3, length=6, seed=0):
    """Random prompt; padded: False, True / "right" (BERT's tokenizers pad right) or "left"."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, 99, (batch, length)).astype("int64")
    mask = np.ones_like(ids)
    if padded:
        mask[1, :2] = 0
        mask[2, :1] = 0
        if padded != "left":
            mask = mask[:, ::-1].copy()
        ids[mask == 0] = 0
    return ids, mask


def _theirs(reference, ids, mask, **kwargs):
    extra = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    with torch.no_grad():
        out = reference.generate(
            input_ids=torch.tensor(ids),
            attention_mask=torch.tensor(mask),
            do_sample=extra.pop("do_sample", False),
            **extra,
        )
    return out


def _eos_mid_sequence(model, ids, mask):
    """Two tokens greedy decoding emits after the first step: eos that ends rows early."""
    free = model.generate(ids, attention_mask=mask, max_new_tokens=8).numpy()[:, ids.shape[1] :]
    return [int(free[0, 2]), int(free[1, 3])]


GREEDY_CASES = {
    "plain": dict(max_new_tokens=7),
    "max_length": dict(max_length=11),
    "eos": dict(max_new_tokens=8, eos="mid"),
    "eos-min-new-tokens": dict(max_new_tokens=8, eos="mid", min_new_tokens=4),
    "eos-min-length": dict(max_new_tokens=8, eos="mid", min_length=10, pad_token_id=3),
    "penalties": dict(max_new_tokens=9, repetition_penalty=1.8, no_repeat_ngram_size=2),
    "bad-words": dict(max_new_tokens=6, bad_words_ids=[[30], [5, 8]]),
}


@pytest.mark.parametrize("padded", [False, "right", "left"], ids=["unpadded", "right-padded", "left-padded"])
@pytest.mark.parametrize("case", list(GREEDY_CASES))
def test_greedy_equals_transformers(decoder, case, padded):
    model, reference = decoder
    ids, mask = _prompt(padded)
    kwargs = dict(GREEDY_CASES[case])
    if kwargs.pop("eos", None):
        kwargs["eos_token_id"] = _eos_mid_sequence(model, ids, mask)
    ours = model.generate(ids, attention_mask=mask, return_dict_in_generate=True, output_scores=True, **kwargs)
    theirs = _theirs(reference, ids, mask, return_dict_in_generate=True, output_scores=True, **kwargs)
    np.testing.assert_array_equal(ours.sequences.numpy(), theirs.sequences.numpy())
    assert len(ours.scores) == len(theirs.scores)
    for a, b in zip(ours.scores, theirs.scores):
        finite = np.isfinite(b.numpy())
        np.testing.assert_array_equal(np.isfinite(a.numpy()), finite)
        np.testing.assert_allclose(a.numpy()[finite], b.numpy()[finite], atol=SCORE_ATOL)
    if "eos_token_id" in kwargs:  # some row ended, and every ended row holds only the pad token after its eos
        out = ours.sequences.numpy()[:, ids.shape[1] :]
        ended = np.isin(out, kwargs["eos_token_id"])
        assert ended.any(), "the eos tokens chosen should end some row"
        pad = kwargs.get("pad_token_id", 0)
        for row, flags in zip(out, ended):
            if flags.any():
                assert (row[np.argmax(flags) + 1 :] == pad).all(), row


BEAM_CASES = {
    "beams3": dict(num_beams=3, max_new_tokens=6),
    "return3-eos": dict(num_beams=3, num_return_sequences=3, max_new_tokens=8, eos="mid"),
    "lp0.5-early": dict(
        num_beams=4, num_return_sequences=2, max_new_tokens=8, eos="mid", length_penalty=0.5, early_stopping=True
    ),
    "lp2-never": dict(
        num_beams=3, num_return_sequences=2, max_new_tokens=8, eos="mid", length_penalty=2.0, early_stopping="never"
    ),
    "lp-1-false": dict(num_beams=2, max_new_tokens=7, eos="mid", length_penalty=-1.0, early_stopping=False),
    "penalties": dict(
        num_beams=3, max_new_tokens=7, eos="mid", no_repeat_ngram_size=2, repetition_penalty=1.5, min_new_tokens=3
    ),
}


@pytest.mark.parametrize("padded", [False, "right", "left"], ids=["unpadded", "right-padded", "left-padded"])
@pytest.mark.parametrize("case", list(BEAM_CASES))
def test_beam_search_equals_transformers(decoder, case, padded):
    model, reference = decoder
    ids, mask = _prompt(padded)
    kwargs = dict(BEAM_CASES[case])
    if kwargs.pop("eos", None):
        kwargs["eos_token_id"] = _eos_mid_sequence(model, ids, mask)
    ours = model.generate(ids, attention_mask=mask, return_dict_in_generate=True, output_scores=True, **kwargs)
    theirs = _theirs(reference, ids, mask, return_dict_in_generate=True, output_scores=True, **kwargs)
    np.testing.assert_array_equal(ours.sequences.numpy(), theirs.sequences.numpy())
    np.testing.assert_allclose(ours.sequences_scores.numpy(), theirs.sequences_scores.numpy(), atol=SCORE_ATOL)
    assert len(ours.scores) == len(theirs.scores)


@pytest.mark.slow  # XLA compilation
@pytest.mark.parametrize("num_beams", [1, 3])
def test_relative_position_decoder_equals_uncached_argmax(num_beams):
    """Relative positions read the cache position (past length / cache_index). transformers 5 dropped
    relative positions, so the reference is greedy decoding by full, uncached forward passes (NumPy
    argmax); beam search is checked eager = XLA."""
    config = keras_bert.BertConfig(
        **tiny_config(is_decoder=True, position_embedding_type="relative_key_query", initializer_range=0.5)
    )
    keras.utils.set_random_seed(0)
    model = keras_bert.TFBertLMHeadModel(config)
    ids, mask = _prompt(padded=False)
    ours = model.generate(ids, attention_mask=mask, max_new_tokens=6, num_beams=num_beams).numpy()
    if num_beams == 1:
        expected = ids
        for _ in range(6):
            logits = model(input_ids=expected, use_cache=False).logits.numpy()
            expected = np.concatenate([expected, logits[:, -1].argmax(-1)[:, None]], axis=1)
        np.testing.assert_array_equal(ours, expected)
        assert len(np.unique(ours[:, 6:])) > 1, "a degenerate model would not test positions"
    xla = model.generate(ids, attention_mask=mask, max_new_tokens=6, num_beams=num_beams, jit_compile=True)
    np.testing.assert_array_equal(xla.numpy(), ours)


@pytest.mark.slow  # XLA compilation
@pytest.mark.parametrize("num_beams", [1, 3])
def test_cross_attention_decoder_equals_transformers(cross_decoder, num_beams):
    model, reference = cross_decoder
    ids, mask = _prompt(padded=True)
    states = np.random.default_rng(3).normal(size=(3, 5, 32)).astype("float32")
    enc_mask = np.ones((3, 5), "int64")
    enc_mask[1, -2:] = 0
    kwargs = dict(max_new_tokens=6, num_beams=num_beams)
    ours = model.generate(
        ids, attention_mask=mask, encoder_hidden_states=states, encoder_attention_mask=enc_mask, **kwargs
    )
    # transformers 5's default cache for a decoder-only model lacks the cross-attention half BERT needs.
    cache = transformers.EncoderDecoderCache(transformers.DynamicCache(), transformers.DynamicCache())
    theirs = _theirs(
        reference, ids, mask, encoder_hidden_states=states, encoder_attention_mask=enc_mask, cache=cache, **kwargs
    )
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    xla = model.generate(
        ids,
        attention_mask=mask,
        encoder_hidden_states=states,
        encoder_attention_mask=enc_mask,
        jit_compile=True,
        **kwargs,
    )
    np.testing.assert_array_equal(xla.numpy(), ours.numpy())


@pytest.mark.slow  # XLA compilation
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(max_new_tokens=8, eos="mid"),
        dict(num_beams=3, num_return_sequences=2, max_new_tokens=8, eos="mid", length_penalty=0.5),
    ],
    ids=["greedy", "beam"],
)
def test_xla_equals_eager_and_compiles_once(decoder, kwargs):
    model, _ = decoder
    ids, mask = _prompt(padded=True)
    kwargs = dict(kwargs)
    kwargs.pop("eos")
    kwargs["eos_token_id"] = _eos_mid_sequence(model, ids, mask)
    eager = model.generate(ids, attention_mask=mask, return_dict_in_generate=True, output_scores=True, **kwargs)
    before = model.generate_tracing_count()
    config = model.generation_config.copy(jit_compile=True, **kwargs)
    for _ in range(3):  # the same shapes: the first call traces, the others reuse the compilation
        xla = model.generate(
            ids, attention_mask=mask, generation_config=config, return_dict_in_generate=True, output_scores=True
        )
    assert model.generate_tracing_count() - before == 1
    np.testing.assert_array_equal(xla.sequences.numpy(), eager.sequences.numpy())
    for a, b in zip(xla.scores, eager.scores):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=SCORE_ATOL)


@pytest.mark.slow  # XLA compilation
@pytest.mark.parametrize("num_beams", [1, 3])
def test_generate_inside_a_users_xla_function(decoder, num_beams):
    """transformers 4.x TF's idiom `tf.function(model.generate, jit_compile=True)`: the sequences come back
    padded to max_length (with the pad token after eos) and equal the eager ones on their length."""
    model, _ = decoder
    ids, mask = _prompt(padded="right")
    kwargs = dict(max_new_tokens=8, num_beams=num_beams)
    kwargs["eos_token_id"] = _eos_mid_sequence(model, ids, mask)
    eager = model.generate(ids, attention_mask=mask, **kwargs).numpy()
    xla_generate = tf.function(model.generate, jit_compile=True)
    padded = xla_generate(tf.constant(ids, tf.int32), attention_mask=tf.constant(mask, tf.int32), **kwargs).numpy()
    assert padded.shape == (3, 14)
    np.testing.assert_array_equal(padded[:, : eager.shape[1]], eager)
    fill = 0 if num_beams == 1 else kwargs["eos_token_id"][0]  # transformers' beam fill: pad or else eos[0]
    assert (padded[:, eager.shape[1] :] == fill).all()


def _support(logits, top_k=None, top_p=None, temperature=1.0):
    """NumPy: the tokens transformers' warpers leave possible, from raw logits (V,)."""
    z = logits.astype("float64") / temperature
    keep = np.ones_like(z, bool)
    if top_k:
        keep &= z >= np.sort(z)[-top_k]
    if top_p is not None:
        order = np.argsort(z)  # ascending
        p = np.exp(z[order] - z.max())
        p /= p.sum()
        removed = np.cumsum(p) <= 1 - top_p
        removed[-1] = False
        keep[order[removed]] = False
    return keep


@pytest.mark.slow  # XLA compilation
@pytest.mark.parametrize(
    "warp", [dict(top_k=4), dict(top_k=0, top_p=0.6, temperature=0.7), dict(top_k=10, top_p=0.5)], ids=str
)
def test_sampling_is_reproducible_and_respects_top_k_top_p(decoder, warp):
    model, reference = decoder
    ids, mask = _prompt(padded=False, batch=2, length=4)
    kwargs = dict(do_sample=True, max_new_tokens=10, num_return_sequences=3, **warp)
    first = model.generate(ids, attention_mask=mask, seed=[7, 11], **kwargs).numpy()
    again = model.generate(ids, attention_mask=mask, seed=[7, 11], **kwargs).numpy()
    other = model.generate(ids, attention_mask=mask, seed=[8, 1], **kwargs).numpy()
    np.testing.assert_array_equal(first, again)
    assert (first != other).any(), "another seed should sample other tokens"
    assert first.shape == (6, 14)
    np.testing.assert_array_equal(first[::3, :4], ids)
    with torch.no_grad():
        logits = reference(input_ids=torch.tensor(first)).logits.numpy()  # (B, L, V)
    for row in range(first.shape[0]):
        for t in range(4, first.shape[1]):
            allowed = _support(logits[row, t - 1], warp.get("top_k"), warp.get("top_p"), warp.get("temperature", 1.0))
            assert allowed[first[row, t]], f"row {row} step {t}: token {first[row, t]} outside the filtered support"
    xla = model.generate(ids, attention_mask=mask, seed=[7, 11], jit_compile=True, **kwargs).numpy()
    np.testing.assert_array_equal(xla, first)


@pytest.mark.slow  # XLA compilation
def test_beam_sampling_is_reproducible_and_compiles_to_the_same_tokens(decoder):
    model, _ = decoder
    ids, mask = _prompt(padded=False, batch=2, length=4)
    kwargs = dict(do_sample=True, num_beams=3, num_return_sequences=2, max_new_tokens=6, top_k=5, eos_token_id=[35])
    out = model.generate(
        ids, attention_mask=mask, seed=[3, 4], return_dict_in_generate=True, output_scores=True, **kwargs
    )
    again = model.generate(ids, attention_mask=mask, seed=[3, 4], **kwargs)
    xla = model.generate(ids, attention_mask=mask, seed=[3, 4], jit_compile=True, **kwargs)
    np.testing.assert_array_equal(out.sequences.numpy(), again.numpy())
    np.testing.assert_array_equal(out.sequences.numpy(), xla.numpy())
    assert out.sequences.shape[0] == 4
    np.testing.assert_array_equal(out.sequences.numpy()[::2, :4], ids)
    # Returned beams are ordered best first: scores do not increase within a prompt's group.
    scores = out.sequences_scores.numpy().reshape(2, 2)
    assert (scores[:, 0] >= scores[:, 1]).all(), scores


def test_generation_config_files_round_trip_with_transformers(decoder, tmp_path):
    model, _ = decoder
    assert model.can_generate()
    assert model.generation_config.pad_token_id == 0  # from the model config, as transformers
    theirs = transformers.GenerationConfig(max_new_tokens=5, num_beams=3, eos_token_id=[4, 9], length_penalty=0.5)
    theirs.save_pretrained(tmp_path / "theirs")
    ours = GenerationConfig.from_pretrained(tmp_path / "theirs")
    assert (ours.max_new_tokens, ours.num_beams, ours.eos_token_id, ours.length_penalty) == (5, 3, [4, 9], 0.5)
    ours.top_k = 7
    ours.save_pretrained(tmp_path / "ours")
    back = transformers.GenerationConfig.from_pretrained(tmp_path / "ours")
    assert (back.max_new_tokens, back.num_beams, back.eos_token_id, back.top_k) == (5, 3, [4, 9], 7)

    model.generation_config = ours
    try:
        model.save_pretrained(tmp_path / "model")
    finally:
        model.generation_config = GenerationConfig.from_model_config(model.config)
    with open(tmp_path / "model" / "generation_config.json") as f:
        assert json.load(f)["num_beams"] == 3
    loaded = keras_bert.TFBertLMHeadModel.from_pretrained(tmp_path / "model")
    assert loaded.generation_config == ours
    ids, mask = _prompt(padded=False)
    np.testing.assert_array_equal(loaded.generate(ids).numpy(), model.generate(ids, generation_config=ours).numpy())


def test_generate_errors_name_the_problem(decoder, tmp_path):
    model, _ = decoder
    ids, _ = _prompt(padded=False)
    with pytest.raises(TypeError, match="foo"):
        model.generate(ids, foo=1)
    with pytest.raises(ValueError, match="max_position_embeddings"):
        model.generate(ids, max_new_tokens=100)
    with pytest.raises(ValueError, match="num_return_sequences"):
        model.generate(ids, num_beams=2, num_return_sequences=3)
    with pytest.raises(ValueError, match="seed"):
        model.generate(ids, do_sample=True, seed=[1, 2, 3])
    encoder = keras_bert.TFBertLMHeadModel(keras_bert.BertConfig(**tiny_config()))
    with pytest.raises(ValueError, match="is_decoder"):
        encoder.generate(ids)
    assert isinstance(model.generate(tf.constant(ids, tf.int32), max_new_tokens=2), tf.Tensor)
