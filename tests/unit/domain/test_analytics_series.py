"""Dashboard buckets in the viewer's time zone: every instant of the range lands in exactly
the bucket of its local day (DST days of 23 and 25 hours included), nothing outside the range
is counted, empty buckets are zeros, and money stays per currency."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elearn.domain.analytics.series import (
    SLOT_SECONDS,
    Bucket,
    Buckets,
    InvalidRange,
    bucket_start,
    local_midnight,
    money_series,
    slot_of,
    slot_start,
)
from elearn.domain.analytics.streaks import current_streak

ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/Santiago",  # its DST change skips midnight
    "Asia/Kolkata",  # +05:30
    "Asia/Kathmandu",  # +05:45
    "Australia/Lord_Howe",  # a 30-minute DST shift
    "Pacific/Chatham",  # +12:45 / +13:45
]

days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


@settings(max_examples=80, deadline=None)
@given(
    first=days,
    length=st.integers(0, 120),
    zone=st.sampled_from(ZONES),
    bucket=st.sampled_from(list(Bucket)),
    seconds=st.lists(st.integers(-2 * 86400, 125 * 86400), max_size=20),
)
def test_every_instant_lands_in_the_bucket_of_its_local_day(
    first: date, length: int, zone: str, bucket: Bucket, seconds: list[int]
) -> None:
    tz = ZoneInfo(zone)
    last = first + timedelta(days=length)
    buckets = Buckets.of(first, last, bucket, tz)
    start = local_midnight(first, tz)
    expected = [0] * len(buckets.starts)
    points = []
    for offset in seconds:
        instant = start + timedelta(seconds=offset)
        points.append((slot_of(instant), 1))
        local_day = instant.astimezone(tz).date()
        if first <= local_day <= last:
            label = max(bucket_start(local_day, bucket), first)
            expected[buckets.starts.index(label)] += 1
    assert buckets.totals(points) == expected


@settings(max_examples=60, deadline=None)
@given(day=days, zone=st.sampled_from(ZONES))
def test_a_local_day_is_a_whole_run_of_slots_of_23_to_25_hours(day: date, zone: str) -> None:
    tz = ZoneInfo(zone)
    begins, ends = local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz)
    hours = (ends - begins).total_seconds() / 3600
    assert 23 <= hours <= 25
    # The day starts on a slot boundary, so a slot is wholly in one local day.
    assert begins.timestamp() % SLOT_SECONDS == 0
    assert begins.astimezone(tz).date() == day
    assert (begins - timedelta(seconds=1)).astimezone(tz).date() < day


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("Europe/Berlin", date(2026, 3, 29), 23),
        ("Europe/Berlin", date(2026, 10, 25), 25),
        ("America/New_York", date(2026, 3, 8), 23),
        ("America/New_York", date(2026, 11, 1), 25),
        ("Europe/Berlin", date(2026, 6, 1), 24),
    ],
)
def test_dst_days_have_23_or_25_hours(zone: str, day: date, hours: int) -> None:
    buckets = Buckets.of(day, day, Bucket.DAY, ZoneInfo(zone))
    assert (buckets.end_slot - buckets.first_slot) * SLOT_SECONDS == hours * 3600


def test_weeks_start_on_monday_and_months_on_the_first_cut_to_the_range() -> None:
    utc = ZoneInfo("UTC")
    weeks = Buckets.of(date(2026, 12, 2), date(2026, 12, 20), Bucket.WEEK, utc)
    assert weeks.labels == ["2026-12-02", "2026-12-07", "2026-12-14"]
    months = Buckets.of(date(2026, 11, 15), date(2027, 2, 1), Bucket.MONTH, utc)
    assert months.labels == ["2026-11-15", "2026-12-01", "2027-01-01", "2027-02-01"]


def test_empty_buckets_are_zeros_and_money_stays_per_currency() -> None:
    utc = ZoneInfo("UTC")
    buckets = Buckets.of(date(2026, 12, 1), date(2026, 12, 3), Bucket.DAY, utc)
    second = buckets.index_of(slot_of(datetime(2026, 12, 2, 12, tzinfo=UTC)))
    assert second == 1
    series = money_series(buckets, [(second, "USD", 500), (second, "EUR", 300)], "gmv", "USD")
    assert [(s.currency, s.datasets[0].data) for s in series] == [
        ("EUR", [0, 300, 0]),
        ("USD", [0, 500, 0]),
    ]
    (nothing,) = money_series(buckets, [], "gmv", "JPY")
    assert nothing.currency == "JPY" and nothing.datasets[0].data == [0, 0, 0]


def test_a_range_backwards_or_too_long_is_refused() -> None:
    utc = ZoneInfo("UTC")
    with pytest.raises(InvalidRange):
        Buckets.of(date(2026, 12, 2), date(2026, 12, 1), Bucket.DAY, utc)
    with pytest.raises(InvalidRange):
        Buckets.of(date(2020, 1, 1), date(2026, 1, 1), Bucket.DAY, utc)
    for first, last in ((date(1, 1, 1), date(1, 1, 2)), (date(9999, 12, 30), date(9999, 12, 31))):
        with pytest.raises(InvalidRange):
            Buckets.of(first, last, Bucket.MONTH, utc)


def test_slots_round_trip() -> None:
    instant = datetime(2026, 12, 7, 0, 14, 59, tzinfo=UTC)
    assert slot_start(slot_of(instant)) == datetime(2026, 12, 7, 0, 0, tzinfo=UTC)


def test_a_streak_counts_back_from_today_or_yesterday() -> None:
    today = date(2026, 12, 7)
    learned = [today - timedelta(days=n) for n in (1, 2, 3, 5)]
    assert current_streak(learned, today) == 3
    assert current_streak([today, *learned], today) == 4
    assert current_streak(learned, today + timedelta(days=2)) == 0
