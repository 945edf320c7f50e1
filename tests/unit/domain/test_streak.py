"""Learning streaks: consecutive local calendar days of activity, counted in the student's time
zone across midnight and daylight-saving changes, with the current run alive until today ends."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elearn.domain.learning.streak import Streak, activity_day, streak

TODAY = date(2025, 6, 15)
ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # DST moves the clock by 30 minutes
    "Asia/Kolkata",  # +05:30, no DST
    "Pacific/Apia",  # +13:00, far from UTC
    "America/St_Johns",  # -03:30 / -02:30
    "UTC",
]


def days_ago(*offsets: int) -> list[date]:
    return [TODAY - timedelta(days=n) for n in offsets]


def local(zone: str, year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A local wall time in ``zone`` as a UTC instant (the form activity is stored in)."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(UTC)


# ---- oracles ---------------------------------------------------------------------------------
def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    # fold=0 gives the first midnight when midnight repeats, and the transition instant when
    # midnight is skipped: in both cases the instant the local day starts.
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def oracle_day(instant: datetime, zone_name: str) -> date:
    """The local day found from where local days start (local → UTC offsets), not by converting
    the instant to local time (UTC → local) as activity_day does."""
    zone = ZoneInfo(zone_name)
    utc_day = instant.astimezone(UTC).date()
    # Offsets are within ±14 hours, so the local day is the UTC day or a neighbour.
    for candidate in (utc_day - timedelta(days=1), utc_day, utc_day + timedelta(days=1)):
        next_day = candidate + timedelta(days=1)
        if local_midnight(candidate, zone) <= instant < local_midnight(next_day, zone):
            return candidate
    raise AssertionError(f"no local day for {instant} in {zone_name}")


def brute_force(days: Iterable[date], today: date) -> Streak:
    active = {day for day in days if day <= today}

    def run_ending(end: date) -> int:
        length = 0
        while all(end - timedelta(days=i) in active for i in range(length + 1)):
            length += 1
        return length

    current = max(run_ending(today), run_ending(today - timedelta(days=1)))
    longest = max((run_ending(day) for day in active), default=0)
    return Streak(current=current, longest=longest)


@cache
def transitions(zone_name: str) -> tuple[datetime, ...]:
    """The UTC instants of offset changes in ``zone_name`` during 2025-2026, found by scanning."""
    zone = ZoneInfo(zone_name)
    found: list[datetime] = []
    instant = datetime(2025, 1, 1, tzinfo=UTC)
    end = datetime(2027, 1, 1, tzinfo=UTC)
    step = timedelta(minutes=30)  # every zone here changes on a half hour of UTC
    offset = instant.astimezone(zone).utcoffset()
    while instant < end:
        instant += step
        now_offset = instant.astimezone(zone).utcoffset()
        if now_offset != offset:
            found.append(instant)
            offset = now_offset
    return tuple(found)


def test_the_scan_finds_the_daylight_saving_changes() -> None:
    assert transitions("Europe/Berlin") == (
        datetime(2025, 3, 30, 1, tzinfo=UTC),
        datetime(2025, 10, 26, 1, tzinfo=UTC),
        datetime(2026, 3, 29, 1, tzinfo=UTC),
        datetime(2026, 10, 25, 1, tzinfo=UTC),
    )
    assert len(transitions("Australia/Lord_Howe")) == 4
    assert transitions("Asia/Kolkata") == transitions("Pacific/Apia") == ()


# ---- streak: examples ------------------------------------------------------------------------
def test_no_activity_is_no_streak() -> None:
    assert streak([], TODAY) == Streak(current=0, longest=0)


def test_activity_today_is_a_streak_of_one() -> None:
    assert streak([TODAY], TODAY) == Streak(current=1, longest=1)


def test_a_streak_ending_yesterday_is_still_alive_today() -> None:
    assert streak(days_ago(1), TODAY) == Streak(current=1, longest=1)
    assert streak(days_ago(1, 2, 3), TODAY) == Streak(current=3, longest=3)


def test_a_streak_ending_two_days_ago_is_broken() -> None:
    assert streak(days_ago(2), TODAY) == Streak(current=0, longest=1)
    assert streak(days_ago(2, 3, 4), TODAY) == Streak(current=0, longest=3)


def test_a_gap_ends_the_current_run() -> None:
    assert streak(days_ago(0, 1, 3, 4, 5, 6), TODAY) == Streak(current=2, longest=4)


def test_duplicates_count_once() -> None:
    assert streak(days_ago(0, 0, 1, 1, 1), TODAY) == Streak(current=2, longest=2)


def test_days_after_today_are_ignored() -> None:
    # After a move to a zone further west, the last activity can be "tomorrow".
    assert streak(days_ago(-1, 0, 1), TODAY) == Streak(current=2, longest=2)
    assert streak(days_ago(-3, -2, -1), TODAY) == Streak(current=0, longest=0)
    assert streak(days_ago(-1, 1), TODAY) == Streak(current=1, longest=1)


def test_longest_can_be_longer_than_current() -> None:
    assert streak(days_ago(0, *range(10, 20)), TODAY) == Streak(current=1, longest=10)
    assert streak(days_ago(1, 2, *range(5, 8)), TODAY) == Streak(current=2, longest=3)


def test_the_ends_of_the_calendar_do_not_overflow() -> None:
    assert streak([date.min], date.min) == Streak(current=1, longest=1)
    assert streak([date.max, date.max - timedelta(days=1)], date.max) == Streak(2, 2)


# ---- activity_day: examples ------------------------------------------------------------------
@pytest.mark.parametrize("zone", ZONES)
def test_late_evening_and_early_morning_are_two_days_though_under_an_hour_apart(
    zone: str,
) -> None:
    evening = local(zone, 2025, 6, 14, 23, 30)
    morning = local(zone, 2025, 6, 15, 0, 10)
    assert morning - evening == timedelta(minutes=40)

    days = [activity_day(evening, zone), activity_day(morning, zone)]

    assert days == [date(2025, 6, 14), date(2025, 6, 15)]
    assert streak(days, date(2025, 6, 15)) == Streak(current=2, longest=2)


def test_23_hours_apart_on_the_spring_forward_day_are_consecutive_days() -> None:
    # 30 March 2025: Berlin skips 02:00-03:00, so that day is 23 hours long.
    first = local("Europe/Berlin", 2025, 3, 30, 0, 30)
    second = first + timedelta(hours=23)

    days = [activity_day(first, "Europe/Berlin"), activity_day(second, "Europe/Berlin")]

    assert days == [date(2025, 3, 30), date(2025, 3, 31)]
    assert streak(days, date(2025, 3, 31)).current == 2


def test_24_hours_apart_on_the_fall_back_day_can_be_the_same_day() -> None:
    # 26 October 2025: Berlin repeats 02:00-03:00, so that day is 25 hours long.
    first = local("Europe/Berlin", 2025, 10, 26, 0, 10)
    second = first + timedelta(hours=24)

    assert activity_day(second, "Europe/Berlin") == activity_day(first, "Europe/Berlin")
    assert streak([activity_day(second, "Europe/Berlin")], date(2025, 10, 26)).current == 1


def test_the_same_instant_is_on_different_days_in_different_zones() -> None:
    instant = datetime(2025, 6, 15, 11, 0, tzinfo=UTC)

    assert activity_day(instant, "Pacific/Apia") == date(2025, 6, 16)  # 00:00 +13
    assert activity_day(instant, "UTC") == date(2025, 6, 15)
    assert activity_day(instant, "America/St_Johns") == date(2025, 6, 15)  # 08:30 -02:30


def test_an_aware_instant_in_any_offset_is_placed_by_its_absolute_time() -> None:
    kolkata = datetime(2025, 6, 16, 1, 0, tzinfo=ZoneInfo("Asia/Kolkata"))  # 19:30 UTC the 15th

    assert activity_day(kolkata, "UTC") == date(2025, 6, 15)


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "../etc/passwd", "Not a zone"])
def test_an_unknown_zone_counts_as_utc(zone: str) -> None:
    instant = datetime(2025, 6, 15, 23, 59, tzinfo=UTC)

    assert activity_day(instant, zone) == date(2025, 6, 15)
    assert activity_day(instant + timedelta(minutes=1), zone) == date(2025, 6, 16)


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        activity_day(datetime(2025, 6, 15, 12, 0), "UTC")


# ---- streak: properties ----------------------------------------------------------------------
near_today = st.integers(min_value=-40, max_value=5).map(lambda n: TODAY - timedelta(days=n))
day_lists = st.lists(near_today, max_size=40)


@given(day_lists, st.randoms(use_true_random=False))
@settings(deadline=None, max_examples=150)
def test_order_and_duplicates_do_not_matter(days: list[date], rng: random.Random) -> None:
    shuffled = [*days, *days[: len(days) // 2]]
    rng.shuffle(shuffled)

    assert streak(shuffled, TODAY) == streak(sorted(set(days)), TODAY)


@given(day_lists, near_today)
@settings(deadline=None, max_examples=300)
def test_streak_matches_a_brute_force_count(days: list[date], today: date) -> None:
    result = streak(days, today)

    assert result == brute_force(days, today)
    assert 0 <= result.current <= result.longest
    assert result.longest <= len({day for day in days if day <= today})


@given(day_lists)
@settings(deadline=None, max_examples=100)
def test_activity_today_extends_the_streak_alive_since_yesterday(days: list[date]) -> None:
    before = streak(days, TODAY)
    after = streak([*days, TODAY], TODAY)

    if TODAY not in days:
        assert after.current == before.current + 1
    assert after.longest >= before.longest


# ---- activity_day and streaks across midnight and daylight saving: properties ----------------
zones = st.sampled_from(ZONES)
# Instants in 2025-2026 anywhere, within minutes of a local midnight, and around offset changes.
any_instant = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)


def dates_near_changes(zone: str, *, before: int = 0, after: int = 0) -> st.SearchStrategy[date]:
    """Local days in 2025-2026, often the days around the zone's offset changes."""
    anywhere = st.dates(date(2025, 1, 1), date(2026, 11, 30))
    changes = [t.astimezone(ZoneInfo(zone)).date() for t in transitions(zone)]
    if not changes:
        return anywhere
    near = [day + timedelta(days=n) for day in changes for n in range(-before, after + 1)]
    return st.sampled_from(near) | anywhere


@st.composite
def instants(draw: st.DrawFn, zone: str) -> datetime:
    kind = draw(st.sampled_from(["anywhere", "midnight", "transition"]))
    if kind == "transition" and transitions(zone):
        anchor = draw(st.sampled_from(transitions(zone)))
        return anchor + timedelta(minutes=draw(st.integers(-26 * 60, 26 * 60)))
    if kind != "anywhere":
        # The midnights that start and end 23- and 25-hour days come up often.
        day = draw(dates_near_changes(zone, after=1))
        midnight = local_midnight(day, ZoneInfo(zone))
        return midnight + timedelta(seconds=draw(st.integers(-20 * 60, 20 * 60)))
    return draw(any_instant)


@given(st.data(), zones)
@settings(deadline=None, max_examples=300)
def test_activity_day_matches_the_local_day_boundaries(data: st.DataObject, zone: str) -> None:
    instant = data.draw(instants(zone))

    assert activity_day(instant, zone) == oracle_day(instant, zone)


@given(st.data(), zones)
@settings(deadline=None, max_examples=200)
def test_activity_days_follow_the_order_of_instants(data: st.DataObject, zone: str) -> None:
    first, second = sorted([data.draw(instants(zone)), data.draw(instants(zone))])

    assert activity_day(first, zone) <= activity_day(second, zone)


@st.composite
def daily_learner(draw: st.DrawFn) -> tuple[str, list[datetime], date]:
    """A student active once every local day for some days, at a random local time each day,
    returned as UTC instants in random order, with the last local day."""
    zone_name = draw(zones)
    zone = ZoneInfo(zone_name)
    # Runs that start up to a few days before an offset change mostly cross it.
    first = draw(dates_near_changes(zone_name, before=5))
    count = draw(st.integers(1, 30))
    activity: list[datetime] = []
    for n in range(count):
        wall = draw(st.times())
        fold = draw(st.integers(0, 1))  # picks either side of a repeated hour
        local_time = datetime.combine(first + timedelta(days=n), wall, tzinfo=zone)
        # A wall time in a skipped hour still maps to the same day in these zones: none of them
        # skips midnight in 2025-2026.
        activity.append(local_time.replace(fold=fold).astimezone(UTC))
    return zone_name, draw(st.permutations(activity)), first + timedelta(days=count - 1)


@given(daily_learner())
@settings(deadline=None, max_examples=150)
def test_a_student_active_every_local_day_has_a_streak_of_that_many_days(
    learner: tuple[str, list[datetime], date],
) -> None:
    zone, instants, last_day = learner
    days = [activity_day(instant, zone) for instant in instants]
    count = len(instants)

    assert streak(days, last_day) == Streak(current=count, longest=count)
    # Still alive the next day, broken the day after.
    assert streak(days, last_day + timedelta(days=1)) == Streak(current=count, longest=count)
    assert streak(days, last_day + timedelta(days=2)) == Streak(current=0, longest=count)


@pytest.mark.parametrize(
    ("zone", "short_day", "long_day"),
    [
        ("Europe/Berlin", date(2025, 3, 30), date(2025, 10, 26)),
        ("America/New_York", date(2026, 3, 8), date(2025, 11, 2)),
        ("America/St_Johns", date(2025, 3, 9), date(2026, 11, 1)),
        ("Australia/Lord_Howe", date(2025, 10, 5), date(2026, 4, 5)),
    ],
)
def test_days_that_daylight_saving_shortens_or_lengthens_are_one_day_each(
    zone: str, short_day: date, long_day: date
) -> None:
    tz = ZoneInfo(zone)
    short = local_midnight(short_day + timedelta(days=1), tz) - local_midnight(short_day, tz)
    long = local_midnight(long_day + timedelta(days=1), tz) - local_midnight(long_day, tz)
    assert short < timedelta(hours=24) < long

    for day in (short_day, long_day):
        # Activity in the first and last minute of the day, and across the three days around it.
        start = local_midnight(day, tz)
        end = local_midnight(day + timedelta(days=1), tz) - timedelta(minutes=1)
        around = [start - timedelta(minutes=1), start, end, end + timedelta(minutes=1)]
        days = [activity_day(instant, zone) for instant in around]
        assert days == [day - timedelta(days=1), day, day, day + timedelta(days=1)]
        assert streak(days, day + timedelta(days=1)) == Streak(current=3, longest=3)
