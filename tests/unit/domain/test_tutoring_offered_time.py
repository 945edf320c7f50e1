"""The time a tutor offered over a range: their windows expanded in their own zone (a DST day
offers 23 or 25 hours of an all-day window), cut at the range's edges, minus blocked times,
joined with the lessons booked (offered when booked, even outside today's windows)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from elearn.domain.tutoring.availability import (
    Availability,
    AvailabilityException,
    ExceptionKind,
    Interval,
    WeeklyWindow,
    offered_between,
)

BERLIN = ZoneInfo("Europe/Berlin")
ALL_DAY = Availability(
    time_zone="Europe/Berlin", windows=tuple(WeeklyWindow(d, 0, 1440) for d in range(7))
)


def _minutes(intervals: list[Interval]) -> int:
    return sum(int(i.length.total_seconds()) // 60 for i in intervals)


def _local_day(year: int, month: int, day: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, day, tzinfo=BERLIN)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


@pytest.mark.parametrize(
    ("day", "hours"), [((2026, 3, 29), 23), ((2026, 10, 25), 25), ((2026, 6, 1), 24)]
)
def test_an_all_day_window_offers_the_local_days_real_hours(
    day: tuple[int, int, int], hours: int
) -> None:
    start, end = _local_day(*day)
    assert _minutes(offered_between(ALL_DAY, [], start, end)) == hours * 60


def test_a_window_crossing_the_ranges_edge_is_cut_at_it() -> None:
    evenings = Availability(time_zone="UTC", windows=(WeeklyWindow(0, 22 * 60, 1440),))
    monday_23 = datetime(2026, 6, 1, 23, tzinfo=UTC)  # a Monday
    assert _minutes(offered_between(evenings, [], monday_23 - timedelta(days=1), monday_23)) == 60
    assert _minutes(offered_between(evenings, [], monday_23, monday_23 + timedelta(days=1))) == 60


def test_blocked_time_is_not_offered_and_lessons_outside_the_windows_are() -> None:
    start, end = _local_day(2026, 6, 1)
    blocked = AvailabilityException(
        id=1,
        kind=ExceptionKind.BLOCKED,
        start=datetime(2026, 6, 1, 9),
        end=datetime(2026, 6, 1, 12),
    )
    mornings = Availability(
        time_zone="Europe/Berlin",
        windows=(WeeklyWindow(0, 8 * 60, 12 * 60),),
        exceptions=(blocked,),
    )
    assert _minutes(offered_between(mornings, [], start, end)) == 60
    # A lesson booked at 18:00 local before the windows changed, and one overlapping the window.
    lessons = [
        Interval(datetime(2026, 6, 1, 16, tzinfo=UTC), datetime(2026, 6, 1, 17, tzinfo=UTC)),
        Interval(datetime(2026, 6, 1, 6, 30, tzinfo=UTC), datetime(2026, 6, 1, 7, 30, tzinfo=UTC)),
    ]
    assert _minutes(offered_between(mornings, lessons, start, end)) == 60 + 60 + 30
    assert offered_between(None, [], start, end) == []
    assert offered_between(mornings, lessons, end, start) == []
