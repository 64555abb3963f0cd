"""The files of a saved tokenizer: which keys are read from them and how they are written.

transformers 4.x layout: vocab.txt, tokenizer_config.json (options, `added_tokens_decoder`),
special_tokens_map.json, added_tokens.json (tokens beyond vocab.txt) and, for the fast tokenizer,
tokenizer.json. A directory written by transformers loads here and the reverse.
"""

import json
import os

from keras_bert.tokenization.special_tokens import SPECIAL_TOKEN_NAMES

CONFIG_FILE = "tokenizer_config.json"
SPECIAL_TOKENS_FILE = "special_tokens_map.json"
ADDED_TOKENS_FILE = "added_tokens.json"
CONFIG_KEYS = (
    "do_lower_case",
    "do_basic_tokenize",
    "never_split",
    "tokenize_chinese_chars",
    "strip_accents",
    "model_max_length",
    "clean_up_tokenization_spaces",
    "padding_side",
    "truncation_side",
)


def _content(value):
    return value["content"] if isinstance(value, dict) and "content" in value else value


def read_pretrained_config(directory):
    """Constructor kwargs from tokenizer_config.json, special_tokens_map.json and added_tokens.json.

    Added tokens come back as `added_tokens_decoder` {id: (content, special)}.
    """
    kwargs, added = {}, {}
    path = os.path.join(directory, ADDED_TOKENS_FILE)
    if os.path.isfile(path):
        for token, index in _read_json(path).items():
            added[int(index)] = (token, False)
    for name in (CONFIG_FILE, SPECIAL_TOKENS_FILE):
        path = os.path.join(directory, name)
        if not os.path.isfile(path):
            continue
        for key, value in _read_json(path).items():
            if key in CONFIG_KEYS or key in SPECIAL_TOKEN_NAMES:
                kwargs[key] = _content(value)
            elif key == "additional_special_tokens" and value is not None:
                kwargs[key] = [_content(v) for v in value]
            elif key == "added_tokens_decoder" and isinstance(value, dict):
                for index, token in value.items():
                    added[int(index)] = (_content(token), bool(token.get("special", False)))
    if added:
        kwargs["added_tokens_decoder"] = dict(sorted(added.items()))
    return kwargs


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"Tokenizer file {path!r} is not valid UTF-8 JSON: {e}") from None
    if not isinstance(data, dict):
        raise ValueError(f"Tokenizer file {path!r} must hold a JSON object, got {type(data).__name__}")
    return data


def write_pretrained_files(tokenizer, save_directory, tokenizer_class):
    """Writes tokenizer_config.json, special_tokens_map.json and (when needed) added_tokens.json."""
    os.makedirs(save_directory, exist_ok=True)
    config = tokenizer.get_config()
    config.pop("added_tokens_decoder", None)
    if config.get("model_max_length") is None:
        config.pop("model_max_length", None)
    config["added_tokens_decoder"] = {
        str(index): {
            "content": token,
            "lstrip": False,
            "normalized": token not in tokenizer._special_added,
            "rstrip": False,
            "single_word": False,
            "special": token in tokenizer._special_added,
        }
        for index, token in sorted(tokenizer.added_tokens_decoder.items())
    }
    config["tokenizer_class"] = tokenizer_class
    paths = [os.path.join(save_directory, CONFIG_FILE), os.path.join(save_directory, SPECIAL_TOKENS_FILE)]
    _write_json(paths[0], config)
    _write_json(paths[1], tokenizer.special_tokens_map)
    beyond = {t: i for i, t in sorted(tokenizer.added_tokens_decoder.items()) if i >= tokenizer.vocab_size}
    if beyond:
        paths.append(os.path.join(save_directory, ADDED_TOKENS_FILE))
        _write_json(paths[-1], beyond)
    return tuple(paths)


def _write_json(path, data):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, ensure_ascii=False)
        f.write("\n")
