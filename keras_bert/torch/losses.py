"""Losses of the twin's heads, as transformers computes them (labels -100 are ignored)."""

from __future__ import annotations

import torch
from torch.nn import functional as F

IGNORE_INDEX = -100


def masked_lm_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over positions whose label is not -100. logits (..., V)."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), labels.reshape(-1), ignore_index=IGNORE_INDEX)


def causal_lm_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Token t predicts label t+1: labels shift left by one, the last position is ignored."""
    shifted = F.pad(labels, (0, 1), value=IGNORE_INDEX)[..., 1:]  # (B, T)
    return masked_lm_loss(logits, shifted)


def next_sentence_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, 2), labels.reshape(-1))


def pretraining_loss(prediction_logits, labels, seq_relationship_logits, next_sentence_label) -> torch.Tensor:
    """MLM + NSP, summed."""
    return masked_lm_loss(prediction_logits, labels) + next_sentence_loss(seq_relationship_logits, next_sentence_label)


def sequence_classification_loss(logits: torch.Tensor, labels: torch.Tensor, problem_type: str) -> torch.Tensor:
    """logits (B, num_labels). regression: MSE; single label: CE; multi label: BCE with logits."""
    num_labels = logits.shape[-1]
    if problem_type == "regression":
        if num_labels == 1:
            return F.mse_loss(logits.squeeze(), labels.squeeze().to(logits.dtype))
        return F.mse_loss(logits, labels.to(logits.dtype))
    if problem_type == "single_label_classification":
        return F.cross_entropy(logits.view(-1, num_labels), labels.view(-1))
    if problem_type == "multi_label_classification":
        return F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))
    raise ValueError(f"Unknown problem_type {problem_type!r}")


def token_classification_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return masked_lm_loss(logits, labels)


def question_answering_loss(start_logits, end_logits, start_positions, end_positions) -> torch.Tensor:
    """Mean of start and end CE; positions outside the sequence are clamped to T and ignored."""
    if start_positions.dim() > 1:
        start_positions = start_positions.squeeze(-1)
    if end_positions.dim() > 1:
        end_positions = end_positions.squeeze(-1)
    ignored_index = start_logits.shape[1]
    start_positions = start_positions.clamp(0, ignored_index)
    end_positions = end_positions.clamp(0, ignored_index)
    start = F.cross_entropy(start_logits, start_positions, ignore_index=ignored_index)
    end = F.cross_entropy(end_logits, end_positions, ignore_index=ignored_index)
    return (start + end) / 2
