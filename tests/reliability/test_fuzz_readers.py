"""Hypothesis fuzzing of the readers that parse untrusted bytes before anything else: the
safetensors header, shard indexes and config.json. Whatever the input, the outcome is a
result or CheckpointError naming the file, never another exception (and never a crash)."""

import json
import os
import tempfile

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keras_bert.checkpoints import CheckpointError
from keras_bert.checkpoints.hf_pytorch import read_safetensors
from keras_bert.checkpoints.shards import read_index
from keras_bert.cli.source import _read_config
from tests.reliability.conftest import safetensors_bytes

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DTYPES = ["F32", "F16", "BF16", "I64", "I32", "U8", "BOOL", "F64", "X", ""]
json_scalars = (
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True) | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3), max_leaves=8
)


def _write(directory, name, data: bytes) -> str:
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def _expect_clean(read, path):
    try:
        return read(path)
    except CheckpointError as e:
        assert os.path.basename(path) in str(e), str(e)
        return None


@FUZZ
@given(st.binary(max_size=300))
def test_safetensors_arbitrary_bytes(data):
    with tempfile.TemporaryDirectory() as d:
        _expect_clean(read_safetensors, _write(d, "model.safetensors", data))


tensor_entry = st.fixed_dictionaries(
    {
        "dtype": st.sampled_from(DTYPES) | st.integers(),
        "shape": st.lists(st.integers(-3, 2**40), max_size=4) | json_values,
        "data_offsets": st.lists(st.integers(-5, 2**40), min_size=0, max_size=3) | json_values,
    }
)


@FUZZ
@given(
    st.dictionaries(st.text(max_size=10), tensor_entry | json_values, max_size=4),
    st.binary(max_size=64),
    st.sampled_from(["exact", "short", "long"]),
)
def test_safetensors_structured_headers(header, data, length):
    blob = safetensors_bytes(header, data)
    if length != "exact":  # a declared header length that disagrees with the header
        n = int.from_bytes(blob[:8], "little") + (-3 if length == "short" else 3)
        blob = max(n, 0).to_bytes(8, "little") + blob[8:]
    with tempfile.TemporaryDirectory() as d:
        out = _expect_clean(read_safetensors, _write(d, "model.safetensors", blob))
        if out is not None:
            assert all(isinstance(v, np.ndarray) for v in out.values())


@FUZZ
@given(json_values | st.fixed_dictionaries({"weight_map": json_values}))
def test_shard_index(index):
    with tempfile.TemporaryDirectory() as d:
        _write(d, "a.safetensors", b"")
        _expect_clean(read_index, _write(d, "model.safetensors.index.json", json.dumps(index).encode()))


CONFIG_FIELDS = [
    "vocab_size",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "intermediate_size",
    "hidden_act",
    "max_position_embeddings",
    "type_vocab_size",
    "layer_norm_eps",
    "hidden_dropout_prob",
    "position_embedding_type",
    "id2label",
    "label2id",
    "num_labels",
    "architectures",
    "problem_type",
]


@FUZZ
@given(st.dictionaries(st.sampled_from(CONFIG_FIELDS) | st.text(max_size=6), json_values, max_size=6) | json_values)
def test_config_json(config):
    with tempfile.TemporaryDirectory() as d:
        path = _write(d, "config.json", json.dumps(config).encode())
        _expect_clean(lambda p: _read_config(os.path.dirname(p)), path)


@FUZZ
@given(st.binary(max_size=200))
def test_config_json_arbitrary_bytes(data):
    with tempfile.TemporaryDirectory() as d:
        path = _write(d, "config.json", data)
        _expect_clean(lambda p: _read_config(os.path.dirname(p)), path)
