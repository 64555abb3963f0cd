"""The backend tests run once per Keras backend: `make test` runs this folder under
`KERAS_BACKEND=jax` and `KERAS_BACKEND=torch` (one pytest process each) after the TensorFlow suite,
which collects it too. Tests that only repeat a TensorFlow test of `tests/models` skip themselves on
TensorFlow (`skip_on_tensorflow`); files named `test_jax_*` run only on the jax backend."""

import os

import keras
import pytest

BACKEND = keras.backend.backend()


def pytest_collection_modifyitems(config, items):
    only_jax = pytest.mark.skip(reason=f"a jax-backend test; this run's backend is {BACKEND}")
    for item in items:
        if os.path.basename(str(item.fspath)).startswith("test_jax_") and BACKEND != "jax":
            item.add_marker(only_jax)


skip_on_tensorflow = pytest.mark.skipif(
    BACKEND == "tensorflow", reason="tests/models runs this on TensorFlow; here it runs on jax and torch"
)
