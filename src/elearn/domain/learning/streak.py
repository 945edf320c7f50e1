"""Learning streaks: how many days in a row a student has learned.

A day is a calendar day in the student's own time zone, not a UTC day and not a span of 24
hours: a lesson at 23:30 and another at 00:10 the next local morning are two days, and days that
daylight saving makes 23 or 25 hours long are still one day each.

Rules:

- ``activity_day`` places an instant on the local calendar of an IANA zone. An unknown zone name
  falls back to UTC instead of failing: profiles validate zones when they are set, so an unknown
  name here means the zone left the tz database after it was saved, and that must not break a
  student's streak (or the page that shows it).
- ``streak`` counts the current run of consecutive active days ending today. A run that ends
  yesterday is still current, because the student has until the end of today to extend it; a run
  that ended earlier is broken and counts 0.
- The longest run only looks at days up to today. Later days can exist when a student moves to
  a zone further east; they will count once they are reached.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True, slots=True)
class Streak:
    current: int
    longest: int


def activity_day(instant: datetime, time_zone: str) -> date:
    """The calendar day ``instant`` falls on in the IANA zone ``time_zone``.

    ``instant`` must be timezone-aware. An unknown zone name counts as UTC (see the module rules).
    """
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("activity_day needs a timezone-aware instant")
    return instant.astimezone(_zone(time_zone)).date()


# ZoneInfo caches the zones it finds but not the misses; this keeps a removed zone from searching
# the tz database again for every activity of every student who still has it.
@lru_cache(maxsize=256)
def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    # ValueError: malformed keys ("", "../x"). Like unknown zones they fall back rather than fail.
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def streak(days: Iterable[date], today: date) -> Streak:
    """The current and longest runs of consecutive days among ``days`` (any order, duplicates
    allowed), seen from ``today``."""
    # Day numbers rather than dates: plain integers cannot overflow at date.min or date.max.
    last = today.toordinal()
    active = {day.toordinal() for day in days if day <= today}

    end = last if last in active else last - 1
    current = 0
    while end - current in active:
        current += 1

    longest = 0
    for day in active:
        # Only walk forward from the first day of each run, so every day is visited once.
        if day - 1 in active:
            continue
        length = 1
        while day + length in active:
            length += 1
        longest = max(longest, length)

    return Streak(current=current, longest=longest)
