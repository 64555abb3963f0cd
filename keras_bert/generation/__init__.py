"""Text generation for the causal BERT head: `GenerationConfig`, logits processors, search loops.

`TFBertLMHeadModel.generate()` (in `keras_bert.models.lm_heads`) is the entry point; `generate.py`
turns its arguments into a `GenerationConfig`, picks the cache (`decoding.py`) and runs one of the
loops in `search.py`.
"""

from keras_bert.generation.config import GENERATION_CONFIG_NAME, GenerationConfig

__all__ = ["GENERATION_CONFIG_NAME", "GenerationConfig"]
