"""Unpadded inference: BERT computed on the real tokens of a padded batch only.

Every position of a padded batch costs as much as a real token in the embeddings, the Q/K/V and
output projections, the feed-forward block, LayerNorm and the token-level heads, which are ~95%
of BERT's FLOPs at T=128. `unpadded_outputs` packs the kept positions of a (B, T) batch into a
(P, H) matrix (`keras_bert.layers.packing`), runs all of those on the P rows, and goes back to
the batch layout only for the attention core (scores and context, (B, N, T, T)).

Values: at every real position (attention_mask == 1), and for sequence-level outputs (pooler,
sequence classification, NSP, multiple choice), the results equal the padded path's (same ops on
the same rows; differences are matmul blocking, ~1e-7). Token-level outputs (`last_hidden_state`,
token-classification / MLM / QA logits) are ZERO at padded positions, except position 0 of each
row, which is always computed. The padded path and transformers hold values there that were
computed for the pad tokens (attending to the real tokens); no loss, metric or pipeline reads
them (losses skip label -100, pipelines skip masked positions), but code that does will see 0.
Any mask works: right padding, left padding (positions stay each token's index in the padded
row, as transformers' BERT numbers them) and holes; a row without real tokens is computed whole.

Supported: `TFBertModel` and the heads for sequence classification, token classification, QA,
masked LM, pretraining, next sentence prediction and multiple choice, in inference
(`training=False`: no dropout). Decoders (`is_decoder`: causal mask, cache, cross-attention),
`head_mask`, `inputs_embeds`, `position_ids` and per-layer `hidden_states` / `attentions` stay on
the padded path; asking for them here is an error naming them.
"""

from __future__ import annotations

from keras import ops

from keras_bert.layers.packing import Packing
from keras_bert.models.input_checks import check_inputs
from keras_bert.models.main_layer import additive_mask

#: transformers class -> names of the outputs `unpadded_outputs` returns for it.
OUTPUTS = {
    "BertModel": ("last_hidden_state", "pooler_output"),
    "BertForSequenceClassification": ("logits",),
    "BertForNextSentencePrediction": ("logits",),
    "BertForMultipleChoice": ("logits",),
    "BertForTokenClassification": ("logits",),
    "BertForQuestionAnswering": ("start_logits", "end_logits"),
    "BertForMaskedLM": ("logits",),
    "BertForPreTraining": ("prediction_logits", "seq_relationship_logits"),
}


def check_supported(model) -> str:
    """The model's transformers class name if it can run unpadded; a ValueError naming why not."""
    name = getattr(getattr(model, "spec", None), "hf_name", None)
    if getattr(model.config, "is_decoder", False):
        raise ValueError(
            f"{type(model).__name__} is a decoder (config.is_decoder=True): its causal mask, cache and "
            "cross-attention run on the padded path only; call it without unpadded=True"
        )
    if name not in OUTPUTS:
        raise ValueError(
            f"{type(model).__name__} has no unpadded path; supported: {', '.join('TF' + n for n in OUTPUTS)}"
        )
    return name


def _encode(bert, input_ids, attention_mask, token_type_ids):
    """Packed encoder: returns (rows (P, H), packing)."""
    packing = Packing(attention_mask)
    rows = bert.embeddings.call_packed(
        packing.gather(input_ids), packing.gather(token_type_ids), packing.positions
    )  # (P, H)
    rows = bert.encoder.call_packed(rows, packing, additive_mask(attention_mask))  # mask (B, 1, 1, T)
    return rows, packing


def unpadded_outputs(model, input_ids, attention_mask=None, token_type_ids=None) -> dict:
    """`model`'s inference outputs (a dict named as its output record, tensors only) computed on
    the kept positions only; inputs (B, T) int, or (B, C, T) for multiple choice. See the module
    docstring for which positions hold what."""
    name = check_supported(model)
    inputs = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
    if getattr(model, "check_inputs", True):  # the padded call's checks: dtypes, shapes, id ranges
        inputs = check_inputs({k: v for k, v in inputs.items() if v is not None}, model.config, model.spec.input_rank)
    input_ids = inputs["input_ids"]
    attention_mask = inputs.get("attention_mask")
    if attention_mask is None:
        attention_mask = ops.ones_like(input_ids)
    elif len(attention_mask.shape) != len(input_ids.shape):
        raise ValueError(
            f"unpadded execution takes a padding mask of the ids' shape {tuple(input_ids.shape)}; got an "
            f"attention_mask of shape {tuple(attention_mask.shape)} (a per-query mask runs on the padded path)"
        )
    token_type_ids = inputs.get("token_type_ids")
    if token_type_ids is None:
        token_type_ids = ops.zeros_like(input_ids)
    if name == "BertForMultipleChoice":
        shape = ops.shape(input_ids)  # (B, C, T)
        flat = [ops.reshape(x, (-1, shape[2])) for x in (input_ids, attention_mask, token_type_ids)]  # (B*C, T)
        rows, packing = _encode(model.bert, *flat)
        logits = model.classifier(model.bert.pooler.call_packed(rows, packing))  # (B*C, 1)
        return {"logits": ops.reshape(logits, (-1, shape[1]))}  # (B, C)
    bert = model.bert
    rows, packing = _encode(bert, input_ids, attention_mask, token_type_ids)
    if name == "BertModel":
        pooled = bert.pooler.call_packed(rows, packing) if bert.pooler is not None else None
        out = {"last_hidden_state": packing.to_batch(rows)}  # (B, T, H)
        if pooled is not None:
            out["pooler_output"] = pooled  # (B, H)
        return out
    if name in ("BertForSequenceClassification",):
        return {"logits": model.classifier(bert.pooler.call_packed(rows, packing))}  # (B, L)
    if name == "BertForTokenClassification":
        return {"logits": packing.to_batch(model.classifier(rows))}  # (B, T, L)
    if name == "BertForQuestionAnswering":
        logits = packing.to_batch(model.qa_outputs(rows))  # (B, T, 2)
        return {"start_logits": logits[..., 0], "end_logits": logits[..., 1]}
    cls = model.cls
    word_embeddings = model.get_input_embeddings().embeddings
    out = {}
    if cls.mlm:
        out["prediction_logits" if cls.nsp else "logits"] = packing.to_batch(
            cls.predictions(rows, word_embeddings)
        )  # (B, T, V)
    if cls.nsp:
        nsp = cls.seq_relationship(bert.pooler.call_packed(rows, packing))  # (B, 2)
        out["seq_relationship_logits" if cls.mlm else "logits"] = nsp
    return out
