"""`TFBertLMHeadModel`'s generation members on the jax and torch backends.

`keras_bert.generation.generate` is a TensorFlow program (`tf.while_loop`, an XLA-compiled
`tf.function` over a fixed-size cache) and imports TensorFlow at the top, so on jax and torch
the causal head takes this stand-in instead: the model keeps its `generation_config` (read from
and written to `generation_config.json` by `from_pretrained` / `save_pretrained`), and
`generate()` says it needs the TensorFlow backend instead of importing TensorFlow.
"""

from __future__ import annotations

from keras_bert.backend import require_tensorflow_backend
from keras_bert.generation.config import GenerationConfig


class GenerationStub:
    """Mixin of `TFBertLMHeadModel` off TensorFlow: `generation_config`; `generate()` raises."""

    @classmethod
    def can_generate(cls) -> bool:
        return False

    @property
    def generation_config(self) -> GenerationConfig:
        config = self.__dict__.get("_generation_config")
        if config is None:
            config = GenerationConfig.from_model_config(self.config)
            object.__setattr__(self, "_generation_config", config)
        return config

    @generation_config.setter
    def generation_config(self, value: GenerationConfig):
        if not isinstance(value, GenerationConfig):
            raise TypeError(f"generation_config must be a GenerationConfig, got {type(value).__name__}")
        object.__setattr__(self, "_generation_config", value)

    def generate(self, *args, **kwargs):
        require_tensorflow_backend(f"{type(self).__name__}.generate()")
