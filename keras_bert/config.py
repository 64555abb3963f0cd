"""`BertConfig`: the Hugging Face `config.json` of a BERT model, read and written unchanged.

Every field of HF's `BertConfig` (and the `PretrainedConfig` fields BERT users rely on)
is an attribute with HF's default. Keys we do not know are kept and written back, so
a config survives a round trip through keras_bert byte-for-byte in meaning.
"""

from __future__ import annotations

import copy
import json
import os

CONFIG_NAME = "config.json"

HIDDEN_ACTS = ("gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu", "swish", "tanh")
POSITION_EMBEDDING_TYPES = ("absolute", "relative_key", "relative_key_query")
PROBLEM_TYPES = (None, "regression", "single_label_classification", "multi_label_classification")

# Field -> HF default. Order is the order written to config.json.
DEFAULTS = {
    "vocab_size": 30522,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "attention_probs_dropout_prob": 0.1,
    "max_position_embeddings": 512,
    "type_vocab_size": 2,
    "initializer_range": 0.02,
    "layer_norm_eps": 1e-12,
    "pad_token_id": 0,
    "bos_token_id": None,
    "eos_token_id": None,
    "position_embedding_type": "absolute",
    "is_decoder": False,
    "add_cross_attention": False,
    "use_cache": True,
    "classifier_dropout": None,
    "problem_type": None,
    "architectures": None,
    "tie_word_embeddings": True,
}
_POSITIVE_INTS = (
    "vocab_size",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "intermediate_size",
    "max_position_embeddings",
    "type_vocab_size",
)


class BertConfig:
    """Configuration of a BERT model, field for field compatible with HF's `BertConfig`.

    Example:
        >>> config = BertConfig(hidden_size=128, num_attention_heads=2, num_labels=3)
        >>> config.id2label
        {0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2'}
    """

    model_type = "bert"

    def __init__(self, **kwargs):
        for name, default in DEFAULTS.items():
            setattr(self, name, copy.deepcopy(kwargs.pop(name, default)))
        id2label = kwargs.pop("id2label", None)
        label2id = kwargs.pop("label2id", None)
        num_labels = kwargs.pop("num_labels", None)
        if id2label is not None:
            self.id2label = {int(k): v for k, v in id2label.items()}
        else:
            self.id2label = {i: f"LABEL_{i}" for i in range(2 if num_labels is None else num_labels)}
        if num_labels is not None and num_labels != len(self.id2label):
            self.id2label = {i: f"LABEL_{i}" for i in range(num_labels)}
            label2id = None
        self.label2id = (
            {k: int(v) for k, v in label2id.items()}
            if label2id is not None
            else {v: k for k, v in self.id2label.items()}
        )
        kwargs.pop("model_type", None)
        # Unknown keys (transformers_version, torch_dtype, sentence-transformers extras...)
        # are kept verbatim so they are written back.
        self.extra = kwargs
        self.validate()

    # -- validation -----------------------------------------------------------------
    def validate(self):
        for name in _POSITIVE_INTS:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"BertConfig.{name} must be a positive integer, got {value!r}")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"BertConfig.hidden_size ({self.hidden_size}) must be divisible by "
                f"num_attention_heads ({self.num_attention_heads})"
            )
        if self.hidden_act not in HIDDEN_ACTS:
            raise ValueError(f"BertConfig.hidden_act must be one of {HIDDEN_ACTS}, got {self.hidden_act!r}")
        if self.position_embedding_type not in POSITION_EMBEDDING_TYPES:
            raise ValueError(
                "BertConfig.position_embedding_type must be one of "
                f"{POSITION_EMBEDDING_TYPES}, got {self.position_embedding_type!r}"
            )
        if self.problem_type not in PROBLEM_TYPES:
            raise ValueError(f"BertConfig.problem_type must be one of {PROBLEM_TYPES}, got {self.problem_type!r}")
        for name in ("hidden_dropout_prob", "attention_probs_dropout_prob", "classifier_dropout"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value < 1.0:
                raise ValueError(f"BertConfig.{name} must be in [0, 1), got {value!r}")
        if not self.layer_norm_eps > 0:
            raise ValueError(f"BertConfig.layer_norm_eps must be positive, got {self.layer_norm_eps!r}")

    # -- derived --------------------------------------------------------------------
    @property
    def num_labels(self) -> int:
        return len(self.id2label)

    @num_labels.setter
    def num_labels(self, value: int):
        if len(self.id2label) != value:
            self.id2label = {i: f"LABEL_{i}" for i in range(value)}
            self.label2id = {v: k for k, v in self.id2label.items()}

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    # -- (de)serialization ------------------------------------------------------------
    def to_dict(self) -> dict:
        out = {name: copy.deepcopy(getattr(self, name)) for name in DEFAULTS}
        out["id2label"] = {str(k): v for k, v in self.id2label.items()}
        out["label2id"] = dict(self.label2id)
        out["model_type"] = self.model_type
        out.update(copy.deepcopy(self.extra))
        return out

    @classmethod
    def from_dict(cls, config: dict, **overrides) -> BertConfig:
        merged = dict(config)
        if "num_labels" in overrides:
            merged.pop("id2label", None)
            merged.pop("label2id", None)
        merged.update(overrides)
        return cls(**merged)

    def to_json_string(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    def to_json_file(self, path: str | os.PathLike):
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.to_json_string())

    @classmethod
    def from_json_file(cls, path: str | os.PathLike, **overrides) -> BertConfig:
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except FileNotFoundError:
            raise FileNotFoundError(f"No config file at {os.fspath(path)!r}") from None
        except json.JSONDecodeError as e:
            raise ValueError(f"{os.fspath(path)!r} is not valid JSON: {e}") from None
        if not isinstance(data, dict):
            raise ValueError(f"{os.fspath(path)!r} must hold a JSON object, got {type(data).__name__}")
        return cls.from_dict(data, **overrides)

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike, **overrides) -> BertConfig:
        """Reads `config.json` from a directory (or the given JSON file)."""
        path = os.fspath(path)
        if os.path.isdir(path):
            for name in (CONFIG_NAME, "bert_config.json"):
                if os.path.exists(os.path.join(path, name)):
                    return cls.from_json_file(os.path.join(path, name), **overrides)
            raise FileNotFoundError(f"No {CONFIG_NAME} in directory {path!r}")
        return cls.from_json_file(path, **overrides)

    def save_pretrained(self, directory: str | os.PathLike):
        os.makedirs(directory, exist_ok=True)
        self.to_json_file(os.path.join(directory, CONFIG_NAME))

    def copy(self, **overrides) -> BertConfig:
        return BertConfig.from_dict(self.to_dict(), **overrides)

    def __eq__(self, other):
        return isinstance(other, BertConfig) and self.to_dict() == other.to_dict()

    def __repr__(self):
        return f"BertConfig {self.to_json_string()}"
