"""Tutoring's personal data: lessons booked or taught, availability, testimonials written or
received, the calendar feed. Erasing drops what the person wrote (notes, reasons, testimonial
texts), their room and feed and availability; the lessons themselves stay, by id, beside the
money that paid for them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import delete, or_, select, update

from elearn.adapters.persistence.models.tutoring import (
    BookingRow,
    CalendarFeedRow,
    TestimonialRow,
    TutorAvailabilityRow,
)
from elearn.adapters.persistence.personal_data import money, plain, write
from elearn.adapters.persistence.unit_of_work import session_of
from elearn.application.personal_data import ErasedData, PersonalData, Pseudonym
from elearn.application.ports import Transaction


class TutoringPersonalData:
    async def export(self, uow: Transaction, user_id: UUID) -> PersonalData:
        session = session_of(uow)
        bookings = await session.scalars(
            select(BookingRow)
            .where(or_(BookingRow.student_id == user_id, BookingRow.tutor_id == user_id))
            .order_by(BookingRow.starts_at, BookingRow.id)
        )
        testimonials = await session.scalars(
            select(TestimonialRow)
            .where(or_(TestimonialRow.student_id == user_id, TestimonialRow.tutor_id == user_id))
            .order_by(TestimonialRow.created_at)
        )
        availability = await session.scalar(
            select(TutorAvailabilityRow).where(TutorAvailabilityRow.tutor_id == user_id)
        )
        feed = await session.scalar(
            select(CalendarFeedRow.created_at).where(CalendarFeedRow.user_id == user_id)
        )
        return PersonalData(
            records={
                "bookings": [_booking(b, user_id) for b in bookings],
                "testimonials": [
                    {
                        "id": str(t.id),
                        "booking_id": str(t.booking_id),
                        "written_by_you": t.student_id == user_id,
                        "rating": t.rating,
                        "text": t.text,
                        "created_at": plain(t.created_at),
                    }
                    for t in testimonials
                ],
                "availability": None
                if availability is None
                else {
                    "time_zone": availability.time_zone,
                    "windows": plain(availability.windows),
                    "durations": list(availability.durations),
                    "exceptions": plain(availability.exceptions),
                },
                "calendar_feed_created_at": plain(feed),
            }
        )

    async def erase(self, uow: Transaction, user_id: UUID, pseudonym: Pseudonym) -> ErasedData:
        session = session_of(uow)
        notes = await write(
            session,
            update(BookingRow).where(BookingRow.student_id == user_id).values(note=""),
        )
        reasons = await write(
            session,
            update(BookingRow)
            .where(
                or_(BookingRow.student_id == user_id, BookingRow.tutor_id == user_id),
                BookingRow.cancel_reason.is_not(None),
            )
            .values(cancel_reason=None),
        )
        rooms = await write(
            session,
            update(BookingRow)
            .where(BookingRow.tutor_id == user_id, BookingRow.meeting_url.is_not(None))
            .values(meeting_url=None),
        )
        testimonials = await write(
            session,
            update(TestimonialRow).where(TestimonialRow.student_id == user_id).values(text=""),
        )
        feeds = await write(
            session, delete(CalendarFeedRow).where(CalendarFeedRow.user_id == user_id)
        )
        availability = await write(
            session, delete(TutorAvailabilityRow).where(TutorAvailabilityRow.tutor_id == user_id)
        )
        return ErasedData(
            counts={
                "booking_notes": notes,
                "cancel_reasons": reasons,
                "meeting_rooms": rooms,
                "testimonial_texts": testimonials,
                "calendar_feeds": feeds,
                "availability": availability,
            }
        )


def _booking(booking: BookingRow, user_id: UUID) -> dict[str, Any]:
    return {
        "id": str(booking.id),
        "as": "student" if booking.student_id == user_id else "tutor",
        "tutor_id": str(booking.tutor_id),
        "student_id": str(booking.student_id),
        "starts_at": plain(booking.starts_at),
        "ends_at": plain(booking.ends_at),
        "status": booking.status,
        "price": money(booking.price_amount, booking.price_currency),
        "note": booking.note,
        "order_id": plain(booking.order_id),
        "confirmed_at": plain(booking.confirmed_at),
        "ended_at": plain(booking.ended_at),
        "cancel_reason": booking.cancel_reason,
    }
