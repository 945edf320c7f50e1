"""A tutor's availability and the slots students can book in it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from elearn.application.actor import Actor
from elearn.application.authorization import Permission
from elearn.application.errors import FieldError, InvalidInput, NotFound
from elearn.application.paging import Page, check_limit, page_of
from elearn.application.tutoring.deps import (
    NEIGHBOURHOOD,
    TutoringDeps,
    TutorNotFound,
    aware,
    in_era,
)
from elearn.application.tutoring.ports import TutorCard, TutorFilters
from elearn.domain.tutoring.availability import (
    Availability,
    AvailabilityException,
    ExceptionKind,
    slots,
)

MAX_SLOT_RANGE = timedelta(days=31)
MAX_EXCEPTIONS = 200


@dataclass(frozen=True, slots=True)
class SlotsView:
    tutor_id: UUID
    time_zone: str
    duration_minutes: int
    starts: list[datetime]


class GetMyAvailability:
    def __init__(self, deps: TutoringDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor) -> Availability:
        tutor_id = self._deps.authorizer.require(actor, Permission.OFFER_LESSONS)
        async with self._deps.uow(read_only=True) as uow:
            found = await uow.tutoring.availability.get(tutor_id)
            if found is not None:
                return found
            profile = await self._deps.identity.tutor_terms(uow, tutor_id)
        return Availability(time_zone=profile.time_zone if profile else "UTC")


class SetMyAvailability:
    """Replaces the weekly windows and booking rules; one-off exceptions are kept. Bookings
    already made are not touched."""

    def __init__(self, deps: TutoringDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, availability: Availability) -> Availability:
        tutor_id = self._deps.authorizer.require(actor, Permission.OFFER_LESSONS)
        async with self._deps.uow() as uow:
            current = await uow.tutoring.availability.get(tutor_id, for_update=True)
            kept = current.exceptions if current is not None else ()
            updated = dataclasses.replace(availability, exceptions=kept)
            await uow.tutoring.availability.put(tutor_id, updated, self._deps.clock.now())
            await uow.commit()
        return updated


class ChangeExceptions:
    """Adds a one-off extra window or blocked time (local times in the tutor's zone), or
    removes one."""

    def __init__(self, deps: TutoringDeps) -> None:
        self._deps = deps

    async def add(
        self, actor: Actor, kind: ExceptionKind, start: datetime, end: datetime
    ) -> AvailabilityException:
        deps = self._deps
        tutor_id = self._deps.authorizer.require(actor, Permission.OFFER_LESSONS)
        if start.tzinfo is not None or end.tzinfo is not None:
            raise InvalidInput(
                "exceptions are in your own time zone",
                errors=[FieldError("start", "is a local date and time, without an offset")],
            )
        in_era(start, "start")
        in_era(end, "end")
        exception = AvailabilityException(id=deps.ids.new_id(), kind=kind, start=start, end=end)
        async with deps.uow() as uow:
            current = await uow.tutoring.availability.get(tutor_id, for_update=True)
            if current is None:
                profile = await deps.identity.tutor_terms(uow, tutor_id)
                current = Availability(time_zone=profile.time_zone if profile else "UTC")
            if len(current.exceptions) >= MAX_EXCEPTIONS:
                raise InvalidInput(
                    "too many exceptions",
                    errors=[FieldError("start", f"at most {MAX_EXCEPTIONS}; remove old ones")],
                )
            updated = dataclasses.replace(current, exceptions=(*current.exceptions, exception))
            await uow.tutoring.availability.put(tutor_id, updated, deps.clock.now())
            await uow.commit()
        return exception

    async def remove(self, actor: Actor, exception_id: UUID) -> None:
        deps = self._deps
        tutor_id = self._deps.authorizer.require(actor, Permission.OFFER_LESSONS)
        async with deps.uow() as uow:
            current = await uow.tutoring.availability.get(tutor_id, for_update=True)
            kept = tuple(e for e in (current.exceptions if current else ()) if e.id != exception_id)
            if current is None or len(kept) == len(current.exceptions):
                raise NotFound("there is no such exception", code="exception-not-found")
            await uow.tutoring.availability.put(
                tutor_id, dataclasses.replace(current, exceptions=kept), deps.clock.now()
            )
            await uow.commit()


class ListSlots:
    """A tutor's bookable start times between two instants, for one duration, in UTC; the
    tutor's time zone is named so front ends can show both."""

    def __init__(self, deps: TutoringDeps) -> None:
        self._deps = deps

    async def __call__(
        self, tutor_id: UUID, start: datetime, end: datetime, duration_minutes: int
    ) -> SlotsView:
        deps = self._deps
        start, end = aware(start, "from"), aware(end, "to")
        if not timedelta(0) < end - start <= MAX_SLOT_RANGE:
            raise InvalidInput(
                "the range is empty or too long",
                errors=[FieldError("to", "is after from, at most 31 days later")],
            )
        calendar = await deps.queries.tutor_calendar(
            tutor_id, start - NEIGHBOURHOOD, end + NEIGHBOURHOOD
        )
        if calendar is None:
            raise TutorNotFound()
        availability = calendar.availability
        if availability is None:
            return SlotsView(tutor_id, "UTC", duration_minutes, [])
        if duration_minutes not in availability.durations:
            raise InvalidInput(
                "this tutor does not give lessons of that length",
                errors=[
                    FieldError(
                        "duration",
                        "is one of " + ", ".join(map(str, availability.durations)),
                    )
                ],
            )
        now = deps.clock.now()
        return SlotsView(
            tutor_id=tutor_id,
            time_zone=availability.time_zone,
            duration_minutes=duration_minutes,
            starts=slots(
                availability,
                now=now,
                start=start,
                end=end,
                duration_minutes=duration_minutes,
                taken=calendar.taken(now),
            ),
        )


class FindTutors:
    """Approved tutors by subject, language, price, rating and, with ``available_from`` and
    ``available_to``, a free slot in that range."""

    def __init__(self, deps: TutoringDeps) -> None:
        self._deps = deps

    async def __call__(
        self,
        filters: TutorFilters,
        *,
        available_from: datetime | None = None,
        available_to: datetime | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[TutorCard]:
        deps = self._deps
        check_limit(limit)
        if (available_from is None) != (available_to is None):
            raise InvalidInput(
                "a free time is a range",
                errors=[FieldError("available_to", "goes with available_from")],
            )
        if available_from is None or available_to is None:
            return await page_of(deps.queries.tutors(filters, limit=limit, cursor=cursor))
        start, end = aware(available_from, "available_from"), aware(available_to, "available_to")
        if not timedelta(0) < end - start <= MAX_SLOT_RANGE:
            raise InvalidInput(
                "the range is empty or too long",
                errors=[FieldError("available_to", "is after available_from, at most 31 days")],
            )
        # Walk the filtered list in its order and keep tutors with a free slot, so the cursor
        # stays the list's own.
        found: list[TutorCard] = []
        next_cursor = cursor
        while len(found) < limit:
            wanted = limit - len(found)
            page = await page_of(deps.queries.tutors(filters, limit=wanted, cursor=next_cursor))
            for card in page.items:
                if await self._has_free_slot(card.id, start, end):
                    found.append(card)
            next_cursor = page.next_cursor
            if next_cursor is None:
                break
        return Page(items=found, next_cursor=next_cursor)

    async def _has_free_slot(self, tutor_id: UUID, start: datetime, end: datetime) -> bool:
        deps = self._deps
        calendar = await deps.queries.tutor_calendar(
            tutor_id, start - NEIGHBOURHOOD, end + NEIGHBOURHOOD
        )
        if calendar is None or calendar.availability is None:
            return False
        availability = calendar.availability
        now = deps.clock.now()
        busy = calendar.taken(now)
        return any(
            slots(availability, now=now, start=start, end=end, duration_minutes=d, taken=busy)
            for d in availability.durations
        )
