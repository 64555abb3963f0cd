"""What the CLI knows about a source checkpoint: format, config, canonical weights, vocabulary."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import numpy as np

from keras_bert.checkpoints import CheckpointError, load_checkpoint
from keras_bert.checkpoints.detect import check_config, detect_format, guess_head
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
            with open(vocab, encoding="utf-8") as f:
                return "vocab.txt", sum(1 for _ in f)
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
        if count > self.config.vocab_size:
            return f"{name} has {count} tokens but config vocab_size is {self.config.vocab_size}: ids would run past the embeddings"
        return None

    def config_problems(self) -> list[str]:
        return check_config(self.state, self.config)


def _read_config(directory: str) -> BertConfig:
    for name in ("config.json", "bert_config.json"):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            try:
                return BertConfig.from_json_file(path)
            except (OSError, ValueError, TypeError) as e:
                raise CheckpointError(f"Bad config {path!r}: {e}") from None
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
