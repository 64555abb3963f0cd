"""transformers' Auto classes for BERT: `AutoConfig`, `AutoTokenizer` and the `TFAutoModel*` family.

A transformers 4.x TF script says `TFAutoModelForSequenceClassification.from_pretrained(name)`;
with `from keras_bert import ...` the same line builds our class. The table from Auto name to
model class is derived from `keras_bert.contract.HEADS` (one entry per head), and every file
lookup goes through `keras_bert.hub.resolve`. A checkpoint whose config says another
`model_type` is refused by name: keras_bert covers BERT only.

Example:
    >>> from keras_bert import AutoTokenizer, TFAutoModelForSequenceClassification
    >>> tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")
    >>> model = TFAutoModelForSequenceClassification.from_pretrained("bert-base-uncased", num_labels=2)
    >>> outputs = model(tokenizer(["a sentence"], return_tensors="tf"))
"""

from __future__ import annotations

import json
import os

from keras_bert import hub
from keras_bert.config import CONFIG_NAME, BertConfig
from keras_bert.contract import HEADS

MODEL_TYPES = ("bert",)
TOKENIZER_CLASSES = (None, "BertTokenizer", "BertTokenizerFast")


def _auto_name(hf_name: str) -> str:
    """transformers' Auto class for a BERT class: BertModel -> TFAutoModel, BertLMHeadModel ->
    TFAutoModelForCausalLM, BertForX -> TFAutoModelForX."""
    if hf_name == "BertModel":
        return "TFAutoModel"
    if hf_name == "BertLMHeadModel":
        return "TFAutoModelForCausalLM"
    return "TFAutoModel" + hf_name[len("Bert") :]


# Auto class name -> transformers class name of the head (a key of contract.HEADS).
AUTO_MODELS = {_auto_name(hf_name): hf_name for hf_name in HEADS}


def check_model_type(config_file: str):
    """Raises ValueError when the config.json at `config_file` names a model_type other than BERT.
    A config without model_type (Google's bert_config.json) is taken as BERT."""
    with open(config_file, encoding="utf-8") as f:
        model_type = json.load(f).get("model_type")
    if model_type is not None and model_type not in MODEL_TYPES:
        raise ValueError(
            f"{config_file!r} has model_type {model_type!r}; keras_bert covers BERT only (model_type 'bert'), "
            "so its Auto classes cannot load it"
        )


def _config_file(directory: str) -> str | None:
    if os.path.isfile(directory):
        return directory
    for name in (CONFIG_NAME, "bert_config.json"):
        if os.path.isfile(os.path.join(directory, name)):
            return os.path.join(directory, name)
    return None


class AutoConfig:
    """transformers' `AutoConfig` for BERT: `from_pretrained` and `for_model` give a `BertConfig`.

    Example:
        >>> config = AutoConfig.from_pretrained("bert-base-uncased", output_hidden_states=True)
        >>> config = AutoConfig.for_model("bert", hidden_size=128, num_attention_heads=2)
    """

    def __init__(self):
        raise OSError("AutoConfig is instantiated with AutoConfig.from_pretrained(name_or_path)")

    @classmethod
    def from_pretrained(cls, name_or_path, **kwargs):
        """As `BertConfig.from_pretrained` (same keywords, `return_unused_kwargs` too), after checking
        that the config is a BERT one."""
        hub_kwargs = hub.pop_hub_kwargs(kwargs)
        directory = hub.resolve(name_or_path, "config", **hub_kwargs)
        found = _config_file(directory)
        if found is None:
            raise FileNotFoundError(f"No {CONFIG_NAME} in directory {directory!r}")
        check_model_type(found)
        result = BertConfig.from_pretrained(found, **kwargs)
        config = result[0] if isinstance(result, tuple) else result
        config.name_or_path = os.fspath(name_or_path)
        return result

    @classmethod
    def for_model(cls, model_type: str, *args, **kwargs) -> BertConfig:
        if model_type not in MODEL_TYPES:
            raise ValueError(f"model_type {model_type!r} is not supported; keras_bert covers BERT only ('bert')")
        return BertConfig(*args, **kwargs)


class AutoTokenizer:
    """transformers' `AutoTokenizer` for BERT: `BertTokenizerFast` by default, the Python
    `BertTokenizer` with `use_fast=False`.

    Example:
        >>> tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")
        >>> slow = AutoTokenizer.from_pretrained("bert-base-uncased", use_fast=False)
    """

    def __init__(self):
        raise OSError("AutoTokenizer is instantiated with AutoTokenizer.from_pretrained(name_or_path)")

    @classmethod
    def from_pretrained(cls, name_or_path, *inputs, use_fast: bool = True, **kwargs):
        """Loads the tokenizer files (hub keywords as `keras_bert.hub.pop_hub_kwargs`); other keywords
        go to the tokenizer's constructor, as in transformers. A tokenizer_config.json naming a class
        other than BertTokenizer(Fast), or a config.json of another model_type, is refused."""
        from keras_bert.tokenization import BertTokenizer, BertTokenizerFast

        if inputs:
            raise TypeError(f"AutoTokenizer.from_pretrained takes options by keyword, got {len(inputs)} positional")
        kwargs.pop("config", None)  # transformers uses it only to pick the class; ours is always BERT
        directory = hub.resolve(name_or_path, "tokenizer", **hub.pop_hub_kwargs(kwargs))
        tokenizer_config = os.path.join(directory, "tokenizer_config.json")
        if os.path.isfile(tokenizer_config):
            with open(tokenizer_config, encoding="utf-8") as f:
                tokenizer_class = json.load(f).get("tokenizer_class")
            if tokenizer_class not in TOKENIZER_CLASSES:
                raise ValueError(
                    f"{tokenizer_config!r} names tokenizer_class {tokenizer_class!r}; keras_bert covers BERT "
                    f"tokenizers only ({', '.join(c for c in TOKENIZER_CLASSES if c)})"
                )
        config_file = _config_file(directory)
        if config_file is not None:
            check_model_type(config_file)
        tokenizer_cls = BertTokenizerFast if use_fast else BertTokenizer
        return tokenizer_cls.from_pretrained(directory, **kwargs)


def _model_class(hf_name: str):
    from keras_bert.models import MODEL_CLASSES

    return {c.spec.hf_name: c for c in MODEL_CLASSES}[hf_name]


class _TFAutoModel:
    """Shared body of the TFAutoModel* classes; `hf_name` picks the head (a key of contract.HEADS)."""

    hf_name = "BertModel"

    def __init__(self):
        raise OSError(
            f"{type(self).__name__} is instantiated with {type(self).__name__}.from_pretrained(name_or_path) "
            f"or {type(self).__name__}.from_config(config)"
        )

    @classmethod
    def model_class(cls):
        """The keras_bert class this Auto class builds for a BERT config."""
        return _model_class(cls.hf_name)

    @classmethod
    def from_config(cls, config, **kwargs):
        """A freshly initialized model for `config` (a BertConfig)."""
        if not isinstance(config, BertConfig):
            raise ValueError(
                f"{cls.__name__}.from_config needs a keras_bert BertConfig, got {type(config).__name__}; "
                "keras_bert covers BERT only"
            )
        return cls.model_class().from_config(config, **kwargs)

    @classmethod
    def from_pretrained(cls, name_or_path, *model_args, **kwargs):
        """As the model class's `from_pretrained` (every keyword of
        `keras_bert.models.pretrained.load_pretrained`), after checking the checkpoint is BERT."""
        hub_kwargs = hub.pop_hub_kwargs(kwargs)
        directory = hub.resolve(name_or_path, "model", **hub_kwargs)
        config = kwargs.get("config")
        if config is None:
            found = _config_file(directory)
            if found is not None:
                check_model_type(found)
        elif isinstance(config, (str, os.PathLike)):
            kwargs["config"] = AutoConfig.from_pretrained(config, **hub_kwargs)
        elif not isinstance(config, BertConfig):
            raise ValueError(f"{cls.__name__}: config must be a BertConfig or a path, got {type(config).__name__}")
        result = cls.model_class().from_pretrained(directory, *model_args, **kwargs)
        model = result[0] if isinstance(result, tuple) else result
        model.config.name_or_path = os.fspath(name_or_path)
        return result


def _make_auto(auto_name: str, hf_name: str) -> type:
    doc = (
        f"transformers' `{auto_name}` for BERT: builds `TF{hf_name}`.\n\n"
        "    Example:\n"
        f'        >>> model = {auto_name}.from_pretrained("bert-base-uncased")\n'
    )
    return type(auto_name, (_TFAutoModel,), {"hf_name": hf_name, "__doc__": doc, "__module__": __name__})


TFAutoModel = _make_auto("TFAutoModel", "BertModel")
TFAutoModelForPreTraining = _make_auto("TFAutoModelForPreTraining", "BertForPreTraining")
TFAutoModelForCausalLM = _make_auto("TFAutoModelForCausalLM", "BertLMHeadModel")
TFAutoModelForMaskedLM = _make_auto("TFAutoModelForMaskedLM", "BertForMaskedLM")
TFAutoModelForNextSentencePrediction = _make_auto(
    "TFAutoModelForNextSentencePrediction", "BertForNextSentencePrediction"
)
TFAutoModelForSequenceClassification = _make_auto(
    "TFAutoModelForSequenceClassification", "BertForSequenceClassification"
)
TFAutoModelForMultipleChoice = _make_auto("TFAutoModelForMultipleChoice", "BertForMultipleChoice")
TFAutoModelForTokenClassification = _make_auto("TFAutoModelForTokenClassification", "BertForTokenClassification")
TFAutoModelForQuestionAnswering = _make_auto("TFAutoModelForQuestionAnswering", "BertForQuestionAnswering")

AUTO_CLASSES = {
    c.__name__: c
    for c in (
        TFAutoModel,
        TFAutoModelForPreTraining,
        TFAutoModelForCausalLM,
        TFAutoModelForMaskedLM,
        TFAutoModelForNextSentencePrediction,
        TFAutoModelForSequenceClassification,
        TFAutoModelForMultipleChoice,
        TFAutoModelForTokenClassification,
        TFAutoModelForQuestionAnswering,
    )
}
# The explicit classes above (static names for IDEs and `from keras_bert import ...`) must be
# exactly the table derived from contract.HEADS.
if {n: c.hf_name for n, c in AUTO_CLASSES.items()} != AUTO_MODELS:
    raise RuntimeError("keras_bert.auto: the Auto classes are out of sync with contract.HEADS")

__all__ = ["AutoConfig", "AutoTokenizer", "AUTO_MODELS", *AUTO_CLASSES]
