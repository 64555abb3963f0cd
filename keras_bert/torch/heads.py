"""The eight BERT heads of the twin, with HF names and HF losses.

Each head follows the contract the Keras heads follow (`keras_bert.contract`): one `forward`
with transformers' keywords (or a dict first argument) split by `contract.split_call`, the
head's own `head_forward(inputs)` and `head_loss(labels, outputs)`, and a loss only when every
label set of the head is given. The rules live in `contract.py`, not here.

Every head keeps the encoder under `bert.`. The MLM decoder weight is the very
Parameter of `bert.embeddings.word_embeddings.weight` (when
`config.tie_word_embeddings`), and the decoder bias is the Parameter
`cls.predictions.bias`; neither alias is read from or written to checkpoints.
"""

from __future__ import annotations

import logging

import torch
from torch import nn

from keras_bert import contract
from keras_bert.contract import HEADS
from keras_bert.torch import losses
from keras_bert.torch.head_layers import BertOnlyMLMHead, BertOnlyNSPHead, BertPreTrainingHeads
from keras_bert.torch.model import BertModel, BertPreTrainedModel
from keras_bert.torch.outputs import (
    BertForPreTrainingOutput,
    CausalLMOutputWithCrossAttentions,
    MaskedLMOutput,
    MultipleChoiceModelOutput,
    NextSentencePredictorOutput,
    QuestionAnsweringModelOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)

logger = logging.getLogger(__name__)


def _classifier_dropout(config) -> nn.Dropout:
    p = config.classifier_dropout if config.classifier_dropout is not None else config.hidden_dropout_prob
    return nn.Dropout(p)


class _TwinHead(BertPreTrainedModel):
    """The calling contract of every twin head (the mirror of `keras_bert.models.calling`)."""

    spec = HEADS["BertModel"]

    def forward(
        self,
        input_ids=None,
        attention_mask=None,
        token_type_ids=None,
        position_ids=None,
        head_mask=None,
        inputs_embeds=None,
        encoder_hidden_states=None,
        encoder_attention_mask=None,
        past_key_values=None,
        use_cache=None,
        output_attentions=None,
        output_hidden_states=None,
        return_dict=None,
        labels=None,
        next_sentence_label=None,
        start_positions=None,
        end_positions=None,
    ):
        given = locals()
        others = {n: given[n] for n in contract.CALL_NAMES[1:]}
        inputs, labels, return_dict = contract.split_call(
            self.spec, type(self).__name__, input_ids, others, config=self.config
        )
        out = self.head_forward(inputs)
        if contract.loss_applies(self.spec, labels):
            out.loss = self.head_loss(labels, out)
        return out if return_dict else out.to_tuple()

    def encode(self, inputs: dict):
        return self.bert(**inputs, return_dict=True)  # the head builds its own record

    def head_forward(self, inputs: dict):
        raise NotImplementedError

    def head_loss(self, labels: dict, out):
        raise NotImplementedError(f"{type(self).__name__} has no built-in loss")


# -- heads with the MLM decoder ----------------------------------------------------------


class _WithLMDecoder(_TwinHead):
    """Ties `cls.predictions.decoder` to the word embeddings and `cls.predictions.bias`."""

    def _setup_tied(self):
        # With tie_word_embeddings=False nothing is tied, as in transformers 5: the decoder
        # keeps its own weight and bias (`cls.predictions.bias` then goes unused).
        if self.config.tie_word_embeddings:
            self._tied_aliases = ("cls.predictions.decoder.weight", "cls.predictions.decoder.bias")
        else:
            self.cls.predictions.decoder.bias = nn.Parameter(self.cls.predictions.bias.detach().clone())

    def get_output_embeddings(self) -> nn.Linear:
        return self.cls.predictions.decoder

    def tie_weights(self):
        predictions = self.cls.predictions
        if self.config.tie_word_embeddings:
            predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight
            predictions.decoder.bias = predictions.bias
        predictions.decoder.out_features = predictions.decoder.weight.shape[0]

    @torch.no_grad()
    def _resize_output(self, new_num_tokens: int):
        predictions = self.cls.predictions
        n = min(new_num_tokens, predictions.bias.shape[0])
        bias = torch.zeros(new_num_tokens, dtype=predictions.bias.dtype, device=predictions.bias.device)
        bias[:n] = predictions.bias[:n]
        predictions.bias = nn.Parameter(bias)
        if not self.config.tie_word_embeddings:
            old = predictions.decoder.weight
            weight = torch.empty(new_num_tokens, old.shape[1], dtype=old.dtype, device=old.device)
            nn.init.normal_(weight, std=self.config.initializer_range)
            weight[:n] = old[:n]
            predictions.decoder.weight = nn.Parameter(weight)
            decoder_bias = torch.zeros_like(bias)
            decoder_bias[:n] = predictions.decoder.bias[:n]
            predictions.decoder.bias = nn.Parameter(decoder_bias)


class BertForPreTraining(_WithLMDecoder):
    """MLM + NSP heads (`cls.predictions`, `cls.seq_relationship`); the loss needs both label sets."""

    spec = HEADS["BertForPreTraining"]

    def __init__(self, config, attn_implementation: str = "sdpa"):
        super().__init__(config)
        self.bert = BertModel(config, attn_implementation=attn_implementation)
        self.cls = BertPreTrainingHeads(config)
        self._setup_tied()
        self.post_init()

    def head_forward(self, inputs):
        out = self.encode(inputs)
        prediction_logits, seq_relationship_logits = self.cls(out.last_hidden_state, out.pooler_output)
        return BertForPreTrainingOutput(
            None, prediction_logits, seq_relationship_logits, out.hidden_states, out.attentions
        )

    def head_loss(self, labels, out):
        return losses.pretraining_loss(
            out.prediction_logits, labels["labels"], out.seq_relationship_logits, labels["next_sentence_label"]
        )


class BertForMaskedLM(_WithLMDecoder):
    """Masked-LM head; no pooler."""

    spec = HEADS["BertForMaskedLM"]

    def __init__(self, config, attn_implementation: str = "sdpa"):
        super().__init__(config)
        if config.is_decoder:
            logger.warning("BertForMaskedLM wants a bidirectional encoder: set is_decoder=False in the config")
        self.bert = BertModel(config, add_pooling_layer=False, attn_implementation=attn_implementation)
        self.cls = BertOnlyMLMHead(config)
        self._setup_tied()
        self.post_init()

    def head_forward(self, inputs):
        out = self.encode(inputs)
        return MaskedLMOutput(None, self.cls(out.last_hidden_state), out.hidden_states, out.attentions)

    def head_loss(self, labels, out):
        return losses.masked_lm_loss(out.logits, labels["labels"])


class BertLMHeadModel(_WithLMDecoder):
    """Causal-LM head (decoder); labels are shifted by one inside. See `model.py` for the cache format."""

    spec = HEADS["BertLMHeadModel"]

    def __init__(self, config, attn_implementation: str = "sdpa"):
        super().__init__(config)
        if not config.is_decoder:
            logger.warning("BertLMHeadModel is meant as a decoder: set is_decoder=True in the config")
        self.bert = BertModel(config, add_pooling_layer=False, attn_implementation=attn_implementation)
        self.cls = BertOnlyMLMHead(config)
        self._setup_tied()
        self.post_init()

    def head_forward(self, inputs):
        out = self.encode(inputs)
        logits = self.cls(out.last_hidden_state)
        return CausalLMOutputWithCrossAttentions(
            None, logits, out.past_key_values, out.hidden_states, out.attentions, out.cross_attentions
        )

    def head_loss(self, labels, out):
        return losses.causal_lm_loss(out.logits, labels["labels"])


# -- heads on the pooled output or on every token ---------------------------------------------


class BertForNextSentencePrediction(_TwinHead):
    spec = HEADS["BertForNextSentencePrediction"]

    def __init__(self, config, attn_implementation: str = "sdpa"):
        super().__init__(config)
        self.bert = BertModel(config, attn_implementation=attn_implementation)
        self.cls = BertOnlyNSPHead(config)
        self.post_init()

    def head_forward(self, inputs):
        out = self.encode(inputs)
        logits = self.cls(out.pooler_output)  # (B, 2)
        return NextSentencePredictorOutput(None, logits, out.hidden_states, out.attentions)

    def head_loss(self, labels, out):
        return losses.next_sentence_loss(out.logits, labels["labels"])


class BertForSequenceClassification(_TwinHead):
    """`classifier` on the pooled output. problem_type from the config, else inferred like HF."""

    spec = HEADS["BertForSequenceClassification"]

    def __init__(self, config, attn_implementation: str = "sdpa"):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = BertModel(config, attn_implementation=attn_implementation)
        self.dropout = _classifier_dropout(config)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def head_forward(self, inputs):
        out = self.encode(inputs)
        logits = self.classifier(self.dropout(out.pooler_output))  # (B, num_labels)
        return SequenceClassifierOutput(None, logits, out.hidden_states, out.attentions)

    def head_loss(self, labels, out):
        labels = labels["labels"]
        if self.config.problem_type is None:  # HF records the inferred type in the config
            self.config.problem_type = contract.infer_problem_type(self.num_labels, labels.dtype)
        return losses.sequence_classification_loss(out.logits, labels, self.config.problem_type)


class BertForMultipleChoice(_TwinHead):
    """Inputs (B, C, T) are flattened to (B*C, T); `classifier` has one output per choice."""

    spec = HEADS["BertForMultipleChoice"]

    def __init__(self, config, attn_implementation: str = "sdpa"):
        super().__init__(config)
        self.bert = BertModel(config, attn_implementation=attn_implementation)
        self.dropout = _classifier_dropout(config)
        self.classifier = nn.Linear(config.hidden_size, 1)
        self.post_init()

    def head_forward(self, inputs):
        first = inputs["input_ids"] if inputs.get("input_ids") is not None else inputs["inputs_embeds"]
        num_choices = first.shape[1]
        flat = dict(inputs)
        for name in ("input_ids", "attention_mask", "token_type_ids", "position_ids", "inputs_embeds"):
            if inputs.get(name) is not None:
                flat[name] = inputs[name].reshape(-1, *inputs[name].shape[2:])  # (B*C, T[, H])
        out = self.encode(flat)
        logits = self.classifier(self.dropout(out.pooler_output)).view(-1, num_choices)  # (B, C)
        return MultipleChoiceModelOutput(None, logits, out.hidden_states, out.attentions)

    def head_loss(self, labels, out):
        return torch.nn.functional.cross_entropy(out.logits, labels["labels"])


class BertForTokenClassification(_TwinHead):
    """`classifier` on every token; no pooler."""

    spec = HEADS["BertForTokenClassification"]

    def __init__(self, config, attn_implementation: str = "sdpa"):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = BertModel(config, add_pooling_layer=False, attn_implementation=attn_implementation)
        self.dropout = _classifier_dropout(config)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def head_forward(self, inputs):
        out = self.encode(inputs)
        logits = self.classifier(self.dropout(out.last_hidden_state))  # (B, T, num_labels)
        return TokenClassifierOutput(None, logits, out.hidden_states, out.attentions)

    def head_loss(self, labels, out):
        return losses.token_classification_loss(out.logits, labels["labels"])


class BertForQuestionAnswering(_TwinHead):
    """`qa_outputs` gives start and end logits (B, T); no pooler."""

    spec = HEADS["BertForQuestionAnswering"]

    def __init__(self, config, attn_implementation: str = "sdpa"):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = BertModel(config, add_pooling_layer=False, attn_implementation=attn_implementation)
        self.qa_outputs = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def head_forward(self, inputs):
        out = self.encode(inputs)
        logits = self.qa_outputs(out.last_hidden_state)  # (B, T, 2)
        start_logits, end_logits = (x.squeeze(-1).contiguous() for x in logits.split(1, dim=-1))
        return QuestionAnsweringModelOutput(None, start_logits, end_logits, out.hidden_states, out.attentions)

    def head_loss(self, labels, out):
        return losses.question_answering_loss(
            out.start_logits, out.end_logits, labels["start_positions"], labels["end_positions"]
        )
