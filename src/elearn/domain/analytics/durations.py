"""Medians of durations (time from a submission to its decision) from a histogram rollup.

A median does not sum: the median of a month is not made of its days' medians. So rollups keep
how many decisions took how long, counted in bins of duration, per quarter hour of the decision;
the bins of any range of slots sum, and the median of the range is read from them.

Bins grow geometrically, by 2^(1/8) from one minute up to a bit over a year: the first holds
[0, 60 s), bin ``i`` holds [``BIN_BOUNDS[i-1]``, ``BIN_BOUNDS[i]``), the last everything from
its lower bound on. The median answered is the geometric middle of the bin holding the true
(lower) median, so it is off by at most ``MEDIAN_RELATIVE_ERROR`` (about 5 %) of it for any
median from a minute to a year, at most 30 s below a minute, and for longer ones is the last
bin's lower bound.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_right
from collections.abc import Iterable

# One minute times 2^(i/8), in whole seconds, up to the first bound past 366 days.
_FIRST_BOUND = 60
_STEPS_PER_DOUBLING = 8
_LONGEST = 366 * 24 * 3600


def _bounds() -> tuple[int, ...]:
    bounds = [_FIRST_BOUND]
    step = 1
    while bounds[-1] <= _LONGEST:
        bounds.append(round(_FIRST_BOUND * 2 ** (step / _STEPS_PER_DOUBLING)))
        step += 1
    return tuple(bounds)


BIN_BOUNDS: tuple[int, ...] = _bounds()
BINS = len(BIN_BOUNDS) + 1


def duration_bin(seconds: int) -> int:
    """The bin a duration of ``seconds`` falls in (a negative one, a clock's slip, in the
    first)."""
    return bisect_right(BIN_BOUNDS, seconds)


def bin_middle(index: int) -> int:
    """The duration a bin stands for: the geometric middle of its bounds (half a minute for
    the first, the lower bound for the last, open-ended one)."""
    if index <= 0:
        return _FIRST_BOUND // 2
    if index >= len(BIN_BOUNDS):
        return BIN_BOUNDS[-1]
    return round(math.sqrt(BIN_BOUNDS[index - 1] * BIN_BOUNDS[index]))


# The most the middle of a bin (not the first or last) is off from any duration in it, as a
# share of that duration: the square root of the widest ratio between neighbouring bounds,
# less one (rounding the bounds to seconds widens the first few a little).
MEDIAN_RELATIVE_ERROR: float = max(
    math.sqrt(high / low) - 1 for low, high in itertools.pairwise(BIN_BOUNDS)
)


def median_of_bins(counts: Iterable[tuple[int, int]]) -> int | None:
    """The median duration, in seconds, of ``(bin, count)`` pairs (a bin may repeat): the
    middle of the bin holding the lower median, the ⌈n/2⌉-th smallest duration. None when
    nothing was counted."""
    per_bin = [0] * BINS
    for index, count in counts:
        per_bin[min(max(index, 0), BINS - 1)] += count
    total = sum(per_bin)
    if total <= 0:
        return None
    wanted = (total + 1) // 2
    seen = 0
    for index, count in enumerate(per_bin):
        seen += count
        if seen >= wanted:
            return bin_middle(index)
    raise AssertionError("unreachable: the counts add up to the total")  # pragma: no cover
