"""`tie_word_embeddings=False`: the LM decoder is its own weight in every format that can hold it.

transformers saves untied `BertForMaskedLM`, `BertForPreTraining` and `BertLMHeadModel` with
`cls.predictions.decoder.{weight,bias}`; keras_bert's Keras heads and the twin load them with
logits within 1e-4 of transformers, and what they save (HF safetensors, tf_model.h5, `.keras`)
comes back within 1e-4 (transformers reads the HF files itself). Google TF1 checkpoints have no
untied decoder and keras_bert writes no TF1, so TF1 is not a format that can hold one.
"""

import numpy as np
import pytest
import torch
import transformers

import keras_bert
import keras_bert.torch as twin
from keras_bert.checkpoints import CheckpointError
from tests.support.tiny import perturb_, tiny_config

ATOL = 1e-4
HEADS = ("BertForMaskedLM", "BertForPreTraining", "BertLMHeadModel")


def _reference(name, directory, tied=False):
    config = transformers.BertConfig(**tiny_config(tie_word_embeddings=tied, is_decoder=name == "BertLMHeadModel"))
    torch.manual_seed(0)
    model = perturb_(getattr(transformers, name)(config)).eval()
    if not tied:  # the two matrices really differ
        assert not torch.equal(model.cls.predictions.decoder.weight, model.bert.embeddings.word_embeddings.weight)
    model.save_pretrained(directory)
    return model


def _batch():
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 99, (2, 7))
    mask = np.ones_like(ids)
    mask[1, 4:] = 0
    return ids, mask


def _torch_logits(model, ids, mask):
    with torch.no_grad():
        return model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask))[0].numpy()


def _keras_logits(model, ids, mask):
    return np.asarray(model(input_ids=ids.astype("int32"), attention_mask=mask.astype("int32"))[0])


@pytest.mark.slow
@pytest.mark.parametrize("name", HEADS)
def test_untied_decoder_every_format(name, tmp_path):
    ids, mask = _batch()
    reference = _reference(name, tmp_path / "hf")
    expected = _torch_logits(reference, ids, mask)
    # HF PyTorch .bin (as transformers 4.x wrote it) next to the safetensors file.
    (tmp_path / "bin").mkdir()
    torch.save(reference.state_dict(), tmp_path / "bin" / "pytorch_model.bin")
    (tmp_path / "bin" / "config.json").write_text((tmp_path / "hf" / "config.json").read_text())

    keras_cls, twin_cls = getattr(keras_bert, "TF" + name), getattr(twin, name)
    for source in ("hf", "bin"):
        keras_model = keras_cls.from_pretrained(tmp_path / source)
        np.testing.assert_allclose(_keras_logits(keras_model, ids, mask), expected, atol=ATOL, err_msg=source)
        assert "cls.predictions.decoder.weight" not in keras_model.loading_info["ignored"]
        np.testing.assert_allclose(
            _torch_logits(twin_cls.from_pretrained(tmp_path / source), ids, mask), expected, atol=ATOL, err_msg=source
        )

    # Keras -> HF safetensors -> transformers, with nothing missing or unexpected.
    keras_model.save_pretrained(tmp_path / "keras-hf")
    back, info = getattr(transformers, name).from_pretrained(tmp_path / "keras-hf", output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    np.testing.assert_allclose(_torch_logits(back.eval(), ids, mask), expected, atol=ATOL)
    # twin -> HF safetensors -> transformers
    twin_cls.from_pretrained(tmp_path / "hf").save_pretrained(tmp_path / "twin-hf")
    back, info = getattr(transformers, name).from_pretrained(tmp_path / "twin-hf", output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    np.testing.assert_allclose(_torch_logits(back.eval(), ids, mask), expected, atol=ATOL)
    # Keras -> tf_model.h5 -> Keras and twin
    keras_model.save_pretrained(tmp_path / "tf-h5", format="tf-h5")
    np.testing.assert_allclose(
        _keras_logits(keras_cls.from_pretrained(tmp_path / "tf-h5"), ids, mask), expected, atol=ATOL
    )
    np.testing.assert_allclose(
        _torch_logits(twin_cls.from_pretrained(tmp_path / "tf-h5"), ids, mask), expected, atol=ATOL
    )
    # Keras -> .keras -> Keras
    keras_model.save(tmp_path / "model.keras")
    import keras

    reloaded = keras.saving.load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(_keras_logits(reloaded, ids, mask), expected, atol=ATOL)


@pytest.mark.parametrize("loader", ["keras", "twin"])
def test_untied_checkpoint_into_tied_model_is_an_error(loader, tmp_path):
    _reference("BertForMaskedLM", tmp_path)
    load = keras_bert.TFBertForMaskedLM if loader == "keras" else twin.BertForMaskedLM
    with pytest.raises(CheckpointError, match="tie_word_embeddings=False"):
        load.from_pretrained(tmp_path, tie_word_embeddings=True)


def test_tied_checkpoint_lists_what_it_ignores(tmp_path):
    reference = _reference("BertForPreTraining", tmp_path / "hf", tied=True)
    # A file that also stores the tied decoder copy (as some exporters do) loads, and says why it skipped it.
    from safetensors.torch import save_file

    state = {k: v.detach().clone().contiguous() for k, v in reference.state_dict().items()}
    state["cls.predictions.decoder.weight"] = reference.bert.embeddings.word_embeddings.weight.detach().clone()
    (tmp_path / "copy").mkdir()
    save_file(state, str(tmp_path / "copy" / "model.safetensors"), metadata={"format": "pt"})
    (tmp_path / "copy" / "config.json").write_text((tmp_path / "hf" / "config.json").read_text())
    model = keras_bert.TFBertForMaskedLM.from_pretrained(tmp_path / "copy")
    ignored = model.loading_info["ignored"]
    assert ignored["cls.predictions.decoder.weight"].startswith("tied to ")
    assert "no pooler" in ignored["bert.pooler.dense.weight"] and "seq_relationship" in " ".join(ignored)
