"""Task heads on the encoder: sequence, multiple-choice, token classification and QA spans."""

import keras
from keras import ops

from keras_bert import contract, losses, outputs
from keras_bert.contract import HEADS
from keras_bert.layers.common import initializer
from keras_bert.models.base import TFBertPreTrainedModel


class _ClassifierModel(TFBertPreTrainedModel):
    """dropout -> Dense named `classifier` (or `qa_outputs`) on the encoder output."""

    head_name = "classifier"

    def head_units(self) -> int:
        return self.config.num_labels

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        c = self.config
        rate = c.classifier_dropout if c.classifier_dropout is not None else c.hidden_dropout_prob
        self.dropout = keras.layers.Dropout(rate)
        head = keras.layers.Dense(
            self.head_units(), kernel_initializer=initializer(c), name=self.head_name, dtype=self.dtype_policy
        )
        head.build((None, c.hidden_size))
        setattr(self, self.head_name, head)

    def head(self, x, training):
        return getattr(self, self.head_name)(self.dropout(x, training=training))


@keras.saving.register_keras_serializable(package="keras_bert")
class TFBertForSequenceClassification(_ClassifierModel):
    """Logits (B, num_labels) from the pooled [CLS]. Loss by `config.problem_type`:
    regression (MSE), single_label_classification (CE), multi_label_classification (BCE);
    inferred as HF does when unset."""

    spec = HEADS["BertForSequenceClassification"]

    def head_forward(self, inputs, training=False):
        encoded = self.encode(inputs, training)
        logits = self.head(encoded.pooler_output, training)
        return outputs.TFSequenceClassifierOutput(
            logits=logits, hidden_states=encoded.hidden_states, attentions=encoded.attentions
        )

    def head_loss(self, labels, out):
        c = self.config
        if c.problem_type is None:  # transformers records the inferred type in the config
            c.problem_type = contract.infer_problem_type(c.num_labels, ops.convert_to_tensor(labels["labels"]).dtype)
        return losses.sequence_classification_loss(labels["labels"], out.logits, c.problem_type, c.num_labels)


@keras.saving.register_keras_serializable(package="keras_bert")
class TFBertForMultipleChoice(_ClassifierModel):
    """Inputs (B, C, T): each choice is encoded as its own sequence; logits (B, C); labels (B,)."""

    spec = HEADS["BertForMultipleChoice"]

    def head_units(self) -> int:
        return 1

    def head_forward(self, inputs, training=False):
        first = inputs["input_ids"] if inputs.get("input_ids") is not None else inputs["inputs_embeds"]
        num_choices = ops.shape(first)[1]
        flat = dict(inputs)
        for name in ("input_ids", "attention_mask", "token_type_ids", "position_ids", "inputs_embeds"):
            value = inputs.get(name)
            if value is not None:
                shape = ops.shape(value)
                flat[name] = ops.reshape(value, (-1,) + tuple(shape[2:]))  # (B * C, T[, H])
        encoded = self.encode(flat, training)
        logits = ops.reshape(self.head(encoded.pooler_output, training), (-1, num_choices))  # (B, C)
        return outputs.TFMultipleChoiceModelOutput(
            logits=logits, hidden_states=encoded.hidden_states, attentions=encoded.attentions
        )

    def head_loss(self, labels, out):
        return losses.masked_cross_entropy(labels["labels"], out.logits)


@keras.saving.register_keras_serializable(package="keras_bert")
class TFBertForTokenClassification(_ClassifierModel):
    """Logits (B, T, num_labels); no pooler. Labels (B, T), -100 where ignored."""

    spec = HEADS["BertForTokenClassification"]

    def head_forward(self, inputs, training=False):
        encoded = self.encode(inputs, training)
        logits = self.head(encoded.last_hidden_state, training)
        return outputs.TFTokenClassifierOutput(
            logits=logits, hidden_states=encoded.hidden_states, attentions=encoded.attentions
        )

    def head_loss(self, labels, out):
        return losses.masked_cross_entropy(labels["labels"], out.logits)


@keras.saving.register_keras_serializable(package="keras_bert")
class TFBertForQuestionAnswering(_ClassifierModel):
    """Span logits `start_logits`, `end_logits` (B, T); no pooler. Labels `start_positions`,
    `end_positions` (B,); the loss is the mean of both cross-entropies."""

    spec = HEADS["BertForQuestionAnswering"]
    head_name = "qa_outputs"

    def head_units(self) -> int:
        return 2

    def head(self, x, training):
        return self.qa_outputs(x)  # HF applies no dropout before qa_outputs

    def head_forward(self, inputs, training=False):
        encoded = self.encode(inputs, training)
        logits = self.head(encoded.last_hidden_state, training)  # (B, T, 2)
        return outputs.TFQuestionAnsweringModelOutput(
            start_logits=logits[..., 0],
            end_logits=logits[..., 1],
            hidden_states=encoded.hidden_states,
            attentions=encoded.attentions,
        )

    def head_loss(self, labels, out):
        return losses.span_loss(labels["start_positions"], labels["end_positions"], out.start_logits, out.end_logits)
