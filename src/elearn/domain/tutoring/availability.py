"""A tutor's availability: weekly windows in their own time zone, one-off extra windows and
blocked times, and the rules of booking (durations offered, buffer, notice, horizon).

Windows are stored as local wall-clock times and expanded to UTC instants per day, so a 09:00
window in Europe/Berlin starts at 08:00 UTC in winter and 07:00 UTC in summer.

Daylight-saving rule. A window edge at a local time that does not exist (the hour skipped when
clocks go forward) is read with the offset in force before the change, which lands it that
much later in real time, as clocks do: 02:30 on a spring-forward night in Berlin is 03:30 local.
An edge at a repeated local time (the hour that happens twice when clocks go back) means its
first occurrence. Python's zoneinfo does exactly this for ``fold=0``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from elearn.domain.shared.errors import RuleViolation

MINUTES_PER_DAY = 24 * 60
ALLOWED_DURATIONS = (30, 45, 60, 90, 120)
MAX_WINDOWS = 50
MAX_BUFFER_MINUTES = 120
MAX_NOTICE_MINUTES = 14 * MINUTES_PER_DAY
MAX_DAYS_AHEAD = 365
# Start times are offered on this grid (quarter hours).
SLOT_STEP = timedelta(minutes=15)


class InvalidAvailability(RuleViolation):
    code = "invalid-availability"


def time_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidAvailability(f"{name!r} is not an IANA time zone") from error


@dataclass(frozen=True, slots=True, order=True)
class Interval:
    """A half-open stretch of real time, [start, end), in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("intervals are timezone-aware")
        if self.end <= self.start:
            raise ValueError("an interval ends after it starts")

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end

    @property
    def length(self) -> timedelta:
        return self.end - self.start


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """The union, as sorted disjoint intervals (touching ones joined)."""
    merged: list[Interval] = []
    for interval in sorted(intervals):
        if merged and interval.start <= merged[-1].end:
            if interval.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, interval.end)
        else:
            merged.append(interval)
    return merged


def subtract(intervals: Sequence[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """What of ``intervals`` (sorted, disjoint) is left outside every hole."""
    result = list(intervals)
    for hole in merge(holes):
        remaining: list[Interval] = []
        for interval in result:
            if not interval.overlaps(hole):
                remaining.append(interval)
                continue
            if interval.start < hole.start:
                remaining.append(Interval(interval.start, hole.start))
            if hole.end < interval.end:
                remaining.append(Interval(hole.end, interval.end))
        result = remaining
    return result


@dataclass(frozen=True, slots=True, order=True)
class WeeklyWindow:
    """Every ``weekday`` (0 Monday … 6 Sunday) from ``start_minute`` to ``end_minute`` after
    local midnight; ``end_minute`` may be 1440 (midnight at the end of the day)."""

    weekday: int
    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise InvalidAvailability("a weekday is 0 (Monday) to 6 (Sunday)")
        if not 0 <= self.start_minute < self.end_minute <= MINUTES_PER_DAY:
            raise InvalidAvailability("a window starts before it ends, within one day")


class ExceptionKind(StrEnum):
    EXTRA = "extra"  # available then, beyond the weekly windows
    BLOCKED = "blocked"  # not available then, whatever the weekly windows say


@dataclass(frozen=True, slots=True)
class AvailabilityException:
    """A one-off change, in the tutor's local time: from ``start`` to ``end`` (naive local
    datetimes, read with the daylight-saving rule above)."""

    id: object
    kind: ExceptionKind
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise InvalidAvailability("exceptions are given in the tutor's local time")
        if self.end <= self.start:
            raise InvalidAvailability("an exception ends after it starts")
        if self.end - self.start > timedelta(days=MAX_DAYS_AHEAD):
            raise InvalidAvailability("an exception spans at most a year")


def local_instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of ``minute`` after local midnight of ``day`` (1440 is the next
    midnight), by the daylight-saving rule of this module."""
    if minute == MINUTES_PER_DAY:
        day, minute = day + timedelta(days=1), 0
    wall = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
    return wall.astimezone(UTC)


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Availability:
    time_zone: str = "UTC"
    windows: tuple[WeeklyWindow, ...] = ()
    durations: tuple[int, ...] = (60,)
    buffer_minutes: int = 0
    minimum_notice_minutes: int = 12 * 60
    maximum_days_ahead: int = 60
    exceptions: tuple[AvailabilityException, ...] = field(default=())

    def __post_init__(self) -> None:
        time_zone(self.time_zone)
        if len(self.windows) > MAX_WINDOWS:
            raise InvalidAvailability(f"at most {MAX_WINDOWS} weekly windows")
        by_day: dict[int, list[WeeklyWindow]] = {}
        for window in sorted(self.windows):
            earlier = by_day.setdefault(window.weekday, [])
            if earlier and window.start_minute < earlier[-1].end_minute:
                raise InvalidAvailability("weekly windows of one day do not overlap")
            earlier.append(window)
        if not self.durations or any(d not in ALLOWED_DURATIONS for d in self.durations):
            raise InvalidAvailability(
                f"lesson durations are some of {', '.join(map(str, ALLOWED_DURATIONS))} minutes"
            )
        if len(set(self.durations)) != len(self.durations):
            raise InvalidAvailability("each duration is offered once")
        if not 0 <= self.buffer_minutes <= MAX_BUFFER_MINUTES:
            raise InvalidAvailability(f"the buffer is 0 to {MAX_BUFFER_MINUTES} minutes")
        if not 0 <= self.minimum_notice_minutes <= MAX_NOTICE_MINUTES:
            raise InvalidAvailability("the minimum notice is at most 14 days")
        if not 1 <= self.maximum_days_ahead <= MAX_DAYS_AHEAD:
            raise InvalidAvailability(f"bookings open 1 to {MAX_DAYS_AHEAD} days ahead")

    @property
    def zone(self) -> ZoneInfo:
        return time_zone(self.time_zone)

    @property
    def buffer(self) -> timedelta:
        return timedelta(minutes=self.buffer_minutes)

    def open_between(self, start: datetime, end: datetime) -> list[Interval]:
        """When the tutor is available between two UTC instants: the weekly windows plus the
        extra exceptions, minus the blocked ones, as sorted disjoint UTC intervals."""
        if end <= start:
            return []
        zone = self.zone
        first = start.astimezone(zone).date() - timedelta(days=1)
        last = end.astimezone(zone).date() + timedelta(days=1)
        opened: list[Interval] = []
        day = first
        while day <= last:
            for window in self.windows:
                if window.weekday != day.weekday():
                    continue
                begins = local_instant(day, window.start_minute, zone)
                ends = local_instant(day, window.end_minute, zone)
                if begins < ends:  # a window swallowed by a skipped hour leaves nothing
                    opened.append(Interval(begins, ends))
            day += timedelta(days=1)
        extra: list[Interval] = []
        blocked: list[Interval] = []
        for exception in self.exceptions:
            begins, ends = to_utc(exception.start, zone), to_utc(exception.end, zone)
            if begins < ends:
                target = extra if exception.kind is ExceptionKind.EXTRA else blocked
                target.append(Interval(begins, ends))
        available = subtract(merge(opened + extra), blocked)
        return [
            Interval(max(i.start, start), min(i.end, end))
            for i in available
            if i.start < end and start < i.end
        ]

    def bookable_between(self, now: datetime, start: datetime, end: datetime) -> list[Interval]:
        """``open_between`` cut to what the rules let a student book at ``now``: no earlier
        than the minimum notice, no later than the horizon."""
        earliest = max(start, now + timedelta(minutes=self.minimum_notice_minutes))
        latest = min(end, now + timedelta(days=self.maximum_days_ahead))
        return self.open_between(earliest, latest)


def offered_between(
    availability: Availability | None,
    lessons: Iterable[Interval],
    start: datetime,
    end: datetime,
) -> list[Interval]:
    """The time a tutor offered between two UTC instants: their availability as it stands
    (weekly windows expanded day by day in their zone, plus extra times, minus blocked ones),
    joined with their booked lessons (a lesson was offered when it was booked, even if the
    availability changed since), cut to ``start``-``end``; sorted and disjoint."""
    if end <= start:
        return []
    opened = availability.open_between(start, end) if availability is not None else []
    inside = [
        Interval(max(lesson.start, start), min(lesson.end, end))
        for lesson in lessons
        if lesson.start < end and start < lesson.end
    ]
    return merge([*opened, *inside])


def blocking(interval: Interval, buffer: timedelta) -> Interval:
    """What a booking keeps from others of its tutor: its time and the buffer after it. Two of a
    tutor's bookings conflict exactly when one starts before the other's blocking ends."""
    return Interval(interval.start, interval.end + buffer)


def slots(
    availability: Availability,
    *,
    now: datetime,
    start: datetime,
    end: datetime,
    duration_minutes: int,
    taken: Iterable[Interval] = (),
) -> list[datetime]:
    """Start times (UTC) of lessons of ``duration_minutes`` that lie inside the tutor's bookable
    time and conflict with none of ``taken`` (the tutor's active bookings, without buffer; the
    buffer applies on both sides). Offered on every quarter hour that fits."""
    if duration_minutes not in availability.durations:
        return []
    length = timedelta(minutes=duration_minutes)
    buffer = availability.buffer
    busy = [Interval(t.start - buffer, t.end + buffer) for t in taken]
    free = subtract(availability.bookable_between(now, start, end), busy)
    starts: list[datetime] = []
    for stretch in free:
        candidate = _first_on_grid(stretch.start)
        while candidate + length <= stretch.end:
            if candidate >= stretch.start:
                starts.append(candidate)
            candidate += SLOT_STEP
    return starts


def _first_on_grid(instant: datetime) -> datetime:
    """Slots start on quarter hours of UTC (every zone's offset is a multiple of 15 minutes,
    so they are quarter hours of local time too)."""
    seconds = int(instant.timestamp())
    step = int(SLOT_STEP.total_seconds())
    return datetime.fromtimestamp(-(-seconds // step) * step, tz=UTC)


class Refusal(StrEnum):
    """Why a lesson cannot be booked, in the order the rules are checked: the first that fails
    is the one a student is told."""

    DURATION_NOT_OFFERED = "duration-not-offered"
    START_NOT_ON_GRID = "start-not-on-grid"
    OUTSIDE_AVAILABILITY = "outside-availability"  # windows, exceptions, notice or horizon
    TAKEN = "slot-taken"  # another active booking of the tutor, with the buffer


def booking_refusal(
    availability: Availability,
    *,
    now: datetime,
    lesson: Interval,
    taken: Iterable[Interval] = (),
) -> Refusal | None:
    """None when a lesson can be booked: a duration offered, on the slot grid, inside bookable
    time, and clear of the tutor's other active bookings with the buffer; else the first rule
    it breaks."""
    duration = int(lesson.length.total_seconds() // 60)
    if lesson.length != timedelta(minutes=duration) or duration not in availability.durations:
        return Refusal.DURATION_NOT_OFFERED
    if _first_on_grid(lesson.start) != lesson.start:
        return Refusal.START_NOT_ON_GRID
    bookable = availability.bookable_between(now, lesson.start, lesson.end)
    if not any(stretch.contains(lesson) for stretch in bookable):
        return Refusal.OUTSIDE_AVAILABILITY
    buffer = availability.buffer
    if any(blocking(lesson, buffer).overlaps(blocking(t, buffer)) for t in taken):
        return Refusal.TAKEN
    return None


def is_bookable(
    availability: Availability,
    *,
    now: datetime,
    lesson: Interval,
    taken: Iterable[Interval] = (),
) -> bool:
    return booking_refusal(availability, now=now, lesson=lesson, taken=taken) is None
