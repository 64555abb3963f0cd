"""Hub names through the local Hugging Face cache (`keras_bert.hub.resolve`), offline.

Each test builds a cache in huggingface_hub's own layout (`models--org--name/snapshots/<commit>/`,
`refs/<ref>`), checks huggingface_hub itself finds the files there, and loads through it with
HF_HUB_OFFLINE=1: configs, Keras models, the twin and the three tokenizers. Numbers are compared
with transformers (PyTorch) loading the same files from their directory.
"""

import os
import shutil

import numpy as np
import pytest

COMMIT = "0123456789abcdef0123456789abcdef01234567"
OTHER_COMMIT = "fedcba9876543210fedcba9876543210fedcba98"


def cache_repo(root, repo_id, source_dir, commit=COMMIT, ref="main", subfolder=None, files=None):
    """Copies `source_dir`'s files into `root` as huggingface_hub's cache holds repo `repo_id`."""
    repo = os.path.join(root, "models--" + repo_id.replace("/", "--"))
    snapshot = os.path.join(repo, "snapshots", commit, *([subfolder] if subfolder else []))
    os.makedirs(snapshot, exist_ok=True)
    for name in files or os.listdir(source_dir):
        src = os.path.join(source_dir, name)
        if os.path.isfile(src):
            shutil.copyfile(src, os.path.join(snapshot, name))
    os.makedirs(os.path.join(repo, "refs"), exist_ok=True)
    with open(os.path.join(repo, "refs", ref), "w") as f:
        f.write(commit)
    return snapshot


@pytest.fixture
def offline_cache(tmp_path, monkeypatch):
    """An empty HF cache set as HF_HUB_CACHE, with HF_HUB_OFFLINE=1 (no network is tried)."""
    import huggingface_hub.constants

    root = tmp_path / "hf_cache"
    root.mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(root))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    return str(root)


@pytest.fixture
def tiny_sharded(hf_checkpoint, tmp_path):
    """A tiny perturbed BertForSequenceClassification saved by transformers in shards."""
    path, model = hf_checkpoint("BertForSequenceClassification", num_labels=3)
    sharded = tmp_path / "sharded"
    model.save_pretrained(sharded, max_shard_size="20KB")
    assert os.path.exists(sharded / "model.safetensors.index.json")
    return str(sharded), model


def test_layout_is_huggingface_hubs_own(offline_cache, minilm_dir):
    from huggingface_hub import try_to_load_from_cache

    snapshot = cache_repo(offline_cache, "org/minilm", minilm_dir, files=["config.json"])
    found = try_to_load_from_cache("org/minilm", "config.json", cache_dir=offline_cache)
    assert found == os.path.join(snapshot, "config.json")


def test_keras_model_from_sharded_hub_name_matches_transformers(offline_cache, tiny_sharded, make_batch):
    import torch

    from keras_bert import TFBertForSequenceClassification

    path, reference = tiny_sharded
    cache_repo(offline_cache, "org/tiny-cls", path)
    model = TFBertForSequenceClassification.from_pretrained("org/tiny-cls")
    assert model.loading_info["missing_keys"] == [] and model.loading_info["mismatched_keys"] == []
    assert model.config.name_or_path == "org/tiny-cls" and model.config.num_labels == 3
    batch = make_batch(vocab=model.config.vocab_size)
    with torch.no_grad():
        want = reference(**{k: torch.tensor(v) for k, v in batch.items()}).logits.numpy()
    np.testing.assert_allclose(np.asarray(model(batch).logits), want, atol=1e-5, rtol=1e-5)


def test_twin_from_hub_name_matches_transformers(offline_cache, tiny_sharded, make_batch):
    import torch

    from keras_bert.torch import BertForSequenceClassification

    path, reference = tiny_sharded
    cache_repo(offline_cache, "org/tiny-cls", path)
    twin = BertForSequenceClassification.from_pretrained("org/tiny-cls", from_pt=True)
    batch = {k: torch.tensor(v) for k, v in make_batch(vocab=twin.config.vocab_size).items()}
    with torch.no_grad():
        np.testing.assert_allclose(twin(**batch).logits.numpy(), reference(**batch).logits.numpy(), atol=1e-5)


def test_config_and_tokenizers_from_hub_name(offline_cache, minilm_dir):
    from transformers import BertTokenizerFast as HFTokenizer

    from keras_bert import BertConfig, BertTokenizer, BertTokenizerFast
    from keras_bert.tokenization.tf_tokenizer import TFBertTokenizer

    cache_repo(offline_cache, "sentence-transformers/all-MiniLM-L6-v2", minilm_dir)
    name = "sentence-transformers/all-MiniLM-L6-v2"
    assert BertConfig.from_pretrained(name) == BertConfig.from_pretrained(minilm_dir)
    texts = ["Hello, World!", "the quick brown fox jumps"]
    want = HFTokenizer.from_pretrained(minilm_dir)(texts, padding=True)["input_ids"]
    assert BertTokenizer.from_pretrained(name)(texts, padding=True)["input_ids"] == want
    assert BertTokenizerFast.from_pretrained(name, revision="main")(texts, padding=True)["input_ids"] == want
    import tensorflow as tf

    got = TFBertTokenizer.from_pretrained(name, local_files_only=True)(tf.constant(texts))["input_ids"]
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


def test_not_cached_names_what_was_looked_up_and_how_to_get_it(offline_cache):
    from keras_bert import BertConfig, TFBertModel
    from keras_bert.torch import BertModel

    for load in (BertConfig.from_pretrained, TFBertModel.from_pretrained, BertModel.from_pretrained):
        with pytest.raises(OSError) as err:
            load("org/not-downloaded")
        message = str(err.value)
        assert "'org/not-downloaded'" in message and "config.json" in message
        assert offline_cache in message and "huggingface-cli download org/not-downloaded" in message


def test_not_a_path_nor_a_repo_id(offline_cache, tmp_path):
    from keras_bert import BertConfig

    with pytest.raises(FileNotFoundError, match="neither an existing local path nor a valid"):
        BertConfig.from_pretrained(str(tmp_path / "missing" / "dir" / "x"))


def test_weights_missing_from_cache_lists_every_format(offline_cache, tiny_sharded):
    from keras_bert import TFBertModel

    cache_repo(offline_cache, "org/config-only", tiny_sharded[0], files=["config.json"])
    with pytest.raises(OSError, match=r"model\.safetensors.*tf_model\.h5.*pytorch_model\.bin"):
        TFBertModel.from_pretrained("org/config-only")


def test_revision_subfolder_cache_dir_and_hf_home(offline_cache, tiny_sharded, tmp_path, monkeypatch):
    from keras_bert import BertConfig

    path = tiny_sharded[0]
    cache_repo(offline_cache, "org/tiny", path, files=["config.json"])
    other = tmp_path / "v1"
    BertConfig.from_pretrained(path, num_labels=7).save_pretrained(other)
    cache_repo(offline_cache, "org/tiny", str(other), commit=OTHER_COMMIT, ref="v1")
    assert BertConfig.from_pretrained("org/tiny").num_labels == 3
    assert BertConfig.from_pretrained("org/tiny", revision="v1").num_labels == 7
    assert BertConfig.from_pretrained("org/tiny", revision=OTHER_COMMIT).num_labels == 7
    cache_repo(offline_cache, "org/nested", str(other), subfolder="sub")
    assert BertConfig.from_pretrained("org/nested", subfolder="sub").num_labels == 7
    elsewhere = tmp_path / "elsewhere"
    cache_repo(str(elsewhere), "org/far", str(other))
    assert BertConfig.from_pretrained("org/far", cache_dir=str(elsewhere)).num_labels == 7
    monkeypatch.delenv("HF_HUB_CACHE")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    cache_repo(str(tmp_path / "home" / "hub"), "org/home", str(other))
    assert BertConfig.from_pretrained("org/home").num_labels == 7


def test_hub_keywords(offline_cache, tiny_sharded):
    from keras_bert import BertConfig
    from keras_bert.hub import pop_hub_kwargs

    cache_repo(offline_cache, "org/tiny", tiny_sharded[0], files=["config.json"])
    kwargs = {"use_auth_token": "hf_secret", "mirror": "tuna", "from_pt": True, "num_labels": 4}
    hub = pop_hub_kwargs(kwargs)
    assert hub["token"] == "hf_secret" and kwargs == {"num_labels": 4}
    assert BertConfig.from_pretrained("org/tiny", token="hf_x", force_download=False).num_labels == 3
    with pytest.raises(ValueError, match="trust_remote_code"):
        BertConfig.from_pretrained("org/tiny", trust_remote_code=True)
    with pytest.raises(ValueError, match="HTTPS_PROXY"):
        BertConfig.from_pretrained("org/tiny", proxies={"https": "http://proxy:3128"})
    with pytest.raises(ValueError, match="use_auth_token"):
        pop_hub_kwargs({"token": "a", "use_auth_token": "b"})
