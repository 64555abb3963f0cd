"""The eight BERT heads of the twin, with HF names and HF losses.

Every head keeps the encoder under `bert.`. The MLM decoder weight is the very
Parameter of `bert.embeddings.word_embeddings.weight` (when
`config.tie_word_embeddings`), and the decoder bias is the Parameter
`cls.predictions.bias`; neither alias is read from or written to checkpoints.
"""

from __future__ import annotations

import logging

import torch
from torch import nn

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


_ENCODER_ARGS = (
    "attention_mask",
    "token_type_ids",
    "position_ids",
    "head_mask",
    "inputs_embeds",
    "output_attentions",
    "output_hidden_states",
)


def _finish(record, return_dict):
    return record if return_dict is None or return_dict else record.to_tuple()


# -- heads with the MLM decoder ----------------------------------------------------------


class _WithLMDecoder(BertPreTrainedModel):
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
    """MLM + NSP heads (`cls.predictions`, `cls.seq_relationship`)."""

    def __init__(self, config, attn_implementation: str = "sdpa"):
        super().__init__(config)
        self.bert = BertModel(config, attn_implementation=attn_implementation)
        self.cls = BertPreTrainingHeads(config)
        self._setup_tied()
        self.post_init()

    def forward(
        self,
        input_ids=None,
        attention_mask=None,
        token_type_ids=None,
        position_ids=None,
        head_mask=None,
        inputs_embeds=None,
        labels=None,
        next_sentence_label=None,
        output_attentions=None,
        output_hidden_states=None,
        return_dict=None,
    ):
        out = self.bert(
            input_ids,
            attention_mask,
            token_type_ids,
            position_ids,
            head_mask,
            inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
        )
        prediction_logits, seq_relationship_logits = self.cls(out.last_hidden_state, out.pooler_output)
        loss = None
        if labels is not None and next_sentence_label is not None:
            loss = losses.pretraining_loss(prediction_logits, labels, seq_relationship_logits, next_sentence_label)
        return _finish(
            BertForPreTrainingOutput(
                loss, prediction_logits, seq_relationship_logits, out.hidden_states, out.attentions
            ),
            return_dict,
        )


class BertForMaskedLM(_WithLMDecoder):
    """Masked-LM head; no pooler."""

    def __init__(self, config, attn_implementation: str = "sdpa"):
        super().__init__(config)
        if config.is_decoder:
            logger.warning("BertForMaskedLM wants a bidirectional encoder: set is_decoder=False in the config")
        self.bert = BertModel(config, add_pooling_layer=False, attn_implementation=attn_implementation)
        self.cls = BertOnlyMLMHead(config)
        self._setup_tied()
        self.post_init()

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
        labels=None,
        output_attentions=None,
        output_hidden_states=None,
        return_dict=None,
    ):
        out = self.bert(
            input_ids,
            attention_mask,
            token_type_ids,
            position_ids,
            head_mask,
            inputs_embeds,
            encoder_hidden_states,
            encoder_attention_mask,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
        )
        logits = self.cls(out.last_hidden_state)
        loss = losses.masked_lm_loss(logits, labels) if labels is not None else None
        return _finish(MaskedLMOutput(loss, logits, out.hidden_states, out.attentions), return_dict)


class BertLMHeadModel(_WithLMDecoder):
    """Causal-LM head (decoder); labels are shifted by one inside. See `model.py` for the cache format."""

    def __init__(self, config, attn_implementation: str = "sdpa"):
        super().__init__(config)
        if not config.is_decoder:
            logger.warning("BertLMHeadModel is meant as a decoder: set is_decoder=True in the config")
        self.bert = BertModel(config, add_pooling_layer=False, attn_implementation=attn_implementation)
        self.cls = BertOnlyMLMHead(config)
        self._setup_tied()
        self.post_init()

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
        labels=None,
        past_key_values=None,
        use_cache=None,
        output_attentions=None,
        output_hidden_states=None,
        return_dict=None,
    ):
        if labels is not None:
            use_cache = False
        out = self.bert(
            input_ids,
            attention_mask,
            token_type_ids,
            position_ids,
            head_mask,
            inputs_embeds,
            encoder_hidden_states,
            encoder_attention_mask,
            past_key_values,
            use_cache,
            output_attentions,
            output_hidden_states,
        )
        logits = self.cls(out.last_hidden_state)
        loss = losses.causal_lm_loss(logits, labels) if labels is not None else None
        return _finish(
            CausalLMOutputWithCrossAttentions(
                loss, logits, out.past_key_values, out.hidden_states, out.attentions, out.cross_attentions
            ),
            return_dict,
        )


# -- heads on the pooled output or on every token ---------------------------------------------


class BertForNextSentencePrediction(BertPreTrainedModel):
    def __init__(self, config, attn_implementation: str = "sdpa"):
        super().__init__(config)
        self.bert = BertModel(config, attn_implementation=attn_implementation)
        self.cls = BertOnlyNSPHead(config)
        self.post_init()

    def forward(
        self,
        input_ids=None,
        attention_mask=None,
        token_type_ids=None,
        position_ids=None,
        head_mask=None,
        inputs_embeds=None,
        labels=None,
        output_attentions=None,
        output_hidden_states=None,
        return_dict=None,
    ):
        out = self.bert(
            input_ids,
            attention_mask,
            token_type_ids,
            position_ids,
            head_mask,
            inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
        )
        logits = self.cls(out.pooler_output)  # (B, 2)
        loss = losses.next_sentence_loss(logits, labels) if labels is not None else None
        return _finish(NextSentencePredictorOutput(loss, logits, out.hidden_states, out.attentions), return_dict)


class BertForSequenceClassification(BertPreTrainedModel):
    """`classifier` on the pooled output. problem_type from the config, else inferred like HF."""

    def __init__(self, config, attn_implementation: str = "sdpa"):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = BertModel(config, attn_implementation=attn_implementation)
        self.dropout = _classifier_dropout(config)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self,
        input_ids=None,
        attention_mask=None,
        token_type_ids=None,
        position_ids=None,
        head_mask=None,
        inputs_embeds=None,
        labels=None,
        output_attentions=None,
        output_hidden_states=None,
        return_dict=None,
    ):
        out = self.bert(
            input_ids,
            attention_mask,
            token_type_ids,
            position_ids,
            head_mask,
            inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
        )
        logits = self.classifier(self.dropout(out.pooler_output))  # (B, num_labels)
        loss = None
        if labels is not None:
            if self.config.problem_type is None:  # HF records the inferred type in the config
                self.config.problem_type = losses.infer_problem_type(self.num_labels, labels)
            loss = losses.sequence_classification_loss(logits, labels, self.config.problem_type)
        return _finish(SequenceClassifierOutput(loss, logits, out.hidden_states, out.attentions), return_dict)


class BertForMultipleChoice(BertPreTrainedModel):
    """Inputs (B, C, T) are flattened to (B*C, T); `classifier` has one output per choice."""

    def __init__(self, config, attn_implementation: str = "sdpa"):
        super().__init__(config)
        self.bert = BertModel(config, attn_implementation=attn_implementation)
        self.dropout = _classifier_dropout(config)
        self.classifier = nn.Linear(config.hidden_size, 1)
        self.post_init()

    def forward(
        self,
        input_ids=None,
        attention_mask=None,
        token_type_ids=None,
        position_ids=None,
        head_mask=None,
        inputs_embeds=None,
        labels=None,
        output_attentions=None,
        output_hidden_states=None,
        return_dict=None,
    ):
        num_choices = input_ids.shape[1] if input_ids is not None else inputs_embeds.shape[1]

        def flat(x):  # (B, C, T[, H]) -> (B*C, T[, H])
            return None if x is None else x.reshape(-1, *x.shape[2:])

        out = self.bert(
            flat(input_ids),
            flat(attention_mask),
            flat(token_type_ids),
            flat(position_ids),
            head_mask,
            flat(inputs_embeds),
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
        )
        logits = self.classifier(self.dropout(out.pooler_output)).view(-1, num_choices)  # (B, C)
        loss = torch.nn.functional.cross_entropy(logits, labels) if labels is not None else None
        return _finish(MultipleChoiceModelOutput(loss, logits, out.hidden_states, out.attentions), return_dict)


class BertForTokenClassification(BertPreTrainedModel):
    """`classifier` on every token; no pooler."""

    def __init__(self, config, attn_implementation: str = "sdpa"):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = BertModel(config, add_pooling_layer=False, attn_implementation=attn_implementation)
        self.dropout = _classifier_dropout(config)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self,
        input_ids=None,
        attention_mask=None,
        token_type_ids=None,
        position_ids=None,
        head_mask=None,
        inputs_embeds=None,
        labels=None,
        output_attentions=None,
        output_hidden_states=None,
        return_dict=None,
    ):
        out = self.bert(
            input_ids,
            attention_mask,
            token_type_ids,
            position_ids,
            head_mask,
            inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
        )
        logits = self.classifier(self.dropout(out.last_hidden_state))  # (B, T, num_labels)
        loss = losses.token_classification_loss(logits, labels) if labels is not None else None
        return _finish(TokenClassifierOutput(loss, logits, out.hidden_states, out.attentions), return_dict)


class BertForQuestionAnswering(BertPreTrainedModel):
    """`qa_outputs` gives start and end logits (B, T); no pooler."""

    def __init__(self, config, attn_implementation: str = "sdpa"):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = BertModel(config, add_pooling_layer=False, attn_implementation=attn_implementation)
        self.qa_outputs = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self,
        input_ids=None,
        attention_mask=None,
        token_type_ids=None,
        position_ids=None,
        head_mask=None,
        inputs_embeds=None,
        start_positions=None,
        end_positions=None,
        output_attentions=None,
        output_hidden_states=None,
        return_dict=None,
    ):
        out = self.bert(
            input_ids,
            attention_mask,
            token_type_ids,
            position_ids,
            head_mask,
            inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
        )
        logits = self.qa_outputs(out.last_hidden_state)  # (B, T, 2)
        start_logits, end_logits = (x.squeeze(-1).contiguous() for x in logits.split(1, dim=-1))
        loss = None
        if start_positions is not None and end_positions is not None:
            loss = losses.question_answering_loss(start_logits, end_logits, start_positions, end_positions)
        return _finish(
            QuestionAnsweringModelOutput(loss, start_logits, end_logits, out.hidden_states, out.attentions), return_dict
        )
