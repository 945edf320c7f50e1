"""The notification center: what people are told, on which channels, and when.

A notification is stored for its recipient whatever their preferences (the in-app channel is
always on); email and push follow the person's choice per category, wait out their quiet hours
(on the clocks of their own zone, across daylight-saving changes) and, for email, may be folded
into a digest. An email that waits is dropped if its notification was read before it was due.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import ClassVar
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from elearn.domain.shared.errors import RuleViolation
from elearn.domain.shared.events import DomainEvent

TITLE_MAX = 200
BODY_MAX = 2000
# How long a notification stays in the center.
KEEP_FOR = timedelta(days=180)


class Category(StrEnum):
    ACCOUNT = "account"
    COURSE = "course"
    LEARNING = "learning"
    BOOKING = "booking"
    PAYMENT = "payment"
    PAYOUT = "payout"
    MESSAGE = "message"
    ANNOUNCEMENT = "announcement"
    SUPPORT = "support"
    # Course forums and lesson comments: mentions, replies to followed threads, answers.
    COMMUNITY = "community"


class Channel(StrEnum):
    IN_APP = "in_app"
    EMAIL = "email"
    PUSH = "push"


class DigestFrequency(StrEnum):
    OFF = "off"
    HOURLY = "hourly"
    DAILY = "daily"


# A daily digest goes out at this hour of the person's own day.
DAILY_DIGEST_AT = time(8, 0)


class InvalidPreferences(RuleViolation):
    code = "invalid-preferences"


@dataclasses.dataclass(frozen=True, slots=True)
class LinkTarget:
    """What a notification opens: an object of the platform, by kind and id."""

    type: str
    id: UUID


@dataclasses.dataclass(frozen=True, kw_only=True)
class NotificationCreated(DomainEvent):
    event_type: ClassVar[str] = "communication.notification_created"
    notification_id: UUID
    recipient_id: UUID
    category: str
    # Whether the notification's own email goes out: False when the event's context sends the
    # email itself (through the person's preferences too), so no one gets two for one event.
    email: bool = True


@dataclasses.dataclass(frozen=True, kw_only=True)
class NotificationsRead(DomainEvent):
    event_type: ClassVar[str] = "communication.notifications_read"
    recipient_id: UUID
    notification_ids: tuple[UUID, ...] = ()
    all: bool = False


@dataclasses.dataclass(kw_only=True, eq=False)
class Notification:
    id: UUID
    recipient_id: UUID
    category: Category
    title: str
    body: str
    link: LinkTarget | None
    metadata: Mapping[str, object]
    # What it was made from (the source event's id, ...): one notification per key and person.
    source_key: str
    created_at: datetime
    read_at: datetime | None = None

    def __post_init__(self) -> None:
        self.title = self.title.strip()[:TITLE_MAX]
        self.body = self.body.strip()[:BODY_MAX]
        if not self.title:
            raise RuleViolation("a notification needs a title")
        if not self.source_key or len(self.source_key) > 200:
            raise RuleViolation("a notification needs a source key of at most 200 characters")

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def expires_at(self) -> datetime:
        return self.created_at + KEEP_FOR


# ---- quiet hours ------------------------------------------------------------------------------
def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidPreferences(
            f"{name!r} is not a time zone (IANA names: Europe/Paris)"
        ) from None


@dataclasses.dataclass(frozen=True, slots=True)
class QuietHours:
    """From ``start`` to ``end`` on the clocks of ``zone`` every day (across midnight when the
    end comes first): email and push wait until they end."""

    start: time
    end: time
    zone: str

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise InvalidPreferences("quiet hours must not start and end at the same time")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise InvalidPreferences("quiet hours are wall-clock times of the zone, no offset")
        zone_named(self.zone)

    def holds(self, moment: datetime) -> bool:
        wall = moment.astimezone(zone_named(self.zone)).time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= wall < self.end
        return wall >= self.start or wall < self.end

    def ends_after(self, moment: datetime) -> datetime:
        """The first instant at or after ``moment`` outside quiet hours (``moment`` itself
        when it is outside). A day whose clocks skip the end (spring forward) ends them when
        the clocks jump; a day that repeats it ends them the first time it is reached."""
        if not self.holds(moment):
            return moment
        zone = zone_named(self.zone)
        day = moment.astimezone(zone).date()
        candidates = [
            datetime.combine(day + timedelta(days=offset), self.end, tzinfo=zone).replace(fold=fold)
            for offset in (0, 1, 2)
            for fold in (0, 1)
        ]
        later = sorted(c.astimezone(UTC) for c in candidates if c.astimezone(UTC) > moment)
        bound = next(c for c in later if not self.holds(c))
        # Between ``moment`` (quiet) and ``bound`` (not) quiet hours end once (at a wall-clock
        # end or a clock jump): found to the microsecond.
        low, high = moment.astimezone(UTC), bound
        step = timedelta(microseconds=1)
        while high - low > step:
            middle = low + step * ((high - low) // step // 2)
            if self.holds(middle):
                low = middle
            else:
                high = middle
        return high


def next_digest_at(frequency: DigestFrequency, after: datetime, zone: str) -> datetime:
    """When the digest holding something that arrived at ``after`` goes out: the next full
    hour (hourly), or the next ``DAILY_DIGEST_AT`` of the person's day (daily)."""
    if frequency is DigestFrequency.OFF:
        return after
    after = after.astimezone(UTC)
    if frequency is DigestFrequency.HOURLY:
        return after.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    tz = zone_named(zone)
    day = after.astimezone(tz).date()
    for offset in (0, 1, 2):
        # fold=0 on a day the hour is skipped lands just after the jump: still that morning.
        slot = datetime.combine(day + timedelta(days=offset), DAILY_DIGEST_AT, tzinfo=tz)
        if slot.astimezone(UTC) > after:
            return slot.astimezone(UTC)
    raise AssertionError("a day always has a morning")  # pragma: no cover


# ---- preferences ------------------------------------------------------------------------------
@dataclasses.dataclass(kw_only=True, eq=False)
class NotificationPreferences:
    """A person's choices: ``muted`` holds the (category, channel) pairs they turned off
    (email and push; in-app cannot be turned off), everything else is on."""

    user_id: UUID
    muted: frozenset[tuple[Category, Channel]] = frozenset()
    digest: DigestFrequency = DigestFrequency.OFF
    quiet_hours: QuietHours | None = None
    zone: str = "UTC"

    @classmethod
    def defaults(cls, user_id: UUID, zone: str = "UTC") -> NotificationPreferences:
        return cls(user_id=user_id, zone=zone)

    def wants(self, category: Category, channel: Channel) -> bool:
        if channel is Channel.IN_APP:
            return True
        return (category, channel) not in self.muted

    def change(
        self,
        *,
        channels: Mapping[Category, Mapping[Channel, bool]],
        digest: DigestFrequency,
        quiet_hours: QuietHours | None,
        zone: str,
    ) -> None:
        zone_named(zone)
        muted: set[tuple[Category, Channel]] = set()
        for category, choices in channels.items():
            for channel, on in choices.items():
                if channel is Channel.IN_APP:
                    if not on:
                        raise InvalidPreferences("in-app notifications cannot be turned off")
                    continue
                if not on:
                    muted.add((category, channel))
        self.muted = frozenset(muted)
        self.digest = digest
        self.quiet_hours = quiet_hours
        self.zone = zone

    def email_due_at(self, created_at: datetime) -> datetime:
        """When an email about something that happened at ``created_at`` may go: at its
        digest's time, or at once, either way after quiet hours."""
        due = next_digest_at(self.digest, created_at, self.zone)
        return self.quiet_hours.ends_after(due) if self.quiet_hours else due

    def push_due_at(self, created_at: datetime) -> datetime:
        return self.quiet_hours.ends_after(created_at) if self.quiet_hours else created_at

    def matrix(self) -> dict[Category, dict[Channel, bool]]:
        return {
            category: {channel: self.wants(category, channel) for channel in Channel}
            for category in Category
        }


# ---- emails that wait -------------------------------------------------------------------------
class EmailStatus(StrEnum):
    WAITING = "waiting"
    SENT = "sent"
    DROPPED = "dropped"


@dataclasses.dataclass(kw_only=True, eq=False)
class QueuedEmail:
    """An email a person's preferences made wait (quiet hours, a digest). Sent once at most;
    dropped, never sent, when what it is about was read before it went out."""

    id: UUID
    recipient_id: UUID
    source_key: str
    due_at: datetime
    digest: bool
    status: EmailStatus = EmailStatus.WAITING
    settled_at: datetime | None = None

    def is_due(self, now: datetime) -> bool:
        return self.status is EmailStatus.WAITING and self.due_at <= now

    def settle(self, now: datetime, read_at: datetime | None) -> bool:
        """Decides a due email: True when it is to be sent now (it is then marked sent)."""
        if not self.is_due(now):
            return False
        read_in_time = read_at is not None and read_at <= now
        self.status = EmailStatus.DROPPED if read_in_time else EmailStatus.SENT
        self.settled_at = now
        return not read_in_time


def settle_due(
    emails: Iterable[QueuedEmail], now: datetime, read_at: Mapping[UUID, datetime | None]
) -> dict[UUID, list[QueuedEmail]]:
    """The due emails to send now, by recipient (a digest is one email of all of them);
    those read in time are dropped."""
    to_send: dict[UUID, list[QueuedEmail]] = {}
    for email in emails:
        if email.settle(now, read_at.get(email.id)):
            to_send.setdefault(email.recipient_id, []).append(email)
    return to_send
