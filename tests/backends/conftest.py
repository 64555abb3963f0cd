"""The backend tests run once per Keras backend: `make test` runs this folder under
`KERAS_BACKEND=jax` and `KERAS_BACKEND=torch` (one pytest process each) after the TensorFlow suite,
which collects it too. Tests marked `other_backends` repeat a TensorFlow test of `tests/models` and
files named `test_jax_*` need the jax backend; a run on another backend deselects them (they run in
the run of their backend), so no test is reported as skipped."""

import os

import keras
import pytest

BACKEND = keras.backend.backend()

# Repeats of tests/models on TensorFlow: deselected there, run on jax and torch.
other_backends = pytest.mark.other_backends


def _runs_here(item) -> bool:
    if os.path.basename(str(item.fspath)).startswith("test_jax_"):
        return BACKEND == "jax"
    if item.get_closest_marker("other_backends"):
        return BACKEND != "tensorflow"
    return True


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(__file__)
    mine = [i for i in items if str(i.fspath).startswith(here)]
    elsewhere = [i for i in mine if not _runs_here(i)]
    if elsewhere:
        config.hook.pytest_deselected(items=elsewhere)
        dropped = set(map(id, elsewhere))
        items[:] = [i for i in items if id(i) not in dropped]
