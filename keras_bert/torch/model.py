"""`BertPreTrainedModel` (init, loading, saving) and the bare `BertModel` of the twin.

State-dict names equal Hugging Face's: the bare model has no prefix
(`embeddings.word_embeddings.weight`), heads keep the encoder under `bert.`.

Cache format (`past_key_values`): a tuple with one entry per layer; each entry is
`(self_k, self_v)` or, with cross-attention, `(self_k, self_v, cross_k, cross_v)`,
every tensor shaped (B, heads, T, head_dim). Pass back what a call returned with
`use_cache=True`, together with only the new tokens and an `attention_mask` covering
past + new tokens (or none).
"""

from __future__ import annotations

import logging
import os

import numpy as np
import torch
from torch import nn

from keras_bert.checkpoints import CheckpointError, detect_format, load_checkpoint
from keras_bert.checkpoints.hf_pytorch import write_safetensors
from keras_bert.checkpoints.names import BASE_PREFIX, checkpoint_state, is_redundant, resolve_state, to_base_model_names
from keras_bert.config import BertConfig
from keras_bert.contract import config_defaults
from keras_bert.torch.layers import BertEmbeddings, BertEncoder, BertPooler
from keras_bert.torch.outputs import BaseModelOutputWithPoolingAndCrossAttentions

logger = logging.getLogger(__name__)

WEIGHTS_NAME = "model.safetensors"
_BASE_CORE = (BASE_PREFIX + "embeddings.", BASE_PREFIX + "encoder.")


class BertPreTrainedModel(nn.Module):
    """Shared base: HF-style init, `from_pretrained`, `save_pretrained`.

    Subclasses set `prefix` ("" for the bare model, "bert." for heads) and may list
    `_tied_aliases`: state-dict names that are the same Parameter as another weight
    (the MLM decoder), never read from nor written to a checkpoint.
    """

    prefix = BASE_PREFIX
    _tied_aliases: tuple = ()
    _model_kwargs: tuple = ()

    def __init__(self, config: BertConfig):
        super().__init__()
        if not isinstance(config, BertConfig):
            raise TypeError(f"config must be a keras_bert.BertConfig, got {type(config).__name__}")
        self.config = config
        self.loading_info = None

    # -- init -------------------------------------------------------------------------
    def _init_weights(self, module: nn.Module):
        std = self.config.initializer_range
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=std)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=std)
            if module.padding_idx is not None:
                module.weight.data[module.padding_idx].zero_()
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)

    @torch.no_grad()
    def post_init(self):
        """Initializes every weight HF-style, then (re)ties shared weights."""
        self.apply(self._init_weights)
        for name, param in self.named_parameters():
            if name.endswith("cls.predictions.bias"):
                param.zero_()
        self.tie_weights()

    def tie_weights(self):
        """Heads with a decoder override this."""

    def get_input_embeddings(self) -> nn.Embedding:
        return self.base_model.embeddings.word_embeddings

    @property
    def base_model(self):
        return getattr(self, "bert", self)

    # -- canonical names ----------------------------------------------------------------
    def _canonical(self, name: str) -> str:
        return BASE_PREFIX + name if self.prefix == "" else name

    def _own_names(self) -> dict[str, str]:
        """Canonical name -> state-dict name, tied aliases left out."""
        return {self._canonical(k): k for k in self.state_dict() if k not in self._tied_aliases}

    # -- loading ------------------------------------------------------------------------
    @classmethod
    def from_pretrained(
        cls,
        name_or_path,
        *,
        attn_implementation: str = "sdpa",
        allow_missing_base: bool = False,
        **kwargs,
    ):
        """Builds the model from a checkpoint: a local directory or file, or a hub name in the local
        Hugging Face cache (`keras_bert.hub.resolve`); config.json (or bert_config.json) plus
        weights in any format `keras_bert.checkpoints.detect` knows (HF PyTorch, HF TF
        tf_model.h5, Google TF1, Keras native).

        Keywords as the Keras models' (`keras_bert.models.pretrained.load_pretrained`): `config=`,
        config overrides, hub arguments, `from_pt`, `ignore_mismatched_sizes`,
        `output_loading_info`, plus the class's constructor arguments (e.g. `add_pooling_layer`);
        any other keyword is a TypeError naming it.

        Weights may carry the `bert.` prefix or not, legacy `gamma`/`beta` names and
        `position_ids` buffers. Head weights absent from the checkpoint are initialized
        HF-style and reported in `model.loading_info` (and logged). A missing encoder or
        embedding weight raises `CheckpointError` unless `allow_missing_base=True`; a
        shape mismatch raises, naming the key and both shapes, unless
        `ignore_mismatched_sizes=True`.

        Example:
            >>> model = BertForSequenceClassification.from_pretrained("bert-base-uncased", num_labels=3)
        """
        from keras_bert import hub
        from keras_bert.config import load_model_config

        args = hub.split_pretrained_kwargs(kwargs, model_kwargs=cls._model_kwargs)
        path = hub.resolve(name_or_path, "model", **args.hub)
        config = load_model_config(path, args, cls.__name__)
        config.name_or_path = os.fspath(name_or_path)
        model = cls(config, attn_implementation=attn_implementation, **args.model_kwargs)
        if detect_format(path) == "keras":
            import keras_bert.models  # noqa: F401 - registers the Keras classes a Keras-native file names

        state = load_checkpoint(path)  # any format (detect.py), canonical names
        params = model.state_dict()
        shapes = {canonical: tuple(params[own].shape) for canonical, own in model._own_names().items()}
        state, mismatched = hub.drop_mismatched(state, shapes, path, args.ignore_mismatched_sizes)
        model.loading_info = model.load_canonical_state(state, allow_missing_base=allow_missing_base, source=path)
        model.loading_info["mismatched_keys"] = mismatched
        model.eval()
        return (model, model.loading_info) if args.output_loading_info else model

    @torch.no_grad()
    def load_canonical_state(
        self, state: dict[str, np.ndarray], allow_missing_base: bool = False, source: str = "checkpoint"
    ):
        """Copies `{canonical name: array}` into the model; returns the loading report.

        Which tensors the model takes (tied and untied LM decoders included) is decided by
        `checkpoints.names.resolve_state`, the same rules the Keras models load by; every
        tensor not taken is listed in the report's `ignored` with its reason.
        """
        own = self._own_names()
        params = self.state_dict(keep_vars=True)
        taken, ignored = resolve_state(state, own, self.config, source=source, model_name=type(self).__name__)
        missing = sorted(set(own) - set(taken))
        missing_core = [k for k in missing if k.startswith(_BASE_CORE)]
        if missing_core and not allow_missing_base:
            raise CheckpointError(
                f"{source!r} lacks {len(missing_core)} encoder weight(s) that {type(self).__name__} needs, "
                f"e.g. {missing_core[:5]} (pass allow_missing_base=True to initialize them randomly)"
            )
        for canonical, value in taken.items():
            target = params[own[canonical]]
            if tuple(value.shape) != tuple(target.shape):
                raise CheckpointError(
                    f"Shape mismatch for {canonical!r} in {source!r}: the model expects "
                    f"{tuple(target.shape)}, the checkpoint has {tuple(value.shape)}"
                )
            target.copy_(torch.from_numpy(np.asarray(value)).to(target.dtype))
        unexpected = sorted(n for n, reason in ignored.items() if not is_redundant(reason))
        info = {
            "missing_keys": missing,
            "unexpected_keys": unexpected,
            "newly_initialized": missing,
            "ignored": ignored,
        }
        if missing:
            logger.warning("Newly initialized weights of %s (not in %s): %s", type(self).__name__, source, missing)
        for name, reason in sorted(ignored.items()):
            logger.info("%s: %s not loaded into %s: %s", source, name, type(self).__name__, reason)
        return info

    # -- saving -------------------------------------------------------------------------
    def save_pretrained(self, directory):
        """Writes config.json (`architectures` = this class) and model.safetensors, HF names."""
        directory = os.fspath(directory)
        os.makedirs(directory, exist_ok=True)
        config = self.config.copy()
        config.architectures = [type(self).__name__]
        config.save_pretrained(directory)
        own = {
            self._canonical(name): tensor.detach().cpu().contiguous().numpy()
            for name, tensor in self.state_dict().items()
            if name not in self._tied_aliases
        }
        state = checkpoint_state(own, self.config)
        if self.prefix == "":
            state = to_base_model_names(state)
        write_safetensors(state, os.path.join(directory, WEIGHTS_NAME))

    # -- vocabulary ----------------------------------------------------------------------
    @torch.no_grad()
    def resize_token_embeddings(self, new_num_tokens: int) -> nn.Embedding:
        """Grows or shrinks the word embeddings (new rows ~ N(0, initializer_range))."""
        old = self.get_input_embeddings()
        new = nn.Embedding(
            new_num_tokens,
            old.embedding_dim,
            padding_idx=old.padding_idx,
            device=old.weight.device,
            dtype=old.weight.dtype,
        )
        self._init_weights(new)
        n = min(new_num_tokens, old.num_embeddings)
        new.weight[:n] = old.weight[:n]
        self.base_model.embeddings.word_embeddings = new
        self.config.vocab_size = new_num_tokens
        self._resize_output(new_num_tokens)
        self.tie_weights()
        return new

    def _resize_output(self, new_num_tokens: int):
        """Heads with a decoder override this."""


class BertModel(BertPreTrainedModel):
    """The bare encoder (or decoder, with `config.is_decoder`).

    Args:
        config: `BertConfig`.
        add_pooling_layer: build `pooler` (tanh(dense(first token))).
        attn_implementation: "sdpa" (default) or "eager".
    """

    prefix = ""
    _model_kwargs = ("add_pooling_layer",)

    def __init__(self, config: BertConfig, add_pooling_layer: bool = True, attn_implementation: str = "sdpa"):
        super().__init__(config)
        self.attn_implementation = attn_implementation
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config, attn_implementation)
        self.pooler = BertPooler(config) if add_pooling_layer else None
        self.post_init()

    def _head_mask(self, head_mask, dtype):
        """[h] or [L, h] -> [L, 1, h, 1, 1] (broadcast over batch and positions), like HF 4.x."""
        if head_mask is None:
            return None
        head_mask = head_mask.to(dtype)
        if head_mask.dim() == 1:
            head_mask = head_mask.view(1, 1, -1, 1, 1).expand(self.config.num_hidden_layers, -1, -1, -1, -1)
        elif head_mask.dim() == 2:
            head_mask = head_mask.view(head_mask.shape[0], 1, -1, 1, 1)
        return head_mask

    @staticmethod
    def _additive(allowed: torch.Tensor, dtype) -> torch.Tensor:
        """bool (B, 1, Tq, Tk) -> 0 where allowed, finfo.min elsewhere (never -inf)."""
        zero = torch.zeros((), dtype=dtype, device=allowed.device)
        return torch.where(allowed, zero, torch.finfo(dtype).min)

    def _self_mask(self, attention_mask, b, tq, past_length, device, dtype):
        tk = past_length + tq
        allowed = None
        if attention_mask is not None:
            if attention_mask.dim() == 4:  # already additive / broadcastable, user-made
                return attention_mask.to(dtype)
            if attention_mask.shape[-1] != tk:
                raise ValueError(
                    f"attention_mask covers {attention_mask.shape[-1]} positions, expected {tk} "
                    f"(past {past_length} + new {tq})"
                )
            allowed = attention_mask[:, None, None, :].bool()  # (B, 1, 1, Tk)
            if not self.config.is_decoder and bool(allowed.all()):
                # Nothing is padded: no mask at all lets SDPA take its fused kernel (as HF does).
                allowed = None
        if self.config.is_decoder:
            q = torch.arange(past_length, tk, device=device).view(-1, 1)
            causal = (torch.arange(tk, device=device).view(1, -1) <= q)[None, None]  # (1, 1, Tq, Tk)
            allowed = causal if allowed is None else allowed & causal
        if allowed is None:
            return None
        return self._additive(allowed.expand(b, 1, tq, tk), dtype)

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
    ):
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("Pass exactly one of input_ids and inputs_embeds")
        flags = config_defaults(
            self.config,
            dict(
                output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=return_dict
            ),
        )
        output_attentions = bool(flags["output_attentions"])
        output_hidden_states = bool(flags["output_hidden_states"])
        return_dict = flags["return_dict"]
        if self.config.is_decoder:
            use_cache = self.config.use_cache if use_cache is None else use_cache
        else:
            use_cache = False
        past_length = past_key_values[0][0].shape[2] if past_key_values is not None else 0

        embedding_output = self.embeddings(input_ids, token_type_ids, position_ids, inputs_embeds, past_length)
        b, tq = embedding_output.shape[:2]
        dtype = embedding_output.dtype
        mask = self._self_mask(attention_mask, b, tq, past_length, embedding_output.device, dtype)
        cross_mask = None
        if encoder_hidden_states is not None and encoder_attention_mask is not None:
            if encoder_attention_mask.dim() == 4:
                cross_mask = encoder_attention_mask.to(dtype)
            else:
                allowed = encoder_attention_mask[:, None, None, :].bool()  # (B, 1, 1, Te)
                cross_mask = self._additive(allowed, dtype)

        sequence_output, all_hidden, all_self, all_cross, cache = self.encoder(
            embedding_output,
            mask,
            self._head_mask(head_mask, dtype),
            encoder_hidden_states,
            cross_mask,
            past_key_values,
            use_cache,
            output_attentions,
            output_hidden_states,
        )
        pooled_output = self.pooler(sequence_output) if self.pooler is not None else None
        out = BaseModelOutputWithPoolingAndCrossAttentions(
            last_hidden_state=sequence_output,
            pooler_output=pooled_output,
            past_key_values=cache,
            hidden_states=all_hidden,
            attentions=all_self,
            cross_attentions=all_cross,
        )
        return out if return_dict else out.to_tuple()
