"""Table C of the peers section alone: the in-graph tokenizers against transformers 4.57's and
keras-hub's (each in its own pinned environment) and the Rust library, strings/s and exactness.

    python tools/benchmark.py --sections peer_tokenizers [--quick] [--peers-dir DIR]

Builds (once) only the two environments table C needs; not part of the default run, since the
peers section holds the same table.
"""

from . import peers


def run(context):
    return peers.run(context, tokenizers_only=True)
