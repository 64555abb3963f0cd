"""Table A's int8 group of the peers section alone: keras_bert int8 (predict_fn padded and
unpadded, and the int8 TFLite file on XNNPACK) against ONNX Runtime's dynamic int8, BERT-base
1x128 and 8x128 with 25% padding and 1x128 without padding; max |diff| against the fp32 twin, run in this process.

    python tools/benchmark.py --sections peer_int8 [--quick] [--peers-dir DIR]

Builds (once) only the ONNX Runtime environment; not part of the default run, since the peers
section holds the same rows.
"""

from . import peers


def run(context):
    return peers.run(context, model_groups=("int8",))
