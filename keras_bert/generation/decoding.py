"""One decoding step of a causal BERT, with either of the two KV caches `generate()` uses.

- `GrowingCache` (eager): the cache grows by one position per step (`concatenate`), as a plain
  call with `past_key_values` does.
- `FixedCache` (graphs, XLA): after the prompt the cache is padded once to `max_length`; each step
  writes its keys and values in place (`dynamic_update_slice`) at `position`, so every step has the
  same shapes and one `tf.while_loop` body serves all of them. Unwritten positions lie after the
  current one and are hidden by the causal mask.

Both expose `prefill(ids, mask) -> (logits (B, V), cache)`, `step(tokens (B, 1), cache, position, mask)
-> (logits, cache)` and `reorder(cache, index)`; `mask` is the (B, max_length) attention mask of the
whole buffer (the prompt's, then ones).

Positions follow transformers 5's `generate`: the prompt's are `cumsum(mask) - 1` (0 on padding), each
new token's is one more than the previous token's. Without padding that is 0, 1, 2, ...; with left
padding every row starts at 0; with right padding the first new token continues from the last (padding)
position, as transformers does. (transformers 4.x TF used 0, 1, 2, ... whatever the padding.)
"""

from __future__ import annotations

import tensorflow as tf


class GrowingCache:
    def __init__(self, model, encoder_hidden_states=None, encoder_attention_mask=None):
        self.model = model
        self.encoder = {
            "encoder_hidden_states": encoder_hidden_states,
            "encoder_attention_mask": encoder_attention_mask,
        }

    def _run(self, ids, mask, cache, **extra):
        out = self.model.forward(
            {
                "input_ids": ids,
                "attention_mask": mask,
                "past_key_values": cache,
                "use_cache": True,
                **self.encoder,
                **extra,
            },
            training=False,
        )
        return tf.cast(out.logits[:, -1, :], tf.float32), out.past_key_values  # (B, V)

    def _prompt_positions(self, ids, mask):
        """(B, T0) prompt positions; remembers the last one of each row for the steps."""
        mask = tf.cast(mask, tf.int32)
        positions = tf.where(mask == 0, 0, tf.cumsum(mask, axis=1) - 1)  # (B, T0)
        self.last_prompt_position = positions[:, -1:]  # (B, 1)
        self.prompt_length = ids.shape[1]
        return positions

    def _step_positions(self, position):
        """(B, 1) position of the token written at buffer column `position`."""
        return self.last_prompt_position + (tf.cast(position, tf.int32) - self.prompt_length + 1)

    def prefill(self, ids, mask):
        return self._run(ids, mask, None, position_ids=self._prompt_positions(ids, mask))

    def step(self, tokens, cache, position, mask):
        return self._run(tokens, mask[:, : position + 1], cache, position_ids=self._step_positions(position))

    @staticmethod
    def reorder(cache, index):
        """Rows of every cached tensor taken at `index` (B*K,) (beam search)."""
        return tuple(tuple(tf.gather(t, index, axis=0) for t in layer) for layer in cache)


class FixedCache(GrowingCache):
    def __init__(self, model, max_length, encoder_hidden_states=None, encoder_attention_mask=None):
        super().__init__(model, encoder_hidden_states, encoder_attention_mask)
        self.max_length = max_length

    def prefill(self, ids, mask):
        logits, cache = self._run(ids, mask, None, position_ids=self._prompt_positions(ids, mask))
        pad = self.max_length - tf.shape(ids)[1]
        padded = []
        for layer in cache:
            k, v = (tf.pad(t, [[0, 0], [0, 0], [0, pad], [0, 0]]) for t in layer[:2])  # (B, N, L_max, D)
            padded.append((k, v) + tuple(layer[2:]))
        return logits, tuple(padded)

    def step(self, tokens, cache, position, mask):
        return self._run(tokens, mask, cache, cache_index=position, position_ids=self._step_positions(position))
