"""The one name table: HF PyTorch state-dict names are the canonical names.

Every reader turns its format into canonical names; every model (Keras and twin)
exposes its weights under canonical names. Canonical names carry the `bert.`
prefix for the encoder (`bert.embeddings.word_embeddings.weight`) and HF's names
for the heads (`cls.predictions.bias`, `classifier.weight`, ...).

Each format's rules are data here (HF legacy spellings, `tf_model.h5` components,
TF1 fixed names and skip patterns, the MLM decoder's ties); the readers and writers
apply them. `resolve_state` decides what a model takes from a canonical state (and why
it leaves the rest), `checkpoint_state` what a file holds for a model's state; both the
Keras loader and the PyTorch twin call them. The MLM decoder follows transformers 5:

    tied (config.tie_word_embeddings, the default)
        cls.predictions.decoder.weight  = bert.embeddings.word_embeddings.weight   (not stored)
        cls.predictions.decoder.bias    = cls.predictions.bias                     (not stored)
    untied
        cls.predictions.decoder.weight  [V, H], cls.predictions.decoder.bias [V]: own tensors;
        files also carry cls.predictions.bias (= decoder.bias) for transformers 4.x.

This module imports neither TensorFlow, Keras nor torch.
"""

from __future__ import annotations

import re

import numpy as np

from keras_bert.checkpoints.errors import CheckpointError

# -- canonical names ------------------------------------------------------------------
BASE_PREFIX = "bert."
BASE_ROOTS = ("embeddings.", "encoder.", "pooler.")  # a bare BertModel's names start so
WORD_EMBEDDINGS = "bert.embeddings.word_embeddings.weight"
MLM_PREFIX = "cls.predictions."
MLM_BIAS = "cls.predictions.bias"
DECODER_WEIGHT = "cls.predictions.decoder.weight"
DECODER_BIAS = "cls.predictions.decoder.bias"
# Aliases of a tied decoder -> the tensor they are (transformers' `_tied_weights_keys`).
TIED_ALIASES = {DECODER_WEIGHT: WORD_EMBEDDINGS, DECODER_BIAS: MLM_BIAS}
TIED_DECODER_WEIGHT = DECODER_WEIGHT  # older spellings, still imported
TIED_DECODER_BIAS = DECODER_BIAS
UNTIED_UNUSED_REASON = "unused by an untied decoder"
POOLER_PREFIX = "bert.pooler."
NSP_PREFIX = "cls.seq_relationship."
CLASSIFIER_PREFIX = "classifier."
QA_PREFIX = "qa_outputs."
# Canonical prefix -> the part of a model it belongs to (reasons for tensors a model lacks).
PARTS = {
    POOLER_PREFIX: "pooler",
    MLM_PREFIX: "MLM head",
    NSP_PREFIX: "NSP head",
    CLASSIFIER_PREFIX: "classifier",
    QA_PREFIX: "QA head (qa_outputs)",
}

# The HF classes whose checkpoints we read and write (Keras: "TF" + name).
HEAD_CLASSES = (
    "BertModel",
    "BertForPreTraining",
    "BertForMaskedLM",
    "BertLMHeadModel",
    "BertForNextSentencePrediction",
    "BertForSequenceClassification",
    "BertForMultipleChoice",
    "BertForTokenClassification",
    "BertForQuestionAnswering",
)

# -- Keras native (model.weights.h5): variables live under object paths; these groups name the parts.
KERAS_GROUPS = {
    "cls/predictions": MLM_PREFIX,
    "cls/seq_relationship": NSP_PREFIX,
    "classifier": CLASSIFIER_PREFIX,
    "qa_outputs": QA_PREFIX,
    "bert/pooler": POOLER_PREFIX,
}

# -- HF PyTorch files (model.safetensors, pytorch_model.bin) ----------------------------
HF_LEGACY_LEAVES = {"gamma": "weight", "beta": "bias"}  # LayerNorm.gamma/beta in old checkpoints
HF_LEGACY_OWNER = "LayerNorm"
HF_BUFFERS = ("position_ids", "token_type_ids")  # registered buffers, never weights

# -- transformers 4.x TF (tf_model.h5) ----------------------------------------------------
TF_VARIABLE_SUFFIX = re.compile(r":\d+$")  # `kernel:0`
TF_LAYER_INDEX = re.compile(r"^layer_\._(\d+)$")  # `layer_._3` <-> canonical `layer.3`
TF_LAYER_INDEX_FORMAT = "layer_._{}"
TF_SCOPE = re.compile(r"^[^/]*___")  # `mlm___cls` -> `cls`
TF_CLS_LAYERS = {"predictions": "mlm___cls", "seq_relationship": "nsp___cls"}  # canonical cls.X -> TF layer
# TF leaf -> (canonical leaf, transpose); a kernel is Keras [in, out], torch [out, in].
TF_LEAVES = {
    "kernel": ("weight", True),
    "gamma": ("weight", False),
    "beta": ("bias", False),
    "embeddings": ("weight", False),
}
TF_LAYERNORM = "LayerNorm"
TF_LAYERNORM_LEAVES = {"weight": "gamma", "bias": "beta"}
TF_WORD_EMBEDDINGS = "word_embeddings"  # transformers 4.x: `word_embeddings/weight:0`, not `embeddings:0`
TF_TABLE_OWNERS = re.compile(r"(_embeddings|^distance_embedding)$")  # other tables: `<owner>/embeddings:0`
TF_LAYER_ORDER = ("bert", "nsp___cls", "mlm___cls")  # top-level layer order transformers 4.x writes
# Keras 2's default model name for a class (then lowercased): TFBertForMaskedLM -> tf_bert_for_masked_lm.
TF_MODEL_NAME_RULES = ((re.compile(r"(.)([A-Z][a-z0-9]+)"), r"\1_\2"), (re.compile(r"([a-z])([A-Z])"), r"\1_\2"))

# -- Keras layer names -------------------------------------------------------------------
# A Keras layer is named like its HF module, except that a name may not contain "." (torch
# parameter names cannot, and Keras' torch backend registers variables by their layer path):
# the encoder's blocks are `layer_3` (the TF1 spelling), canonical `layer.3`.
KERAS_LAYER_INDEX = re.compile(r"^layer_(\d+)$")
KERAS_LAYER_NAME_FORMAT = "layer_{}"


def keras_layer_name(index: int) -> str:
    """The Keras name of encoder block `index`: `layer_3`."""
    return KERAS_LAYER_NAME_FORMAT.format(index)


def canonical_part(layer_name: str) -> str:
    """A Keras layer name as a segment of canonical names: `layer_3` -> `layer.3`, others unchanged."""
    return KERAS_LAYER_INDEX.sub(r"layer.\1", layer_name)


# -- Google TF1 (bert_model.ckpt) -------------------------------------------------------
TF1_SKIP = re.compile(r"(/adam_[mv]$|/Adam(_\d+)?$|^global_step$|^_CHECKPOINTABLE_OBJECT_GRAPH$|loss_scale|good_steps)")
TF1_FIXED = {
    "cls/predictions/output_bias": "cls.predictions.bias",
    "cls/seq_relationship/output_weights": "cls.seq_relationship.weight",
    "cls/seq_relationship/output_bias": "cls.seq_relationship.bias",
    "output_weights": "classifier.weight",
    "output_bias": "classifier.bias",
    "cls/squad/output_weights": "qa_outputs.weight",
    "cls/squad/output_bias": "qa_outputs.bias",
}
TF1_LAYER_INDEX = re.compile(r"^layer_(\d+)$")  # `layer_3` -> `layer.3`
TF1_TABLE_SUFFIX = "_embeddings"  # `word_embeddings` is the table itself: append `.weight`
TF1_LEAVES = {"kernel": ("weight", True), "gamma": ("weight", False), "beta": ("bias", False)}


# -- HF names -> canonical ----------------------------------------------------------------
def canonical_name(name: str) -> str:
    """`encoder.layer.0...LayerNorm.gamma` -> `bert.encoder.layer.0...LayerNorm.weight`."""
    if name.startswith(BASE_ROOTS):
        name = BASE_PREFIX + name
    owner, _, leaf = name.rpartition(".")
    if owner.rpartition(".")[2] == HF_LEGACY_OWNER and leaf in HF_LEGACY_LEAVES:
        name = f"{owner}.{HF_LEGACY_LEAVES[leaf]}"
    return name


def canonicalize(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Canonical names, buffers dropped. `cls.predictions.decoder.bias` is renamed to
    `cls.predictions.bias` when that is absent, and dropped when it is the same values
    (transformers 4.x saved one shared Parameter under both names); a decoder bias that
    differs is an untied decoder's own and stays. Which tensors a model takes depends
    on its config: `resolve_state`."""
    out = {canonical_name(k): v for k, v in state.items() if k.rpartition(".")[2] not in HF_BUFFERS}
    if DECODER_BIAS in out:
        if MLM_BIAS not in out:
            out[MLM_BIAS] = out.pop(DECODER_BIAS)
        elif np.shape(out[MLM_BIAS]) == np.shape(out[DECODER_BIAS]) and np.array_equal(
            out[MLM_BIAS], out[DECODER_BIAS]
        ):
            del out[DECODER_BIAS]
    return out


def to_base_model_names(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Canonical -> the names HF's bare `BertModel` saves (no `bert.` prefix, no heads)."""
    return {k[len(BASE_PREFIX) :]: v for k, v in state.items() if k.startswith(BASE_PREFIX)}


def is_base_only(names) -> bool:
    return all(n.startswith(BASE_PREFIX) for n in names)


def guess_head(state, config=None) -> str:
    """The HF class name for a checkpoint: config `architectures` first, else the parts whose
    names (keys of `state`) are present."""
    for arch in getattr(config, "architectures", None) or ():
        name = arch.removeprefix("TF")
        if name in HEAD_CLASSES:
            return name

    def has(prefix):
        return any(k.startswith(prefix) for k in state)

    mlm, nsp = has(MLM_PREFIX), has(NSP_PREFIX)
    if mlm and nsp:
        return "BertForPreTraining"
    if mlm:
        return "BertLMHeadModel" if getattr(config, "is_decoder", False) else "BertForMaskedLM"
    if nsp:
        return "BertForNextSentencePrediction"
    if has(QA_PREFIX):
        return "BertForQuestionAnswering"
    if has(CLASSIFIER_PREFIX):
        return "BertForSequenceClassification" if has(POOLER_PREFIX) else "BertForTokenClassification"
    return "BertModel"


# -- what a model takes, what a file holds --------------------------------------------------
def is_tied(config) -> bool:
    return bool(getattr(config, "tie_word_embeddings", True))


def _fold_tied(state: dict, wanted: set, ignored: dict, source: str, headless: str | None):
    """A tied model: decoder copies must equal what they are tied to. `headless` names a
    model without an MLM head: a differing copy does not matter to it."""
    for alias, target in TIED_ALIASES.items():
        if alias not in state or alias in wanted:
            continue
        value = state.pop(alias)
        if target not in state:
            if alias == DECODER_BIAS:  # transformers 4.x may have saved the shared bias under this name only
                state[target] = value
                continue
            ignored[alias] = f"tied to {target}"  # the missing target is reported as missing
            continue
        reference = state[target]
        if np.shape(value) == np.shape(reference) and np.allclose(value, reference):
            ignored[alias] = f"tied to {target}"
            continue
        if headless:
            ignored[alias] = f"{headless} has no {PARTS[MLM_PREFIX]}"
            continue
        raise CheckpointError(
            f"{source}: {alias} {tuple(np.shape(value))} differs from {target} {tuple(np.shape(reference))}: "
            "the checkpoint has an untied decoder; load it with tie_word_embeddings=False"
        )


def _fill_untied(state: dict, wanted: set):
    """transformers 4.x saved `decoder.bias` and `cls.predictions.bias` as one Parameter,
    so a file may hold either: each stands in for the other."""
    for name, other in ((DECODER_BIAS, MLM_BIAS), (MLM_BIAS, DECODER_BIAS)):
        if name in wanted and name not in state and other in state:
            state[name] = state[other]


def _reason(name: str, wanted: set, model_name: str) -> str:
    if name == MLM_BIAS and DECODER_BIAS in wanted:
        return UNTIED_UNUSED_REASON
    for prefix, part in PARTS.items():
        if name.startswith(prefix) and not any(w.startswith(prefix) for w in wanted):
            return f"{model_name} has no {part}"
    return f"not a weight of {model_name}"


def resolve_state(
    state: dict[str, np.ndarray], wanted, config, source: str = "checkpoint", model_name: str = "the model"
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """(the tensors of canonical `state` the model takes, {every other name: why not}).

    `wanted` are the model's canonical names. Decoder rules (see the module docstring): a
    tied model ignores decoder copies equal to their targets and raises `CheckpointError`
    for one that differs; an untied model takes `decoder.bias` from `cls.predictions.bias`
    when the file lacks it. Missing tensors are the caller's business.
    """
    wanted = set(wanted)
    state = dict(state)
    ignored: dict[str, str] = {}
    mlm = any(n.startswith(MLM_PREFIX) for n in wanted)
    if is_tied(config):
        _fold_tied(state, wanted, ignored, source, model_name if not mlm else None)
    elif mlm:
        _fill_untied(state, wanted)
    for name in state:
        if name not in wanted and name not in ignored:
            ignored[name] = _reason(name, wanted, model_name)
    return {k: v for k, v in state.items() if k in wanted}, ignored


def is_redundant(reason: str) -> bool:
    """Whether an ignored tensor is expected to be left over: a tied copy, or the
    `cls.predictions.bias` every untied file carries for transformers 4.x (HF does not call
    those unexpected, and a loader logs them at INFO, not WARNING)."""
    return reason.startswith("tied to ") or reason == UNTIED_UNUSED_REASON


def checkpoint_state(state: dict[str, np.ndarray], config) -> dict[str, np.ndarray]:
    """A model's canonical state -> the tensors a checkpoint file holds: tied aliases
    dropped; an untied decoder's bias also written as `cls.predictions.bias`, so
    transformers 4.x (one shared Parameter) and 5 both load the file without warnings."""
    out = dict(state)
    if is_tied(config):
        for alias, target in TIED_ALIASES.items():
            value = out.pop(alias, None)
            if value is not None and target not in out and alias == DECODER_BIAS:
                out[target] = value
    elif DECODER_BIAS in out:
        out[MLM_BIAS] = np.array(out[DECODER_BIAS], copy=True)
    return out
