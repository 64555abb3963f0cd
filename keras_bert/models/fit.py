"""`model.fit` integration: the head's built-in loss and metrics on the head's logits.

Labels come from `y` (a tensor for one label set, a tuple or dict for several) or from the input
dict (transformers' habit: `fit(dataset_of_dicts_with_labels)`). With `compile(loss=...)` the
user's loss sees `(y, logits)`; without, the head's built-in loss runs, which needs every label
set of the head (`contract.loss_applies`).
"""

from __future__ import annotations

from collections.abc import Mapping

from keras import ops

from keras_bert import contract, losses


class FitIntegration:
    """Mixin of `TFBertPreTrainedModel`: `compute_loss`, `compute_metrics` and helpers."""

    def _labels(self, x, y) -> dict:
        names = self.spec.label_names
        if y is None:
            return {n: x[n] for n in names if isinstance(x, Mapping) and x.get(n) is not None}
        if isinstance(y, Mapping):
            return {n: y[n] for n in names if n in y}
        if isinstance(y, (tuple, list)):
            return dict(zip(names, y))
        return {names[0]: y} if names else {}

    def logits(self, outputs):
        """The output(s) a user's own Keras loss and metrics see."""
        values = tuple(outputs[n] for n in self.spec.logit_names)
        return values[0] if len(values) == 1 else values

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if self._compile_loss is not None:
            return super().compute_loss(x, y, self.logits(y_pred), sample_weight, training)
        labels = self._labels(x, y)
        if y is None and y_pred.get("loss") is not None:
            loss = y_pred["loss"]
        elif contract.loss_applies(self.spec, labels):
            loss = self.head_loss(labels, y_pred)
        else:
            missing = contract.missing_labels(self.spec, labels) or list(self.spec.label_names)
            raise ValueError(
                f"{type(self).__name__}: no labels {missing} to compute the built-in loss. Pass "
                f"{self.spec.label_names} in the input dict or as y, or compile(loss=...)"
            )
        for extra in self.losses:
            loss = loss + ops.cast(extra, loss.dtype)
        # As Keras losses do: under tf.distribute each replica returns loss / replicas, so the
        # summed gradients are those of the global-batch mean (fit's tracker unscales it).
        return losses.scale_for_replicas(loss)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        labels = self._labels(x, y)
        names = self.spec.label_names
        if labels and self._compile_metrics is not None:
            if len(names) == 1 or len(labels) == 1:
                target = labels[names[0]] if names[0] in labels else next(iter(labels.values()))
            else:
                target = tuple(labels[n] for n in names if n in labels)
            if self.spec.token_level_labels and sample_weight is None:
                sample_weight = ops.cast(ops.not_equal(target, -100), "float32")
                target = ops.where(ops.equal(target, -100), 0, target)
            return super().compute_metrics(x, target, self.logits(y_pred), sample_weight)
        return super().compute_metrics(x, y, self.logits(y_pred), sample_weight)
