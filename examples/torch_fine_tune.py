"""Fine-tuning on Keras' PyTorch backend: the transformers 4.x TF classes and `model.fit`, no TensorFlow.

    python examples/torch_fine_tune.py                 # KERAS_BACKEND=torch; MiniLM on the bundled sentiment data
    python examples/torch_fine_tune.py --model DIR --epochs 3 --output-dir my-classifier

The same `TFBertForSequenceClassification`, `BertTokenizerFast`, `compile` / `fit` / `evaluate` and
`save_pretrained` as on TensorFlow, with torch tensors inside and TensorFlow never imported. The saved
directory is a Hugging Face checkpoint: the PyTorch twin (`keras_bert.torch`) and transformers load
it as it is; the script checks that the twin's logits equal the Keras model's.
"""

import os
import random
import sys
import tempfile

os.environ.setdefault("KERAS_BACKEND", "torch")

from _paths import parse, parser, read_sentiment  # noqa: E402


def parse_args(argv=None):
    p = parser(__doc__, learning_rate=5e-5)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--train-examples", type=int, default=64, help="first N rows of data/sentiment_train.tsv")
    p.add_argument("--eval-examples", type=int, default=64, help="first N rows of data/sentiment_test.tsv")
    p.add_argument("--output-dir", help="where to save the fine-tuned checkpoint (default: a temporary directory)")
    return parse(p, argv)


def main(argv=None):
    args = parse_args(argv)
    import keras
    import numpy as np
    import torch

    import keras_bert
    from keras_bert.torch import BertForSequenceClassification

    if keras.config.backend() != "torch":
        raise SystemExit(f"This example shows the torch backend; Keras already runs on {keras.config.backend()!r}")
    # keras.utils.set_random_seed would also seed TensorFlow, importing it when installed; these three
    # seed everything this process uses (Keras draws its default layer seeds from Python's random).
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)

    tokenizer = keras_bert.BertTokenizerFast.from_pretrained(args.model)
    model = keras_bert.TFBertForSequenceClassification.from_pretrained(args.model, num_labels=2)

    def encode(texts):
        enc = tokenizer(texts, padding="max_length", truncation=True, max_length=args.max_length, return_tensors="np")
        return {k: enc[k] for k in ("input_ids", "attention_mask", "token_type_ids")}

    train_texts, train_labels = read_sentiment(args.train_examples)
    test_texts, test_labels = read_sentiment(args.eval_examples, name="sentiment_test.tsv")
    train_x, train_y = encode(train_texts), np.array(train_labels, "int32")
    test_x, test_y = encode(test_texts), np.array(test_labels, "int32")

    # No loss given: the head computes transformers' loss from `labels`, as on TensorFlow.
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate), metrics=["accuracy"])
    before = model.evaluate(test_x, test_y, batch_size=args.batch_size, verbose=0, return_dict=True)
    history = model.fit(train_x, train_y, epochs=args.epochs, batch_size=args.batch_size, verbose=2)
    after = model.evaluate(test_x, test_y, batch_size=args.batch_size, verbose=0, return_dict=True)
    print(f"held-out accuracy {before['accuracy']:.3f} -> {after['accuracy']:.3f} on {len(test_y)} sentences")

    out = args.output_dir or tempfile.mkdtemp(prefix="torch-fine-tune-")
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    twin = BertForSequenceClassification.from_pretrained(out).eval()
    batch = {k: v[:8] for k, v in test_x.items()}
    keras_logits = keras.ops.convert_to_numpy(model(batch, training=False).logits)
    with torch.no_grad():
        twin_logits = twin(**{k: torch.from_numpy(v) for k, v in batch.items()}).logits.numpy()
    gap = float(np.abs(keras_logits - twin_logits).max())
    print(f"saved to {out}; the PyTorch twin reloads it, max |logits - twin logits| = {gap:.2e}")
    return {
        "losses": [float(x) for x in history.history["loss"]],
        "accuracy_before": float(before["accuracy"]),
        "accuracy_after": float(after["accuracy"]),
        "twin_gap": gap,
        "tensorflow_imported": "tensorflow" in sys.modules,
    }


if __name__ == "__main__":
    main()
