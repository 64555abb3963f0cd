"""`GenerationMixin.generate()`: transformers 4.x TF's `generate` for the causal BERT head.

It resolves the arguments into a `GenerationConfig` (the model's, updated by keyword arguments, as
transformers does), prepares the prompt (attention mask, repetition per beam or returned sequence),
then runs one loop of `search.py`:

- eagerly, with the growing cache (the default), or
- compiled once with XLA (`jit_compile=True` as an argument or in the config): the prompt pass,
  the fixed-size cache and the whole `tf.while_loop` form one `tf.function(jit_compile=True)`,
  kept per (settings, prompt shape) so later calls with the same shapes reuse it without tracing.

Results are trimmed outside the loop to what transformers returns, so both paths give the same
tensors.
"""

from __future__ import annotations

import json

import numpy as np
import tensorflow as tf

from keras_bert.generation import logits_process, search
from keras_bert.generation.config import HasGenerationConfig
from keras_bert.generation.decoding import FixedCache, GrowingCache
from keras_bert.generation.outputs import (
    TFBeamSampleDecoderOnlyOutput,
    TFBeamSearchDecoderOnlyOutput,
    TFGreedySearchDecoderOnlyOutput,
    TFSampleDecoderOnlyOutput,
)

ENCODER_INPUTS = ("encoder_hidden_states", "encoder_attention_mask")


def _as_list(token_ids):
    if token_ids is None:
        return []
    return [int(t) for t in (token_ids if isinstance(token_ids, (list, tuple)) else [token_ids])]


class GenerationMixin(HasGenerationConfig):
    """Mixin of `TFBertLMHeadModel`: `generate()` and the model's `generation_config`."""

    @classmethod
    def can_generate(cls) -> bool:
        return True

    def generate_tracing_count(self) -> int:
        """How many times the XLA-compiled generation functions of this model were traced."""
        return sum(fn.experimental_get_tracing_count() for fn in self.__dict__.get("_generate_fns", {}).values())

    def generate(self, input_ids=None, attention_mask=None, generation_config=None, seed=None, **kwargs):
        """Generates token ids after `input_ids` (B, T), as transformers 4.x TF's `generate`.

        Greedy search by default; `do_sample=True` samples (`temperature`, `top_k`, `top_p`; `seed`, a
        pair of ints, makes it reproducible); `num_beams > 1` runs beam search (`length_penalty`,
        `early_stopping`, `num_return_sequences`). Length: `max_new_tokens` or `max_length`, `min_length`
        / `min_new_tokens`. `eos_token_id` (int or list) ends a row, later positions hold
        `pad_token_id`. Also `repetition_penalty`, `no_repeat_ngram_size`, `bad_words_ids`.
        `encoder_hidden_states` / `encoder_attention_mask` feed a cross-attention decoder.
        `jit_compile=True` compiles the whole loop once with XLA (fixed-size cache).

        Returns the sequences (B * num_return_sequences, L) int32, prompt included, or with
        `return_dict_in_generate=True` a record with `sequences` and (with `output_scores=True`)
        `scores` (and `sequences_scores` for beam search).

        Example:
            >>> model = TFBertLMHeadModel.from_pretrained("path/to/decoder")   # is_decoder=True
            >>> out = model.generate(tf.constant([[101, 7592]]), max_new_tokens=5, num_beams=3,
            ...                      eos_token_id=102, return_dict_in_generate=True, output_scores=True)
            >>> out.sequences.shape, len(out.scores)
        """
        config = (generation_config or self.generation_config).copy()
        model_kwargs = config.update(**kwargs)
        encoder = {name: model_kwargs.pop(name, None) for name in ENCODER_INPUTS}
        if model_kwargs:
            raise TypeError(
                f"generate() got unknown argument(s) {sorted(model_kwargs)}; it takes input_ids, attention_mask, "
                f"{', '.join(ENCODER_INPUTS)}, seed and GenerationConfig fields"
            )
        if not self.config.is_decoder:
            raise ValueError(f"{type(self).__name__}.generate needs a decoder: build the model with is_decoder=True")
        ids = self._prompt(input_ids, config, encoder)
        mask = self._prompt_mask(ids, attention_mask, config)
        eos_ids = _as_list(config.eos_token_id)
        pad_id = config.pad_token_id if config.pad_token_id is not None else (eos_ids[0] if eos_ids else None)
        prompt_length = int(ids.shape[1])
        max_length = prompt_length + config.max_new_tokens if config.max_new_tokens is not None else config.max_length
        if max_length <= prompt_length:
            raise ValueError(
                f"max_length={max_length} leaves no room after the prompt of {prompt_length} tokens; "
                "raise max_length or set max_new_tokens"
            )
        if max_length > self.config.max_position_embeddings:
            raise ValueError(
                f"max_length={max_length} exceeds the model's max_position_embeddings="
                f"{self.config.max_position_embeddings}"
            )
        copies = config.num_beams if config.num_beams > 1 else config.num_return_sequences
        if copies > 1:
            ids, mask = tf.repeat(ids, copies, axis=0), tf.repeat(mask, copies, axis=0)
            encoder = {
                n: None if v is None else tf.repeat(tf.convert_to_tensor(v), copies, axis=0) for n, v in encoder.items()
            }
        if config.do_sample:
            seed = tf.random.uniform([2], maxval=2**31 - 1, dtype=tf.int32) if seed is None else seed
            seed = tf.cast(tf.convert_to_tensor(seed), tf.int32)
            if seed.shape != (2,):
                raise ValueError(
                    f"seed must be a pair of ints (as tf.random's stateless ops take), got shape {seed.shape}"
                )
        else:
            seed = tf.zeros([2], tf.int32)
        settings = dict(config=config, max_length=max_length, eos_ids=eos_ids, pad_id=pad_id)
        args = (ids, mask, encoder["encoder_hidden_states"], encoder["encoder_attention_mask"], seed)
        if config.jit_compile and tf.executing_eagerly():
            results = self._compiled_generate(settings, args)(*args)
        else:
            results = self._run_generation(settings, *args)
        return self._finish(config, prompt_length, results)

    # -- preparation ------------------------------------------------------------------------
    def _prompt(self, input_ids, config, encoder):
        if input_ids is None:
            if config.bos_token_id is None:
                raise ValueError("generate() needs input_ids, or a bos_token_id to start from")
            states = encoder["encoder_hidden_states"]
            batch = 1 if states is None else int(tf.shape(states)[0])
            return tf.fill([batch, 1], tf.constant(config.bos_token_id, tf.int32))
        ids = tf.convert_to_tensor(input_ids)
        if not ids.dtype.is_integer:
            raise TypeError(f"input_ids must hold integer token ids, got dtype {ids.dtype.name}")
        if len(ids.shape) != 2:
            raise ValueError(f"input_ids must be (batch, length), got shape {tuple(ids.shape)}")
        return tf.cast(ids, tf.int32)

    def _prompt_mask(self, ids, attention_mask, config):
        """The given mask, else transformers' rule: `ids != pad_token_id` when the pad token occurs in the
        prompt and is not an end-of-sequence token, ones otherwise."""
        if attention_mask is not None:
            mask = tf.cast(tf.convert_to_tensor(attention_mask), tf.int32)
            if tuple(mask.shape) != tuple(ids.shape):
                raise ValueError(f"attention_mask shape {tuple(mask.shape)} != input_ids shape {tuple(ids.shape)}")
            return mask
        pad = config.pad_token_id
        if pad is None or pad in _as_list(config.eos_token_id):
            return tf.ones_like(ids)
        return tf.where(tf.reduce_any(ids == pad), tf.cast(ids != pad, tf.int32), tf.ones_like(ids))

    # -- the loops --------------------------------------------------------------------------
    def _run_generation(self, settings, ids, mask, encoder_hidden_states, encoder_attention_mask, seed):
        config, max_length = settings["config"], settings["max_length"]
        eos_ids, pad_id = settings["eos_ids"], settings["pad_id"]
        if tf.executing_eagerly():
            decoder = GrowingCache(self, encoder_hidden_states, encoder_attention_mask)
        else:
            decoder = FixedCache(self, max_length, encoder_hidden_states, encoder_attention_mask)
        processors = logits_process.build_processors(config, mask, eos_ids, config.do_sample)
        sample_seed = seed if config.do_sample else None
        if config.num_beams > 1:
            fill = (pad_id if pad_id else eos_ids[0]) if eos_ids else -1  # transformers' fill value
            return search.beam_search(
                decoder,
                ids,
                mask,
                max_length,
                config.num_beams,
                processors,
                eos_ids,
                fill,
                config.length_penalty,
                config.early_stopping,
                sample_seed,
                config.output_scores and config.return_dict_in_generate,
            )
        return search.greedy_or_sample(
            decoder,
            ids,
            mask,
            max_length,
            processors,
            eos_ids,
            pad_id,
            sample_seed,
            config.output_scores and config.return_dict_in_generate,
        )

    def _compiled_generate(self, settings, args):
        """One `tf.function(jit_compile=True)` per settings and prompt/encoder shapes."""
        fns = self.__dict__.setdefault("_generate_fns", {})
        shapes = tuple(None if a is None else tuple(a.shape) for a in args[:4])
        key = (json.dumps(settings["config"].to_dict(), sort_keys=True, default=str), settings["max_length"], shapes)
        if key not in fns:

            def run(ids, mask, encoder_hidden_states, encoder_attention_mask, seed):
                return self._run_generation(settings, ids, mask, encoder_hidden_states, encoder_attention_mask, seed)

            fns[key] = tf.function(run, jit_compile=True, reduce_retracing=False)
        return fns[key]

    # -- results ----------------------------------------------------------------------------
    def _finish(self, config, prompt_length, results):
        """Trims the buffers to transformers' lengths. Inside a user's `tf.function` (transformers 4.x's
        `tf.function(model.generate, jit_compile=True)`) lengths are not known while tracing: sequences
        come back padded to max_length, as transformers 4.x TF's XLA generation returned them."""
        want_scores = config.output_scores and config.return_dict_in_generate
        if not tf.executing_eagerly():
            return self._finish_in_graph(config, results, want_scores)
        if config.num_beams == 1:
            buffer, cur_len, scores = results
            cur_len = int(cur_len)
            sequences = buffer[:, :cur_len]
            if not config.return_dict_in_generate:
                return sequences
            steps = tuple(scores[i] for i in range(cur_len - prompt_length)) if want_scores else None
            record = TFSampleDecoderOnlyOutput if config.do_sample else TFGreedySearchDecoderOnlyOutput
            return record(sequences=sequences, scores=steps)
        sequences, beam_scores, beam_indices, scores, cur_len = results
        r = config.num_return_sequences
        max_length = sequences.shape[-1]
        sequences = tf.reshape(sequences[:, :r], [-1, max_length])
        beam_indices = tf.reshape(beam_indices[:, :r], [-1, beam_indices.shape[-1]])
        generated = int(np.max(np.sum(beam_indices.numpy() != -1, axis=1)))
        sequences = sequences[:, : prompt_length + generated]
        if not config.return_dict_in_generate:
            return sequences
        steps = tuple(scores[i] for i in range(int(cur_len) - prompt_length)) if want_scores else None
        record = TFBeamSampleDecoderOnlyOutput if config.do_sample else TFBeamSearchDecoderOnlyOutput
        return record(
            sequences=sequences,
            sequences_scores=tf.reshape(beam_scores[:, :r], [-1]) if want_scores else None,
            scores=steps,
            beam_indices=beam_indices[:, :generated],
        )

    def _finish_in_graph(self, config, results, want_scores):
        if config.num_beams == 1:
            buffer, _, scores = results
            if not config.return_dict_in_generate:
                return buffer
            record = TFSampleDecoderOnlyOutput if config.do_sample else TFGreedySearchDecoderOnlyOutput
            return record(sequences=buffer, scores=tf.unstack(scores) if want_scores else None)
        sequences, beam_scores, beam_indices, scores, _ = results
        r = config.num_return_sequences
        sequences = tf.reshape(sequences[:, :r], [-1, sequences.shape[-1]])
        if not config.return_dict_in_generate:
            return sequences
        record = TFBeamSampleDecoderOnlyOutput if config.do_sample else TFBeamSearchDecoderOnlyOutput
        return record(
            sequences=sequences,
            sequences_scores=tf.reshape(beam_scores[:, :r], [-1]) if want_scores else None,
            scores=tuple(tf.unstack(scores)) if want_scores else None,
            beam_indices=tf.reshape(beam_indices[:, :r], [-1, beam_indices.shape[-1]]),
        )
