"""`GenerationConfig`: the decoding settings of `generate()`, as transformers 4.x names and stores them.

Read from and written to `generation_config.json` beside a checkpoint; a model without that file takes
its token ids (and any generation field its `config.json` carries) from the model config, as
transformers' `GenerationConfig.from_model_config` does. `jit_compile` is ours: it asks `generate()`
to compile the whole decoding loop once with XLA (transformers 4.x users wrapped `generate` in
`tf.function(jit_compile=True)` themselves).
"""

from __future__ import annotations

import copy
import json
import os

GENERATION_CONFIG_NAME = "generation_config.json"

# transformers 4.x defaults (generation/configuration_utils.py).
DEFAULTS = {
    "max_length": 20,
    "max_new_tokens": None,
    "min_length": 0,
    "min_new_tokens": None,
    "early_stopping": False,
    "do_sample": False,
    "num_beams": 1,
    "temperature": 1.0,
    "top_k": 50,
    "top_p": 1.0,
    "repetition_penalty": 1.0,
    "length_penalty": 1.0,
    "no_repeat_ngram_size": 0,
    "bad_words_ids": None,
    "num_return_sequences": 1,
    "output_scores": False,
    "return_dict_in_generate": False,
    "pad_token_id": None,
    "bos_token_id": None,
    "eos_token_id": None,
    "decoder_start_token_id": None,
    "use_cache": True,
    "jit_compile": False,
}


class GenerationConfig:
    """Decoding settings. Unknown keys are kept (and written back) unchanged.

    Example:
        >>> from keras_bert import GenerationConfig
        >>> config = GenerationConfig(max_new_tokens=8, num_beams=4, eos_token_id=102)
        >>> config.save_pretrained("/tmp/ckpt")          # writes /tmp/ckpt/generation_config.json
        >>> GenerationConfig.from_pretrained("/tmp/ckpt").num_beams
        4
    """

    def __init__(self, **kwargs):
        for name, default in DEFAULTS.items():
            setattr(self, name, copy.deepcopy(kwargs.pop(name, default)))
        kwargs.pop("transformers_version", None)
        kwargs.pop("_from_model_config", None)
        self.extra = kwargs
        self.validate()

    def validate(self):
        """Raises ValueError naming the field whose value cannot be used."""
        checks = [
            ("num_beams", self.num_beams, isinstance(self.num_beams, int) and self.num_beams >= 1, "an int >= 1"),
            (
                "num_return_sequences",
                self.num_return_sequences,
                isinstance(self.num_return_sequences, int) and self.num_return_sequences >= 1,
                "an int >= 1",
            ),
            ("temperature", self.temperature, self.temperature is not None and self.temperature > 0, "a float > 0"),
            ("top_p", self.top_p, self.top_p is not None and 0 < self.top_p <= 1, "a float in (0, 1]"),
            ("top_k", self.top_k, self.top_k is None or self.top_k >= 0, "an int >= 0"),
            (
                "repetition_penalty",
                self.repetition_penalty,
                self.repetition_penalty is not None and self.repetition_penalty > 0,
                "a float > 0",
            ),
            (
                "early_stopping",
                self.early_stopping,
                self.early_stopping in (True, False, "never"),
                "True, False or 'never'",
            ),
        ]
        for name, value, ok, expected in checks:
            if not ok:
                raise ValueError(f"GenerationConfig.{name} must be {expected}, got {value!r}")
        if self.num_beams == 1 and self.num_return_sequences > 1 and not self.do_sample:
            raise ValueError(
                f"num_return_sequences={self.num_return_sequences} needs num_beams >= num_return_sequences or "
                "do_sample=True (greedy search returns one sequence per prompt)"
            )
        if self.num_return_sequences > self.num_beams > 1:
            raise ValueError(
                f"num_return_sequences={self.num_return_sequences} must be <= num_beams={self.num_beams} in beam search"
            )

    # -- dict views -------------------------------------------------------------------------
    def to_dict(self) -> dict:
        out = {name: copy.deepcopy(getattr(self, name)) for name in DEFAULTS}
        out.update(copy.deepcopy(self.extra))
        return out

    def to_diff_dict(self) -> dict:
        """Only the fields that differ from the defaults (what `generation_config.json` holds)."""
        return {n: v for n, v in self.to_dict().items() if n not in DEFAULTS or DEFAULTS[n] != v}

    @classmethod
    def from_dict(cls, config: dict, **kwargs) -> GenerationConfig:
        return cls(**{**dict(config), **kwargs})

    def update(self, **kwargs) -> dict:
        """Sets the known fields among `kwargs`; returns the others (model inputs, say) untouched."""
        unused = {}
        for name, value in kwargs.items():
            if name in DEFAULTS:
                setattr(self, name, value)
            elif name in self.extra:
                self.extra[name] = value
            else:
                unused[name] = value
        self.validate()
        return unused

    def copy(self, **overrides) -> GenerationConfig:
        return GenerationConfig(**{**self.to_dict(), **overrides})

    @classmethod
    def from_model_config(cls, model_config) -> GenerationConfig:
        """Token ids and any generation field the model config carries (transformers' rule)."""
        source = model_config.to_dict() if hasattr(model_config, "to_dict") else dict(model_config)
        return cls(**{n: source[n] for n in DEFAULTS if n in source and source[n] is not None and n != "use_cache"})

    # -- files ------------------------------------------------------------------------------
    def save_pretrained(self, directory, config_file_name: str = GENERATION_CONFIG_NAME):
        directory = os.fspath(directory)
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, config_file_name)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_diff_dict(), f, indent=2, sort_keys=True)
            f.write("\n")

    @classmethod
    def from_pretrained(cls, directory, config_file_name: str = GENERATION_CONFIG_NAME, **kwargs) -> GenerationConfig:
        path = os.path.join(os.fspath(directory), config_file_name)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"No {config_file_name} in {os.fspath(directory)!r}")
        with open(path, encoding="utf-8") as f:
            try:
                data = json.load(f)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path} is not valid JSON: {e}") from e
        return cls.from_dict(data, **kwargs)

    def __eq__(self, other):
        return isinstance(other, GenerationConfig) and self.to_dict() == other.to_dict()

    def __repr__(self):
        return f"GenerationConfig({json.dumps(self.to_diff_dict(), sort_keys=True)})"


class HasGenerationConfig:
    """A model's `generation_config` (built from its config on first use, replaceable), shared by
    the TensorFlow `GenerationMixin` and the jax/torch stand-in; no framework imports."""

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
