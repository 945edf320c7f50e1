"""Notification preferences: quiet hours on the person's own clocks across daylight-saving
changes, digest timing, and emails that wait: sent once at most, never once read."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elearn.domain.communication.notifications import (
    Category,
    Channel,
    DigestFrequency,
    EmailStatus,
    InvalidPreferences,
    NotificationPreferences,
    QueuedEmail,
    QuietHours,
    next_digest_at,
    settle_due,
)

ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # DST moves the clock by 30 minutes
    "Asia/Kolkata",  # +05:30, no DST
    "Pacific/Apia",
    "America/St_Johns",
    "Europe/London",
    "UTC",
]

instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
# Wall-clock times on a five-minute grid, the way people set them.
wall_times = st.builds(time, st.integers(0, 23), st.sampled_from(range(0, 60, 5)))


def wall(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)  # type: ignore[misc]


def local_time(moment: datetime, zone: str) -> time:
    return moment.astimezone(ZoneInfo(zone)).time().replace(tzinfo=None)


# ---- quiet hours -----------------------------------------------------------------------------
@settings(max_examples=300)
@given(zone=st.sampled_from(ZONES), start=wall_times, end=wall_times, moment=instants)
def test_quiet_hours_end_at_the_first_instant_outside_them(
    zone: str, start: time, end: time, moment: datetime
) -> None:
    if start == end:
        return
    quiet = QuietHours(start, end, zone)
    ends = quiet.ends_after(moment)
    assert ends >= moment
    assert not quiet.holds(ends)
    if ends > moment:
        assert quiet.holds(moment)
        # Quiet the whole time between: nothing went out early.
        for step in range(1, 50):
            assert quiet.holds(moment + (ends - moment) * step / 50)
        assert quiet.holds(ends - timedelta(seconds=1))
        # Never held for more than a day.
        assert ends - moment <= timedelta(hours=25)


@settings(max_examples=200)
@given(zone=st.sampled_from(ZONES), start=wall_times, end=wall_times, moment=instants)
def test_quiet_hours_hold_by_the_wall_clock_of_the_zone(
    zone: str, start: time, end: time, moment: datetime
) -> None:
    if start == end:
        return
    clock = local_time(moment, zone)
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    assert QuietHours(start, end, zone).holds(moment) is inside


def test_quiet_hours_across_midnight_end_in_the_morning_of_the_zone() -> None:
    quiet = QuietHours(time(22, 0), time(7, 0), "Europe/Berlin")
    at = wall("Europe/Berlin", 2026, 1, 10, 23, 30)
    assert quiet.ends_after(at) == wall("Europe/Berlin", 2026, 1, 11, 7, 0)
    assert quiet.ends_after(wall("Europe/Berlin", 2026, 1, 11, 12, 0)) == wall(
        "Europe/Berlin", 2026, 1, 11, 12, 0
    )


def test_quiet_hours_ending_in_the_hour_the_clocks_skip_end_when_they_jump() -> None:
    # New York, 8 March 2026: 02:00 becomes 03:00; quiet until 02:30 ends at 03:00 sharp.
    quiet = QuietHours(time(1, 0), time(2, 30), "America/New_York")
    at = wall("America/New_York", 2026, 3, 8, 1, 15)
    ends = quiet.ends_after(at)
    assert ends.astimezone(ZoneInfo("America/New_York")).time() == time(3, 0)
    assert ends - at == timedelta(minutes=45)


def test_quiet_hours_on_the_day_the_clocks_go_back_last_their_real_length() -> None:
    # Berlin, 25 October 2026: 03:00 becomes 02:00; 22:00 to 07:00 lasts ten hours that night.
    quiet = QuietHours(time(22, 0), time(7, 0), "Europe/Berlin")
    at = wall("Europe/Berlin", 2026, 10, 24, 22, 0)
    assert quiet.ends_after(at) - at == timedelta(hours=10)


@pytest.mark.parametrize(
    ("start", "end", "zone"),
    [(time(8), time(8), "UTC"), (time(22), time(7), "Mars/Olympus"), (time(1), time(2), "")],
)
def test_quiet_hours_refuse_what_is_no_window(start: time, end: time, zone: str) -> None:
    with pytest.raises(InvalidPreferences):
        QuietHours(start, end, zone)


# ---- digests ---------------------------------------------------------------------------------
@settings(max_examples=200)
@given(zone=st.sampled_from(ZONES), moment=instants)
def test_a_digest_goes_out_after_what_it_holds_and_within_its_period(
    zone: str, moment: datetime
) -> None:
    hourly = next_digest_at(DigestFrequency.HOURLY, moment, zone)
    assert moment < hourly <= moment + timedelta(hours=1)
    assert hourly.minute == hourly.second == 0
    daily = next_digest_at(DigestFrequency.DAILY, moment, zone)
    assert moment < daily <= moment + timedelta(hours=25)
    assert local_time(daily, zone).hour in (8, 9)  # 9 only where 08:00 was skipped
    assert next_digest_at(DigestFrequency.OFF, moment, zone) == moment


def test_everything_of_one_hour_shares_its_digest() -> None:
    slots = {
        next_digest_at(DigestFrequency.HOURLY, datetime(2026, 5, 1, 9, m, tzinfo=UTC), "UTC")
        for m in range(60)
    }
    assert slots == {datetime(2026, 5, 1, 10, tzinfo=UTC)}


@st.composite
def waiting_emails(draw: st.DrawFn) -> tuple[list[QueuedEmail], dict[uuid.UUID, datetime]]:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    people = [uuid.uuid4() for _ in range(draw(st.integers(1, 3)))]
    emails: list[QueuedEmail] = []
    read_at: dict[uuid.UUID, datetime] = {}
    for n in range(draw(st.integers(0, 12))):
        due = start + timedelta(minutes=draw(st.integers(0, 600)))
        email = QueuedEmail(
            id=uuid.uuid4(),
            recipient_id=draw(st.sampled_from(people)),
            source_key=str(n),
            due_at=due,
            digest=draw(st.booleans()),
        )
        emails.append(email)
        if draw(st.booleans()):
            read_at[email.id] = start + timedelta(minutes=draw(st.integers(0, 900)))
    return emails, read_at


@settings(max_examples=300)
@given(case=waiting_emails(), runs=st.lists(st.integers(1, 120), min_size=1, max_size=20))
def test_waiting_emails_go_once_and_never_once_read(
    case: tuple[list[QueuedEmail], dict[uuid.UUID, datetime]], runs: list[int]
) -> None:
    emails, read_at = case
    now = datetime(2026, 3, 1, tzinfo=UTC)
    sent: list[tuple[QueuedEmail, datetime]] = []
    for minutes in [*runs, 10_000]:  # the job runs at uneven times, then long after
        now += timedelta(minutes=minutes)
        known = {e.id: at for e, at in ((e, read_at.get(e.id)) for e in emails) if at and at <= now}
        for person, batch in settle_due(emails, now, known).items():
            assert all(e.recipient_id == person for e in batch)
            sent += [(e, now) for e in batch]
    ids = [e.id for e, _ in sent]
    assert len(ids) == len(set(ids)), "an email went out twice"
    for email, at in sent:
        assert email.due_at <= at, "an email went out before it was due"
        read = read_at.get(email.id)
        assert read is None or read > at, "an email went out about what was read"
    for email in emails:
        assert email.status is not EmailStatus.WAITING
        if email.status is EmailStatus.DROPPED:
            assert email.id in read_at


# ---- preferences -----------------------------------------------------------------------------
def test_in_app_is_always_on_and_the_rest_by_choice() -> None:
    preferences = NotificationPreferences.defaults(uuid.uuid4())
    assert all(preferences.wants(c, ch) for c in Category for ch in Channel)
    preferences.change(
        channels={Category.BOOKING: {Channel.EMAIL: False, Channel.IN_APP: True}},
        digest=DigestFrequency.OFF,
        quiet_hours=None,
        zone="Europe/Paris",
    )
    assert not preferences.wants(Category.BOOKING, Channel.EMAIL)
    assert preferences.wants(Category.BOOKING, Channel.IN_APP)
    assert preferences.wants(Category.BOOKING, Channel.PUSH)
    assert preferences.wants(Category.PAYMENT, Channel.EMAIL)
    with pytest.raises(InvalidPreferences):
        preferences.change(
            channels={Category.COURSE: {Channel.IN_APP: False}},
            digest=DigestFrequency.OFF,
            quiet_hours=None,
            zone="UTC",
        )
    assert not preferences.wants(Category.BOOKING, Channel.EMAIL)  # unchanged by the refusal


def test_an_email_waits_for_its_digest_then_for_quiet_hours() -> None:
    preferences = NotificationPreferences.defaults(uuid.uuid4(), "Europe/Berlin")
    preferences.change(
        channels={},
        digest=DigestFrequency.HOURLY,
        quiet_hours=QuietHours(time(22), time(7), "Europe/Berlin"),
        zone="Europe/Berlin",
    )
    evening = wall("Europe/Berlin", 2026, 6, 1, 21, 20)
    assert preferences.email_due_at(evening) == wall("Europe/Berlin", 2026, 6, 2, 7, 0)
    afternoon = wall("Europe/Berlin", 2026, 6, 1, 15, 20)
    assert preferences.email_due_at(afternoon) == wall("Europe/Berlin", 2026, 6, 1, 16, 0)
    assert preferences.push_due_at(afternoon) == afternoon
