"""HF TF `tf_model.h5` (transformers 4.x layout): reading for every head, sharded files, our writer.

transformers 4.x cannot be installed here (its TF side needs tf-keras), so the test
files are written with h5py exactly as Keras 2 `save_weights` lays them out when
`TFBert*.save_pretrained` calls it:

    /                    attrs layer_names=[b"bert", b"nsp___cls", b"mlm___cls"] (+ b"dropout_37" etc.)
    /<layer>             attrs weight_names=[b"<model name>/<layer>/.../kernel:0", ...]
    /<layer>/<full weight name>   one dataset per variable (Keras layout, kernel [in, out])

and, for `save_pretrained(max_shard_size=...)`, shards `tf_model-0000i-of-0000n.h5`
holding datasets at the weight name minus the model name (listed in the root attr
`layer_names`) plus `tf_model.h5.index.json` mapping full names to shards.
Names follow transformers 4.x `modeling_tf_bert.py`: `bert/embeddings/word_embeddings/weight:0`,
`.../position_embeddings/embeddings:0`, LayerNorm `gamma:0`/`beta:0`, `layer_._{i}`,
`mlm___cls/predictions/bias:0`, `nsp___cls/seq_relationship/kernel:0`, `classifier/kernel:0`.
"""

import json
import os
import re

import h5py
import numpy as np
import pytest
import torch
from safetensors.numpy import load_file

import keras_bert
from keras_bert.checkpoints import CheckpointError, load_checkpoint
from keras_bert.checkpoints.detect import HEAD_CLASSES

HEADS = list(HEAD_CLASSES)
MODEL_NAMES = {
    "BertModel": "tf_bert_model",
    "BertForPreTraining": "tf_bert_for_pre_training",
    "BertForMaskedLM": "tf_bert_for_masked_lm",
    "BertLMHeadModel": "tf_bert_lm_head_model",
    "BertForNextSentencePrediction": "tf_bert_for_next_sentence_prediction",
    "BertForSequenceClassification": "tf_bert_for_sequence_classification",
    "BertForMultipleChoice": "tf_bert_for_multiple_choice",
    "BertForTokenClassification": "tf_bert_for_token_classification",
    "BertForQuestionAnswering": "tf_bert_for_question_answering",
}
# Top-level TF layers that own no weights but appear in layer_names (auto-named dropout).
DROPOUT = {"BertForSequenceClassification", "BertForMultipleChoice", "BertForTokenClassification"}


def tf_weights_from_torch(model):
    """A transformers PyTorch model's weights -> [(TF name without model name, Keras-layout array)]."""
    out = []
    for name, tensor in model.state_dict().items():
        if name.endswith("position_ids") or name.startswith("cls.predictions.decoder"):
            continue  # buffers; the TF MLM decoder is the word embedding matrix itself
        value = tensor.numpy()
        if not name.startswith(("bert.", "cls.", "classifier.", "qa_outputs.")):
            name = "bert." + name  # bare BertModel
        name = name.replace("cls.predictions.", "mlm___cls.predictions.")
        name = name.replace("cls.seq_relationship.", "nsp___cls.seq_relationship.")
        path, leaf = name.rsplit(".", 1)
        if path.endswith("LayerNorm"):
            leaf = {"weight": "gamma", "bias": "beta"}[leaf]
        elif path.endswith("word_embeddings"):
            leaf = "weight"
        elif path.endswith(("position_embeddings", "token_type_embeddings")):
            leaf = "embeddings"
        elif leaf == "weight":
            leaf, value = "kernel", value.T
        path = re.sub(r"/layer/(\d+)/", r"/layer_._\1/", path.replace(".", "/") + "/")
        out.append((path + leaf + ":0", np.ascontiguousarray(value)))
    return out


def _attr(names):
    return np.asarray([n.encode("utf8") for n in names])


def write_keras2_h5(path, class_name, weights):
    model_name = MODEL_NAMES[class_name]
    layers = {}
    for name, value in weights:
        layers.setdefault(name.split("/")[0], []).append((f"{model_name}/{name}", value))
    layer_names = list(layers) + (["dropout_37"] if class_name in DROPOUT else [])
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = _attr(layer_names)
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.15.0"
        for layer in layer_names:
            g = f.create_group(layer)
            g.attrs["weight_names"] = _attr([n for n, _ in layers.get(layer, [])])
            for full, value in layers.get(layer, []):
                g.create_dataset(full, data=value)


def write_sharded_h5(directory, class_name, weights, shards=2):
    model_name = MODEL_NAMES[class_name]
    chunks = np.array_split(np.arange(len(weights)), shards)
    weight_map = {}
    for i, idx in enumerate(chunks):
        shard = f"tf_model-{i + 1:05d}-of-{shards:05d}.h5"
        with h5py.File(os.path.join(directory, shard), "w") as f:
            names = [weights[j][0] for j in idx]
            for j in idx:
                f.create_dataset(weights[j][0], data=weights[j][1])
            f.attrs["layer_names"] = _attr(names)
        weight_map.update({f"{model_name}/{n}": shard for n in names})
    with open(os.path.join(directory, "tf_model.h5.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": int(sum(v.nbytes for _, v in weights))}, "weight_map": weight_map}, f)


def _tf_dir(tmp_path, hf_dir, name):
    d = tmp_path / name
    d.mkdir()
    (d / "config.json").write_text(open(os.path.join(hf_dir, "config.json")).read())
    return d


def _keras_class(class_name):
    return getattr(keras_bert, "TF" + class_name)


def _batch(class_name, make_batch):
    batch = make_batch()
    if class_name == "BertForMultipleChoice":
        batch = {k: np.stack([v, v[::-1]], axis=1) for k, v in batch.items()}  # [B, 2, T]
    return batch


def _first_output(out):
    return np.asarray(out[0] if not hasattr(out, "logits") else out.logits)


@pytest.mark.parametrize("class_name", HEADS)
def test_transformers4_h5_loads_into_every_head(tmp_path, hf_checkpoint, make_batch, class_name):
    src, ref = hf_checkpoint(class_name, num_labels=2 if class_name == "BertForQuestionAnswering" else 3)
    d = _tf_dir(tmp_path, src, "tf")
    write_keras2_h5(d / "tf_model.h5", class_name, tf_weights_from_torch(ref))
    model = _keras_class(class_name).from_pretrained(d)
    assert not model.loading_info["missing_keys"]
    # The same tensors as the PyTorch checkpoint, bit for bit.
    expected = load_file(os.path.join(src, "model.safetensors"))
    got = model.hf_state_dict()
    expected = {k: v for k, v in expected.items() if not k.startswith("cls.predictions.decoder")}
    assert set(got) == set(expected)
    for k in got:
        np.testing.assert_array_equal(got[k], expected[k], err_msg=k)
    # And the outputs of the reference model.
    batch = _batch(class_name, make_batch)
    with torch.no_grad():
        want = ref(**{k: torch.tensor(v).long() for k, v in batch.items()})
    want = (want.logits if hasattr(want, "logits") else want[0]).numpy()
    np.testing.assert_allclose(_first_output(model(batch)), want, atol=1e-5)


def test_sharded_h5_and_twin(tmp_path, hf_checkpoint, make_batch):
    from keras_bert.torch import BertForPreTraining

    src, ref = hf_checkpoint("BertForPreTraining")
    d = _tf_dir(tmp_path, src, "sharded")
    write_sharded_h5(d, "BertForPreTraining", tf_weights_from_torch(ref), shards=3)
    assert sorted(os.listdir(d))[:3] == ["config.json", "tf_model-00001-of-00003.h5", "tf_model-00002-of-00003.h5"]
    batch = make_batch()
    tb = {k: torch.tensor(v).long() for k, v in batch.items()}
    with torch.no_grad():
        want = ref(**tb).prediction_logits.numpy()
        twin = BertForPreTraining.from_pretrained(d)
        np.testing.assert_allclose(twin(**tb).prediction_logits.numpy(), want, atol=1e-5)
    model = keras_bert.TFBertForPreTraining.from_pretrained(d)
    np.testing.assert_allclose(np.asarray(model(batch).prediction_logits), want, atol=1e-5)


def test_writer_layout_and_round_trip(tmp_path, hf_checkpoint, make_batch):
    src, ref = hf_checkpoint("BertForPreTraining")
    model = keras_bert.TFBertForPreTraining.from_pretrained(src)
    out = tmp_path / "out"
    model.save_pretrained(out, format="tf-h5")
    assert sorted(os.listdir(out)) == ["config.json", "tf_model.h5"]
    assert json.loads((out / "config.json").read_text())["architectures"] == ["BertForPreTraining"]
    # What transformers 4.x `load_tf_weights_from_h5` does: per layer, strip the model name.
    expected = dict(tf_weights_from_torch(ref))
    seen = {}
    with h5py.File(out / "tf_model.h5", "r") as f:
        layers = [n.decode() for n in f.attrs["layer_names"]]
        assert layers == ["bert", "nsp___cls", "mlm___cls"]
        for layer in layers:
            for full in (n.decode() for n in f[layer].attrs["weight_names"]):
                assert full.startswith("tf_bert_for_pre_training/" + layer + "/"), full
                seen["/".join(full.split("/")[1:])] = np.asarray(f[layer][full])
    assert set(seen) == set(expected)
    for k in seen:
        np.testing.assert_array_equal(seen[k], expected[k], err_msg=k)
    # Read back: identical outputs.
    batch = make_batch()
    back = keras_bert.TFBertForPreTraining.from_pretrained(out)
    np.testing.assert_array_equal(np.asarray(back(batch).prediction_logits), np.asarray(model(batch).prediction_logits))


def test_large_attribute_is_chunked(tmp_path):
    from keras_bert.checkpoints.tf_h5 import read_attribute, write_attribute

    names = [f"tf_bert_model/bert/encoder/layer_._{i}/attention/self/query/kernel:0" for i in range(2000)]
    with h5py.File(tmp_path / "a.h5", "w") as f:
        write_attribute(f, "weight_names", names)
        assert "weight_names" not in f.attrs and "weight_names1" in f.attrs
        assert read_attribute(f, "weight_names") == names


def test_truncated_h5(tmp_path, hf_checkpoint):
    src, ref = hf_checkpoint("BertModel")
    d = _tf_dir(tmp_path, src, "trunc")
    write_keras2_h5(d / "tf_model.h5", "BertModel", tf_weights_from_torch(ref))
    data = (d / "tf_model.h5").read_bytes()
    (d / "tf_model.h5").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="tf_model.h5"):
        load_checkpoint(d)
