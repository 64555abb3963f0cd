"""`TFBertLMHeadModel`'s generation members on the jax and torch backends.

`keras_bert.generation.generate` is a TensorFlow program (`tf.while_loop`, an XLA-compiled
`tf.function` over a fixed-size cache) and imports TensorFlow at the top, so on jax and torch
the causal head takes this stand-in instead: the model keeps its `generation_config` (read from
and written to `generation_config.json` by `from_pretrained` / `save_pretrained`), and
`generate()` says it needs the TensorFlow backend instead of importing TensorFlow.
"""

from __future__ import annotations

from keras_bert.backend import require_tensorflow_backend
from keras_bert.generation.config import HasGenerationConfig


class GenerationStub(HasGenerationConfig):
    """Mixin of `TFBertLMHeadModel` off TensorFlow: `generation_config`; `generate()` raises."""

    @classmethod
    def can_generate(cls) -> bool:
        return False

    def generate(self, *args, **kwargs):
        require_tensorflow_backend(f"{type(self).__name__}.generate()")
