"""A tutor's availability against brute-force models of minutes.

The main property expands weekly windows and exceptions around the daylight-saving changes of
four zones (Berlin and New York shift by an hour, Lord Howe by half an hour, Kolkata never) and
compares ``open_between``, ``slots`` and ``is_bookable`` with a model that marks every UTC
minute open or not. The model reads each window edge with zoneinfo's ``fold=0`` (the module's
documented rule: a skipped local time is read with the offset before the change, a repeated
one means its first occurrence); a second, wall-clock model (is the local weekday and time of
day inside a window?) must agree wherever no clock change is near. Concrete examples pin the
rule down with instants worked out by hand.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elearn.domain.shared.errors import RuleViolation
from elearn.domain.tutoring.availability import (
    ALLOWED_DURATIONS,
    MAX_BUFFER_MINUTES,
    MAX_DAYS_AHEAD,
    MAX_NOTICE_MINUTES,
    MAX_WINDOWS,
    Availability,
    AvailabilityException,
    ExceptionKind,
    Interval,
    InvalidAvailability,
    Refusal,
    WeeklyWindow,
    blocking,
    booking_refusal,
    is_bookable,
    merge,
    offered_between,
    slots,
    subtract,
)

PROPERTY = settings(max_examples=40, deadline=None)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DAY = 24 * 60
QUARTER = 15

# The clock changes of 2026 in each zone (local dates); Kolkata has none, any day will do.
TRANSITIONS = {
    "Europe/Berlin": (date(2026, 3, 29), date(2026, 10, 25)),
    "America/New_York": (date(2026, 3, 8), date(2026, 11, 1)),
    "Australia/Lord_Howe": (date(2026, 4, 5), date(2026, 10, 4)),
    "Asia/Kolkata": (date(2026, 3, 29), date(2026, 12, 31)),
}
EXTRA, BLOCKED = ExceptionKind.EXTRA, ExceptionKind.BLOCKED


# ---- minutes ---------------------------------------------------------------------------------


def at(minute: int) -> datetime:
    """The UTC instant ``minute`` minutes after the epoch."""
    return EPOCH + timedelta(minutes=minute)


def minute_of(instant: datetime) -> int:
    minutes, rest = divmod(instant - EPOCH, timedelta(minutes=1))
    assert rest == timedelta(0), f"{instant} is not on a whole minute"
    return minutes


def minutes_in(intervals: list[Interval]) -> set[int]:
    return {m for i in intervals for m in range(minute_of(i.start), minute_of(i.end))}


def assert_canonical(intervals: list[Interval], start: datetime, end: datetime) -> None:
    """Sorted, disjoint, never touching, inside [start, end), all in UTC."""
    for interval in intervals:
        assert start <= interval.start < interval.end <= end
    for earlier, later in pairwise(intervals):
        assert earlier.end < later.start


# ---- the brute-force models ------------------------------------------------------------------


def edge(day: date, minute: int, zone: ZoneInfo) -> int:
    """The UTC minute of ``minute`` after local midnight of ``day``, by the documented rule."""
    day, minute = day + timedelta(days=minute // DAY), minute % DAY
    wall = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=zone, fold=0)
    return minute_of(wall.astimezone(UTC))


def naive_edge(local: datetime, zone: ZoneInfo) -> int:
    return minute_of(local.replace(tzinfo=zone, fold=0).astimezone(UTC))


def model_open(availability: Availability, lo: int, hi: int) -> set[int]:
    """Every UTC minute of [lo, hi) that some window of some local day covers, or an extra
    exception, and no blocked one."""
    zone = ZoneInfo(availability.time_zone)
    opened: set[int] = set()

    def mark(target: set[int], first: int, last: int) -> None:
        target.update(range(max(first, lo), min(last, hi)))

    day = at(lo).astimezone(zone).date() - timedelta(days=2)
    while day <= at(hi).astimezone(zone).date() + timedelta(days=2):
        for window in availability.windows:
            if window.weekday == day.weekday():
                mark(
                    opened, edge(day, window.start_minute, zone), edge(day, window.end_minute, zone)
                )
        day += timedelta(days=1)
    blocked: set[int] = set()
    for exception in availability.exceptions:
        target = opened if exception.kind is EXTRA else blocked
        mark(target, naive_edge(exception.start, zone), naive_edge(exception.end, zone))
    return opened - blocked


def wall_clock_open(availability: Availability, minute: int, offset: timedelta) -> bool:
    """Open by the local calendar alone (the wall clock at ``offset`` from UTC)."""
    naive = datetime(1970, 1, 1) + timedelta(minutes=minute) + offset
    of_day = naive.hour * 60 + naive.minute
    windowed = any(
        w.weekday == naive.weekday() and w.start_minute <= of_day < w.end_minute
        for w in availability.windows
    )

    def during(kind: ExceptionKind) -> bool:
        return any(e.kind is kind and e.start <= naive < e.end for e in availability.exceptions)

    return (windowed or during(EXTRA)) and not during(BLOCKED)


@lru_cache(maxsize=4096)
def utc_offset_at(zone_name: str, half_hour: int) -> timedelta | None:
    # Every clock change of these zones falls on a half hour of UTC.
    return at(half_hour * 30).astimezone(ZoneInfo(zone_name)).utcoffset()


def calm(minute: int, zone_name: str) -> bool:
    """No clock change within a day and a bit either side (so no edge nearby is affected)."""
    reach = 26 * 2  # half hours
    return utc_offset_at(zone_name, minute // 30 - reach) == utc_offset_at(
        zone_name, minute // 30 + reach
    )


def clashes(start: int, length: int, taken: list[tuple[int, int]], buffer: int) -> bool:
    """Whether a lesson's minutes plus the buffer after it meet any taken booking's minutes plus
    the buffer after that one."""
    mine = set(range(start, start + length + buffer))
    return any(mine & set(range(t0, t1 + buffer)) for t0, t1 in taken)


def model_slots(
    availability: Availability,
    opened: set[int],
    *,
    now: datetime,
    lo: int,
    hi: int,
    duration: int,
    taken: list[tuple[int, int]],
) -> tuple[list[int], list[int]]:
    """The starts to offer, and those refused only for a taken booking (or its buffer)."""
    if duration not in availability.durations:
        return [], []
    earliest = now + timedelta(minutes=availability.minimum_notice_minutes)
    latest = now + timedelta(days=availability.maximum_days_ahead)
    starts, clashing = [], []
    for start in range(-(-lo // QUARTER) * QUARTER, hi, QUARTER):
        end = start + duration
        if (
            end <= hi
            and at(start) >= earliest
            and at(end) <= latest
            and all(m in opened for m in range(start, end))
        ):
            if clashes(start, duration, taken, availability.buffer_minutes):
                clashing.append(start)
            else:
                starts.append(start)
    return starts, clashing


# ---- strategies ------------------------------------------------------------------------------

# Quarter hours of the day (0 … 96), leaning on the small hours where clocks change and on the
# ends of the day.
edge_quarters = st.one_of(
    st.integers(0, 96), st.integers(4, 12), st.integers(5, 11), st.sampled_from([0, 8, 10, 96])
)


@st.composite
def windows_of_a_day(draw: st.DrawFn, weekday: int) -> list[WeeklyWindow]:
    """Windows of one day that never overlap (but may touch)."""
    bounds = sorted(draw(st.lists(edge_quarters, min_size=2, max_size=6, unique=True)))
    keep = draw(st.lists(st.booleans(), min_size=len(bounds) - 1, max_size=len(bounds) - 1))
    keep[0] = keep[0] or not any(keep)  # at least one window
    return [
        WeeklyWindow(weekday, a * QUARTER, b * QUARTER)
        for a, b, kept in zip(bounds, bounds[1:], keep, strict=False)
        if kept
    ]


@st.composite
def scenarios(draw: st.DrawFn, zone_name: str) -> dict:
    zone = ZoneInfo(zone_name)
    change_day = draw(st.sampled_from(TRANSITIONS[zone_name]))
    midnight = minute_of(datetime.combine(change_day, datetime.min.time(), zone).astimezone(UTC))
    # Always the day of the change, and perhaps others (mostly the days either side).
    around = [(change_day.weekday() + shift) % 7 for shift in (-1, 1)]
    weekdays = {change_day.weekday()} | draw(
        st.sets(st.one_of(st.sampled_from(around), st.integers(0, 6)), max_size=2)
    )
    windows = [w for day in sorted(weekdays) for w in draw(windows_of_a_day(day))]
    local_midnight = datetime.combine(change_day, datetime.min.time())
    # One-off changes of 5 minutes to 5 hours, on 5-minute marks, around the change.
    changes = draw(
        st.lists(
            st.tuples(
                st.sampled_from(ExceptionKind),
                st.integers(-DAY // 5, 2 * DAY // 5),
                st.integers(1, 60),
            ),
            max_size=3,
        )
    )
    exceptions = tuple(
        AvailabilityException(
            id=n,
            kind=kind,
            start=local_midnight + timedelta(minutes=5 * offset),
            end=local_midnight + timedelta(minutes=5 * (offset + length)),
        )
        for n, (kind, offset, length) in enumerate(changes)
    )
    durations = tuple(
        draw(st.lists(st.sampled_from(ALLOWED_DURATIONS), min_size=1, max_size=3, unique=True))
    )
    duration = draw(st.one_of(st.sampled_from(durations), st.sampled_from(ALLOWED_DURATIONS)))
    availability = Availability(
        time_zone=zone_name,
        windows=tuple(windows),
        durations=durations,
        buffer_minutes=draw(st.sampled_from([0, 5, 15, 30, MAX_BUFFER_MINUTES])),
        minimum_notice_minutes=draw(
            st.one_of(st.just(0), st.integers(0, 6 * 60), st.integers(0, 2 * DAY))
        ),
        maximum_days_ahead=draw(st.one_of(st.integers(1, 4), st.just(MAX_DAYS_AHEAD))),
        exceptions=exceptions,
    )
    # A range of up to two and a half days, mostly holding the change (in the small hours).
    lo = midnight + draw(st.integers(-24 * 60, 60))
    hi = lo + draw(st.one_of(st.integers(30 * 60, 60 * 60), st.integers(0, 60 * 60)))
    # Now, to the second: mostly before the range, sometimes inside it.
    now = at(lo) + timedelta(
        seconds=draw(st.one_of(st.integers(-2 * DAY * 60, 0), st.integers(-3 * DAY * 60, DAY * 60)))
    )
    taken = [
        (start, start + length)
        for start, length in draw(
            st.lists(st.tuples(st.integers(lo - 180, hi), st.integers(15, 150)), max_size=3)
        )
    ]
    return {
        "availability": availability,
        "lo": lo,
        "hi": hi,
        "now": now,
        "taken": taken,
        "duration": duration,
    }


# ---- the properties --------------------------------------------------------------------------


@pytest.mark.parametrize("zone_name", ["Europe/Berlin", "America/New_York"])
@PROPERTY
@given(data=st.data())
def test_offered_time_is_the_open_minutes_and_the_booked_ones_inside_the_range(
    zone_name: str, data: st.DataObject
) -> None:
    """What a tutor's utilisation divides by, across clock changes and the range's edges."""
    scenario = data.draw(scenarios(zone_name))
    availability: Availability = scenario["availability"]
    lo, hi, taken = scenario["lo"], scenario["hi"], scenario["taken"]
    lessons = [Interval(at(t0), at(t1)) for t0, t1 in taken]

    offered = offered_between(availability, lessons, at(lo), at(hi))

    assert_canonical(offered, at(lo), at(hi))
    booked = {m for t0, t1 in taken for m in range(max(t0, lo), min(t1, hi))}
    assert minutes_in(offered) == model_open(availability, lo, hi) | booked


@pytest.mark.parametrize("zone_name", list(TRANSITIONS))
@PROPERTY
@given(data=st.data())
def test_open_time_slots_and_bookability_match_the_minute_models(
    zone_name: str, data: st.DataObject
) -> None:
    scenario = data.draw(scenarios(zone_name))
    availability: Availability = scenario["availability"]
    lo, hi, now, taken = scenario["lo"], scenario["hi"], scenario["now"], scenario["taken"]

    opened = availability.open_between(at(lo), at(hi))

    assert_canonical(opened, at(lo), at(hi))
    expected = model_open(availability, lo, hi)
    assert minutes_in(opened) == expected
    # Minutes on and just before 5-minute marks (every edge is on one), far from clock changes.
    for minute in range(lo, hi):
        if minute % 5 in (0, 4) and calm(minute, zone_name):
            offset = utc_offset_at(zone_name, minute // 30)
            assert offset is not None
            assert (minute in expected) == wall_clock_open(availability, minute, offset), at(minute)

    duration = scenario["duration"]
    offered = slots(
        availability,
        now=now,
        start=at(lo),
        end=at(hi),
        duration_minutes=duration,
        taken=[Interval(at(t0), at(t1)) for t0, t1 in taken],
    )
    expected_starts, clashing = model_slots(
        availability, expected, now=now, lo=lo, hi=hi, duration=duration, taken=taken
    )
    assert [minute_of(s) for s in offered] == expected_starts

    # ``is_bookable`` says yes exactly to the offered starts (within the range asked about).
    taken_intervals = [Interval(at(t0), at(t1)) for t0, t1 in taken]
    candidates = (
        expected_starts[:6]
        + clashing[:6]
        + list(range(-(-lo // QUARTER) * QUARTER, hi, 7 * QUARTER))
    )
    for start in candidates:
        if start + duration > hi:
            continue
        lesson = Interval(at(start), at(start + duration))
        assert is_bookable(availability, now=now, lesson=lesson, taken=taken_intervals) == (
            start in expected_starts
        ), lesson
    for start in expected_starts[:3]:
        off_grid = Interval(at(start + 5), at(start + 5 + duration))
        assert (
            booking_refusal(availability, now=now, lesson=off_grid, taken=taken_intervals)
            is Refusal.START_NOT_ON_GRID
        )
        odd_length = Interval(at(start), at(start + duration - 1))
        assert (
            booking_refusal(availability, now=now, lesson=odd_length, taken=taken_intervals)
            is Refusal.DURATION_NOT_OFFERED
        )


minute_stretches = st.tuples(st.integers(0, 200), st.integers(1, 60)).map(
    lambda pair: (pair[0], pair[0] + pair[1])
)


@settings(max_examples=100, deadline=None)
@given(a=minute_stretches, b=minute_stretches, buffer=st.integers(0, MAX_BUFFER_MINUTES))
def test_blocking_overlap_is_sharing_a_minute_of_lesson_plus_buffer(
    a: tuple[int, int], b: tuple[int, int], buffer: int
) -> None:
    first, second = Interval(at(a[0]), at(a[1])), Interval(at(b[0]), at(b[1]))
    gap = timedelta(minutes=buffer)
    shared = set(range(a[0], a[1] + buffer)) & set(range(b[0], b[1] + buffer))

    assert blocking(first, gap) == Interval(first.start, first.end + gap)
    assert blocking(first, gap).overlaps(blocking(second, gap)) == bool(shared)
    assert blocking(second, gap).overlaps(blocking(first, gap)) == bool(shared)
    # The slot rule's form of it: s < t.end + buffer and t.start < s + duration + buffer.
    assert (a[0] < b[1] + buffer and b[0] < a[1] + buffer) == bool(shared)


@settings(max_examples=100, deadline=None)
@given(
    start_quarter=st.integers(0, 40),
    duration=st.sampled_from(ALLOWED_DURATIONS),
    taken=st.lists(minute_stretches, max_size=4),
    buffer=st.sampled_from([0, 1, 10, 15, 45, MAX_BUFFER_MINUTES]),
)
def test_is_bookable_refuses_exactly_the_lessons_sharing_a_minute_with_a_taken_one(
    start_quarter: int, duration: int, taken: list[tuple[int, int]], buffer: int
) -> None:
    always_open = Availability(
        windows=tuple(WeeklyWindow(day, 0, DAY) for day in range(7)),
        durations=ALLOWED_DURATIONS,
        buffer_minutes=buffer,
        minimum_notice_minutes=0,
        maximum_days_ahead=MAX_DAYS_AHEAD,
    )
    start = start_quarter * QUARTER
    lesson = Interval(at(start), at(start + duration))

    refusal = booking_refusal(
        always_open, now=at(0), lesson=lesson, taken=[Interval(at(s), at(e)) for s, e in taken]
    )

    # Always open, on the grid and offered: a clash is the only reason left, and it is named.
    assert refusal is (Refusal.TAKEN if clashes(start, duration, taken, buffer) else None)


@settings(max_examples=100, deadline=None)
@given(base=st.lists(minute_stretches, max_size=6), holes=st.lists(minute_stretches, max_size=6))
def test_merge_and_subtract_are_union_and_difference_of_minutes(
    base: list[tuple[int, int]], holes: list[tuple[int, int]]
) -> None:
    def intervals(pairs: list[tuple[int, int]]) -> list[Interval]:
        return [Interval(at(s), at(e)) for s, e in pairs]

    def minutes(pairs: list[tuple[int, int]]) -> set[int]:
        return {m for s, e in pairs for m in range(s, e)}

    merged = merge(intervals(base))
    left = subtract(merged, intervals(holes))

    assert minutes_in(merged) == minutes(base)
    assert_canonical(merged, at(0), at(400))
    assert minutes_in(left) == minutes(base) - minutes(holes)
    assert_canonical(left, at(0), at(400))


# ---- concrete daylight-saving examples -------------------------------------------------------


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def spans(intervals: list[Interval]) -> list[tuple[datetime, datetime]]:
    return [(i.start, i.end) for i in intervals]


def one_window(zone: str, day: date, start: str, end: str, **rules: object) -> Availability:
    def minute(text: str) -> int:
        hours, minutes = map(int, text.split(":"))
        return hours * 60 + minutes

    return Availability(
        time_zone=zone,
        windows=(WeeklyWindow(day.weekday(), minute(start), minute(end)),),
        **rules,  # type: ignore[arg-type]
    )


def open_on(availability: Availability, day: date) -> list[tuple[datetime, datetime]]:
    """What is open from 12 hours before to 36 hours after UTC midnight of ``day``."""
    midnight = datetime.combine(day, datetime.min.time(), UTC)
    return spans(
        availability.open_between(midnight - timedelta(hours=12), midnight + timedelta(hours=36))
    )


BERLIN_SPRING, BERLIN_AUTUMN = TRANSITIONS["Europe/Berlin"]
NEW_YORK_SPRING, NEW_YORK_AUTUMN = TRANSITIONS["America/New_York"]
LORD_HOWE_AUTUMN, LORD_HOWE_SPRING = TRANSITIONS["Australia/Lord_Howe"]


@pytest.mark.parametrize(
    ("zone", "day", "start", "end", "expected"),
    [
        pytest.param(
            "Europe/Berlin",
            date(2026, 1, 5),
            "09:00",
            "10:00",
            [("2026-01-05 08:00", "2026-01-05 09:00")],
            id="Berlin 09:00 in winter is 08:00 UTC",
        ),
        pytest.param(
            "Europe/Berlin",
            date(2026, 7, 6),
            "09:00",
            "10:00",
            [("2026-07-06 07:00", "2026-07-06 08:00")],
            id="Berlin 09:00 in summer is 07:00 UTC",
        ),
        # Spring forward: 02:00 CET becomes 03:00 CEST (01:00 UTC); 02:xx is read as CET.
        pytest.param(
            "Europe/Berlin",
            BERLIN_SPRING,
            "02:00",
            "04:00",
            [("2026-03-29 01:00", "2026-03-29 02:00")],
            id="Berlin 02:00-04:00 spring day: 1 h",
        ),
        pytest.param(
            "Europe/Berlin",
            BERLIN_SPRING,
            "01:30",
            "03:30",
            [("2026-03-29 00:30", "2026-03-29 01:30")],
            id="Berlin 01:30-03:30 spring day: 1 h",
        ),
        pytest.param(
            "Europe/Berlin",
            BERLIN_SPRING,
            "02:30",
            "04:00",
            [("2026-03-29 01:30", "2026-03-29 02:00")],
            id="Berlin start in the gap lands 03:30 CEST",
        ),
        pytest.param(
            "Europe/Berlin",
            BERLIN_SPRING,
            "01:00",
            "02:30",
            [("2026-03-29 00:00", "2026-03-29 01:30")],
            id="Berlin end in the gap lands 03:30 CEST",
        ),
        pytest.param(
            "Europe/Berlin",
            BERLIN_SPRING,
            "02:30",
            "03:00",
            [],
            id="Berlin window swallowed by the gap",
        ),
        pytest.param(
            "Europe/Berlin",
            BERLIN_SPRING - timedelta(days=1),
            "22:00",
            "24:00",
            [("2026-03-28 21:00", "2026-03-28 23:00")],
            id="Berlin window to 24:00 before spring",
        ),
        # Fall back: 03:00 CEST becomes 02:00 CET (01:00 UTC); 02:xx means the CEST one.
        pytest.param(
            "Europe/Berlin",
            BERLIN_AUTUMN,
            "02:00",
            "03:00",
            [("2026-10-25 00:00", "2026-10-25 02:00")],
            id="Berlin repeated hour: 2 real hours",
        ),
        pytest.param(
            "Europe/Berlin",
            BERLIN_AUTUMN,
            "02:30",
            "02:45",
            [("2026-10-25 00:30", "2026-10-25 00:45")],
            id="Berlin 02:30 is the first one",
        ),
        pytest.param(
            "Europe/Berlin",
            BERLIN_AUTUMN,
            "01:00",
            "02:30",
            [("2026-10-24 23:00", "2026-10-25 00:30")],
            id="Berlin end in the repeated hour",
        ),
        pytest.param(
            "Europe/Berlin",
            BERLIN_AUTUMN,
            "00:00",
            "24:00",
            [("2026-10-24 22:00", "2026-10-25 23:00")],
            id="Berlin autumn day lasts 25 h",
        ),
        pytest.param(
            "Europe/Berlin",
            BERLIN_SPRING,
            "00:00",
            "24:00",
            [("2026-03-28 23:00", "2026-03-29 22:00")],
            id="Berlin spring day lasts 23 h",
        ),
        pytest.param(
            "America/New_York",
            NEW_YORK_SPRING,
            "02:00",
            "03:00",
            [],
            id="New York skipped hour is nothing",
        ),
        pytest.param(
            "America/New_York",
            NEW_YORK_SPRING,
            "01:00",
            "04:00",
            [("2026-03-08 06:00", "2026-03-08 08:00")],
            id="New York 01:00-04:00 spring: 2 h",
        ),
        pytest.param(
            "America/New_York",
            NEW_YORK_AUTUMN,
            "01:00",
            "02:00",
            [("2026-11-01 05:00", "2026-11-01 07:00")],
            id="New York repeated hour: 2 real hours",
        ),
        # Lord Howe: +11 to +10:30 at 02:00 in April (01:30-02:00 twice), +10:30 to +11 at 02:00
        # in October (02:00-02:30 skipped).
        pytest.param(
            "Australia/Lord_Howe",
            LORD_HOWE_AUTUMN,
            "01:30",
            "02:00",
            [("2026-04-04 14:30", "2026-04-04 15:30")],
            id="Lord Howe repeated half hour",
        ),
        pytest.param(
            "Australia/Lord_Howe",
            LORD_HOWE_SPRING,
            "02:00",
            "03:00",
            [("2026-10-03 15:30", "2026-10-03 16:00")],
            id="Lord Howe skipped half hour",
        ),
        pytest.param(
            "Australia/Lord_Howe",
            LORD_HOWE_SPRING,
            "02:00",
            "02:30",
            [],
            id="Lord Howe window inside the gap",
        ),
        pytest.param(
            "Asia/Kolkata",
            date(2026, 3, 29),
            "09:00",
            "24:00",
            [("2026-03-29 03:30", "2026-03-29 18:30")],
            id="Kolkata +05:30",
        ),
    ],
)
def test_windows_across_clock_changes(
    zone: str, day: date, start: str, end: str, expected: list[tuple[str, str]]
) -> None:
    availability = one_window(zone, day, start, end)

    assert open_on(availability, day) == [(utc(a), utc(b)) for a, b in expected]


def test_exceptions_are_read_with_the_same_rule() -> None:
    whole_day = Availability(
        time_zone="Europe/Berlin",
        windows=(WeeklyWindow(BERLIN_AUTUMN.weekday(), 0, 6 * 60),),
        exceptions=(
            # Blocking the repeated hour (02:00 CEST to 03:00 CET) blocks both of its runs.
            AvailabilityException(
                id=1,
                kind=BLOCKED,
                start=datetime(2026, 10, 25, 2, 0),
                end=datetime(2026, 10, 25, 3, 0),
            ),
        ),
    )
    only_exceptions = Availability(
        time_zone="Europe/Berlin",
        exceptions=(
            # Extra time on the spring day from 02:30 (read as 03:30 CEST) to 05:00 CEST.
            AvailabilityException(
                id=2,
                kind=EXTRA,
                start=datetime(2026, 3, 29, 2, 30),
                end=datetime(2026, 3, 29, 5, 0),
            ),
            # Blocked inside the skipped hour: 02:30 and 03:00 are the same instant, nothing.
            AvailabilityException(
                id=3,
                kind=BLOCKED,
                start=datetime(2026, 3, 29, 2, 30),
                end=datetime(2026, 3, 29, 3, 0),
            ),
        ),
    )

    assert open_on(whole_day, BERLIN_AUTUMN) == [
        (utc("2026-10-24 22:00"), utc("2026-10-25 00:00")),
        (utc("2026-10-25 02:00"), utc("2026-10-25 05:00")),
    ]
    assert open_on(only_exceptions, BERLIN_SPRING) == [
        (utc("2026-03-29 01:30"), utc("2026-03-29 03:00")),
    ]


def test_slots_on_the_spring_forward_night() -> None:
    # 01:00-04:00 local on 2026-03-29 is 00:00-02:00 UTC: two real hours, so five hour-long
    # lessons start on its quarter hours.
    availability = one_window(
        "Europe/Berlin", BERLIN_SPRING, "01:00", "04:00", minimum_notice_minutes=0
    )

    offered = slots(
        availability,
        now=utc("2026-03-28 12:00"),
        start=utc("2026-03-28 12:00"),
        end=utc("2026-03-30 00:00"),
        duration_minutes=60,
    )

    assert offered == [
        utc(f"2026-03-29 0{h}:{m:02d}") for h, m in [(0, 0), (0, 15), (0, 30), (0, 45), (1, 0)]
    ]


def test_slots_keep_notice_horizon_and_the_buffer_round_taken_lessons() -> None:
    availability = one_window(
        "Asia/Kolkata",
        date(2026, 3, 30),
        "09:00",
        "13:00",  # 03:30-07:30 UTC
        durations=(60,),
        buffer_minutes=15,
        minimum_notice_minutes=60,
        maximum_days_ahead=1,
    )
    now = utc("2026-03-29 08:40:30")  # notice ends 09:40:30 UTC the day before: no effect
    taken = [Interval(utc("2026-03-30 05:00"), utc("2026-03-30 05:30"))]

    offered = slots(
        availability,
        now=now,
        start=utc("2026-03-30 00:00"),
        end=utc("2026-03-31 00:00"),
        duration_minutes=60,
        taken=taken,
    )

    # Before the taken lesson: must end by 04:45 (15 min buffer); after it: from 05:45; and the
    # horizon (now + 1 day = 08:40:30 next day) is past the window. 07:30 closes the window.
    assert offered == [utc("2026-03-30 03:30"), utc("2026-03-30 03:45")] + [
        utc(f"2026-03-30 {t}") for t in ("05:45", "06:00", "06:15", "06:30")
    ]
    # The notice cuts to the next quarter hour after it; the horizon cuts the end.
    late_now = utc("2026-03-30 02:40:30")  # earliest 03:40:30, latest 2026-03-31 02:40:30
    assert slots(
        availability,
        now=late_now,
        start=utc("2026-03-30 00:00"),
        end=utc("2026-03-31 00:00"),
        duration_minutes=60,
    )[:2] == [utc("2026-03-30 03:45"), utc("2026-03-30 04:00")]
    assert (
        slots(availability, now=now, start=now, end=now + timedelta(days=3), duration_minutes=45)
        == []
    )  # not a duration on offer
    assert not is_bookable(
        availability,
        now=now,
        lesson=Interval(utc("2026-03-30 04:45"), utc("2026-03-30 05:45")),
        taken=taken,
    )
    assert is_bookable(
        availability,
        now=now,
        lesson=Interval(utc("2026-03-30 05:45"), utc("2026-03-30 06:45")),
        taken=taken,
    )


# ---- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: WeeklyWindow(7, 0, 60), id="weekday 7"),
        pytest.param(lambda: WeeklyWindow(-1, 0, 60), id="weekday -1"),
        pytest.param(lambda: WeeklyWindow(0, 60, 60), id="empty window"),
        pytest.param(lambda: WeeklyWindow(0, 120, 60), id="backwards window"),
        pytest.param(lambda: WeeklyWindow(0, 0, DAY + 1), id="past midnight"),
        pytest.param(lambda: WeeklyWindow(0, -15, 60), id="before midnight"),
        pytest.param(
            lambda: Availability(windows=(WeeklyWindow(0, 60, 180), WeeklyWindow(0, 120, 240))),
            id="overlapping windows",
        ),
        pytest.param(
            lambda: Availability(windows=(WeeklyWindow(2, 60, 180), WeeklyWindow(2, 60, 180))),
            id="the same window twice",
        ),
        pytest.param(
            lambda: Availability(
                windows=(WeeklyWindow(3, 0, DAY), WeeklyWindow(3, 600, 660), WeeklyWindow(3, 0, 30))
            ),
            id="one window inside another",
        ),
        pytest.param(
            lambda: Availability(windows=tuple(WeeklyWindow(0, m, m + 1) for m in range(51))),
            id="too many windows",
        ),
        pytest.param(lambda: Availability(durations=()), id="no duration"),
        pytest.param(lambda: Availability(durations=(15,)), id="15 minutes"),
        pytest.param(lambda: Availability(durations=(50,)), id="50 minutes"),
        pytest.param(lambda: Availability(durations=(0,)), id="0 minutes"),
        pytest.param(lambda: Availability(durations=(180,)), id="180 minutes"),
        pytest.param(lambda: Availability(durations=(60, 60)), id="a duration twice"),
        pytest.param(lambda: Availability(buffer_minutes=-1), id="negative buffer"),
        pytest.param(lambda: Availability(buffer_minutes=MAX_BUFFER_MINUTES + 1), id="big buffer"),
        pytest.param(lambda: Availability(minimum_notice_minutes=-1), id="negative notice"),
        pytest.param(
            lambda: Availability(minimum_notice_minutes=MAX_NOTICE_MINUTES + 1), id="long notice"
        ),
        pytest.param(lambda: Availability(maximum_days_ahead=0), id="no horizon"),
        pytest.param(lambda: Availability(maximum_days_ahead=MAX_DAYS_AHEAD + 1), id="far horizon"),
        pytest.param(lambda: Availability(time_zone="Mars/Olympus_Mons"), id="unknown zone"),
        pytest.param(lambda: Availability(time_zone=""), id="empty zone"),
        pytest.param(lambda: Availability(time_zone="Europe/Berlin "), id="zone with a space"),
        pytest.param(lambda: Availability(time_zone="../etc/passwd"), id="zone as a path"),
        pytest.param(lambda: Availability(time_zone="/Europe/Berlin"), id="absolute zone path"),
        pytest.param(lambda: Availability(time_zone="+02:00"), id="an offset is not a zone"),
        pytest.param(
            lambda: AvailabilityException(
                id=1, kind=EXTRA, start=datetime(2026, 1, 1, 10), end=datetime(2026, 1, 1, 10)
            ),
            id="empty exception",
        ),
        pytest.param(
            lambda: AvailabilityException(
                id=1,
                kind=EXTRA,
                start=datetime(2026, 1, 1, 10, tzinfo=UTC),
                end=datetime(2026, 1, 1, 11, tzinfo=UTC),
            ),
            id="aware exception",
        ),
        pytest.param(
            lambda: AvailabilityException(
                id=1, kind=BLOCKED, start=datetime(2026, 1, 1), end=datetime(2027, 1, 2)
            ),
            id="exception over a year",
        ),
    ],
)
def test_invalid_availability_is_refused(build: object) -> None:
    with pytest.raises(InvalidAvailability) as refused:
        build()  # type: ignore[operator]

    assert isinstance(refused.value, RuleViolation)
    assert refused.value.code == "invalid-availability"


def test_valid_limits_are_accepted() -> None:
    availability = Availability(
        time_zone="Australia/Lord_Howe",
        windows=(
            WeeklyWindow(0, 0, 60),
            WeeklyWindow(0, 60, 120),  # touching is fine
            WeeklyWindow(0, 23 * 60, DAY),
            WeeklyWindow(1, 0, 60),  # the same times on another day
            *(WeeklyWindow(2, 2 * m, 2 * m + 1) for m in range(MAX_WINDOWS - 4)),
        ),
        durations=ALLOWED_DURATIONS,
        buffer_minutes=MAX_BUFFER_MINUTES,
        minimum_notice_minutes=MAX_NOTICE_MINUTES,
        maximum_days_ahead=MAX_DAYS_AHEAD,
        exceptions=(
            AvailabilityException(
                id=1, kind=BLOCKED, start=datetime(2026, 1, 1), end=datetime(2027, 1, 1)
            ),
        ),
    )
    assert len(availability.windows) == MAX_WINDOWS
    assert Availability(buffer_minutes=0, minimum_notice_minutes=0, maximum_days_ahead=1)
