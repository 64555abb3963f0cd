"""The model contract: one rulebook for the Keras models and the PyTorch twin.

Every head is described here once, as data (`HEADS`), and every rule that decides what a call
means lives here once, as a function both frameworks call:

- `split_call`: a call's arguments (keywords, or a dict first argument as `model.fit` and
  tokenizers pass) -> model inputs, labels and `return_dict`. Unknown input names and labels a
  head does not take are errors that name them.
- `loss_applies`: a head computes its built-in loss only when *every* one of its label sets is
  given (transformers: `BertForPreTraining` needs `labels` and `next_sentence_label`,
  `BertForQuestionAnswering` needs `start_positions` and `end_positions`); with some but not all,
  no loss is computed, as in transformers.
- A call with labels returns no decoding cache (transformers' `BertLMHeadModel`).
- `infer_problem_type`: transformers' rule for `BertForSequenceClassification` when
  `config.problem_type` is unset; the inferred value is written back to the config (as
  transformers does) by both frameworks.
- `cross_attention_inputs`: `encoder_hidden_states` are ignored by an encoder (is_decoder=False),
  used by a decoder with cross-attention, and an error for a decoder without it (transformers).

This module imports neither TensorFlow, Keras nor torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Model inputs, in transformers' keyword order. A dict first argument may hold any of them.
INPUT_NAMES = (
    "input_ids",
    "attention_mask",
    "token_type_ids",
    "position_ids",
    "head_mask",
    "inputs_embeds",
    "encoder_hidden_states",
    "encoder_attention_mask",
    "past_key_values",
    "use_cache",
    "output_attentions",
    "output_hidden_states",
    "return_dict",
)
LABEL_NAMES = ("labels", "next_sentence_label", "start_positions", "end_positions")
CALL_NAMES = INPUT_NAMES + LABEL_NAMES


@dataclass(frozen=True)
class HeadSpec:
    """What a head is: its transformers class, labels, logits, and which parts it holds."""

    hf_name: str  # transformers' PyTorch class, e.g. "BertForMaskedLM"
    label_names: tuple = ()
    logit_names: tuple = ()
    pooler: bool = True  # holds bert.pooler
    mlm: bool = False  # holds cls.predictions (the LM decoder)
    nsp: bool = False  # holds cls.seq_relationship
    input_rank: int = 2  # rank of input_ids: (B, T), or (B, C, T) for multiple choice
    token_level_labels: bool = False  # labels (B, T) with -100 ignored (metrics mask them)


HEADS = {
    spec.hf_name: spec
    for spec in (
        HeadSpec("BertModel", logit_names=("last_hidden_state",)),
        HeadSpec(
            "BertForPreTraining",
            label_names=("labels", "next_sentence_label"),
            logit_names=("prediction_logits", "seq_relationship_logits"),
            mlm=True,
            nsp=True,
        ),
        HeadSpec("BertLMHeadModel", ("labels",), ("logits",), pooler=False, mlm=True),
        HeadSpec("BertForMaskedLM", ("labels",), ("logits",), pooler=False, mlm=True, token_level_labels=True),
        HeadSpec("BertForNextSentencePrediction", ("labels",), ("logits",), nsp=True),
        HeadSpec("BertForSequenceClassification", ("labels",), ("logits",)),
        HeadSpec("BertForMultipleChoice", ("labels",), ("logits",), input_rank=3),
        HeadSpec("BertForTokenClassification", ("labels",), ("logits",), pooler=False, token_level_labels=True),
        HeadSpec(
            "BertForQuestionAnswering",
            label_names=("start_positions", "end_positions"),
            logit_names=("start_logits", "end_logits"),
            pooler=False,
        ),
    )
}


def merge_inputs(first, kwargs: dict) -> dict:
    """Folds a dict first argument into the keyword arguments; explicit (non-None) keywords win."""
    if not isinstance(first, Mapping):
        return {"input_ids": first, **kwargs}
    unknown = sorted(set(first) - set(CALL_NAMES))
    if unknown:
        raise ValueError(f"Unknown model input(s) {unknown} in the input dict; expected names from {CALL_NAMES}")
    merged = dict(kwargs)
    for name, value in first.items():
        if merged.get(name) is None:
            merged[name] = value
    merged.setdefault("input_ids", None)
    return merged


def config_defaults(config, call: Mapping) -> dict:
    """`output_attentions`, `output_hidden_states` and `return_dict` of one call, those the call
    leaves unset (None) taken from the config (`config.use_return_dict` for `return_dict`), as in
    transformers. Used by `split_call` and by the bare encoders (Keras main layer, twin BertModel)."""
    out = {name: call.get(name) for name in ("output_attentions", "output_hidden_states", "return_dict")}
    for name in ("output_attentions", "output_hidden_states"):
        if out[name] is None:
            out[name] = getattr(config, name, False)
    if out["return_dict"] is None:
        out["return_dict"] = getattr(config, "use_return_dict", True)
    return out


def split_call(spec: HeadSpec, model_name: str, first, kwargs: dict, config=None) -> tuple[dict, dict, bool]:
    """(inputs, labels, return_dict) of one call. `kwargs` holds every other call argument.

    Inputs keep every name of `INPUT_NAMES` but `return_dict`; labels hold the given (non-None)
    label sets. A label the head does not take is an error naming it. With the model's `config`,
    `output_attentions`, `output_hidden_states` and `return_dict` the call leaves unset (None) take
    the config's values (`config.use_return_dict` for `return_dict`), as in transformers.
    """
    merged = merge_inputs(first, kwargs)
    if config is not None:
        merged.update(config_defaults(config, merged))
    labels = {n: merged.pop(n) for n in LABEL_NAMES if n in merged}
    labels = {n: v for n, v in labels.items() if v is not None}
    unsupported = sorted(set(labels) - set(spec.label_names))
    if unsupported:
        takes = spec.label_names or "no labels"
        raise ValueError(f"{model_name} takes labels {takes}, got {unsupported}")
    return_dict = merged.pop("return_dict", None)
    if labels:
        merged["use_cache"] = False  # transformers: a call with labels returns no cache
    return merged, labels, return_dict in (None, True)


def loss_applies(spec: HeadSpec, labels: Mapping) -> bool:
    """True when every label set of the head is given (then, and only then, a loss is computed)."""
    return bool(spec.label_names) and all(labels.get(n) is not None for n in spec.label_names)


def missing_labels(spec: HeadSpec, labels: Mapping) -> list[str]:
    return [n for n in spec.label_names if labels.get(n) is None]


def infer_problem_type(num_labels: int, labels_dtype) -> str:
    """transformers' rule when `config.problem_type` is unset: one label -> regression;
    integer labels -> single-label classification; otherwise multi-label."""
    if num_labels == 1:
        return "regression"
    if "int" in str(labels_dtype):
        return "single_label_classification"
    return "multi_label_classification"


def cross_attention_inputs(config, encoder_hidden_states, encoder_attention_mask):
    """The (encoder_hidden_states, encoder_attention_mask) the encoder stack should use."""
    if encoder_hidden_states is None:
        return None, None
    if not config.is_decoder:
        return None, None  # an encoder ignores them (transformers' BertLayer)
    if not config.add_cross_attention:
        raise ValueError(
            "encoder_hidden_states were given to a decoder without cross-attention; "
            "build it with add_cross_attention=True (config.add_cross_attention=False now)"
        )
    return encoder_hidden_states, encoder_attention_mask
