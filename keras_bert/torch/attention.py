"""Multi-head attention of the twin: SDPA or eager, relative positions, cross-attention, KV cache.

Dimension legend:
    B  batch size              Tq  query length (new tokens this call)
    H  hidden size             Tk  key length (cached + new tokens, or encoder length)
    h  attention heads         d   head_dim = H // h

Masks arrive already additive, shape (B, 1, Tq, Tk) (or None): 0 where attention is
allowed, `torch.finfo(dtype).min` where it is not. They are built once per forward in
`layers.BertEncoder`, never summed twice, so a fully masked row stays finite (uniform
softmax, no NaN).

Cache (one entry per layer, see `BertModel.forward`): self-attention keys and values
`(k, v)`, each (B, h, T_past, d); cross-attention keys and values are computed once from
the encoder states and then reused.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

ATTN_IMPLEMENTATIONS = ("sdpa", "eager")


class BertSelfAttention(nn.Module):
    """Projections `query`, `key`, `value` (HF names) and the attention itself.

    Args:
        config: `BertConfig`.
        attn_implementation: "sdpa" or "eager". SDPA falls back to eager for a call that
            asks for attention probabilities, passes a head mask, or uses relative positions.
        is_cross_attention: keys and values come from the encoder; no relative positions.
    """

    def __init__(self, config, attn_implementation: str = "sdpa", is_cross_attention: bool = False):
        super().__init__()
        if attn_implementation not in ATTN_IMPLEMENTATIONS:
            raise ValueError(f"attn_implementation must be one of {ATTN_IMPLEMENTATIONS}, got {attn_implementation!r}")
        self.num_heads = config.num_attention_heads
        self.head_dim = config.hidden_size // config.num_attention_heads
        self.attn_implementation = attn_implementation
        self.is_cross_attention = is_cross_attention
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = nn.Dropout(config.attention_probs_dropout_prob)
        # Cross-attention always uses absolute positions, as in HF 4.x.
        self.position_embedding_type = "absolute" if is_cross_attention else config.position_embedding_type
        if self.position_embedding_type in ("relative_key", "relative_key_query"):
            self.max_position_embeddings = config.max_position_embeddings
            self.distance_embedding = nn.Embedding(2 * config.max_position_embeddings - 1, self.head_dim)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        return x.view(b, t, self.num_heads, self.head_dim).transpose(1, 2)  # (B, h, T, d)

    def forward(
        self,
        hidden_states: torch.Tensor,  # (B, Tq, H)
        attention_mask: torch.Tensor | None = None,  # (B, 1, Tq, Tk) additive
        head_mask: torch.Tensor | None = None,  # broadcastable to (B, h, Tq, Tk)
        encoder_hidden_states: torch.Tensor | None = None,  # (B, Te, H)
        past_key_value: tuple | None = None,  # (k, v), each (B, h, T_past, d)
        output_attentions: bool = False,
    ):
        """Returns `(context (B, Tq, H), probs (B, h, Tq, Tk) or None, (k, v))`."""
        query = self._heads(self.query(hidden_states))  # (B, h, Tq, d)
        past_length = 0
        if self.is_cross_attention:
            if past_key_value is not None:
                key, value = past_key_value
            else:
                key = self._heads(self.key(encoder_hidden_states))  # (B, h, Te, d)
                value = self._heads(self.value(encoder_hidden_states))
        else:
            key = self._heads(self.key(hidden_states))  # (B, h, Tq, d)
            value = self._heads(self.value(hidden_states))
            if past_key_value is not None:
                past_length = past_key_value[0].shape[2]
                key = torch.cat([past_key_value[0], key], dim=2)  # (B, h, Tk, d)
                value = torch.cat([past_key_value[1], value], dim=2)

        relative = self.position_embedding_type != "absolute"
        use_sdpa = self.attn_implementation == "sdpa" and not (output_attentions or head_mask is not None or relative)
        if use_sdpa:
            if attention_mask is not None:
                attention_mask = attention_mask.to(query.dtype)
            context = F.scaled_dot_product_attention(
                query, key, value, attn_mask=attention_mask, dropout_p=self.dropout.p if self.training else 0.0
            )  # (B, h, Tq, d)
            probs = None
        else:
            scores = torch.matmul(query, key.transpose(-1, -2))  # (B, h, Tq, Tk)
            if relative:
                scores = scores + self._relative_scores(query, key, past_length)
            scores = scores / (self.head_dim**0.5)
            if attention_mask is not None:
                scores = scores + attention_mask
            probs = F.softmax(scores, dim=-1, dtype=torch.float32).to(query.dtype)
            probs = self.dropout(probs)
            if head_mask is not None:
                probs = probs * head_mask
            context = torch.matmul(probs, value)  # (B, h, Tq, d)
        b, _, tq, _ = context.shape
        context = context.transpose(1, 2).reshape(b, tq, self.num_heads * self.head_dim)  # (B, Tq, H)
        return context, (probs if output_attentions else None), (key, value)

    def _relative_scores(self, query: torch.Tensor, key: torch.Tensor, past_length: int) -> torch.Tensor:
        """Shaw et al. / Huang et al. relative position scores, HF 4.x formula, (B, h, Tq, Tk)."""
        tq, tk = query.shape[2], key.shape[2]
        left = torch.arange(past_length, past_length + tq, device=query.device).view(-1, 1)  # (Tq, 1)
        right = torch.arange(tk, device=query.device).view(1, -1)  # (1, Tk)
        distance = left - right + self.max_position_embeddings - 1  # (Tq, Tk), in [0, 2P-2]
        positional = self.distance_embedding(distance).to(query.dtype)  # (Tq, Tk, d)
        scores = torch.einsum("bhld,lrd->bhlr", query, positional)
        if self.position_embedding_type == "relative_key_query":
            scores = scores + torch.einsum("bhrd,lrd->bhlr", key, positional)
        return scores


class BertSelfOutput(nn.Module):
    """`dense` + dropout + post-LN residual (`LayerNorm`)."""

    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states: torch.Tensor, input_tensor: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(hidden_states)) + input_tensor)


class BertAttention(nn.Module):
    """`self` (the attention) + `output` (projection and residual), HF names."""

    def __init__(self, config, attn_implementation: str = "sdpa", is_cross_attention: bool = False):
        super().__init__()
        self.self = BertSelfAttention(config, attn_implementation, is_cross_attention)
        self.output = BertSelfOutput(config)

    def forward(
        self,
        hidden_states,
        attention_mask=None,
        head_mask=None,
        encoder_hidden_states=None,
        past_key_value=None,
        output_attentions=False,
    ):
        context, probs, present = self.self(
            hidden_states, attention_mask, head_mask, encoder_hidden_states, past_key_value, output_attentions
        )
        return self.output(context, hidden_states), probs, present
