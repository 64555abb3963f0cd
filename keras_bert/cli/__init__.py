"""Command-line front ends (argparse). `keras-bert-convert` / `tools/convert` is `convert.main`."""
