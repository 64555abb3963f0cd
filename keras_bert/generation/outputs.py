"""Output records of `generate()` (transformers 4.x TF names), readable by attribute, key and index."""

from keras_bert.outputs import ModelOutput


class TFGreedySearchDecoderOnlyOutput(ModelOutput):
    """`sequences` (B, L) and, with `output_scores=True`, `scores`: one (B, V) processed score per step."""

    _fields = ("sequences", "scores", "attentions", "hidden_states")


class TFSampleDecoderOnlyOutput(TFGreedySearchDecoderOnlyOutput):
    """As greedy search, with B * num_return_sequences rows."""


class TFBeamSearchDecoderOnlyOutput(ModelOutput):
    """`sequences` (B * num_return_sequences, L), `sequences_scores` (length-penalised log-probabilities),
    `scores` (per step, (B * num_beams, V) processed log-probabilities) and `beam_indices`."""

    _fields = ("sequences", "sequences_scores", "scores", "beam_indices", "attentions", "hidden_states")


class TFBeamSampleDecoderOnlyOutput(TFBeamSearchDecoderOnlyOutput):
    """Beam search with sampling; same fields."""
