"""The package root is lazy: the torch twin runs where TensorFlow cannot be imported, the public
names still resolve, and `.keras` files load after a bare `import keras_bert` (fresh processes)."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tests.support.tiny import TINY

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Run first in the child: TensorFlow is "not installed". `import tensorflow` raises
# ModuleNotFoundError and `importlib.util.find_spec` answers None, as on a machine without it (a
# meta-path finder that raises would also break torch, whose dynamo probes find_spec("tensorflow")).
BLOCK_TENSORFLOW = textwrap.dedent(
    """
    import sys

    for blocked in ("tensorflow", "tensorflow_text"):
        sys.modules[blocked] = None
    """
)


def _run(code: str, timeout=300) -> str:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ROOT}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"child failed:\nstdout:\n{result.stdout}\nstderr:\n{result.stderr[-4000:]}"
    return result.stdout


def test_twin_import_loads_neither_tensorflow_nor_keras():
    _run("import sys, keras_bert.torch; assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules")


@pytest.mark.slow
def test_twin_round_trip_without_tensorflow(tmp_path):
    """Build, save, reload and run a twin head with TensorFlow unimportable; transformers agrees."""
    code = BLOCK_TENSORFLOW + textwrap.dedent(
        f"""
        import json, sys
        import torch
        import keras_bert
        from keras_bert.config import BertConfig
        from keras_bert.torch import BertForSequenceClassification

        torch.manual_seed(0)
        model = BertForSequenceClassification(BertConfig(**json.loads({json.dumps(json.dumps(TINY))}), num_labels=3))
        g = torch.Generator().manual_seed(0)
        with torch.no_grad():  # zero biases and unit LayerNorms would hide loading mistakes
            for p in model.parameters():
                p.add_(torch.randn(p.shape, generator=g) * 0.05)
        model.save_pretrained({str(tmp_path)!r})
        reloaded = BertForSequenceClassification.from_pretrained({str(tmp_path)!r}).eval()
        ids = torch.randint(1, 99, (3, 9), generator=g)
        mask = torch.ones_like(ids)
        mask[1, 5:] = 0
        types = torch.zeros_like(ids)
        types[:, 4:] = 1
        with torch.no_grad():
            logits = reloaded(input_ids=ids, attention_mask=mask, token_type_ids=types).logits
        assert sys.modules["tensorflow"] is None and "keras" not in sys.modules, "TensorFlow or Keras was imported"

        import transformers

        reference = transformers.BertForSequenceClassification.from_pretrained({str(tmp_path)!r}).eval()
        with torch.no_grad():
            expected = reference(input_ids=ids, attention_mask=mask, token_type_ids=types).logits
        print(json.dumps({{"ours": logits.tolist(), "reference": expected.tolist()}}))
        """
    )
    result = json.loads(_run(code).strip().splitlines()[-1])
    ours, reference = np.array(result["ours"]), np.array(result["reference"])
    assert ours.shape == reference.shape == (3, 3)
    assert np.abs(reference).max() > 1e-3  # a model that outputs zeros would prove nothing
    np.testing.assert_allclose(ours, reference, atol=1e-5, rtol=0)


def test_public_names_resolve_lazily_and_unknown_names_fail_fast():
    code = textwrap.dedent(
        """
        import sys
        import keras_bert

        assert "keras_bert.models" not in sys.modules and "tensorflow" not in sys.modules
        assert set(keras_bert.__all__) <= set(dir(keras_bert))
        try:
            from keras_bert import TFBertModle  # noqa: F401
        except ImportError as error:
            assert "TFBertModle" in str(error), error
        else:
            raise AssertionError("an unknown name imported")
        try:
            keras_bert.TFBertModle
        except AttributeError as error:
            assert "TFBertModle" in str(error) and "__all__" in str(error), error
        assert "tensorflow" not in sys.modules, "a failed lookup imported TensorFlow"

        from keras_bert import BertConfig, TFBertModel, predict_fn
        from keras_bert.models import TFBertModel as defined

        assert TFBertModel is defined and BertConfig.__module__ == "keras_bert.config"
        for name in keras_bert.__all__:
            assert getattr(keras_bert, name) is not None, name
        print("ok")
        """
    )
    assert _run(code).strip().endswith("ok")


@pytest.mark.slow
@pytest.mark.parametrize("first", ["keras_bert", "keras"])
def test_keras_archive_loads_after_bare_import(tmp_path, first):
    """Keras imports a class's module only for its own packages: the archive names
    `keras_bert>TFBertForSequenceClassification`, which must be registered by the time it loads."""
    import keras_bert

    model = keras_bert.TFBertForSequenceClassification(keras_bert.BertConfig(**TINY, num_labels=3))
    ids = np.random.default_rng(0).integers(1, 99, size=(2, 7)).astype("int32")
    expected = np.asarray(model(ids).logits)
    path = str(tmp_path / "model.keras")
    model.save(path)
    other = "keras" if first == "keras_bert" else "keras_bert"
    code = textwrap.dedent(
        f"""
        import json, sys
        import {first}
        import {other}
        import keras
        import numpy as np

        model = keras.saving.load_model({path!r})
        logits = np.asarray(model(np.array({ids.tolist()}, "int32")).logits)
        print(json.dumps({{"class": type(model).__name__, "logits": logits.tolist()}}))
        """
    )
    result = json.loads(_run(code).strip().splitlines()[-1])
    assert result["class"] == "TFBertForSequenceClassification"
    np.testing.assert_allclose(np.array(result["logits"]), expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_models_on_jax_and_torch_import_no_tensorflow(backend):
    """The issue's acceptance command, on each non-TensorFlow backend; a model class of every
    module (`keras_bert.models` imports all heads, the causal head included) resolves."""
    _run(
        f"import os; os.environ['KERAS_BACKEND']={backend!r}; import sys, keras_bert; keras_bert.TFBertModel; "
        "keras_bert.TFBertLMHeadModel; keras_bert.BertTokenizerFast; import keras_bert.losses; "
        "assert 'tensorflow' not in sys.modules, 'tensorflow was imported'"
    )


def test_tensorflow_only_feature_names_what_to_install():
    """With TensorFlow missing, a TensorFlow-only feature raises ImportError naming itself and the pin."""
    out = _run(
        BLOCK_TENSORFLOW
        + textwrap.dedent(
            """
            import os
            os.environ["KERAS_BACKEND"] = "jax"
            import keras_bert
            try:
                keras_bert.TFBertTokenizer
            except ImportError as error:
                print(error)
            """
        )
    )
    assert "TFBertTokenizer" in out and "needs TensorFlow" in out and "pip install 'tensorflow==2.21.*'" in out, out
