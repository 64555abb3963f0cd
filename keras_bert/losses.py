"""The heads' built-in losses, as HF PyTorch computes them, in keras.ops (float32).

Labels equal to -100 are ignored; a mean is taken over the labels that count.
"""

from keras import ops

from keras_bert.backend import is_tensorflow
from keras_bert.contract import infer_problem_type

IGNORE_INDEX = -100


def scale_for_replicas(loss):
    """loss / replicas under a tf.distribute strategy, as Keras' own losses do, so the
    gradients summed over replicas are those of the global-batch mean. On jax and torch the
    loss is returned as is (`keras.distribution` computes the global-batch mean itself) and
    TensorFlow is not imported."""
    if not is_tensorflow():
        return loss
    import tensorflow as tf

    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return loss if replicas == 1 else loss * ops.cast(1.0 / replicas, loss.dtype)


def masked_cross_entropy(labels, logits, ignore_index=IGNORE_INDEX):
    """Mean softmax cross-entropy over positions whose label != ignore_index.

    labels: int (...,); logits: (..., C). Returns a float32 scalar (0 if nothing counts).
    """
    logits = ops.cast(logits, "float32")
    classes = ops.shape(logits)[-1]
    logits = ops.reshape(logits, (-1, classes))  # (M, C)
    labels = ops.reshape(ops.cast(labels, "int32"), (-1,))  # (M,)
    keep = ops.not_equal(labels, ignore_index)
    safe = ops.where(keep, labels, 0)
    log_probs = ops.log_softmax(logits, axis=-1)
    picked = ops.take_along_axis(log_probs, safe[:, None], axis=-1)[:, 0]  # (M,)
    weight = ops.cast(keep, "float32")
    count = ops.sum(weight)
    # Where nothing counts, HF's mean is 0/0 = NaN; we return 0 so such a batch trains on.
    return -ops.sum(picked * weight) / ops.maximum(count, 1.0)


def causal_lm_loss(labels, logits):
    """Next-token loss: logits at position t predict labels at t + 1."""
    return masked_cross_entropy(labels[:, 1:], logits[:, :-1])


def span_loss(start_positions, end_positions, start_logits, end_logits):
    """QA: mean of start and end cross-entropy; positions outside [0, T) are ignored."""
    length = ops.shape(start_logits)[1]
    losses = []
    for positions, logits in ((start_positions, start_logits), (end_positions, end_logits)):
        positions = ops.clip(ops.reshape(ops.cast(positions, "int32"), (-1,)), 0, length)
        positions = ops.where(ops.equal(positions, length), IGNORE_INDEX, positions)
        losses.append(masked_cross_entropy(positions, logits))
    return (losses[0] + losses[1]) / 2.0


def mse(labels, predictions):
    predictions = ops.cast(predictions, "float32")
    labels = ops.cast(labels, "float32")
    if predictions.shape[-1] == 1:
        predictions = ops.reshape(predictions, (-1,))
        labels = ops.reshape(labels, (-1,))
    return ops.mean(ops.square(predictions - labels))


def binary_cross_entropy_with_logits(labels, logits):
    logits = ops.cast(logits, "float32")
    labels = ops.cast(labels, "float32")
    # max(x, 0) - x * z + log(1 + exp(-|x|)), stable for large |x|.
    return ops.mean(ops.relu(logits) - logits * labels + ops.log1p(ops.exp(-ops.abs(logits))))


def sequence_classification_loss(labels, logits, problem_type, num_labels):
    labels = ops.convert_to_tensor(labels)
    problem_type = problem_type or infer_problem_type(num_labels, labels.dtype)
    if problem_type == "regression":
        return mse(labels, logits)
    if problem_type == "single_label_classification":
        return masked_cross_entropy(labels, logits)
    return binary_cross_entropy_with_logits(labels, logits)
