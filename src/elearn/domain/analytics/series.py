"""Time series for dashboards: rollup slots of a quarter hour in UTC, gathered into the
viewer's local days, weeks or months.

Rollups are kept per quarter hour of UTC, not per UTC day: every time zone in use today is
offset from UTC by a multiple of 15 minutes, so a quarter hour lies wholly inside one local day
of any viewer, and a viewer's day (23 or 25 hours on a DST change) is an exact run of slots.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from elearn.domain.shared.errors import RuleViolation

SLOT_SECONDS = 900
# The longest range a dashboard answers at once, in local days (a bit over two years).
MAX_RANGE_DAYS = 800
# Days a dashboard can name: their instants and slots stay far from datetime's limits.
FIRST_YEAR, LAST_YEAR = 1971, 9998


class InvalidRange(RuleViolation):
    code = "invalid-analytics-range"


class Bucket(StrEnum):
    DAY = "day"
    WEEK = "week"  # ISO weeks: Monday to Sunday
    MONTH = "month"


def slot_of(instant: datetime) -> int:
    """The number of the UTC quarter hour ``instant`` falls in (0 at the Unix epoch)."""
    if instant.tzinfo is None:
        raise ValueError("instant must be aware")
    return int(instant.timestamp()) // SLOT_SECONDS


# A figure counted per UTC day (distinct people seen) is kept in the slot of the day's 10:00:
# the local day of that date holds it for every viewer from UTC-10 (Hawaii) to UTC+13:45
# (Chatham in summer), and shares 24 - |offset| hours with the UTC day counted. (At midnight a
# viewer west of UTC would have been shown the next UTC day's figure; at noon New Zealand's
# days would hold the previous one.) Only UTC-11 and UTC+14, a few islands, see a neighbour.
DAY_SLOT_OFFSET = 10 * 3600 // SLOT_SECONDS


def day_slot(day: date) -> int:
    """The slot a UTC day's count is kept in: its 10:00's."""
    return slot_of(datetime.combine(day, time(), UTC)) + DAY_SLOT_OFFSET


def slot_start(slot: int) -> datetime:
    return datetime.fromtimestamp(slot * SLOT_SECONDS, UTC)


def bucket_start(day: date, bucket: Bucket) -> date:
    if bucket is Bucket.DAY:
        return day
    if bucket is Bucket.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next_bucket(start: date, bucket: Bucket) -> date:
    if bucket is Bucket.DAY:
        return start + timedelta(days=1)
    if bucket is Bucket.WEEK:
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def local_midnight(day: date, zone: tzinfo) -> datetime:
    """The instant ``day`` begins in ``zone``. Where a DST change skips midnight (a few zones
    move their clocks at 00:00), fold 0 reads the skipped time with the offset before the jump,
    which lands on the first instant of the day that exists; a repeated midnight is its first."""
    return datetime.combine(day, time()).replace(tzinfo=zone, fold=0).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Buckets:
    """The buckets of a range of local days, with the UTC slot each begins at."""

    starts: tuple[date, ...]
    first_slots: tuple[int, ...]
    end_slot: int  # the first slot after the range

    @classmethod
    def of(cls, first: date, last: date, bucket: Bucket, zone: tzinfo) -> Buckets:
        """Buckets covering the local days ``first`` to ``last`` (both included) in ``zone``.
        The first and last buckets are cut to the range."""
        if first.year < FIRST_YEAR or last.year > LAST_YEAR:
            raise InvalidRange(f"days run from {FIRST_YEAR} to {LAST_YEAR}")
        if last < first:
            raise InvalidRange("`to` is before `from`")
        if (last - first).days >= MAX_RANGE_DAYS:
            raise InvalidRange(f"a range spans at most {MAX_RANGE_DAYS} days")
        starts = [first]
        day = _next_bucket(bucket_start(first, bucket), bucket)
        while day <= last:
            starts.append(day)
            day = _next_bucket(day, bucket)
        first_slots = tuple(slot_of(local_midnight(d, zone)) for d in starts)
        end = slot_of(local_midnight(last + timedelta(days=1), zone))
        return cls(starts=tuple(starts), first_slots=first_slots, end_slot=end)

    @property
    def first_slot(self) -> int:
        return self.first_slots[0]

    @property
    def labels(self) -> list[str]:
        return [d.isoformat() for d in self.starts]

    def index_of(self, slot: int) -> int | None:
        """The bucket a slot belongs to, or None outside the range."""
        if slot < self.first_slots[0] or slot >= self.end_slot:
            return None
        return bisect_right(self.first_slots, slot) - 1

    def totals(self, points: Iterable[tuple[int, int]]) -> list[int]:
        """``(slot, value)`` pairs summed per bucket; empty buckets are 0. The specification
        of what the database's bucketing must answer (the dashboards bucket there)."""
        return self.fill((i, v) for s, v in points if (i := self.index_of(s)) is not None)

    def fill(self, points: Iterable[tuple[int, int]]) -> list[int]:
        """``(bucket index, value)`` pairs, already bucketed, as one value per bucket; empty
        buckets are 0."""
        data = [0] * len(self.starts)
        for index, value in points:
            data[index] += value
        return data


@dataclass(frozen=True, slots=True)
class Dataset:
    label: str
    data: list[int]


@dataclass(frozen=True, slots=True)
class Series:
    """Chart.js-shaped: one label per bucket, one dataset per line. Money is in minor units of
    ``currency``, one series per currency, never summed across currencies."""

    labels: list[str]
    datasets: list[Dataset]
    unit: str
    currency: str | None = None


COUNT = "count"
MONEY = "money"
PERCENT = "percent"
SECONDS = "seconds"


def count_series(
    buckets: Buckets,
    points: Iterable[tuple[int, str, int]],
    dataset_labels: Sequence[str],
) -> Series:
    """``(bucket index, dataset label, value)`` points as a count series with one dataset per
    label (in the order given, each present even when empty)."""
    by_label: dict[str, list[tuple[int, int]]] = {label: [] for label in dataset_labels}
    for index, label, value in points:
        by_label.setdefault(label, []).append((index, value))
    return Series(
        labels=buckets.labels,
        datasets=[Dataset(label, buckets.fill(values)) for label, values in by_label.items()],
        unit=COUNT,
    )


def money_series(
    buckets: Buckets,
    points: Iterable[tuple[int, str, int]],
    label: str,
    default_currency: str,
) -> list[Series]:
    """``(bucket index, currency, minor units)`` points as one series per currency, sorted by
    code; with no money at all, one series of zeros in ``default_currency``."""
    by_currency: Mapping[str, list[tuple[int, int]]] = {}
    grouped: dict[str, list[tuple[int, int]]] = {}
    for index, currency, amount in points:
        grouped.setdefault(currency, []).append((index, amount))
    by_currency = grouped or {default_currency: []}
    return [
        Series(
            labels=buckets.labels,
            datasets=[Dataset(label, buckets.fill(values))],
            unit=MONEY,
            currency=currency,
        )
        for currency, values in sorted(by_currency.items())
    ]
