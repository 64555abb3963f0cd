"""`keras-bert-convert` against hostile and careless inputs: every case ends with its exit code
(2 usage, 3 bad input), ONE stderr line naming the culprit, nothing at OUT and no temporary
directory left (`conftest.run_cli`).

Each case is `setup(make, tmp) -> (args, code, culprit)`: `make(fmt)` copies a good tiny
checkpoint of that format, the setup damages it.
"""

import os
import pickle

import pytest

from tests.reliability.conftest import read_json, run_cli, safetensors_bytes, write_json, write_vocab

WEIGHTS = {
    "hf": "model.safetensors",
    "bin": "pytorch_model.bin",
    "tf-h5": "tf_model.h5",
    "keras": "model.keras",
    "tf1": "bert_model.ckpt.data-00000-of-00001",
}
CONFIG = {"hf": "config.json", "bin": "config.json", "tf-h5": "config.json", "tf1": "bert_config.json"}
CASES = {}


def case(name, code=3):
    def add(fn):
        CASES[name] = (fn, code)
        return fn

    return add


def _weights(src, fmt):
    return os.path.join(src, WEIGHTS[fmt])


def _checkpoint(src, out, *extra):
    return ["checkpoint", src, out, "--to", "hf", *extra]


# -- damaged weight files, every format --------------------------------------------------------
def _damage(kind):
    def setup(fmt):
        def run(make, out):
            src = make(fmt)
            path = _weights(src, fmt)
            blob = open(path, "rb").read()
            if kind == "truncated":
                data = blob[: len(blob) // 2]
            elif kind == "empty":
                data = b""
            elif kind == "text":
                data = b"this is not a checkpoint\n" * 4
            elif kind == "random":
                data = os.urandom(4096)
            else:  # header only: the first 64 bytes of a real file
                data = blob[:64]
            open(path, "wb").write(data)
            return _checkpoint(src, out), (os.path.basename(path), "bert_model.ckpt'")

        return run

    return setup


for _kind in ("truncated", "empty", "text", "random", "header-only"):
    for _fmt in WEIGHTS:
        # An empty or 64-byte TF1 data file: the index names it, so the reader names it.
        case(f"{_fmt}-weights-{_kind}")(_damage(_kind)(_fmt))


def _weights_is_directory(fmt):
    def run(make, out):
        src = make(fmt)
        path = _weights(src, fmt)
        os.remove(path)
        os.mkdir(path)
        return _checkpoint(src, out), (os.path.basename(path), "Unknown checkpoint format")

    return run


for _fmt in ("hf", "bin", "tf-h5", "keras"):
    case(f"{_fmt}-weights-is-a-directory")(_weights_is_directory(_fmt))


# -- bad configs, every format that has one ------------------------------------------------
CONFIG_DAMAGE = {
    "missing": None,
    "not-json": "{not json",
    "json-list": [1, 2, 3],
    "invalid-utf8": b"\xff\xfe{",
    "vocab-mismatch": {"vocab_size": 120},
    "hidden-mismatch": {"hidden_size": 48, "num_attention_heads": 4},
    "layers-mismatch": {"num_hidden_layers": 5},
    "heads-do-not-divide": {"num_attention_heads": 5},
    "negative-layers": {"num_hidden_layers": -1},
    "string-size": {"hidden_size": "32"},
    "huge-vocab": {"vocab_size": 10**12},
}


def _bad_config(fmt, kind):
    def run(make, out):
        src = make(fmt)
        path = os.path.join(src, CONFIG[fmt])
        damage = CONFIG_DAMAGE[kind]
        if damage is None:
            os.remove(path)
            return _checkpoint(src, out), ("config.json", "bert_config.json")
        if isinstance(damage, bytes):
            open(path, "wb").write(damage)
        elif isinstance(damage, str):
            open(path, "w").write(damage)
        elif isinstance(damage, list):
            write_json(path, damage)
        else:
            write_json(path, {**read_json(path), **damage})
        culprits = (CONFIG[fmt], *(f"{k}" for k in damage)) if isinstance(damage, dict) else (CONFIG[fmt],)
        return _checkpoint(src, out), culprits

    return run


for _fmt in CONFIG:
    for _kind in CONFIG_DAMAGE:
        if _fmt in ("bin", "tf-h5") and _kind not in ("missing", "not-json", "vocab-mismatch", "heads-do-not-divide"):
            continue  # one reader of config.json: hf and tf1 cover every kind
        case(f"{_fmt}-config-{_kind}")(_bad_config(_fmt, _kind))


# -- bad vocabularies ----------------------------------------------------------------------
def _bad_vocab(fmt, kind):
    def run(make, out):
        src = make(fmt)
        vocab = os.path.join(src, "vocab.txt")
        if kind == "invalid-utf8":
            open(vocab, "ab").write(b"caf\xe9\n")
        elif kind == "empty":
            open(vocab, "w").close()
        elif kind == "too-many-tokens":
            write_vocab(src, 150)
        elif kind == "missing":
            os.remove(vocab)
        elif kind == "directory":
            os.remove(vocab)
            os.mkdir(vocab)
        return _checkpoint(src, out), "vocab"

    return run


for _fmt in WEIGHTS:
    for _kind in ("invalid-utf8", "empty", "too-many-tokens", "missing"):
        case(f"{_fmt}-vocab-{_kind}")(_bad_vocab(_fmt, _kind))
case("hf-vocab-directory")(_bad_vocab("hf", "directory"))


# -- pickles, forged safetensors, shard indexes ----------------------------------------------
class _Code:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@case("bin-pickled-code")
def _pickled(make, out):
    src = make("bin")
    with open(_weights(src, "bin"), "wb") as f:
        pickle.dump({"bert.embeddings.word_embeddings.weight": _Code(out + ".pwned")}, f)
    return _checkpoint(src, out), "Refusing to load"


@case("bin-pickled-list")
def _pickled_list(make, out):
    src = make("bin")
    with open(_weights(src, "bin"), "wb") as f:
        pickle.dump([1, 2, 3], f)
    return _checkpoint(src, out), "pytorch_model.bin"


FORGED_HEADERS = {
    "offsets-past-end": {"w": {"dtype": "F32", "shape": [4, 4], "data_offsets": [0, 10**9]}},
    "unknown-dtype": {"w": {"dtype": "Q7", "shape": [1], "data_offsets": [0, 4]}},
    "shape-disagrees": {"w": {"dtype": "F32", "shape": [8, 8], "data_offsets": [0, 4]}},
    "negative-shape": {"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}},
    "overlapping": {
        "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
        "b": {"dtype": "F32", "shape": [1], "data_offsets": [2, 6]},
    },
    "not-a-dict": [1, 2],
}


def _forged(kind):
    def run(make, out):
        src = make("hf")
        open(_weights(src, "hf"), "wb").write(safetensors_bytes(FORGED_HEADERS[kind], b"\0" * 8))
        return _checkpoint(src, out), "model.safetensors"

    return run


for _kind in FORGED_HEADERS:
    case(f"safetensors-forged-{_kind}")(_forged(_kind))


@case("safetensors-huge-header-length")
def _huge_header(make, out):
    src = make("hf")
    open(_weights(src, "hf"), "wb").write((2**62).to_bytes(8, "little") + b"{}")
    return _checkpoint(src, out), "model.safetensors"


INDEXES = {
    "absolute": lambda src: {"weight_map": {"w": "/etc/passwd"}},
    "dotdot": lambda src: {"weight_map": {"w": "../outside.safetensors"}},
    "missing-shard": lambda src: {"weight_map": {"w": "model-00001-of-00002.safetensors"}},
    "no-weight-map": lambda src: {"metadata": {}},
    "weight-map-list": lambda src: {"weight_map": ["model.safetensors"]},
    "shard-not-string": lambda src: {"weight_map": {"w": 7}},
}


def _index(kind):
    def run(make, out):
        src = make("hf")
        os.rename(_weights(src, "hf"), os.path.join(src, "real.safetensors"))
        write_json(os.path.join(src, "model.safetensors.index.json"), INDEXES[kind](src))
        return _checkpoint(src, out), "model.safetensors.index.json"

    return run


for _kind in INDEXES:
    case(f"shard-index-{_kind}")(_index(_kind))


@case("shard-index-symlink-outside")
def _index_symlink(make, out):
    src = make("hf")
    outside = os.path.join(os.path.dirname(src), "outside.safetensors")
    os.rename(_weights(src, "hf"), outside)
    os.symlink(outside, os.path.join(src, "shard.safetensors"))
    write_json(os.path.join(src, "model.safetensors.index.json"), {"weight_map": {"w": "shard.safetensors"}})
    return _checkpoint(src, out), "outside the checkpoint directory"


@case("shard-index-not-json")
def _index_not_json(make, out):
    src = make("hf")
    os.remove(_weights(src, "hf"))
    open(os.path.join(src, "model.safetensors.index.json"), "w").write("{")
    return _checkpoint(src, out), "model.safetensors.index.json"


@case("keras-archive-of-another-model")
def _foreign_keras(make, out):
    import zipfile

    src = make("keras")
    path = _weights(src, "keras")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("config.json", '{"registered_name": "Sequential", "class_name": "Sequential"}')
        z.writestr("metadata.json", "{}")
        z.writestr("model.weights.h5", b"")
    return _checkpoint(src, out), "model.keras"


@case("keras-weights-h5-without-config")
def _keras_weights_alone(make, out):
    src = make("keras")
    os.remove(_weights(src, "keras"))
    open(os.path.join(src, "model.weights.h5"), "wb").write(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    return _checkpoint(src, out), ("model.weights.h5", "No config.json")


# -- paths: missing, links, unreadable -----------------------------------------------------
@case("src-missing")
def _missing(make, out):
    return _checkpoint(out + "-nope", out), "does not exist"


@case("src-broken-symlink")
def _broken_link(make, out):
    src = make("hf")
    os.remove(_weights(src, "hf"))
    os.symlink("/nonexistent/model.safetensors", _weights(src, "hf"))
    return _checkpoint(src, out), "model.safetensors"


@case("src-symlink-loop")
def _loop(make, out):
    link = out + "-loop"
    os.symlink(link, link)
    return _checkpoint(link, out), "-loop"


@case("src-empty-directory")
def _empty_dir(make, out):
    src = out + "-empty"
    os.mkdir(src)
    return _checkpoint(src, out), "Unknown checkpoint format"


@case("src-unknown-file")
def _unknown_file(make, out):
    src = out + ".dat"
    open(src, "wb").write(b"\0" * 64)
    return ["inspect", src], "Unknown checkpoint format"


def _unreadable(name):
    def run(make, out):
        src = make("hf")
        target = src if name == "." else os.path.join(src, name)
        _deny(target)
        return _checkpoint(src, out), ("permission denied", "Permission denied")

    return run


def _deny(path):
    """Make `path` unreadable: chmod 000, and (root ignores modes) make os.access agree."""
    os.chmod(path, 0)
    _DENIED.add(os.path.abspath(path))


_DENIED = set()

for _name in (".", "model.safetensors", "vocab.txt", "config.json"):
    case(f"unreadable-{_name.strip('.') or 'directory'}")(_unreadable(_name))


# -- OUT ---------------------------------------------------------------------------------
@case("out-under-a-regular-file")
def _out_under_file(make, out):
    blocker = os.path.join(os.path.dirname(out), "blocker")
    open(blocker, "w").write("x")
    return _checkpoint(make("hf"), os.path.join(blocker, "sub", "out")), "blocker"


@case("out-parent-not-writable")
def _out_parent_denied(make, out):
    parent = os.path.join(os.path.dirname(out), "readonly")
    os.mkdir(parent)
    src = make("hf")
    _deny(parent)
    return _checkpoint(src, os.path.join(parent, "out")), "readonly' is not writable"


@case("out-exists", code=2)
def _out_exists(make, out):
    os.mkdir(out + "-exists")
    return _checkpoint(make("hf"), out + "-exists"), "exists; pass --force"


@case("to-unknown", code=2)
def _to_unknown(make, out):
    return ["checkpoint", make("hf"), out, "--to", "onnx"], "invalid choice"


@case("head-unknown", code=2)
def _head_unknown(make, out):
    return _checkpoint(make("hf"), out, "--head", "BertForNothing"), "unknown --head"


@case("no-command", code=2)
def _no_command(make, out):
    return [], "usage error"


@case("unknown-option", code=2)
def _unknown_option(make, out):
    return _checkpoint(make("hf"), out, "--frobnicate"), "--frobnicate"


# -- export ------------------------------------------------------------------------------
def _export(src, out, *extra):
    return ["export", src, out, *extra]


for _value, _culprit in (("100000", "max_position_embeddings=64"), ("65", "64"), ("1", "--max-length=1"), ("0", "0")):
    case(f"export-max-length-{_value}")(
        lambda make, out, v=_value, c=_culprit: (_export(make("hf"), out, "--max-length", v), c)
    )
case("export-max-length-2-for-pairs")(
    lambda make, out: (_export(make("hf"), out, "--task", "question-answering", "--max-length", "2"), "--max-length=2")
)
case("export-max-length-not-int", code=2)(lambda make, out: (_export(make("hf"), out, "--max-length", "ten"), "ten"))


def _export_vocab(tokens, culprit):
    def run(make, out):
        src = make("hf")
        write_vocab(src, tokens=tokens)
        return _export(src, out), culprit

    return run


_GOOD = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b"]
case("export-vocab-empty")(_export_vocab([], "vocab"))
case("export-vocab-no-unk")(_export_vocab([t for t in _GOOD if t != "[UNK]"], "[UNK]"))
case("export-vocab-no-cls")(_export_vocab([t for t in _GOOD if t != "[CLS]"], "[CLS]"))
case("export-vocab-no-sep")(_export_vocab([t for t in _GOOD if t != "[SEP]"], "[SEP]"))
case("export-vocab-no-mask")(_export_vocab([t for t in _GOOD if t != "[MASK]"], "[MASK]"))
case("export-vocab-duplicate")(_export_vocab(_GOOD + ["a"], "'a' twice"))
case("export-vocab-too-many")(_export_vocab(_GOOD + [f"x{i}" for i in range(150)], "157 tokens"))


@case("export-vocab-invalid-utf8")
def _export_utf8(make, out):
    src = make("hf")
    open(os.path.join(src, "vocab.txt"), "ab").write(b"\xc3\x28\n")
    return _export(src, out), "not UTF-8"


@case("export-no-vocab")
def _export_no_vocab(make, out):
    src = make("hf")
    os.remove(os.path.join(src, "vocab.txt"))
    return _export(src, out), "no vocab.txt"


@case("export-truncated-weights")
def _export_truncated(make, out):
    src = make("hf")
    path = _weights(src, "hf")
    open(path, "r+b").truncate(1000)
    return _export(src, out), "model.safetensors"


@case("export-task-unknown", code=2)
def _export_task(make, out):
    return _export(make("hf"), out, "--task", "translation"), "translation"


@case("export-out-under-a-file")
def _export_out_file(make, out):
    blocker = os.path.join(os.path.dirname(out), "blocker")
    open(blocker, "w").write("x")
    return _export(make("hf"), os.path.join(blocker, "1")), "blocker"


@pytest.fixture
def denied(monkeypatch):
    """Root reads everything whatever the mode bits: paths registered by `_deny` are refused by
    os.access too, so the permission branches run the same as for an ordinary user."""
    real = os.access
    _DENIED.clear()
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: os.path.abspath(p) not in _DENIED and real(p, mode, **kw))
    yield
    for path in _DENIED:
        if os.path.lexists(path):
            os.chmod(path, 0o755)
    _DENIED.clear()


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input(name, src_copy, tmp_path, capsys, denied):
    setup, code = CASES[name]
    out = str(tmp_path / "out")
    args, culprit = setup(src_copy, out)
    checked = None if name == "out-exists" else (args[2] if len(args) > 2 and args[0] != "inspect" else out)
    run_cli(capsys, args, code, culprit, out=checked)
    assert not os.path.exists(out + ".pwned")


def test_case_count():
    assert len(CASES) >= 100, len(CASES)
