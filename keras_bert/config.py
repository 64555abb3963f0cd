"""`BertConfig`: the Hugging Face `config.json` of a BERT model, read and written unchanged.

Every field of HF's `BertConfig` (and the `PretrainedConfig` fields BERT users rely on)
is an attribute with HF's default. Keys we do not know are kept and written back, so
a config survives a round trip through keras_bert byte-for-byte in meaning.

The `PretrainedConfig` switches (`output_hidden_states`, `output_attentions`, `return_dict`, ...)
are attributes too; they are written to config.json only when they differ from transformers'
default (transformers' `to_diff_dict`), so reading and writing a hub config changes nothing.
`output_hidden_states`, `output_attentions` and `return_dict` apply to every call that does not
say (`keras_bert.contract.split_call`).
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
# transformers' `PretrainedConfig` attributes that TF code reads -> default. Serialized only when
# set to something else (see the module docstring).
PRETRAINED_DEFAULTS = {
    "output_hidden_states": False,
    "output_attentions": False,
    "return_dict": True,
    "torchscript": False,
    "is_encoder_decoder": False,
    "tie_encoder_decoder": False,
    "chunk_size_feed_forward": 0,
    "pruned_heads": {},
    "sep_token_id": None,
    "decoder_start_token_id": None,
    "finetuning_task": None,
    "tokenizer_class": None,
    "prefix": None,
    "task_specific_params": None,
}
LABEL_FIELDS = ("num_labels", "id2label", "label2id")
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
        for name, default in {**DEFAULTS, **PRETRAINED_DEFAULTS}.items():
            setattr(self, name, copy.deepcopy(kwargs.pop(name, default)))
        # transformers' `config.name_or_path`: where the config was loaded from. A `_name_or_path`
        # key of a config.json stays in `extra` (written back unchanged).
        self.name_or_path = kwargs.pop("name_or_path", kwargs.get("_name_or_path", ""))
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

    @property
    def use_return_dict(self) -> bool:
        """transformers' rule: output records unless `return_dict=False` (or torchscript)."""
        return self.return_dict and not self.torchscript

    def has_attribute(self, name: str) -> bool:
        """True for a field a `from_pretrained(..., name=value)` override may set: every BERT
        and `PretrainedConfig` field, the label fields, and any key the config.json holds."""
        return name in DEFAULTS or name in PRETRAINED_DEFAULTS or name in LABEL_FIELDS or name in self.extra

    def update(self, values: dict):
        """Sets the given fields (transformers' `PretrainedConfig.update`), then validates.

        Example:
            >>> config = BertConfig()
            >>> config.update({"output_hidden_states": True, "num_labels": 4})
            >>> config.output_hidden_states, config.num_labels
            (True, 4)
        """
        for name, value in values.items():
            if name in ("id2label", "label2id"):
                value = {int(k): v for k, v in value.items()} if name == "id2label" else dict(value)
                setattr(self, name, value)
                if name == "id2label" and "label2id" not in values:
                    self.label2id = {v: k for k, v in value.items()}
            elif name in DEFAULTS or name in PRETRAINED_DEFAULTS or name in ("num_labels", "name_or_path"):
                setattr(self, name, copy.deepcopy(value))
            else:
                self.extra[name] = copy.deepcopy(value)
        self.validate()

    # -- (de)serialization ------------------------------------------------------------
    def to_dict(self) -> dict:
        out = {name: copy.deepcopy(getattr(self, name)) for name in DEFAULTS}
        out["id2label"] = {str(k): v for k, v in self.id2label.items()}
        out["label2id"] = dict(self.label2id)
        out["model_type"] = self.model_type
        for name, default in PRETRAINED_DEFAULTS.items():
            if getattr(self, name) != default:
                out[name] = copy.deepcopy(getattr(self, name))
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
    def from_pretrained(cls, name_or_path: str | os.PathLike, return_unused_kwargs: bool = False, **kwargs):
        """Reads `config.json` from a directory, a JSON file or a hub name in the local HF cache.

        Keywords, as transformers' `PretrainedConfig.from_pretrained`: the hub arguments of
        `keras_bert.hub.pop_hub_kwargs` (`cache_dir`, `revision`, `local_files_only`, `token`,
        `subfolder`, ...); every other keyword that names a config field overrides it. Keywords that
        are not fields are returned with `return_unused_kwargs=True` and otherwise ignored (as in
        transformers).

        Example:
            >>> config = BertConfig.from_pretrained("bert-base-uncased", num_labels=3)  # cached
            >>> config, unused = BertConfig.from_pretrained(path, return_unused_kwargs=True, foo=1)
            >>> unused
            {'foo': 1}
        """
        from keras_bert import hub

        hub_kwargs = hub.pop_hub_kwargs(kwargs)
        path = hub.resolve(name_or_path, "config", **hub_kwargs)
        if os.path.isdir(path):
            for name in (CONFIG_NAME, "bert_config.json"):
                if os.path.exists(os.path.join(path, name)):
                    path = os.path.join(path, name)
                    break
            else:
                raise FileNotFoundError(f"No {CONFIG_NAME} in directory {path!r}")
        config = cls.from_json_file(path)
        known = {k: v for k, v in kwargs.items() if config.has_attribute(k)}
        unused = {k: v for k, v in kwargs.items() if k not in known}
        if known:
            config = config.copy(**known)
        config.name_or_path = os.fspath(name_or_path)
        return (config, unused) if return_unused_kwargs else config

    def save_pretrained(self, directory: str | os.PathLike):
        """Writes `directory/config.json` (created if needed); `from_pretrained(directory)` reads it."""
        os.makedirs(directory, exist_ok=True)
        self.to_json_file(os.path.join(directory, CONFIG_NAME))

    def copy(self, **overrides) -> BertConfig:
        out = BertConfig.from_dict(self.to_dict(), **overrides)
        out.name_or_path = overrides.get("name_or_path", self.name_or_path)
        return out

    def __eq__(self, other):
        return isinstance(other, BertConfig) and self.to_dict() == other.to_dict()

    def __repr__(self):
        return f"BertConfig {self.to_json_string()}"


def load_model_config(directory, args, class_name: str) -> BertConfig:
    """The config a model's `from_pretrained` builds with (`args`: a `keras_bert.hub.PretrainedArgs`):
    `args.config` (a BertConfig, or a path / hub name of one) or the checkpoint's own (in
    `directory`, the result of `keras_bert.hub.resolve`), with `args.overrides` applied.
    An override that is not a config field is a TypeError naming it (transformers 4.x TF hands it to
    `keras.Model.__init__`, which rejects it).
    """
    from keras_bert.hub import HUB_KWARGS, LOAD_KWARGS

    config = args.config
    if config is None:  # `directory` is local already (resolve's result): no hub arguments again
        config = BertConfig.from_pretrained(directory)
    elif isinstance(config, (str, os.PathLike)):
        config = BertConfig.from_pretrained(config, **args.hub)
    elif not isinstance(config, BertConfig):
        raise TypeError(f"{class_name}.from_pretrained: config must be a BertConfig or a path, got {type(config)}")
    unknown = sorted(k for k in args.overrides if not config.has_attribute(k))
    if unknown:
        raise TypeError(
            f"{class_name}.from_pretrained got unexpected keyword argument(s) {unknown}: not a config field, "
            f"hub argument ({', '.join(HUB_KWARGS)}) or loading option ({', '.join(LOAD_KWARGS)})"
        )
    if args.overrides:
        config = config.copy(**args.overrides)
    return config
