"""`export_tflite` / `load_tflite`: the TFLite file (XNNPACK) computes transformers' numbers for
every head in float32, agrees with transformers' float32 MiniLM in int8, runs every row at its own
length, and refuses bad input and bad arguments before anything is written."""

import os

import keras
import numpy as np
import pytest
import torch

import keras_bert
from keras_bert.serving.tflite import TFLiteModel
from tests.support.tiny import SENTENCES, random_batch

ATOL = 1e-4  # float32 TFLite (XNNPACK's own kernels) vs transformers' PyTorch float32

HEADS = {
    # transformers class -> (keras_bert class, {output field: transformers attribute})
    "BertModel": ("TFBertModel", {"last_hidden_state": "last_hidden_state", "pooler_output": "pooler_output"}),
    "BertForMaskedLM": ("TFBertForMaskedLM", {"logits": "logits"}),
    "BertForSequenceClassification": ("TFBertForSequenceClassification", {"logits": "logits"}),
    "BertForTokenClassification": ("TFBertForTokenClassification", {"logits": "logits"}),
    "BertForQuestionAnswering": (
        "TFBertForQuestionAnswering",
        {"start_logits": "start_logits", "end_logits": "end_logits"},
    ),
    "BertForNextSentencePrediction": ("TFBertForNextSentencePrediction", {"logits": "logits"}),
    "BertForPreTraining": (
        "TFBertForPreTraining",
        {"prediction_logits": "prediction_logits", "seq_relationship_logits": "seq_relationship_logits"},
    ),
    "BertLMHeadModel": ("TFBertLMHeadModel", {"logits": "logits"}),
}
DATA = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "data", "sentiment_test.tsv")
TOKEN_LEVEL = {"last_hidden_state", "prediction_logits", "start_logits", "end_logits"}


def _reference(hf_model, batch):
    with torch.no_grad():
        out = hf_model(**{k: torch.from_numpy(v).long() for k, v in batch.items()})
    return out


@pytest.mark.parametrize("hf_class", sorted(HEADS))
def test_float32_file_equals_transformers(hf_checkpoint, tmp_path, hf_class):
    keras_class, fields = HEADS[hf_class]
    extra = {"is_decoder": True} if hf_class == "BertLMHeadModel" else {}
    path, hf_model = hf_checkpoint(hf_class, **extra)
    model = getattr(keras_bert, keras_class).from_pretrained(path)
    file = keras_bert.export_tflite(model, tmp_path / "model.tflite", outputs=sorted(fields))
    runner = keras_bert.load_tflite(file, num_threads=1)
    batch = random_batch(batch=3, length=9)  # rows of 9, 7 and 5 real tokens
    got = runner(**batch)
    ref = _reference(hf_model, batch)
    mask = batch["attention_mask"].astype(bool)
    token_level = TOKEN_LEVEL | (
        {"logits"} if hf_class in ("BertForMaskedLM", "BertForTokenClassification", "BertLMHeadModel") else set()
    )
    assert set(got) == set(fields)
    for field, attr in fields.items():
        expected = getattr(ref, attr).numpy()
        assert got[field].shape == expected.shape, field
        assert runner.token_level[field] == (field in token_level), field
        if field in token_level:
            np.testing.assert_allclose(got[field][mask], expected[mask], atol=ATOL, err_msg=field)
            assert not got[field][~mask].any(), f"{field}: past a row's last token the runner returns 0"
        else:
            np.testing.assert_allclose(got[field], expected, atol=ATOL, err_msg=field)


def test_multiple_choice(hf_checkpoint, tmp_path):
    path, hf_model = hf_checkpoint("BertForMultipleChoice")
    model = keras_bert.TFBertForMultipleChoice.from_pretrained(path)
    runner = keras_bert.load_tflite(keras_bert.export_tflite(model, tmp_path / "mc.tflite"), num_threads=1)
    flat = random_batch(batch=6, length=9)
    batch = {k: v.reshape(2, 3, 9) for k, v in flat.items()}  # 2 questions x 3 choices
    got = runner(**batch)
    np.testing.assert_allclose(got["logits"], _reference(hf_model, batch).logits.numpy(), atol=ATOL)
    assert got["logits"].shape == (2, 3) and runner.input_rank == 3


UNPADDED_HEADS = ("BertModel", "BertForPreTraining", "BertForTokenClassification", "BertForQuestionAnswering")


@pytest.mark.parametrize("hf_class", UNPADDED_HEADS + ("BertForSequenceClassification",))
def test_unpadded_file_equals_transformers(hf_checkpoint, tmp_path, hf_class):
    """export_tflite(unpadded=True): the whole batch in one invoke, real tokens only. Values equal
    transformers' at real positions, in every position of a row without a real token (computed
    whole, as the padded model does), and for sequence-level outputs; 0 at the other padding. A
    left-padded row and a row with a hole keep transformers' position numbers."""
    import transformers

    keras_class, fields = HEADS[hf_class]
    path, _ = hf_checkpoint(hf_class)
    model = getattr(keras_bert, keras_class).from_pretrained(path)
    file = keras_bert.export_tflite(model, tmp_path / "unpadded.tflite", unpadded=True)
    runner = keras_bert.load_tflite(file, num_threads=1)
    assert runner.unpadded and set(runner.output_names) == set(fields)
    batch = random_batch(batch=5, length=9)  # rows of 9, 7, 5, 3 and 1 real tokens
    batch["attention_mask"][1] = [0, 0, 1, 1, 1, 1, 1, 1, 1]  # left padding
    batch["attention_mask"][2, 3] = 0  # a hole
    batch["attention_mask"][4] = 0  # no real token
    got = runner(**batch)
    # transformers' eager attention: a row without a real token attends uniformly, as transformers
    # 4.x TF did (transformers 5's SDPA path unmasks such a row and attends by the scores instead).
    eager = getattr(transformers, hf_class).from_pretrained(path, attn_implementation="eager").eval()
    ref = _reference(eager, batch)
    computed = batch["attention_mask"].astype(bool)
    computed[:, 0] = True  # position 0 of every row is always computed
    computed[4] = True
    for field, attr in fields.items():
        expected = getattr(ref, attr).numpy()
        assert got[field].shape == expected.shape, field
        if runner.token_level[field]:
            np.testing.assert_allclose(got[field][computed], expected[computed], atol=ATOL, err_msg=field)
            assert not got[field][~computed].any(), field
        else:
            np.testing.assert_allclose(got[field], expected, atol=ATOL, err_msg=field)
    # The batch is cut after its longest row's last real token: trailing padding changes nothing.
    wider = runner(**{k: np.pad(v[:4], [(0, 0), (0, 3)]) for k, v in batch.items()})
    for field in fields:
        trimmed = wider[field][:, :9] if runner.token_level[field] else wider[field]
        np.testing.assert_allclose(trimmed, got[field][:4], atol=1e-5, err_msg=field)


def _op_counts(path):
    """{TFLite op name: count} of the file's graph, before any delegate takes nodes over."""
    import collections

    import tensorflow as tf

    it = tf.lite.Interpreter(
        model_path=str(path),
        experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    return collections.Counter(op["op_name"] for op in it._get_ops_details())


@pytest.mark.parametrize("unpadded", [False, True])
def test_files_hold_the_short_layer_norm_and_packed_qkv(hf_checkpoint, tmp_path, unpadded):
    """export_tflite traces inside lowering("tflite"): LayerNorm without Keras' NEG and
    SQUARED_DIFFERENCE, and (packed file) q, k and v in one FULLY_CONNECTED per layer: 4 per layer
    there (6 row by row) plus the pooler's. The weights are frozen into the file: no resource
    variables (the converter keeps Keras' variable wrappers as such, without values). Values: the
    tests above."""
    path, _ = hf_checkpoint("BertModel")
    model = keras_bert.TFBertModel.from_pretrained(path)
    layers = model.config.num_hidden_layers
    counts = _op_counts(keras_bert.export_tflite(model, tmp_path / "m.tflite", unpadded=unpadded))
    assert counts["VAR_HANDLE"] == 0 and counts["READ_VARIABLE"] == 0, counts
    assert counts["NEG"] == 0 and counts["SQUARED_DIFFERENCE"] == 0, counts
    assert counts["RSQRT"] == 2 * layers + 1  # every LayerNorm: 2 per layer and the embeddings'
    assert counts["FULLY_CONNECTED"] == (4 if unpadded else 6) * layers + 1, counts


def test_unpadded_multiple_choice_and_decoders(hf_checkpoint, tmp_path):
    path, hf_model = hf_checkpoint("BertForMultipleChoice")
    model = keras_bert.TFBertForMultipleChoice.from_pretrained(path)
    file = keras_bert.export_tflite(model, tmp_path / "mc.tflite", unpadded=True)
    runner = keras_bert.load_tflite(file, num_threads=1)
    batch = {k: v.reshape(2, 3, 9) for k, v in random_batch(batch=6, length=9).items()}
    np.testing.assert_allclose(runner(**batch)["logits"], _reference(hf_model, batch).logits.numpy(), atol=ATOL)
    assert runner.unpadded and runner(**{k: v[:0] for k, v in batch.items()})["logits"].shape == (0, 3)
    decoder = keras_bert.TFBertLMHeadModel(keras_bert.BertConfig(**dict(model.config.to_dict(), is_decoder=True)))
    with pytest.raises(ValueError, match="decoder"):
        keras_bert.export_tflite(decoder, tmp_path / "decoder.tflite", unpadded=True)
    assert not os.path.exists(tmp_path / "decoder.tflite")


@pytest.mark.slow
def test_int8_file_agrees_with_transformers_on_minilm(minilm_dir, minilm_batch, tmp_path):
    """Real checkpoint, real sentences: mean-pooled sentence embeddings of the int8 file against
    transformers' float32 BertModel (the demo's acceptance: cosine >= 0.99); and the file holds the
    encoder's kernels as int8 (under 0.4x the float32 file)."""
    import transformers

    model = keras_bert.TFBertModel.from_pretrained(minilm_dir)
    int8 = keras_bert.export_tflite(model, tmp_path / "int8.tflite", quantize="int8", outputs=["last_hidden_state"])
    fp32 = keras_bert.export_tflite(model, tmp_path / "fp32.tflite", outputs=["last_hidden_state"])
    assert os.path.getsize(int8) < 0.4 * os.path.getsize(fp32)
    ref_model = transformers.BertModel.from_pretrained(minilm_dir).eval()
    with open(DATA, encoding="utf-8") as f:
        texts = SENTENCES + [line.split("\t")[0] for line in f.read().splitlines()[1:61]]  # the demo's test split
    tok = transformers.BertTokenizerFast.from_pretrained(minilm_dir)
    batch = {k: v.astype("int32") for k, v in tok(texts, padding=True, return_tensors="np").items()}
    ref = _reference(ref_model, batch).last_hidden_state.numpy()
    unpadded = keras_bert.export_tflite(
        model, tmp_path / "unpadded.tflite", quantize="int8", outputs=["last_hidden_state"], unpadded=True
    )
    m = batch["attention_mask"][..., None].astype("float32")
    ref_emb = (ref * m).sum(1) / m.sum(1)
    for file in (int8, unpadded):  # one row per invoke; the whole batch packed in one invoke
        got = keras_bert.load_tflite(file)(**batch)["last_hidden_state"]
        emb = (got * m).sum(1) / m.sum(1)
        cosine = (ref_emb * emb).sum(1) / np.linalg.norm(ref_emb, axis=1) / np.linalg.norm(emb, axis=1)
        assert cosine.min() >= 0.99, (file, cosine.min())
        assert np.abs(got - ref)[batch["attention_mask"].astype(bool)].max() > 1e-3  # it is quantized


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory):
    from tests.support.tiny import tiny_config

    keras.utils.set_random_seed(0)
    model = keras_bert.TFBertModel(keras_bert.BertConfig(**tiny_config()))
    model.build()
    path = tmp_path_factory.mktemp("tflite") / "tiny.tflite"
    return model, keras_bert.export_tflite(model, path, quantize="int8")


def test_rows_run_at_their_own_length(tiny_file):
    """Each row equals the same row run alone, unpadded; an empty batch gives empty outputs; a row
    with no attention-mask 1 runs whole (as the padded model does)."""
    model, path = tiny_file
    runner = TFLiteModel(path, num_threads=1)
    batch = random_batch(batch=3, length=9)
    got = runner(**batch)
    for b, n in enumerate((9, 7, 5)):
        alone = runner(**{k: v[b : b + 1, :n] for k, v in batch.items()})
        np.testing.assert_array_equal(got["last_hidden_state"][b, :n], alone["last_hidden_state"][0])
        np.testing.assert_array_equal(got["pooler_output"][b], alone["pooler_output"][0])
    empty = runner(**{k: v[:0] for k, v in batch.items()})
    assert empty["last_hidden_state"].shape == (0, 9, 32) and empty["pooler_output"].shape == (0, 32)
    masked = runner(batch["input_ids"][:1], np.zeros((1, 9), "int32"))
    ref = model(input_ids=batch["input_ids"][:1], attention_mask=np.zeros((1, 9), "int32"))
    np.testing.assert_allclose(masked["pooler_output"], ref["pooler_output"].numpy(), atol=0.1)  # int8 file
    one = runner(batch["input_ids"][0])  # a single unbatched row, mask and types defaulted
    assert one["last_hidden_state"].shape == (1, 9, 32)


def test_bad_inputs_are_refused(tiny_file):
    _, path = tiny_file
    runner = keras_bert.load_tflite(path, num_threads=1)
    ids = np.ones((2, 5), "int32")
    with pytest.raises(ValueError, match="outside"):
        runner(-ids)
    with pytest.raises(ValueError, match="refused the input"):
        runner(ids * 1000)  # past the 99-word vocabulary
    with pytest.raises(TypeError, match="integers"):
        runner(ids.astype("float32"))
    with pytest.raises(ValueError, match="shape"):
        runner(ids, np.ones((2, 4), "int32"))
    with pytest.raises(ValueError, match="rank"):
        runner(ids[None])
    with pytest.raises(ValueError, match="length 0"):
        runner(ids[:, :0])
    np.testing.assert_array_equal(runner(ids)["pooler_output"], runner(ids, np.ones((2, 5), bool))["pooler_output"])


def test_bad_arguments_write_nothing(tiny_file, tmp_path):
    model, path = tiny_file
    target = tmp_path / "out.tflite"
    with pytest.raises(ValueError, match="quantize"):
        keras_bert.export_tflite(model, target, quantize="int4")
    with pytest.raises(ValueError, match="no tensor output"):
        keras_bert.export_tflite(model, target, outputs=["logits"])
    assert os.listdir(tmp_path) == []
    target.write_bytes(b"keep")
    with pytest.raises(FileExistsError):
        keras_bert.export_tflite(model, target)
    assert target.read_bytes() == b"keep"
    keras_bert.export_tflite(model, target, overwrite=True)
    assert keras_bert.load_tflite(target).output_names == ("last_hidden_state", "pooler_output")
    with pytest.raises(FileNotFoundError):
        keras_bert.load_tflite(tmp_path / "missing.tflite")
    with pytest.raises(ValueError, match="num_threads"):
        keras_bert.load_tflite(path, num_threads=0)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        bf16 = keras_bert.TFBertModel(model.config)
    finally:
        keras.config.set_dtype_policy(previous)
    with pytest.raises(ValueError, match="float32"):
        keras_bert.export_tflite(bf16, tmp_path / "bf16.tflite")


def test_convert_cli(hf_checkpoint, tmp_path, capsys):
    """`tools/convert tflite`: the file computes transformers' numbers for the checkpoint's head;
    an existing OUT needs --force (exit 2, file untouched); an unknown --head is a usage error."""
    from keras_bert.cli.convert import main

    path, hf_model = hf_checkpoint("BertForSequenceClassification", num_labels=3)
    out = tmp_path / "cls.tflite"
    assert main(["tflite", path, str(out)]) == 0
    batch = random_batch(batch=3, length=9)
    got = keras_bert.load_tflite(out, num_threads=1)(**batch)
    np.testing.assert_allclose(got["logits"], _reference(hf_model, batch).logits.numpy(), atol=ATOL)
    size = out.stat().st_size
    assert main(["tflite", path, str(out), "--quantize", "int8"]) == 2
    assert out.stat().st_size == size
    assert main(["tflite", path, str(out), "--quantize", "int8", "--force"]) == 0
    assert main(["tflite", path, str(tmp_path / "x.tflite"), "--head", "BertForNothing"]) == 2
    assert main(["tflite", path, str(tmp_path / "unpadded.tflite"), "--unpadded"]) == 0
    unpadded = keras_bert.load_tflite(tmp_path / "unpadded.tflite", num_threads=1)
    assert unpadded.unpadded
    np.testing.assert_allclose(unpadded(**batch)["logits"], got["logits"], atol=ATOL)
    assert "--head" in capsys.readouterr().err


def test_threads_take_turns(tiny_file):
    """One runner called from four threads at once (different lengths: each call resizes the
    interpreter) returns what it returns called alone."""
    from concurrent.futures import ThreadPoolExecutor

    _, path = tiny_file
    runner = keras_bert.load_tflite(path, num_threads=1)
    batches = [random_batch(batch=2, length=n, seed=n) for n in (5, 9, 7, 3) * 3]
    alone = [runner(**b)["last_hidden_state"] for b in batches]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda b: runner(**b)["last_hidden_state"], batches))
    for a, t in zip(alone, together):
        np.testing.assert_array_equal(a, t)
