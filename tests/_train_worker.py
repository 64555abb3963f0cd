"""Subprocess body for tests/test_training_loop.py: one training run, results as JSON on stdout.

python _train_worker.py mirrored DEVICES LOOP       # 2 logical CPUs; DEVICES like /cpu:0,/cpu:1
python _train_worker.py multiworker MODEL_DIR OUT   # TF_CONFIG in the environment
"""

import hashlib
import json
import os
import sys

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import numpy as np
import tensorflow as tf


def tiny_run(devices, loop):
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras

    import keras_bert
    from keras_bert.training import train

    strategy = tf.distribute.MirroredStrategy(devices.split(","))
    from tests.support.tiny import tiny_config  # the repository root is on PYTHONPATH (see _env in the test)

    cfg = keras_bert.BertConfig(**tiny_config(num_labels=3))
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 99, (24, 8)).astype("int32")
    mask = np.ones_like(ids)
    mask[::3, 5:] = 0
    x = {"input_ids": ids, "attention_mask": mask, "labels": rng.integers(0, 3, (24,)).astype("int32")}
    dataset = tf.data.Dataset.from_tensor_slices(x).batch(8)  # 3 steps
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = keras_bert.TFBertForSequenceClassification(cfg)
        model.build()
        optimizer = keras.optimizers.SGD(0.5, momentum=0.5)  # Adam's g/|g| would amplify float noise in near-zero grads
    history = train(model, dataset, optimizer, epochs=1, strategy=strategy, verbose=0, loop=loop)
    return {
        "replicas": strategy.num_replicas_in_sync,
        "history": history.history["loss"],
        "loss": float(model(x, training=False).loss),
    }


def multiworker_run(model_dir, out):
    import keras

    import keras_bert
    from keras_bert.data import text_dataset
    from keras_bert.tokenization import TFBertTokenizer
    from keras_bert.training import create_optimizer, is_chief, strategy_from_args, train

    strategy = strategy_from_args()  # reads TF_CONFIG
    texts = [
        "a wonderful film, I loved it",
        "terrible, boring and far too long",
        "great acting and a moving story",
        "the worst meal I have ever had",
        "really enjoyable and fun",
        "awful service and cold food",
        "a delightful surprise",
        "I want my money back",
    ] * 2
    labels = np.array([1, 0, 1, 0, 1, 0, 1, 0] * 2, "int32")
    tokenizer = TFBertTokenizer.from_pretrained(model_dir, max_length=16)
    dataset = text_dataset(texts, labels, tokenizer, batch_size=8, bucket_boundaries=None)  # 2 global batches
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = keras_bert.TFBertForSequenceClassification.from_pretrained(model_dir, num_labels=2)
        optimizer, _ = create_optimizer(1e-4, num_train_steps=8, num_warmup_steps=1)
    checkpoint = keras.callbacks.ModelCheckpoint(os.path.join(out, "ckpt.weights.h5"), save_weights_only=True)
    history = train(
        model, dataset, optimizer, epochs=4, callbacks=[checkpoint], strategy=strategy, steps_per_epoch=2, verbose=0
    )
    weights = np.concatenate([np.ravel(v.numpy()) for v in model.trainable_variables])
    return {
        "chief": is_chief(strategy),
        "replicas": strategy.num_replicas_in_sync,
        "history": history.history["loss"],
        "weights_sum": float(np.sum(weights.astype("float64"))),
        "weights_digest": hashlib.sha256(weights.tobytes()).hexdigest(),
    }


if __name__ == "__main__":
    mode = sys.argv[1]
    result = tiny_run(sys.argv[2], sys.argv[3]) if mode == "mirrored" else multiworker_run(sys.argv[2], sys.argv[3])
    print("RESULT " + json.dumps(result))
