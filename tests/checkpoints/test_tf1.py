"""Google TF1 checkpoints: exact variable names, optimizer slots skipped, equal to a reference.

The checkpoint is written with `tf.raw_ops.SaveV2`, so the stored names are exactly the
google-research/bert ones (`bert/encoder/layer_0/...`, `cls/predictions/output_bias`,
`cls/seq_relationship/output_weights` [2, H]) plus `.../adam_m`, `.../adam_v` and
`global_step`. The reference is a transformers `BertForPreTraining` whose parameters are
filled in this file, name by name, from the same arrays.
"""

import json
import os

import numpy as np
import pytest
import torch

from keras_bert.checkpoints import CheckpointError, detect_format, load_checkpoint
from tests.support.tiny import tiny_config

CONFIG = tiny_config(hidden_act="gelu", initializer_range=0.02)


def google_variables(cfg=CONFIG, seed=0):
    """{Google variable name: array} of a pretraining checkpoint, random and non-zero."""
    rng = np.random.default_rng(seed)
    H, V, I, P = cfg["hidden_size"], cfg["vocab_size"], cfg["intermediate_size"], cfg["max_position_embeddings"]

    def r(*shape):
        return (rng.standard_normal(shape) * 0.1).astype("float32")

    def ln(prefix):
        return {prefix + "/gamma": 1 + r(H), prefix + "/beta": r(H)}

    def dense(prefix, n_in, n_out):
        return {prefix + "/kernel": r(n_in, n_out), prefix + "/bias": r(n_out)}

    v = {
        "bert/embeddings/word_embeddings": r(V, H),
        "bert/embeddings/token_type_embeddings": r(cfg["type_vocab_size"], H),
        "bert/embeddings/position_embeddings": r(P, H),
        **ln("bert/embeddings/LayerNorm"),
    }
    for i in range(cfg["num_hidden_layers"]):
        p = f"bert/encoder/layer_{i}/"
        for name in ("query", "key", "value"):
            v.update(dense(p + "attention/self/" + name, H, H))
        v.update(dense(p + "attention/output/dense", H, H))
        v.update(ln(p + "attention/output/LayerNorm"))
        v.update(dense(p + "intermediate/dense", H, I))
        v.update(dense(p + "output/dense", I, H))
        v.update(ln(p + "output/LayerNorm"))
    v.update(dense("bert/pooler/dense", H, H))
    v.update(dense("cls/predictions/transform/dense", H, H))
    v.update(ln("cls/predictions/transform/LayerNorm"))
    v["cls/predictions/output_bias"] = r(V)
    v["cls/seq_relationship/output_weights"] = r(2, H)
    v["cls/seq_relationship/output_bias"] = r(2)
    return v


def write_google_checkpoint(directory, variables, cfg=CONFIG, vocab=True):
    """bert_config.json, vocab.txt and bert_model.ckpt.{index,data-00000-of-00001}, Adam slots included."""
    import tensorflow as tf

    os.makedirs(directory, exist_ok=True)
    stored = dict(variables)
    for name, value in variables.items():
        stored[name + "/adam_m"] = np.full_like(value, 0.5)
        stored[name + "/adam_v"] = np.full_like(value, 0.25)
    stored["global_step"] = np.array(1000, "int64")
    names = sorted(stored)
    tf.raw_ops.SaveV2(
        prefix=os.path.join(directory, "bert_model.ckpt"),
        tensor_names=names,
        shape_and_slices=[""] * len(names),
        tensors=[tf.constant(stored[n]) for n in names],
    )
    with open(os.path.join(directory, "bert_config.json"), "w") as f:
        json.dump(cfg, f)
    if vocab:
        tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"tok{i}" for i in range(cfg["vocab_size"] - 5)]
        with open(os.path.join(directory, "vocab.txt"), "w") as f:
            f.write("\n".join(tokens) + "\n")
    return directory


def reference_model(variables, cfg=CONFIG):
    """transformers BertForPreTraining filled directly from Google's arrays."""
    import transformers

    model = transformers.BertForPreTraining(transformers.BertConfig(**cfg)).eval()
    params = dict(model.named_parameters())
    done = set()

    def put(torch_name, value):
        with torch.no_grad():
            params[torch_name].copy_(torch.from_numpy(np.ascontiguousarray(value)))
        done.add(torch_name)

    for name, value in variables.items():
        t = name
        if t == "cls/predictions/output_bias":
            put("cls.predictions.bias", value)
            continue
        if t.startswith("cls/seq_relationship/"):
            put("cls.seq_relationship." + ("weight" if t.endswith("output_weights") else "bias"), value)
            continue
        t = t.replace("/layer_", "/layer/").replace("/", ".")
        if t.endswith(("word_embeddings", "token_type_embeddings", "position_embeddings")):
            put(t + ".weight", value)
        elif t.endswith(".kernel"):
            put(t[: -len("kernel")] + "weight", value.T)
        elif t.endswith(".gamma"):
            put(t[: -len("gamma")] + "weight", value)
        elif t.endswith(".beta"):
            put(t[: -len("beta")] + "bias", value)
        else:
            put(t, value)
    tied = {"cls.predictions.decoder.weight", "cls.predictions.decoder.bias"}
    assert set(params) - done <= tied, set(params) - done - tied
    return model


@pytest.fixture(scope="module")
def google_ckpt(tmp_path_factory):
    variables = google_variables()
    d = write_google_checkpoint(str(tmp_path_factory.mktemp("google") / "uncased_L-2_H-32"), variables)
    return d, variables, reference_model(variables)


def _torch(batch):
    return {k: torch.tensor(v).long() for k, v in batch.items()}


def test_names_and_slots(google_ckpt):
    d, variables, _ = google_ckpt
    assert detect_format(d) == "tf1"
    state = load_checkpoint(d)
    assert len(state) == len(variables)  # adam_m / adam_v / global_step skipped
    assert not any("adam" in k or "global_step" in k for k in state)
    np.testing.assert_array_equal(
        state["cls.seq_relationship.weight"], variables["cls/seq_relationship/output_weights"]
    )
    np.testing.assert_array_equal(
        state["bert.encoder.layer.1.intermediate.dense.weight"],
        variables["bert/encoder/layer_1/intermediate/dense/kernel"].T,
    )
    # The prefix and the .index file name the same checkpoint.
    for path in (os.path.join(d, "bert_model.ckpt"), os.path.join(d, "bert_model.ckpt.index")):
        assert set(load_checkpoint(path)) == set(state)


def test_keras_and_twin_equal_reference(google_ckpt, make_batch):
    from keras_bert import TFBertForPreTraining, TFBertModel
    from keras_bert.torch import BertForPreTraining

    d, _, ref = google_ckpt
    batch = make_batch()
    with torch.no_grad():
        want = ref(**_torch(batch))
        twin = BertForPreTraining.from_pretrained(d)(**_torch(batch))
    model = TFBertForPreTraining.from_pretrained(d)
    got = model(batch)
    np.testing.assert_allclose(np.asarray(got.prediction_logits), want.prediction_logits.numpy(), atol=1e-5)
    np.testing.assert_allclose(np.asarray(got.seq_relationship_logits), want.seq_relationship_logits.numpy(), atol=1e-5)
    np.testing.assert_allclose(twin.prediction_logits.numpy(), want.prediction_logits.numpy(), atol=1e-5)
    base = TFBertModel.from_pretrained(d)
    with torch.no_grad():
        hidden = ref.bert(**_torch(batch)).last_hidden_state.numpy()
    np.testing.assert_allclose(np.asarray(base(batch).last_hidden_state), hidden, atol=1e-5)


def test_truncated_data_file(tmp_path, google_ckpt):
    d, variables, _ = google_ckpt
    bad = write_google_checkpoint(str(tmp_path / "bad"), variables)
    data = os.path.join(bad, "bert_model.ckpt.data-00000-of-00001")
    with open(data, "r+b") as f:
        f.truncate(os.path.getsize(data) // 3)
    with pytest.raises(CheckpointError, match="bert_model.ckpt"):
        load_checkpoint(bad)
