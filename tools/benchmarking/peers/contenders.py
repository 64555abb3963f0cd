"""Who runs in the peers section: one table of contenders (data), grouped by precision.

A contender is one worker process. `env` None = the main .venv; otherwise a name in envs.SPECS.
`peer` marks everything that is not keras_bert's TensorFlow model (the twin counts as a peer:
users could pick it); a ratio "vs best peer" is over the fastest *padded* peer of the same group.
`unpadded` marks the rows that compute real tokens only (predict_fn(unpadded=True), and the
TFLite files: "row by row" runs each row alone at its real length, "packed" is
export_tflite(unpadded=True), a whole batch per invoke); their labels say so.
Groups run one after the other (their workers alive together, rounds interleaved), so at most
one group's models are in memory at a time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Contender:
    name: str
    kind: str  # the worker's kind (main_venv.py / peer_envs.py)
    env: str | None = None
    peer: bool = True
    unpadded: bool = False


def _keras_bert(precision, unpadded=False):
    suffix = " unpadded" if unpadded else ""
    label = "" if precision == "fp32" else f" {precision}"
    kind = f"keras_bert-{precision}" + ("-unpadded" if unpadded else "")
    return Contender(f"keras_bert{label}{suffix}", kind, peer=False, unpadded=unpadded)


def _tflite(precision, packed):
    """keras_bert.export_tflite(quantize=..., unpadded=packed) + load_tflite: real tokens only,
    one row per invoke (packed False) or the whole batch per invoke (packed True)."""
    label = "" if precision == "fp32" else f" {precision}"
    layout = "packed" if packed else "row by row"
    kind = f"keras_bert-{precision}-tflite" + ("-packed" if packed else "")
    return Contender(f"keras_bert{label} TFLite {layout} (XNNPACK, unpadded)", kind, peer=False, unpadded=True)


def is_tflite(kind):
    """Whether a contender kind runs a keras_bert TFLite file (made by _tflite)."""
    return kind.startswith("keras_bert-") and "-tflite" in kind


# Model groups, by precision; tables A (all groups) and B (fp32) are read from them.
MODEL_GROUPS = {
    "fp32": (
        _keras_bert("fp32"),
        _keras_bert("fp32", unpadded=True),
        _tflite("fp32", packed=True),
        Contender("transformers 5 torch (sdpa)", "transformers5-fp32"),
        Contender("twin (keras_bert.torch, sdpa)", "twin-fp32"),
        Contender("transformers 4.57 TF", "tf457-fp32", env="tf457"),
        Contender("keras-hub", "kerashub-fp32", env="kerashub"),
        Contender("ONNX Runtime", "ort-fp32", env="ort"),
        Contender("ONNX Runtime optimized", "ort-optimized", env="ort"),
    ),
    "bf16": (
        _keras_bert("bf16"),
        _keras_bert("bf16", unpadded=True),
        Contender("transformers 5 torch bf16", "transformers5-bf16"),
        Contender("twin bf16", "twin-bf16"),
        Contender("transformers 4.57 TF bf16", "tf457-bf16", env="tf457"),
        Contender("keras-hub bf16", "kerashub-bf16", env="kerashub"),
    ),
    "int8": (
        _keras_bert("int8"),
        _keras_bert("int8", unpadded=True),
        _tflite("int8", packed=False),
        _tflite("int8", packed=True),
        Contender("ONNX Runtime int8 (dynamic)", "ort-int8", env="ort"),
    ),
}
INT8_PLAIN = "keras_bert int8"  # predict_fn(quantize="int8"), padded: item 2's reference ratio
REFERENCE = "twin (keras_bert.torch, sdpa)"  # max |diff| is against this one's fp32 output

TOKENIZERS = (
    Contender("keras_bert TFBertTokenizer", "keras_bert-tokenizer", peer=False),
    Contender("transformers 4.57 TFBertTokenizer", "tf457-tokenizer", env="tf457"),
    Contender("keras-hub BertTokenizer", "kerashub-tokenizer", env="kerashub"),
    Contender("Rust tokenizers", "rust-tokenizers"),
)
TOKENIZER_OURS = "keras_bert TFBertTokenizer"
TOKENIZER_TF457 = "transformers 4.57 TFBertTokenizer"
TOKENIZER_RUST = "Rust tokenizers"
