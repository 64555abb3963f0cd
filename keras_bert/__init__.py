"""keras_bert: BERT for Keras 3 and TensorFlow 2.21.

The package root re-exports lazily (PEP 562 module `__getattr__`): `import keras_bert` loads
nothing heavy, `keras_bert.TFBertModel` imports the Keras models on first use, and
`import keras_bert.torch` (the PyTorch twin) never loads TensorFlow or Keras.

One consequence is handled here: Keras `.keras` archives name our classes by their registered
name (`keras_bert>TFBertModel`), and Keras imports the class's module only for its own packages.
The classes register when `keras_bert.models` is imported, so once Keras itself is imported (now,
or later through a one-shot import hook) `keras_bert.models` is imported too: `import keras_bert`
then `keras.saving.load_model("model.keras")` works in a fresh process. Keras already loads its
backend, so this costs only our own model modules.
"""

from __future__ import annotations

import importlib
import importlib.abc
import sys
import warnings
from typing import TYPE_CHECKING

AUTO_NAMES = (
    "AutoConfig",
    "AutoTokenizer",
    "TFAutoModel",
    "TFAutoModelForPreTraining",
    "TFAutoModelForCausalLM",
    "TFAutoModelForMaskedLM",
    "TFAutoModelForNextSentencePrediction",
    "TFAutoModelForSequenceClassification",
    "TFAutoModelForMultipleChoice",
    "TFAutoModelForTokenClassification",
    "TFAutoModelForQuestionAnswering",
)
COLLATOR_NAMES = (
    "DefaultDataCollator",
    "default_data_collator",
    "DataCollatorWithPadding",
    "DataCollatorForTokenClassification",
    "DataCollatorForLanguageModeling",
)
# Public name -> (module that defines it, attribute; None: the module itself).
_EXPORTS = {
    "BertConfig": ("keras_bert.config", "BertConfig"),
    **{
        name: ("keras_bert.models", name)
        for name in (
            "TFBertMainLayer",
            "TFBertPreTrainedModel",
            "TFBertModel",
            "TFBertForPreTraining",
            "TFBertLMHeadModel",
            "TFBertForMaskedLM",
            "TFBertForNextSentencePrediction",
            "TFBertForSequenceClassification",
            "TFBertForMultipleChoice",
            "TFBertForTokenClassification",
            "TFBertForQuestionAnswering",
        )
    },
    **{
        name: ("keras_bert.outputs", name)
        for name in (
            "TFBaseModelOutputWithPoolingAndCrossAttentions",
            "TFBertForPreTrainingOutput",
            "TFCausalLMOutputWithCrossAttentions",
            "TFMaskedLMOutput",
            "TFMultipleChoiceModelOutput",
            "TFNextSentencePredictorOutput",
            "TFQuestionAnsweringModelOutput",
            "TFSequenceClassifierOutput",
            "TFTokenClassifierOutput",
        )
    },
    "outputs": ("keras_bert.outputs", None),
    **{name: ("keras_bert.tokenization", name) for name in ("BertTokenizer", "BertTokenizerFast", "TFBertTokenizer")},
    "export_saved_model": ("keras_bert.serving", "export_saved_model"),
    **{name: ("keras_bert.serving", name) for name in ("export_tflite", "load_tflite", "TFLiteModel")},
    "predict_fn": ("keras_bert.inference", "predict_fn"),
    "data": ("keras_bert.data", None),
    "training": ("keras_bert.training", None),
    "distribution": ("keras_bert.distribution", None),
    **{name: ("keras_bert.training", name) for name in ("train", "create_optimizer", "WarmupLinearDecay")},
    **{name: ("keras_bert.auto", name) for name in AUTO_NAMES},
    **{name: ("keras_bert.training", name) for name in ("AdamWeightDecay", "WarmUp", "GradientAccumulator")},
    **{name: ("keras_bert.collators", name) for name in COLLATOR_NAMES},
    "KerasMetricCallback": ("keras_bert.callbacks", "KerasMetricCallback"),
    "GenerationConfig": ("keras_bert.generation.config", "GenerationConfig"),
    **{name: ("keras_bert.tokenization.encoding", name) for name in ("BatchEncoding", "CharSpan", "TokenSpan")},
}

__all__ = [
    "BertConfig",
    "TFBertMainLayer",
    "TFBertPreTrainedModel",
    "TFBertModel",
    "TFBertForPreTraining",
    "TFBertLMHeadModel",
    "TFBertForMaskedLM",
    "TFBertForNextSentencePrediction",
    "TFBertForSequenceClassification",
    "TFBertForMultipleChoice",
    "TFBertForTokenClassification",
    "TFBertForQuestionAnswering",
    "TFBaseModelOutputWithPoolingAndCrossAttentions",
    "TFBertForPreTrainingOutput",
    "TFCausalLMOutputWithCrossAttentions",
    "TFMaskedLMOutput",
    "TFMultipleChoiceModelOutput",
    "TFNextSentencePredictorOutput",
    "TFQuestionAnsweringModelOutput",
    "TFSequenceClassifierOutput",
    "TFTokenClassifierOutput",
    "outputs",
    "BertTokenizer",
    "BertTokenizerFast",
    "TFBertTokenizer",
    "export_saved_model",
    "export_tflite",
    "load_tflite",
    "TFLiteModel",
    "predict_fn",
    "data",
    "training",
    "distribution",
    "train",
    "create_optimizer",
    "WarmupLinearDecay",
    "AutoConfig",
    "AutoTokenizer",
    "TFAutoModel",
    "TFAutoModelForPreTraining",
    "TFAutoModelForCausalLM",
    "TFAutoModelForMaskedLM",
    "TFAutoModelForNextSentencePrediction",
    "TFAutoModelForSequenceClassification",
    "TFAutoModelForMultipleChoice",
    "TFAutoModelForTokenClassification",
    "TFAutoModelForQuestionAnswering",
    "AdamWeightDecay",
    "WarmUp",
    "GradientAccumulator",
    "DefaultDataCollator",
    "default_data_collator",
    "DataCollatorWithPadding",
    "DataCollatorForTokenClassification",
    "DataCollatorForLanguageModeling",
    "KerasMetricCallback",
    "GenerationConfig",
    "BatchEncoding",
    "CharSpan",
    "TokenSpan",
]

if TYPE_CHECKING:  # static tools see the eager imports; at run time `__getattr__` does them
    from keras_bert import data, distribution, outputs, training
    from keras_bert.auto import (
        AutoConfig,
        AutoTokenizer,
        TFAutoModel,
        TFAutoModelForCausalLM,
        TFAutoModelForMaskedLM,
        TFAutoModelForMultipleChoice,
        TFAutoModelForNextSentencePrediction,
        TFAutoModelForPreTraining,
        TFAutoModelForQuestionAnswering,
        TFAutoModelForSequenceClassification,
        TFAutoModelForTokenClassification,
    )
    from keras_bert.callbacks import KerasMetricCallback
    from keras_bert.collators import (
        DataCollatorForLanguageModeling,
        DataCollatorForTokenClassification,
        DataCollatorWithPadding,
        DefaultDataCollator,
        default_data_collator,
    )
    from keras_bert.config import BertConfig
    from keras_bert.generation.config import GenerationConfig
    from keras_bert.inference import predict_fn
    from keras_bert.models import (
        TFBertForMaskedLM,
        TFBertForMultipleChoice,
        TFBertForNextSentencePrediction,
        TFBertForPreTraining,
        TFBertForQuestionAnswering,
        TFBertForSequenceClassification,
        TFBertForTokenClassification,
        TFBertLMHeadModel,
        TFBertMainLayer,
        TFBertModel,
        TFBertPreTrainedModel,
    )
    from keras_bert.outputs import (
        TFBaseModelOutputWithPoolingAndCrossAttentions,
        TFBertForPreTrainingOutput,
        TFCausalLMOutputWithCrossAttentions,
        TFMaskedLMOutput,
        TFMultipleChoiceModelOutput,
        TFNextSentencePredictorOutput,
        TFQuestionAnsweringModelOutput,
        TFSequenceClassifierOutput,
        TFTokenClassifierOutput,
    )
    from keras_bert.serving import TFLiteModel, export_saved_model, export_tflite, load_tflite
    from keras_bert.tokenization import BertTokenizer, BertTokenizerFast, TFBertTokenizer
    from keras_bert.tokenization.encoding import BatchEncoding, CharSpan, TokenSpan
    from keras_bert.training import (
        AdamWeightDecay,
        GradientAccumulator,
        WarmUp,
        WarmupLinearDecay,
        create_optimizer,
        train,
    )


def __getattr__(name: str):
    try:
        module_name, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(
            f"module 'keras_bert' has no attribute {name!r}; public names are listed in keras_bert.__all__"
        ) from None
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


def _register_models():
    """Imports `keras_bert.models`, whose classes register with Keras's serialization registry."""
    try:
        importlib.import_module("keras_bert.models")
    except ImportError as error:  # a missing dependency of ours must not break the user's `import keras`
        warnings.warn(
            f"keras_bert could not import keras_bert.models ({error!r}); keras_bert classes are not "
            "registered with Keras, so loading a .keras file of a keras_bert model will fail",
            stacklevel=2,
        )


class _RegisterOnKerasImport(importlib.abc.MetaPathFinder):
    """Runs `_register_models` right after the top-level `keras` package finishes importing.

    Finds `keras`'s spec with the other finders and wraps its loader's `exec_module`; any other
    module, and `find_spec` probes that never import, are left alone. Removed once it has run.
    """

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras":
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        execute = loader.exec_module

        def exec_module(module):
            execute(module)
            if self in sys.meta_path:
                sys.meta_path.remove(self)
            _register_models()

        loader.exec_module = exec_module  # this spec's own loader instance
        return spec


if "keras" in sys.modules:
    _register_models()
elif not any(isinstance(finder, _RegisterOnKerasImport) for finder in sys.meta_path):
    sys.meta_path.insert(0, _RegisterOnKerasImport())
