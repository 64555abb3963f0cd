"""Where `from_pretrained` finds its files, and what its keywords mean, for every class.

One resolver, `resolve(name_or_path, what, **hub_kwargs)`, serves configs, the Keras models, the
PyTorch twin and the three tokenizers: a local directory or file is used as it is; any other
string is a Hugging Face hub repo id (`"bert-base-uncased"`, `"org/name"`) looked up through
`huggingface_hub` (`hf_hub_download`, its cache layout, `cache_dir`, `revision`,
`local_files_only`, `token`, `HF_HUB_OFFLINE`, `HF_HOME` / `HF_HUB_CACHE`). A name already in the
local cache loads without network; one that is not gives an error that says what was looked up and
how to get it.

`split_pretrained_kwargs` gives transformers' `from_pretrained` keywords their meaning for models
(both frameworks): hub arguments, `config=`, config overrides, `ignore_mismatched_sizes`,
`output_loading_info`; `keras_bert.config.load_model_config` then makes any keyword that is none
of these an error naming it (transformers 4.x TF passes such keywords to `keras.Model.__init__`,
which rejects them). `drop_mismatched` is the
`ignore_mismatched_sizes` rule both frameworks apply before loading.

This module imports neither TensorFlow, Keras nor torch.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

CONFIG_FILES = ("config.json",)
# In the order `keras_bert.checkpoints` prefers them; an index names its shards.
WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "tf_model.h5",
    "tf_model.h5.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
MODEL_OPTIONAL_FILES = ("generation_config.json",)  # read by TFBertLMHeadModel when present
TOKENIZER_FILES = ("vocab.txt",)
TOKENIZER_OPTIONAL_FILES = ("tokenizer_config.json", "special_tokens_map.json", "tokenizer.json", "added_tokens.json")
WHATS = ("config", "model", "tokenizer")

# transformers' from_pretrained keywords about where files come from -> default.
HUB_KWARGS = {
    "cache_dir": None,
    "revision": None,
    "local_files_only": False,
    "token": None,
    "force_download": False,
    "subfolder": None,
}
# Accepted for compatibility, with no effect here (each documented where it is popped).
_NO_EFFECT = ("from_pt", "from_tf", "from_flax", "resume_download", "mirror", "use_safetensors", "_from_auto")
# Keywords of a model's from_pretrained that are neither hub arguments nor config fields.
LOAD_KWARGS = ("config", "ignore_mismatched_sizes", "output_loading_info")


def pop_hub_kwargs(kwargs: dict) -> dict:
    """Removes transformers' hub keywords from `kwargs`; returns them normalized for `resolve`.

    `use_auth_token` is the deprecated alias of `token`. `trust_remote_code=True` is refused
    (keras_bert runs no code from a repository). `proxies` is refused unless None: huggingface_hub
    takes proxies from the `HTTPS_PROXY` / `HTTP_PROXY` environment. `from_pt`, `from_tf`,
    `from_flax` are accepted and change nothing (every checkpoint format is read anyway);
    `mirror` and `resume_download` are deprecated no-ops in transformers and here; `use_safetensors`
    is accepted and ignored (the weight file is chosen in `WEIGHT_FILES` order, safetensors first).
    `force_download=True` offline is huggingface_hub's ValueError.

    Example:
        >>> kwargs = {"revision": "main", "use_auth_token": "hf_x", "num_labels": 3}
        >>> pop_hub_kwargs(kwargs)["token"], kwargs
        ('hf_x', {'num_labels': 3})
    """
    hub = {name: kwargs.pop(name, default) for name, default in HUB_KWARGS.items()}
    if "use_auth_token" in kwargs:
        alias = kwargs.pop("use_auth_token")
        if hub["token"] is not None and alias is not None:
            raise ValueError("Pass token= only; use_auth_token= is its deprecated alias and both were given")
        logger.warning("use_auth_token is deprecated (as in transformers); use token= instead")
        hub["token"] = hub["token"] if alias is None else alias
    if kwargs.pop("trust_remote_code", None):
        raise ValueError("trust_remote_code=True is not supported: keras_bert runs no code from a repository")
    proxies = kwargs.pop("proxies", None)
    if proxies:
        raise ValueError(
            f"proxies={proxies!r} is not supported by huggingface_hub's downloads; set the HTTPS_PROXY / "
            "HTTP_PROXY environment variables instead"
        )
    for name in _NO_EFFECT:
        kwargs.pop(name, None)
    return hub


def hub_cache_dir(cache_dir=None) -> str:
    """The cache huggingface_hub uses: `cache_dir`, else `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else
    huggingface_hub's default. Read at call time, so setting the variables after import works."""
    if cache_dir is not None:
        return os.fspath(cache_dir)
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    if os.environ.get("HF_HOME"):
        return os.path.join(os.environ["HF_HOME"], "hub")
    from huggingface_hub import constants

    return constants.HF_HUB_CACHE


def _offline() -> bool:
    from huggingface_hub import constants

    value = os.environ.get("HF_HUB_OFFLINE", "")
    return value.upper() in ("1", "ON", "YES", "TRUE") or bool(constants.HF_HUB_OFFLINE)


class _NotFound(Exception):
    """A file the repo (or the cache) does not have; `reason` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _download(repo_id: str, filename: str, hub: dict, cache_dir: str, local_only: bool) -> str:
    from huggingface_hub import errors as hf_errors
    from huggingface_hub import hf_hub_download

    try:
        return hf_hub_download(
            repo_id,
            filename,
            subfolder=hub["subfolder"],
            revision=hub["revision"],
            cache_dir=cache_dir,
            force_download=hub["force_download"],
            token=hub["token"],
            local_files_only=local_only,
            library_name="keras_bert",
        )
    except hf_errors.LocalEntryNotFoundError as e:
        raise _NotFound(f"not in the local cache ({type(e).__name__})") from None
    except hf_errors.EntryNotFoundError:
        raise _NotFound("not in the repository") from None
    except (hf_errors.RepositoryNotFoundError, hf_errors.RevisionNotFoundError, hf_errors.GatedRepoError) as e:
        raise OSError(f"{repo_id!r} could not be loaded from the Hugging Face hub: {e}") from None


def _not_found(name: str, files, hub: dict, cache_dir: str, local_only: bool, reasons: dict) -> OSError:
    revision = hub["revision"] or "main"
    where = f"{name}/{hub['subfolder']}" if hub["subfolder"] else name
    why = "; ".join(f"{f}: {r}" for f, r in reasons.items())
    mode = "offline (HF_HUB_OFFLINE / local_files_only)" if local_only else "online attempt failed or file absent"
    return OSError(
        f"{name!r} is not a local path, and none of {list(files)} for hub repo {where!r} (revision {revision!r}) "
        f"could be found in the Hugging Face cache {cache_dir!r} [{mode}; {why}]. Get it on a machine with "
        f"network with `huggingface-cli download {name}` (or `hf download {name}`) and point HF_HOME / "
        "HF_HUB_CACHE or cache_dir= at that cache, or pass the path of a local directory instead."
    )


def resolve(name_or_path, what: str, **hub) -> str:
    """The local directory (or file) holding what `what` needs: "config" (config.json), "model"
    (config.json + weights, all shards of a sharded checkpoint, generation_config.json if any) or "tokenizer" (vocab.txt plus the
    optional tokenizer files).

    A path that exists is returned unchanged (no hub access). Any other string is a hub repo id:
    its files are taken from the local HF cache, or downloaded when online; the result is the
    snapshot directory (`.../models--org--name/snapshots/<commit>[/subfolder]`).

    Example:
        >>> directory = resolve("sentence-transformers/all-MiniLM-L6-v2", "model", local_files_only=True)
        >>> sorted(os.listdir(directory))[:2]
        ['config.json', 'model.safetensors']
    """
    if what not in WHATS:
        raise ValueError(f"resolve: what must be one of {WHATS}, got {what!r}")
    hub = {**HUB_KWARGS, **hub}
    unknown = sorted(set(hub) - set(HUB_KWARGS))
    if unknown:
        raise TypeError(f"resolve: unknown hub argument(s) {unknown}; expected {sorted(HUB_KWARGS)}")
    path = os.fspath(name_or_path)
    if os.path.exists(path):
        return os.path.join(path, hub["subfolder"]) if hub["subfolder"] and os.path.isdir(path) else path
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(path)
    except HFValidationError:
        raise FileNotFoundError(
            f"{path!r} is neither an existing local path nor a valid Hugging Face hub repo id ('name' or 'org/name')"
        ) from None
    cache_dir = hub_cache_dir(hub["cache_dir"])
    local_only = bool(hub["local_files_only"]) or _offline()
    reasons = {}

    def first_of(files, required=True):
        for filename in files:
            try:
                return _download(path, filename, hub, cache_dir, local_only)
            except _NotFound as e:
                reasons[filename] = e.reason
        if required:
            raise _not_found(path, files, hub, cache_dir, local_only, reasons)
        return None

    if what == "config":
        return os.path.dirname(first_of(CONFIG_FILES))
    if what == "tokenizer":
        directory = os.path.dirname(first_of(TOKENIZER_FILES))
        for filename in TOKENIZER_OPTIONAL_FILES:
            first_of((filename,), required=False)
        return directory
    directory = os.path.dirname(first_of(CONFIG_FILES))
    weights = first_of(WEIGHT_FILES)
    if weights.endswith(".index.json"):
        from keras_bert.checkpoints.shards import check_shard_name

        try:
            with open(weights, encoding="utf-8") as f:
                weight_map = json.load(f).get("weight_map", {})
            items = sorted(weight_map.items())
        except (OSError, ValueError, AttributeError) as e:
            raise OSError(f"Shard index {weights!r} of {path!r} is not a JSON weight_map: {e}") from None
        if not items:
            raise OSError(f"Shard index {weights!r} of {path!r} has no weight_map")
        # Names from a downloaded file: checked to stay in the snapshot before any download.
        shards = sorted({check_shard_name(weights, tensor, shard) for tensor, shard in items})
        for shard in shards:
            first_of((shard,))
    for filename in MODEL_OPTIONAL_FILES:
        first_of((filename,), required=False)
    return directory


# -- the keywords of a model's from_pretrained ------------------------------------------------------


@dataclass
class PretrainedArgs:
    """transformers' `from_pretrained` keywords, sorted by meaning (see `split_pretrained_kwargs`)."""

    hub: dict
    config: object = None  # a BertConfig, a path / hub name of one, or None (read the checkpoint's)
    overrides: dict = field(default_factory=dict)  # config fields to change
    model_kwargs: dict = field(default_factory=dict)  # constructor arguments of the class
    ignore_mismatched_sizes: bool = False
    output_loading_info: bool = False


def split_pretrained_kwargs(kwargs: dict, model_kwargs=()) -> PretrainedArgs:
    """Sorts a model's `from_pretrained` keywords; `model_kwargs` names the class's own constructor
    arguments (e.g. the twin's `add_pooling_layer`). Which keywords are config overrides is decided
    in `keras_bert.config.load_model_config`, against the config's fields.

    Example:
        >>> args = split_pretrained_kwargs({"num_labels": 3, "revision": "v1", "output_loading_info": True})
        >>> args.overrides, args.hub["revision"], args.output_loading_info
        ({'num_labels': 3}, 'v1', True)
    """
    kwargs = dict(kwargs)
    hub = pop_hub_kwargs(kwargs)
    return PretrainedArgs(
        hub=hub,
        config=kwargs.pop("config", None),
        ignore_mismatched_sizes=bool(kwargs.pop("ignore_mismatched_sizes", False)),
        output_loading_info=bool(kwargs.pop("output_loading_info", False)),
        model_kwargs={k: kwargs.pop(k) for k in model_kwargs if k in kwargs},
        overrides=kwargs,
    )


def drop_mismatched(state: dict, expected_shapes: dict, source: str, ignore: bool):
    """transformers' `ignore_mismatched_sizes`: with `ignore`, checkpoint tensors whose shape differs
    from the model's are dropped (the model keeps its fresh initialization) and returned as
    `[(name, checkpoint shape, model shape)]`, logged as transformers does. Without it nothing is
    dropped (the loader raises on the mismatch, naming it).

    Example:
        >>> state, mismatched = drop_mismatched({"classifier.weight": np.zeros((2, 8))},
        ...                                     {"classifier.weight": (5, 8)}, "ckpt", ignore=True)
        >>> mismatched
        [('classifier.weight', (2, 8), (5, 8))]
    """
    if not ignore:
        return state, []
    mismatched = []
    for name, shape in expected_shapes.items():
        if name in state and tuple(state[name].shape) != tuple(shape):
            mismatched.append((name, tuple(state[name].shape), tuple(shape)))
    if mismatched:
        state = {k: v for k, v in state.items() if k not in {m[0] for m in mismatched}}
        shown = "\n".join(f"- {n}: found shape {a} in the checkpoint and {b} in the model" for n, a, b in mismatched)
        logger.warning(
            "Some weights of the model were not initialized from %s and are newly initialized because the "
            "shapes did not match:\n%s\nYou should probably TRAIN this model on a down-stream task.",
            source,
            shown,
        )
    return state, mismatched
