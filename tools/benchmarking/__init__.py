"""The side-by-side benchmark behind `python tools/benchmark.py`, one module per concern.

    environment   process setup (threads, OpenMP, malloc), applied by `cli.main`, never at import
    timing        interleaved timing, paired ratios and the A/B loop with its bootstrap interval
    workload      checkpoints, random batches and the FLOP count
    roofline      the fp32/bf16 GEMM the model rates are measured against
    sections/     one module per section, each `run(context) -> rows`
    report        tables, titles and the acceptance thresholds (data, one place)
    cli           argument parsing and the section table `main` dispatches from

Importing the package or any module loads no TensorFlow or torch configuration: the thread
and allocator settings must be in place before those libraries start, so `cli.main` applies
them first and imports the sections afterwards.
"""
