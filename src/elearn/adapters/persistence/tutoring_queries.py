"""Tutoring's read side: bookings as each side sees them, the calendar, tutors to choose from
and their testimonials."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from elearn.adapters.persistence.models.identity import TutorProfileRow, UserRow
from elearn.adapters.persistence.models.tutoring import (
    BookingRow,
    TestimonialRow,
    TutorAvailabilityRow,
)
from elearn.adapters.persistence.paging import fetch_page, newest_first_after
from elearn.adapters.persistence.raw_statements import Fields, HotRead
from elearn.adapters.persistence.tutoring_repositories import availability_of
from elearn.application.identity.api import AccountStatus, Role, TutorApproval
from elearn.application.paging import InvalidCursor, Page
from elearn.application.tutoring.ports import (
    BookingFilters,
    BookingView,
    StaffBookingFilters,
    TestimonialView,
    TutorCalendar,
    TutorCard,
    TutorFilters,
    TutorTime,
)
from elearn.domain.shared.money import Money
from elearn.domain.tutoring.availability import ALLOWED_DURATIONS, Interval
from elearn.domain.tutoring.booking import ACTIVE, BOOKED, BookingStatus, BusyTime

Student = aliased(UserRow)
Tutor = aliased(UserRow)
_CALENDAR_STATUSES = [
    s.value
    for s in (
        BookingStatus.CONFIRMED,
        BookingStatus.COMPLETED,
        BookingStatus.CANCELLED_BY_STUDENT,
        BookingStatus.CANCELLED_BY_TUTOR,
        BookingStatus.NO_SHOW_STUDENT,
        BookingStatus.NO_SHOW_TUTOR,
    )
]
# Sort keys of the tutor list: (expression, descending). Missing ratings and prices sort last.
_NO_RATING = -1.0
_NO_PRICE = 10**15


def _booking_select() -> Any:
    return (
        select(
            BookingRow,
            Student.full_name.label("student_name"),
            Tutor.full_name.label("tutor_name"),
            func.coalesce(TutorProfileRow.time_zone, "UTC").label("tutor_time_zone"),
        )
        .join(Student, Student.id == BookingRow.student_id)
        .join(Tutor, Tutor.id == BookingRow.tutor_id)
        .join(TutorProfileRow, TutorProfileRow.user_id == BookingRow.tutor_id, isouter=True)
    )


# One booking as its view: the booking's columns by their names beside the three the view adds,
# read on the driver (a hold answers with it, and a booking's page shows it).
_ONE_BOOKING = (
    select(
        *BookingRow.__table__.c,
        Student.full_name.label("student_name"),
        Tutor.full_name.label("tutor_name"),
        func.coalesce(TutorProfileRow.time_zone, "UTC").label("tutor_time_zone"),
    )
    .join(Student, Student.id == BookingRow.student_id)
    .join(Tutor, Tutor.id == BookingRow.tutor_id)
    .join(TutorProfileRow, TutorProfileRow.user_id == BookingRow.tutor_id, isouter=True)
    .where(BookingRow.id == bindparam("booking_id", type_=BookingRow.id.type))
)


def _booking_view(row: Row[Any]) -> BookingView:
    return _view_of(row[0], row)


def _view_of(booking: Any, row: Any) -> BookingView:
    """``booking`` has a booking row's attributes, ``row`` the names and the tutor's zone."""
    return BookingView(
        id=booking.id,
        tutor_id=booking.tutor_id,
        tutor_name=row.tutor_name,
        student_id=booking.student_id,
        student_name=row.student_name,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        duration_minutes=int((booking.ends_at - booking.starts_at).total_seconds() // 60),
        status=BookingStatus(booking.status),
        price=Money(booking.price_amount, booking.price_currency),
        tutor_time_zone=row.tutor_time_zone,
        held_until=booking.held_until if booking.status == BookingStatus.HELD.value else None,
        meeting_url=booking.meeting_url,
        note=booking.note,
        order_id=booking.order_id,
        cancellation_cutoff_hours=booking.cutoff_hours,
        refund_percent_before_cutoff=booking.refund_percent_before,
        refund_percent_after_cutoff=booking.refund_percent_after,
        sequence=booking.sequence,
        created_at=booking.created_at,
        updated_at=booking.updated_at,
    )


def _encode(value: float | int, item_id: UUID) -> str:
    raw = json.dumps([value, str(item_id)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[float, UUID]:
    try:
        if len(cursor) > 200:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, id_text = json.loads(raw)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("not a number")
        return value, UUID(id_text)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as error:
        raise InvalidCursor("this cursor is not one we gave out") from error


# Identity's `UserFacts.is_bookable_tutor` as the tutor list and calendar filter by it.
_BOOKABLE_TUTOR = and_(
    UserRow.role == Role.TUTOR.value,
    UserRow.tutor_approval == TutorApproval.APPROVED.value,
    UserRow.status == AccountStatus.ACTIVE.value,
)
_AVAILABILITY = TutorAvailabilityRow.__table__
# A bookable tutor with their availability and their active bookings in a range: a row per
# booking (one with no booking when there is none; with no availability when they set none),
# nothing for anyone else.
_CALENDAR = (
    select(
        *[column for column in _AVAILABILITY.c if column.key not in ("tutor_id", "updated_at")],
        BookingRow.starts_at,
        BookingRow.ends_at,
        BookingRow.status,
        BookingRow.held_until,
    )
    .select_from(UserRow)
    .outerjoin(_AVAILABILITY, _AVAILABILITY.c.tutor_id == UserRow.id)
    .outerjoin(
        BookingRow,
        and_(
            BookingRow.tutor_id == _AVAILABILITY.c.tutor_id,
            # Compared one by one: constants of the statement, not a list to bind.
            or_(*(BookingRow.status == status.value for status in sorted(ACTIVE))),
            BookingRow.starts_at < bindparam("range_end", type_=BookingRow.starts_at.type),
            BookingRow.ends_at > bindparam("range_start", type_=BookingRow.ends_at.type),
        ),
    )
    .where(UserRow.id == bindparam("tutor_id", type_=UserRow.id.type), _BOOKABLE_TUTOR)
    .order_by(BookingRow.starts_at)
)


class SqlaTutoringQueries:
    def __init__(
        self,
        engine: AsyncEngine,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        avatar_url: Any,
    ) -> None:
        self._sessions = session_factory
        self._avatar_url = avatar_url
        self._calendar = HotRead(engine, _CALENDAR, ["tutor_id", "range_start", "range_end"])
        self._one_booking = HotRead(engine, _ONE_BOOKING, ["booking_id"])

    async def tutor_calendar(
        self, tutor_id: UUID, start: datetime, end: datetime
    ) -> TutorCalendar | None:
        rows = await self._calendar.fetch(tutor_id=tutor_id, range_start=start, range_end=end)
        if not rows:
            return None
        if rows[0]["time_zone"] is None:
            return TutorCalendar(None, [])
        busy = [
            BusyTime(
                Interval(row["starts_at"], row["ends_at"]),
                BookingStatus(row["status"]),
                row["held_until"],
            )
            for row in rows
            if row["starts_at"] is not None
        ]
        return TutorCalendar(availability_of(Fields(rows[0])), busy)

    async def tutor_time(self, tutor_id: UUID, start: datetime, end: datetime) -> TutorTime:
        availability = select(TutorAvailabilityRow).where(TutorAvailabilityRow.tutor_id == tutor_id)
        lessons = (
            select(BookingRow.starts_at, BookingRow.ends_at)
            .where(
                BookingRow.tutor_id == tutor_id,
                BookingRow.status.in_(sorted(status.value for status in BOOKED)),
                # No lesson is longer than the longest duration offered: a bounded range of
                # the (tutor_id, starts_at) index, not every earlier lesson of the tutor.
                BookingRow.starts_at > start - timedelta(minutes=max(ALLOWED_DURATIONS)),
                BookingRow.starts_at < end,
                BookingRow.ends_at > start,
            )
            .order_by(BookingRow.starts_at)
        )
        async with self._sessions() as session:
            row = await session.scalar(availability)
            booked = [Interval(s, e) for s, e in await session.execute(lessons)]
        return TutorTime(availability_of(row) if row is not None else None, booked)

    async def booking(self, booking_id: UUID) -> BookingView | None:
        rows = await self._one_booking.fetch(booking_id=booking_id)
        if not rows:
            return None
        fields = Fields(rows[0])
        return _view_of(fields, fields)

    async def bookings(
        self, user_id: UUID, filters: BookingFilters, *, limit: int, cursor: str | None
    ) -> Page[BookingView]:
        stmt = _booking_select().where(
            (BookingRow.tutor_id if filters.as_tutor else BookingRow.student_id) == user_id,
            *_starting(filters.status, filters.starts_from, filters.starts_to),
        )
        return await self._latest_start_first(stmt, limit=limit, cursor=cursor)

    async def all_bookings(
        self, filters: StaffBookingFilters, *, limit: int, cursor: str | None
    ) -> Page[BookingView]:
        stmt = _booking_select().where(
            *_starting(filters.status, filters.starts_from, filters.starts_to)
        )
        if filters.tutor_id is not None:
            stmt = stmt.where(BookingRow.tutor_id == filters.tutor_id)
        if filters.student_id is not None:
            stmt = stmt.where(BookingRow.student_id == filters.student_id)
        return await self._latest_start_first(stmt, limit=limit, cursor=cursor)

    async def _latest_start_first(
        self, stmt: Select[Any], *, limit: int, cursor: str | None
    ) -> Page[BookingView]:
        stmt = newest_first_after(stmt, cursor, BookingRow.starts_at, BookingRow.id)
        return await fetch_page(
            self._sessions, stmt, limit, _booking_view, lambda row: (row[0].starts_at, row[0].id)
        )

    async def calendar(self, user_id: UUID, since: datetime) -> list[BookingView]:
        stmt = (
            _booking_select()
            .where(
                or_(BookingRow.student_id == user_id, BookingRow.tutor_id == user_id),
                BookingRow.status.in_(_CALENDAR_STATUSES),
                BookingRow.starts_at >= since,
            )
            .order_by(BookingRow.starts_at)
            .limit(2000)
        )
        async with self._sessions() as session:
            rows = (await session.execute(stmt)).all()
        return [_booking_view(row) for row in rows]

    async def tutors(
        self, filters: TutorFilters, *, limit: int, cursor: str | None
    ) -> Page[TutorCard]:
        rating = func.coalesce(TutorProfileRow.rating_average, literal(_NO_RATING))
        price = func.coalesce(TutorProfileRow.hourly_rate_amount, literal(_NO_PRICE))
        sort_keys: dict[str, tuple[ColumnElement[Any], bool]] = {
            "rating": (rating, True),
            "price": (price, False),
            "price_desc": (
                case((TutorProfileRow.hourly_rate_amount.is_(None), -1), else_=price),
                True,
            ),
        }
        key, descending = sort_keys.get(filters.sort, sort_keys["rating"])
        stmt = (
            select(
                UserRow.id,
                UserRow.full_name,
                UserRow.avatar_key,
                TutorProfileRow,
                key.label("sort_key"),
            )
            .join(TutorProfileRow, TutorProfileRow.user_id == UserRow.id)
            .join(TutorAvailabilityRow, TutorAvailabilityRow.tutor_id == UserRow.id, isouter=True)
            .where(_BOOKABLE_TUTOR)
        )
        if filters.subject:
            stmt = stmt.where(_json_contains(TutorProfileRow.subjects, filters.subject))
        if filters.language:
            stmt = stmt.where(_json_contains(TutorProfileRow.languages, filters.language))
        if filters.currency:
            stmt = stmt.where(TutorProfileRow.hourly_rate_currency == filters.currency)
        if filters.price_min is not None:
            stmt = stmt.where(TutorProfileRow.hourly_rate_amount >= filters.price_min)
        if filters.price_max is not None:
            stmt = stmt.where(TutorProfileRow.hourly_rate_amount <= filters.price_max)
        if filters.rating_min is not None:
            stmt = stmt.where(TutorProfileRow.rating_average >= filters.rating_min)
        if cursor is not None:
            value, after_id = _decode(cursor)
            if descending:
                stmt = stmt.where(or_(key < value, and_(key == value, UserRow.id > after_id)))
            else:
                stmt = stmt.where(or_(key > value, and_(key == value, UserRow.id > after_id)))
        stmt = stmt.order_by(key.desc() if descending else key.asc(), UserRow.id)
        async with self._sessions() as session:
            rows = (await session.execute(stmt.limit(limit + 1))).all()
        items = [self._card(row) for row in rows[:limit]]
        next_cursor = (
            _encode(rows[limit - 1].sort_key, rows[limit - 1].id) if len(rows) > limit else None
        )
        return Page(items=items, next_cursor=next_cursor)

    def _card(self, row: Row[Any]) -> TutorCard:
        profile: TutorProfileRow = row[3]
        return TutorCard(
            id=row.id,
            full_name=row.full_name,
            headline=profile.headline,
            subjects=list(profile.subjects or []),
            languages=list(profile.languages or []),
            hourly_rate=(
                Money(profile.hourly_rate_amount, profile.hourly_rate_currency)
                if profile.hourly_rate_amount is not None and profile.hourly_rate_currency
                else None
            ),
            rating_average=round(profile.rating_average, 2) if profile.rating_average else None,
            rating_count=profile.rating_count,
            time_zone=profile.time_zone,
            avatar_url=self._avatar_url(row.avatar_key) if row.avatar_key else None,
        )

    async def testimonial(self, testimonial_id: UUID) -> TestimonialView | None:
        async with self._sessions() as session:
            row = (
                await session.execute(
                    _testimonial_select().where(TestimonialRow.id == testimonial_id)
                )
            ).one_or_none()
        return _testimonial_view(row) if row is not None else None

    async def testimonials(
        self, tutor_id: UUID, *, limit: int, cursor: str | None
    ) -> Page[TestimonialView]:
        stmt = _testimonial_select().where(TestimonialRow.tutor_id == tutor_id)
        stmt = newest_first_after(stmt, cursor, TestimonialRow.created_at, TestimonialRow.id)
        return await fetch_page(
            self._sessions,
            stmt,
            limit,
            _testimonial_view,
            lambda row: (row[0].created_at, row[0].id),
        )


def _testimonial_select() -> Any:
    return select(TestimonialRow, UserRow.full_name).join(
        UserRow, UserRow.id == TestimonialRow.student_id
    )


def _testimonial_view(row: Row[Any]) -> TestimonialView:
    return TestimonialView(
        id=row[0].id,
        booking_id=row[0].booking_id,
        student_name=row.full_name,
        rating=row[0].rating,
        text=row[0].text,
        created_at=row[0].created_at,
    )


def _json_contains(column: Any, value: str) -> Any:
    """Whether a JSON list of strings holds ``value``, case-insensitively (portable: the list
    is matched as text with its quotes)."""
    needle = json.dumps(value.lower())
    return func.lower(cast(column, Text)).contains(needle, autoescape=True)


def _starting(
    status: BookingStatus | None, starts_from: datetime | None, starts_to: datetime | None
) -> list[ColumnElement[bool]]:
    """A booking list's filters on state and start (``starts_to`` exclusive)."""
    conditions: list[ColumnElement[bool]] = []
    if status is not None:
        conditions.append(BookingRow.status == status.value)
    if starts_from is not None:
        conditions.append(BookingRow.starts_at >= starts_from)
    if starts_to is not None:
        conditions.append(BookingRow.starts_at < starts_to)
    return conditions
