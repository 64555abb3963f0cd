"""Helpers shared by several test modules, in one importable package.

Test modules import them as ``from tests.support.tiny import tiny_config``: ``[tool:pytest]`` in
setup.cfg puts the repository root on ``sys.path`` (``pythonpath = .``), so no test inserts paths
or imports another test module. Fixtures stay in ``tests/conftest.py`` and build on these modules.

- ``tiny``: the tiny BERT config, perturbation of torch weights, padded random batches.
- ``twin``: tiny perturbed transformers checkpoints and tolerance checks for the torch twin tests.
- ``tokenizer_corpus``: vocabularies, the fuzz corpus and sentences for the tokenizer tests.
"""
