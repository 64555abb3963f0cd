"""Every serving task's in-graph outputs equal a NumPy/Python reference on the same logits."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_bert
from keras_bert.serving import export_saved_model
from keras_bert.tokenization import BertTokenizer, BertTokenizerFast

TEXTS = ["The cat sat on the mat.", "Paris is the capital of France, isn't it?", "hello"]


@pytest.fixture(scope="module")
def tokenizer(minilm_dir):
    return BertTokenizer.from_pretrained(minilm_dir)


def _model(cls_name, tokenizer, **overrides):
    keras.utils.set_random_seed(0)
    config = keras_bert.BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=4,
        intermediate_size=37,
        max_position_embeddings=64,
        **overrides,
    )
    return getattr(keras_bert, cls_name)(config)


def _export(model, tokenizer, tmp_path, **kw):
    path = export_saved_model(model, tokenizer, tmp_path / "m" / "1", max_length=32, **kw)
    return tf.saved_model.load(path).signatures


def _logits(model, enc):
    return tf.function(lambda x: model(x))({k: tf.constant(v, tf.int32) for k, v in enc.items()})


def test_token_classification_labels_tokens_offsets(tmp_path, tokenizer, minilm_dir):
    model = _model("TFBertForTokenClassification", tokenizer, id2label={0: "O", 1: "B-LOC", 2: "I-LOC"})
    sig = _export(model, tokenizer, tmp_path)
    out = sig["serving_default"](text=tf.constant(TEXTS))
    enc = tokenizer(TEXTS, padding=True, truncation=True, max_length=32, return_tensors="np")
    logits = _logits(model, enc).logits.numpy()
    np.testing.assert_allclose(out["logits"].numpy(), logits, atol=1e-5)
    mask = enc["attention_mask"].astype(bool)
    ids = logits.argmax(-1)
    np.testing.assert_array_equal(out["label_id"].numpy()[mask], ids[mask])
    names = np.array(["O", "B-LOC", "I-LOC"])
    assert [s.decode() for s in out["label"].numpy()[mask]] == list(names[ids[mask]])
    tokens = [[t.decode() for t, m in zip(row, mrow) if m] for row, mrow in zip(out["tokens"].numpy(), mask)]
    assert tokens == [tokenizer.convert_ids_to_tokens(r[m]) for r, m in zip(enc["input_ids"], mask)]
    # Offsets equal the `tokenizers` library's on these ASCII texts (char == byte offsets).
    fast = BertTokenizerFast.from_pretrained(minilm_dir)(TEXTS, padding=True, return_offsets_mapping=True)
    np.testing.assert_array_equal(out["offsets"].numpy(), np.array(fast["offset_mapping"]))


def _best_span(start, end, context, max_len=30):
    ps = np.exp(start - start.max()) / np.exp(start - start.max()).sum()
    pe = np.exp(end - end.max()) / np.exp(end - end.max()).sum()
    best, arg = -1.0, (0, 0)
    for i in np.flatnonzero(context):
        for j in np.flatnonzero(context):
            if i <= j < i + max_len and ps[i] * pe[j] > best:
                best, arg = ps[i] * pe[j], (i, j)
    return arg, best


def test_question_answering_best_span(tmp_path, tokenizer):
    model = _model("TFBertForQuestionAnswering", tokenizer)
    sig = _export(model, tokenizer, tmp_path)
    questions = ["Where is the cat?", "What is the capital?"]
    contexts = ["The cat sat on the mat near the door.", "Paris is the capital of France."]
    out = sig["serving_default"](text=tf.constant(questions), text_pair=tf.constant(contexts))
    enc = tokenizer(questions, contexts, padding=True, truncation=True, max_length=32, return_tensors="np")
    ref = _logits(model, enc)
    for b in range(2):
        real = enc["attention_mask"][b].astype(bool)
        context = (enc["token_type_ids"][b] == 1) & real
        context[real.sum() - 1] = False  # the final [SEP]
        s = np.where(real, ref.start_logits.numpy()[b], -np.inf)
        e = np.where(real, ref.end_logits.numpy()[b], -np.inf)
        (i, j), score = _best_span(s, e, context)
        assert (out["answer_start"].numpy()[b], out["answer_end"].numpy()[b]) == (i, j)
        np.testing.assert_allclose(out["score"].numpy()[b], score, rtol=1e-5)
        expected = tokenizer.convert_tokens_to_string(tokenizer.convert_ids_to_tokens(enc["input_ids"][b][i : j + 1]))
        assert out["answer"].numpy()[b].decode() == expected


def test_fill_mask_top5(tmp_path, tokenizer):
    model = _model("TFBertForMaskedLM", tokenizer)
    sig = _export(model, tokenizer, tmp_path)
    texts = ["The [MASK] sat on the [MASK].", "hello [MASK]", "no masks here"]
    out = sig["serving_default"](text=tf.constant(texts))
    enc = tokenizer(texts, padding=True, return_tensors="np")
    logits = _logits(model, enc).logits.numpy()
    assert out["token_strings"].shape == (3, 2, 5)
    for b in range(3):
        positions = np.flatnonzero(enc["input_ids"][b] == tokenizer.mask_token_id)
        np.testing.assert_array_equal(out["mask_positions"].numpy()[b][: len(positions)], positions)
        for m, pos in enumerate(positions):
            p = np.exp(logits[b, pos] - logits[b, pos].max())
            p /= p.sum()
            top = np.argsort(-p)[:5]
            np.testing.assert_array_equal(out["token_ids"].numpy()[b, m], top)
            np.testing.assert_allclose(out["scores"].numpy()[b, m], p[top], rtol=1e-4)
            assert [s.decode() for s in out["token_strings"].numpy()[b, m]] == tokenizer.convert_ids_to_tokens(top)
        assert (out["token_ids"].numpy()[b, len(positions) :] == -1).all()


def test_multiple_choice_and_pretraining(tmp_path, tokenizer):
    model = _model("TFBertForMultipleChoice", tokenizer)
    sig = _export(model, tokenizer, tmp_path)
    prompts = [["It rains.", "It rains."], ["I am hungry.", "I am hungry."]]
    choices = [["Take an umbrella.", "Wear sunglasses."], ["Eat something.", "Go to sleep."]]
    out = sig["serving_default"](text=tf.constant(prompts), text_pair=tf.constant(choices))
    flat = tokenizer(sum(prompts, []), sum(choices, []), padding=True, return_tensors="np")
    enc = {k: v.reshape(2, 2, -1) for k, v in flat.items()}
    np.testing.assert_allclose(out["logits"].numpy(), _logits(model, enc).logits.numpy(), atol=1e-5)
    assert out["logits"].shape == (2, 2)

    pre = _model("TFBertForPreTraining", tokenizer)
    sig = _export(pre, tokenizer, tmp_path / "pre")
    out = sig["serving_default"](text=tf.constant(TEXTS))
    enc = tokenizer(TEXTS, padding=True, return_tensors="np")
    ref = _logits(pre, enc)
    np.testing.assert_allclose(out["seq_relationship_logits"].numpy(), ref.seq_relationship_logits.numpy(), atol=1e-5)
    np.testing.assert_allclose(out["prediction_logits"].numpy(), ref.prediction_logits.numpy(), atol=1e-4)
