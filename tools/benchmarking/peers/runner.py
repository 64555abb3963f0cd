"""The runner every worker kind returns (main venv and peer environments alike; imports nothing)."""

from __future__ import annotations

import os


def threads():
    """The benchmark's thread count (environment.THREADS, passed down as OMP_NUM_THREADS)."""
    return int(os.environ.get("OMP_NUM_THREADS", "2"))


class Runner:
    """One timed pass over a point, and its result for the agreement columns.

    Model: `forward(ids, mask)` per batch, `runner(point)` -> list of last_hidden_state arrays.
    Tokenizer: `forward(texts)` tokenizes to arrays (the timed work), `collect(texts)` -> id rows
    (real tokens only), called once outside the timing.
    """

    def __init__(self, forward, version, collect=None):
        self.forward, self.version, self.collect = forward, version, collect

    def __call__(self, point):
        if self.collect:
            return self.forward(point)
        return [self.forward(ids, mask) for ids, mask in point]

    def result(self, point):
        return self.collect(point) if self.collect else self(point)
