"""Side-by-side benchmark: keras_bert (Keras 3 / TF) vs its PyTorch twin (and transformers).

    python tools/benchmark.py [--quick] [--json OUT.json] [--classifier DIR] [--sections a,b,...]

A thin executable entry; the benchmark is the package tools/benchmarking (see its cli.py,
or `--help`).
"""

import os
import sys

if __name__ == "__main__":
    tools = os.path.dirname(os.path.abspath(__file__))
    sys.path[:0] = [os.path.dirname(tools), tools]  # keras_bert from this checkout; the benchmarking package
    from benchmarking.cli import main

    main()
