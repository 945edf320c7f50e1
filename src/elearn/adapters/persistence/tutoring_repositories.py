"""Tutoring repositories: data mappers between the tutoring tables and the domain."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from elearn.adapters.persistence.models.tutoring import (
    BookingReminderRow,
    BookingRow,
    CalendarFeedRow,
    TestimonialRow,
    TutorAvailabilityRow,
)
from elearn.adapters.persistence.repository_base import (
    Embedded,
    FieldMap,
    SqlaRepository,
    TrackingRepository,
    dialect_insert,
    enum,
)
from elearn.domain.shared.money import Money
from elearn.domain.tutoring.availability import (
    Availability,
    AvailabilityException,
    ExceptionKind,
    WeeklyWindow,
)
from elearn.domain.tutoring.booking import ACTIVE, Booking, BookingStatus, CancellationPolicy

_ACTIVE = [status.value for status in ACTIVE]
# The class of PostgreSQL advisory locks that serialise one student's holds (the key pairs
# (class, student) do not meet single-key advisory locks such as the catalog's).
_HOLDS_LOCK = 0x484F4C44  # "HOLD"
# The class of those that claim one start of one tutor while it is being booked.
_SLOT_LOCK = 0x534C4F54  # "SLOT"


def _lock_key(student_id: UUID) -> int:
    """A student's id folded into a signed 32-bit key (a collision only queues two students)."""
    return int.from_bytes(student_id.bytes[:4], "big", signed=True)


def _slot_key(tutor_id: UUID, starts_at: datetime) -> int:
    """A tutor's start folded into a signed 32-bit key, stable across processes (a collision,
    one in 2**32 pairs, refuses a contender for another slot while this one is being booked)."""
    stamp = int(starts_at.timestamp()).to_bytes(8, "big", signed=True)
    digest = hashlib.blake2b(tutor_id.bytes + stamp, digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


_LOCAL = "%Y-%m-%dT%H:%M"


def availability_of(row: Any) -> Availability:
    """From a row of the availability table's columns (read by attribute; JSON columns decoded
    or, as the driver itself hands them over, as text)."""
    windows, durations, exceptions = (
        json.loads(value) if isinstance(value, str) else value
        for value in (row.windows, row.durations, row.exceptions)
    )
    return Availability(
        time_zone=row.time_zone,
        windows=tuple(WeeklyWindow(*window) for window in windows),
        durations=tuple(durations),
        buffer_minutes=row.buffer_minutes,
        minimum_notice_minutes=row.minimum_notice_minutes,
        maximum_days_ahead=row.maximum_days_ahead,
        exceptions=tuple(
            AvailabilityException(
                id=UUID(item["id"]),
                kind=ExceptionKind(item["kind"]),
                start=datetime.strptime(item["start"], _LOCAL),
                end=datetime.strptime(item["end"], _LOCAL),
            )
            for item in exceptions
        ),
    )


class SqlaAvailabilityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tutor_id: UUID, *, for_update: bool = False) -> Availability | None:
        stmt = select(TutorAvailabilityRow).where(TutorAvailabilityRow.tutor_id == tutor_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = await self.session.scalar(stmt)
        return availability_of(row) if row is not None else None

    async def put(self, tutor_id: UUID, availability: Availability, now: datetime) -> None:
        values: dict[str, Any] = {
            "time_zone": availability.time_zone,
            "windows": [
                [w.weekday, w.start_minute, w.end_minute] for w in sorted(availability.windows)
            ],
            "durations": sorted(availability.durations),
            "buffer_minutes": availability.buffer_minutes,
            "minimum_notice_minutes": availability.minimum_notice_minutes,
            "maximum_days_ahead": availability.maximum_days_ahead,
            "exceptions": [
                {
                    "id": str(e.id),
                    "kind": e.kind.value,
                    "start": e.start.strftime(_LOCAL),
                    "end": e.end.strftime(_LOCAL),
                }
                for e in availability.exceptions
            ],
            "updated_at": now,
        }
        row = await self.session.get(TutorAvailabilityRow, tutor_id)
        if row is None:
            self.session.add(TutorAvailabilityRow(tutor_id=tutor_id, **values))
        else:
            for name, value in values.items():
                setattr(row, name, value)
        await self.session.flush()


class SqlaBookingRepository(SqlaRepository[Booking, BookingRow]):
    mapper = FieldMap(
        Booking,
        BookingRow,
        fields={
            "price": Embedded(Money, prefix="price_"),
            "policy": Embedded(CancellationPolicy),
            "status": enum(BookingStatus),
        },
        fixed=("id", "created_at"),
        # The tutor's exclusion constraint keeps the buffer after a lesson free as well.
        derived={
            "blocks_until": lambda booking: (
                booking.ends_at + timedelta(minutes=booking.buffer_minutes)
            )
        },
    )

    async def any_between(self, *, student_id: UUID, tutor_id: UUID) -> bool:
        stmt = select(
            exists().where(
                BookingRow.student_id == student_id,
                BookingRow.tutor_id == tutor_id,
                BookingRow.status != BookingStatus.EXPIRED.value,
            )
        )
        return bool(await self.session.scalar(stmt))

    async def active_between(
        self,
        *,
        tutor_id: UUID | None = None,
        student_id: UUID | None = None,
        start: datetime,
        end: datetime,
    ) -> list[Booking]:
        stmt = select(BookingRow).where(
            BookingRow.status.in_(_ACTIVE), BookingRow.starts_at < end, BookingRow.ends_at > start
        )
        if tutor_id is not None:
            stmt = stmt.where(BookingRow.tutor_id == tutor_id)
        if student_id is not None:
            stmt = stmt.where(BookingRow.student_id == student_id)

        def matches(booking: Booking) -> bool:
            return (
                booking.is_active
                and booking.starts_at < end
                and booking.ends_at > start
                and tutor_id in (None, booking.tutor_id)
                and student_id in (None, booking.student_id)
            )

        return await self._load_many(stmt.order_by(BookingRow.starts_at), matches)

    async def release_expired_holds(
        self, *, tutor_id: UUID | None = None, student_id: UUID | None = None, now: datetime
    ) -> int:
        stmt = (
            update(BookingRow)
            .where(
                BookingRow.status == BookingStatus.HELD.value,
                BookingRow.held_until <= now,
            )
            .values(status=BookingStatus.EXPIRED.value, ended_at=now, updated_at=now)
        )
        if tutor_id is not None and student_id is not None:
            stmt = stmt.where(
                (BookingRow.tutor_id == tutor_id) | (BookingRow.student_id == student_id)
            )
        elif tutor_id is not None:
            stmt = stmt.where(BookingRow.tutor_id == tutor_id)
        elif student_id is not None:
            stmt = stmt.where(BookingRow.student_id == student_id)
        result = await self.session.execute(stmt.execution_options(synchronize_session=False))
        for booking, row in self._tracked.values():
            if booking.hold_expired(now):
                booking.expire(now)
                row.status = booking.status.value
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def lock_holds_of(self, student_id: UUID) -> None:
        # SQLite: the write transaction already holds the database's only write lock.
        if self.session.bind.dialect.name == "postgresql":
            await self.session.execute(
                select(func.pg_advisory_xact_lock(_HOLDS_LOCK, _lock_key(student_id)))
            )

    async def claim_slot(self, tutor_id: UUID, starts_at: datetime) -> bool:
        # SQLite: the write transaction already holds the database's only write lock.
        if self.session.bind.dialect.name != "postgresql":
            return True
        claimed = await self.session.scalar(
            select(func.pg_try_advisory_xact_lock(_SLOT_LOCK, _slot_key(tutor_id, starts_at)))
        )
        return bool(claimed)

    async def of_student_for_hold(
        self, student_id: UUID, *, now: datetime, start: datetime, end: datetime
    ) -> list[Booking]:
        unpaid = and_(BookingRow.status == BookingStatus.HELD.value, BookingRow.held_until > now)
        during = and_(BookingRow.starts_at < end, BookingRow.ends_at > start)
        stmt = select(BookingRow).where(
            BookingRow.student_id == student_id,
            BookingRow.status.in_(_ACTIVE),
            or_(unpaid, during),
        )

        def wanted(booking: Booking) -> bool:
            return (
                booking.student_id == student_id
                and booking.is_active
                and (
                    (booking.status is BookingStatus.HELD and not booking.hold_expired(now))
                    or (booking.starts_at < end and booking.ends_at > start)
                )
            )

        return await self._load_many(stmt.order_by(BookingRow.starts_at), wanted)

    async def due_for_completion(self, ended_before: datetime, *, limit: int) -> list[Booking]:
        stmt = (
            select(BookingRow)
            .where(
                BookingRow.status == BookingStatus.CONFIRMED.value,
                BookingRow.ends_at <= ended_before,
            )
            .order_by(BookingRow.ends_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [self._load(row) for row in await self.session.scalars(stmt)]

    async def due_reminders(self, now: datetime, lead_minutes: int, *, limit: int) -> list[Booking]:
        sent = exists().where(
            BookingReminderRow.booking_id == BookingRow.id,
            BookingReminderRow.lead_minutes == lead_minutes,
            BookingReminderRow.starts_at == BookingRow.starts_at,
        )
        stmt = (
            select(BookingRow)
            .where(
                BookingRow.status == BookingStatus.CONFIRMED.value,
                BookingRow.starts_at > now,
                BookingRow.starts_at <= now + timedelta(minutes=lead_minutes),
                ~sent,
            )
            .order_by(BookingRow.starts_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [self._load(row) for row in await self.session.scalars(stmt)]

    async def mark_reminded(self, booking: Booking, lead_minutes: int, now: datetime) -> bool:
        stmt = dialect_insert(self.session, BookingReminderRow).values(
            booking_id=booking.id,
            lead_minutes=lead_minutes,
            starts_at=booking.starts_at,
            sent_at=now,
        )
        result = await self.session.execute(stmt.on_conflict_do_nothing())
        return bool(result.rowcount)  # type: ignore[attr-defined]


class SqlaTestimonialRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def exists_for(self, booking_id: UUID) -> bool:
        found = await self.session.scalar(
            select(TestimonialRow.id).where(TestimonialRow.booking_id == booking_id)
        )
        return found is not None

    async def add(
        self, *, testimonial_id: UUID, booking: Booking, rating: int, text: str, now: datetime
    ) -> None:
        self.session.add(
            TestimonialRow(
                id=testimonial_id,
                booking_id=booking.id,
                tutor_id=booking.tutor_id,
                student_id=booking.student_id,
                rating=rating,
                text=text,
                created_at=now,
                updated_at=now,
            )
        )
        await self.session.flush()

    async def rating_of(self, tutor_id: UUID) -> tuple[int, float | None]:
        count, average = (
            await self.session.execute(
                select(func.count(), func.avg(TestimonialRow.rating)).where(
                    TestimonialRow.tutor_id == tutor_id
                )
            )
        ).one()
        return count, None if average is None else float(average)


class SqlaCalendarFeeds:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def put(self, user_id: UUID, token_hash: str, now: datetime) -> None:
        await self.remove(user_id)
        self.session.add(CalendarFeedRow(user_id=user_id, token_hash=token_hash, created_at=now))
        await self.session.flush()

    async def remove(self, user_id: UUID) -> None:
        await self.session.execute(
            delete(CalendarFeedRow).where(CalendarFeedRow.user_id == user_id)
        )

    async def user_for(self, token_hash: str) -> UUID | None:
        return await self.session.scalar(
            select(CalendarFeedRow.user_id).where(CalendarFeedRow.token_hash == token_hash)
        )


class SqlaTutoringStore:
    def __init__(self, session: AsyncSession) -> None:
        self.availability = SqlaAvailabilityRepository(session)
        self.bookings = SqlaBookingRepository(session)
        self.testimonials = SqlaTestimonialRepository(session)
        self.calendar_feeds = SqlaCalendarFeeds(session)

    @property
    def tracking(self) -> list[TrackingRepository[Any, Any]]:
        return [self.bookings]
