"""Real transformers 4.x TensorFlow code, changed only in imports, checkpoint names and local data.

Each script in `tests/transformers_docs/` is a guide or docstring of the transformers 4.x docs
(quicktour, training, tasks/{sequence_classification, token_classification, question_answering,
multiple_choice, masked_language_modeling}, model_doc/bert) with `transformers` replaced by
`keras_bert`; the docstring of each script lists what else changed (data, no Hub uploads). They run
end to end in a fresh process against a Hugging Face cache in huggingface_hub's layout where
"bert-base-uncased" is the real MiniLM checkpoint, offline. Where a script's numbers have a
reference, the test compares them with transformers (PyTorch) loading the same files.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from tests.support.hub_cache import add_model

DOCS = os.path.join(os.path.dirname(__file__), "transformers_docs")
SCRIPTS = sorted(n for n in os.listdir(DOCS) if n.endswith(".py") and not n.startswith("_"))
DATA = os.path.join(os.path.dirname(__file__), "..", "examples", "data")


@pytest.fixture(scope="module")
def hub_cache(tmp_path_factory, minilm_dir):
    cache = tmp_path_factory.mktemp("hf-cache")
    add_model(cache, "bert-base-uncased", minilm_dir)
    return str(cache)


def run_script(name, cache, workdir):
    env = dict(
        os.environ,
        HF_HUB_CACHE=cache,
        HF_HUB_OFFLINE="1",
        KB_DATA=os.path.abspath(DATA),
        TF_CPP_MIN_LOG_LEVEL="3",
        PYTHONPATH=os.path.abspath(os.path.join(os.path.dirname(__file__), "..")),
    )
    res = subprocess.run(
        [sys.executable, os.path.join(DOCS, name)], cwd=workdir, env=env, capture_output=True, text=True, timeout=900
    )
    assert res.returncode == 0, f"{name} failed:\n{res.stdout[-2000:]}\n{res.stderr[-4000:]}"
    assert "OK" in res.stdout, res.stdout[-2000:]
    return res


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in SCRIPTS if n != "bert_docstrings.py"])
def test_guide_runs_end_to_end(name, hub_cache, tmp_path):
    run_script(name, hub_cache, tmp_path)


@pytest.mark.slow
def test_bert_docstrings_match_transformers(hub_cache, tmp_path, minilm_dir):
    import transformers

    run_script("bert_docstrings.py", hub_cache, tmp_path)
    results = np.load(tmp_path / "results.npz")
    report = json.loads((tmp_path / "report.json").read_text())
    tokenizer = transformers.BertTokenizerFast.from_pretrained(minilm_dir)

    def reference(name, *args, **kwargs):
        model = getattr(transformers, name.removeprefix("TF")).from_pretrained(tmp_path / "saved" / name).eval()
        with torch.no_grad():
            return model(**{k: torch.tensor(v) for k, v in tokenizer(*args, return_tensors="np", **kwargs).items()})

    hello = ("Hello, my dog is cute",)
    checks = {
        "TFBertModel": reference("TFBertModel", *hello).last_hidden_state,
        "TFBertForPreTraining": reference("TFBertForPreTraining", *hello).prediction_logits,
        "TFBertLMHeadModel": reference("TFBertLMHeadModel", *hello).logits,
        "TFBertForMaskedLM": reference("TFBertForMaskedLM", "The capital of France is [MASK].").logits,
        "TFBertForSequenceClassification": reference("TFBertForSequenceClassification", *hello).logits,
        "TFBertForTokenClassification": reference(
            "TFBertForTokenClassification",
            "HuggingFace is a company based in Paris and New York",
            add_special_tokens=False,
        ).logits,
        "TFBertForQuestionAnswering": reference(
            "TFBertForQuestionAnswering", "Who was Jim Henson?", "Jim Henson was a nice puppet"
        ).start_logits,
        "TFBertForNextSentencePrediction": reference(
            "TFBertForNextSentencePrediction",
            "In Italy, pizza served in formal settings, such as at a restaurant, is presented unsliced.",
            "The sky is blue due to the shorter wavelength of blue light.",
        ).logits,
    }
    for name, expected in checks.items():
        np.testing.assert_allclose(results[name], expected.numpy(), atol=1e-4, err_msg=name)
    # The sequence-classification loss of both docstring forms is transformers' CE on the same logits.
    logits = checks["TFBertForSequenceClassification"]
    ce = float(torch.nn.functional.cross_entropy(logits, torch.tensor([1])))
    assert report["sequence_loss"] == pytest.approx(ce, abs=1e-4)
    assert report["sequence_loss_old_form"] == pytest.approx(ce, abs=1e-4)
    assert report["sequence_label"] in ("LABEL_0", "LABEL_1")
    assert isinstance(report["masked_lm_prediction"], str) and report["masked_lm_prediction"]
