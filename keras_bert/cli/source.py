"""What the CLI knows about a source checkpoint: format, config, canonical weights, vocabulary."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import numpy as np

from keras_bert.checkpoints import CheckpointError, load_checkpoint
from keras_bert.checkpoints.detect import check_config, detect_format, guess_head
from keras_bert.checkpoints.errors import require_readable
from keras_bert.config import BertConfig

# Tokenizer files copied along with a conversion.
TOKENIZER_FILES = (
    "vocab.txt",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
)


@dataclass
class Source:
    path: str
    format: str
    config: BertConfig
    state: dict = field(repr=False)
    directory: str = ""

    @property
    def head(self) -> str:
        return guess_head(self.state, self.config)

    @property
    def num_parameters(self) -> int:
        return int(sum(np.prod(np.shape(v)) for v in self.state.values()))

    def tokenizer_files(self) -> list[str]:
        return [
            os.path.join(self.directory, n) for n in TOKENIZER_FILES if os.path.isfile(os.path.join(self.directory, n))
        ]

    def vocab_size_on_disk(self) -> tuple[str, int] | None:
        """(file, token count) of vocab.txt, else tokenizer.json; None when neither exists."""
        vocab = os.path.join(self.directory, "vocab.txt")
        if os.path.isfile(vocab):
            return "vocab.txt", len(read_vocab_lines(vocab))
        tok = os.path.join(self.directory, "tokenizer.json")
        if os.path.isfile(tok):
            try:
                with open(tok, encoding="utf-8") as f:
                    return "tokenizer.json", len(json.load(f)["model"]["vocab"])
            except (OSError, ValueError, KeyError, TypeError) as e:
                raise CheckpointError(f"Cannot read {tok!r}: {e!r}") from None
        return None

    def vocab_problem(self) -> str | None:
        """Why the vocabulary does not fit the model, or None. A missing vocabulary is a problem."""
        found = self.vocab_size_on_disk()
        if found is None:
            return f"no vocab.txt or tokenizer.json in {self.directory!r} (pass --no-vocab to convert weights only)"
        name, count = found
        if count == 0:
            return f"{os.path.join(self.directory, name)!r} holds no tokens"
        if count > self.config.vocab_size:
            return f"{name} has {count} tokens but config vocab_size is {self.config.vocab_size}: ids would run past the embeddings"
        return None

    def config_problems(self) -> list[str]:
        return check_config(self.state, self.config)

    def build_model(self, cls):
        """A `cls` (a keras_bert model class) holding these weights; warns on stderr, naming them,
        when the checkpoint lacks some (a head it never trained: random). CheckpointError when the
        config does not fit the weights."""
        import sys

        from keras_bert.checkpoints.keras_weights import load_state

        problems = self.config_problems()
        if problems:
            raise CheckpointError(f"config does not fit the weights in {self.path!r}: {problems[0]}")
        model = cls(self.config)
        model.build()
        info = load_state(model, self.state, source=self.path)
        if info["newly_initialized"]:
            print(
                f"warning: {self.path!r} has no weights for {', '.join(info['newly_initialized'][:4])}: "
                "they are random; fine-tune before serving",
                file=sys.stderr,
            )
        return model


def read_vocab_lines(path: str) -> list[str]:
    """The tokens of a vocab.txt, one a line; CheckpointError naming the file when it is
    unreadable or not UTF-8 (with the offset of the first bad byte)."""
    require_readable(path, "vocabulary")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise CheckpointError(f"Cannot read vocabulary {path!r}: {e.strerror or e}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CheckpointError(
            f"Vocabulary {path!r} is not UTF-8: byte {data[e.start : e.start + 1]!r} at offset {e.start}"
        ) from None
    return text.splitlines()


# The tokens an exported SavedModel's tokenizer and tables need (fill-mask looks up [MASK]).
REQUIRED_TOKENS = ("[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]")


def check_vocab_file(path: str, required=REQUIRED_TOKENS) -> str:
    """`path` if it is a vocab.txt an in-graph tokenizer can use: UTF-8, not empty, no token twice
    (a lookup table needs one id per token) and every `required` special token present (the
    names in tokenizer_config.json beside it, when it renames them). Else CheckpointError naming
    the file and the token."""
    tokens = read_vocab_lines(path)
    if not tokens:
        raise CheckpointError(f"Vocabulary {path!r} is empty")
    seen: dict[str, int] = {}
    for line, token in enumerate(tokens, 1):
        if token in seen:
            raise CheckpointError(f"Vocabulary {path!r} lists {token!r} twice (lines {seen[token]} and {line})")
        seen[token] = line
    renamed = _special_token_names(os.path.join(os.path.dirname(path), "tokenizer_config.json"))
    for default in required:
        token = renamed.get(default, default)
        if token not in seen:
            raise CheckpointError(f"Vocabulary {path!r} has no {token!r} token")
    return path


def _special_token_names(config_path: str) -> dict[str, str]:
    """{default special token: the name tokenizer_config.json gives it} (empty without the file)."""
    keys = {
        "[UNK]": "unk_token",
        "[CLS]": "cls_token",
        "[SEP]": "sep_token",
        "[PAD]": "pad_token",
        "[MASK]": "mask_token",
    }
    try:
        with open(config_path, encoding="utf-8") as f:
            config = json.load(f)
    except (OSError, ValueError):
        return {}
    out = {}
    for default, key in keys.items():
        value = config.get(key) if isinstance(config, dict) else None
        if isinstance(value, dict):
            value = value.get("content")
        if isinstance(value, str):
            out[default] = value
    return out


def _read_config(directory: str) -> BertConfig:
    for name in ("config.json", "bert_config.json"):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            require_readable(path, "config")
            try:
                return BertConfig.from_json_file(path)
            except OSError as e:
                raise CheckpointError(f"Cannot read config {path!r}: {e.strerror or e}") from None
            except (ValueError, TypeError, KeyError, AttributeError) as e:
                first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                raise CheckpointError(f"Bad config {path!r}: {first}") from None
    raise CheckpointError(f"No config.json or bert_config.json in {directory!r}")


def open_source(path) -> Source:
    """Detects, reads and canonicalizes a checkpoint; CheckpointError on anything unreadable."""
    path = os.fspath(path)
    fmt, resolved = detect_format(path)
    directory = path if os.path.isdir(path) else os.path.dirname(path) or "."
    if fmt == "keras":
        import keras_bert.models  # noqa: F401 - registers the model classes Keras-native files name
    if fmt == "keras" and resolved.endswith(".keras"):
        from keras_bert.checkpoints.keras_native import load_keras_native_model
        from keras_bert.checkpoints.keras_weights import state_dict
        from keras_bert.checkpoints.names import checkpoint_state

        model = load_keras_native_model(resolved)
        return Source(path, fmt, model.config, checkpoint_state(state_dict(model), model.config), directory)
    config = _read_config(directory)
    return Source(path, fmt, config, load_checkpoint(path), directory)
