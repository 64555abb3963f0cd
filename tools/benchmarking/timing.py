"""Timing and its statistics: interleaved repeats, paired ratios, and the A/B loop.

Every implementation at a point runs in turn, the order rotated per repeat, so a slow spell
of a shared machine lands on all of them alike; a speed ratio is the median over repeats of
the per-repeat ratio (both sides timed moments apart). Differences of about 1%, below what a
5-repeat median resolves, get the A/B loop: single calls in turn, one paired sample per round,
rounds added until a 95% bootstrap interval settles the question or a time cap is spent.

The clock is `time.perf_counter`, looked up through this module's `time` so tests can swap in
a fake clock and check the arithmetic exactly.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import numpy as np


def median_time(fn, repeats, inner=1):
    """Median over `repeats` of the mean seconds per call of `inner` calls in a row."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - start) / inner)
    return statistics.median(times)


def best_time(fn, repeats, inner=1):
    return min(median_time(fn, 1, inner) for _ in range(repeats))


def interleaved(impls, make_args, repeats, min_seconds=0.15, warmup=True):
    """Seconds per call of each impl in every repeat: {name: [s_repeat0, ...]}.

    Impls run in turn, the order rotated per repeat; `statistics.median` of a list is the
    reported time, `paired_ratio` the reported speed ratio. Each repeat times `inner` calls in
    a row, enough to last `min_seconds` (one call when 0); `warmup=False` skips the first
    untimed call (for impls already warm).
    """
    names = list(impls)
    args = make_args()
    inner = {}
    for name in names:  # warm-up (traces, XLA compiles, oneDNN primitive caches), then size the inner loop
        fn = impls[name]
        if warmup:
            fn(*args)
        if min_seconds:
            once = median_time(lambda fn=fn: fn(*args), 1)
            inner[name] = max(1, int(min_seconds / max(once, 1e-6)))
        else:
            inner[name] = 1
    times = {name: [] for name in names}
    for r in range(repeats):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            fn = impls[name]
            times[name].append(median_time(lambda fn=fn: fn(*args), 1, inner=inner[name]))
    return times


def paired_ratio(times, faster, slower, ci=False):
    """Speed of `faster` over `slower`: the median over repeats of slower_r / faster_r.

    Both were timed in the same repeat, moments apart, so load that drifts between repeats
    cancels in each ratio instead of widening the spread of two separate medians. With
    `ci=True` returns `(median, low, high)`, a 95% bootstrap interval of that median.
    """
    if len(times[faster]) != len(times[slower]):
        raise ValueError(f"unpaired timings: {faster!r} has {len(times[faster])}, {slower!r} {len(times[slower])}")
    ratios = np.array([s / f for f, s in zip(times[faster], times[slower])])
    median = float(np.median(ratios))
    if not ci:
        return median
    rng = np.random.default_rng(0)
    boots = np.median(rng.choice(ratios, (2000, len(ratios))), axis=1)
    low, high = np.percentile(boots, [2.5, 97.5])
    return median, float(low), float(high)


@dataclass(frozen=True)
class Budget:
    """An A/B loop's time: `first_s` of first rounds (within [min_rounds, max_rounds]), `cap_s` in all."""

    first_s: float
    cap_s: float
    min_rounds: int
    max_rounds: int


def ab_rounds(round_s, budget_s, low, high):
    """Rounds of `round_s` seconds that fill `budget_s`, within [low, high]."""
    return int(min(high, max(low, budget_s / round_s)))


def excludes_one(median, low, high):
    """The default stopping rule: the 95% interval says which of the two is faster."""
    return low > 1.0 or high < 1.0


def ab_loop(impls, make_args, call_s, budget, pair=None, resolved=excludes_one, chunk=10):
    """Single calls of the two `impls` in turn until `resolved(median, low, high)` or the cap.

    `pair` = (faster, slower) as `paired_ratio` takes them (default: the order of `impls`);
    `call_s` is the expected seconds per call, which sizes the first rounds and the cap check.
    Returns `interleaved`'s {name: [seconds per round, ...]}.
    """
    pair = tuple(pair or impls)
    round_s = call_s * len(impls)
    started = time.perf_counter()
    first = ab_rounds(round_s, budget.first_s, budget.min_rounds, budget.max_rounds)
    times = interleaved(impls, make_args, first, min_seconds=0)
    while time.perf_counter() - started + chunk * round_s <= budget.cap_s:
        if resolved(*paired_ratio(times, *pair, ci=True)):
            break
        more = interleaved(impls, make_args, chunk, min_seconds=0, warmup=False)
        for name in times:
            times[name] += more[name]
    return times
