"""A tutor's utilisation: the time booked as a share of the time offered, per bucket.

Both are stretches of real time (tutoring expands the availability and lists the lessons);
here they are cut at the buckets' bounds (local midnights of the viewer, so a DST day holds 23 or
25 hours of them) and measured in minutes.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import datetime


def minutes_per_bucket(
    stretches: Iterable[tuple[datetime, datetime]], bounds: Sequence[datetime]
) -> list[int]:
    """How many minutes of ``stretches`` (half-open, disjoint) fall in each bucket
    ``[bounds[i], bounds[i + 1])``; what lies outside ``bounds[0]``-``bounds[-1]`` is not
    counted. Each bucket's seconds are summed first, then whole minutes taken."""
    seconds = [0] * (len(bounds) - 1)
    if not seconds:
        return []
    for start, end in stretches:
        start, end = max(start, bounds[0]), min(end, bounds[-1])
        index = bisect_right(bounds, start) - 1
        while start < end:
            cut = min(end, bounds[index + 1])
            seconds[index] += int((cut - start).total_seconds())
            start = cut
            index += 1
    return [s // 60 for s in seconds]


def utilisation_percent(booked_minutes: int, offered_minutes: int) -> int:
    """Booked over offered in whole percent, rounded half up; 0 where nothing was offered."""
    if offered_minutes <= 0:
        return 0
    return (200 * booked_minutes + offered_minutes) // (2 * offered_minutes)
