"""Unpaid holds are limited per student, overall and with one tutor (issue 15, finding 4: one
student could hold any number of a tutor's hours unpaid, renewing them every 15 minutes).
Each limit is tested at its boundary: the last hold allowed, the first refused (with nothing
held), and what frees a place again (paying, cancelling, the hold running out)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.integration.usecases.world import World

from elearn.application.tutoring.ports import BookingFilters
from elearn.domain.shared.errors import Conflict
from elearn.domain.tutoring.booking import BookingStatus

# The defaults: 3 unpaid holds per student, 2 of them with one tutor.
PER_STUDENT, PER_TUTOR = 3, 2


async def held_by(world: World, *, as_tutor: bool = False) -> list[BookingStatus]:
    actor = world.tutor if as_tutor else world.student
    page = await world.container.tutoring.my_bookings(actor, BookingFilters(as_tutor=as_tutor))
    return [booking.status for booking in page.items]


async def test_a_student_holds_two_hours_of_one_tutor_and_the_third_is_refused(
    world: World,
) -> None:
    await world.offer_lessons()
    for hour in range(10, 10 + PER_TUTOR):
        await world.hold(world.student, world.days_ahead_at(3, hour))

    with pytest.raises(Conflict) as refused:
        await world.hold(world.student, world.days_ahead_at(3, 14))

    assert refused.value.code == "too-many-holds-with-tutor"
    assert "(2)" in refused.value.message
    assert await held_by(world) == [BookingStatus.HELD] * PER_TUTOR


async def test_the_limit_overall_counts_holds_with_every_tutor(world: World) -> None:
    await world.offer_lessons()
    await world.offer_lessons(world.cotutor)
    await world.hold(world.student, world.days_ahead_at(3, 10))
    await world.hold(world.student, world.days_ahead_at(3, 11))
    await world.hold(world.student, world.days_ahead_at(4, 10), tutor=world.cotutor)

    with pytest.raises(Conflict) as refused:
        await world.hold(world.student, world.days_ahead_at(4, 11), tutor=world.cotutor)

    assert refused.value.code == "too-many-holds"
    assert len(await held_by(world)) == PER_STUDENT


async def test_another_student_is_not_held_back_by_the_first_ones_holds(world: World) -> None:
    await world.offer_lessons()
    for hour in range(10, 10 + PER_TUTOR):
        await world.hold(world.student, world.days_ahead_at(3, hour))

    held = await world.hold(world.classmate, world.days_ahead_at(3, 14))

    assert held.status is BookingStatus.HELD


async def test_a_paid_hold_no_longer_counts(world: World) -> None:
    await world.offer_lessons()
    await world.confirmed_with_credits(world.student, world.days_ahead_at(3, 10))
    await world.hold(world.student, world.days_ahead_at(3, 11))

    held = await world.hold(world.student, world.days_ahead_at(3, 12))

    assert held.status is BookingStatus.HELD


async def test_a_cancelled_hold_frees_its_place(world: World) -> None:
    tutoring = world.container.tutoring
    await world.offer_lessons()
    first = await world.hold(world.student, world.days_ahead_at(3, 10))
    await world.hold(world.student, world.days_ahead_at(3, 11))
    await tutoring.cancel(world.student, first.id, None)

    held = await world.hold(world.student, world.days_ahead_at(3, 12))

    assert held.status is BookingStatus.HELD


async def test_a_hold_counts_until_the_second_it_runs_out(world: World) -> None:
    await world.offer_lessons()
    for hour in range(10, 10 + PER_TUTOR):
        await world.hold(world.student, world.days_ahead_at(3, hour))

    world.clock.advance(timedelta(minutes=15) - timedelta(seconds=1))
    with pytest.raises(Conflict) as refused:
        await world.hold(world.student, world.days_ahead_at(3, 14))
    assert refused.value.code == "too-many-holds-with-tutor"

    world.clock.advance(timedelta(seconds=1))
    held = await world.hold(world.student, world.days_ahead_at(3, 14))
    assert held.status is BookingStatus.HELD


async def test_the_same_hold_asked_again_with_its_key_is_answered_at_the_limit(
    world: World,
) -> None:
    tutoring = world.container.tutoring
    await world.offer_lessons()
    assert world.tutor.user_id is not None
    await world.hold(world.student, world.days_ahead_at(3, 10))
    request = {
        "tutor_id": world.tutor.user_id,
        "starts_at": world.days_ahead_at(3, 11),
        "duration_minutes": 60,
        "idempotency_key": "hold-11",
    }
    first = await tutoring.hold(world.student, **request)  # type: ignore[arg-type]

    again = await tutoring.hold(world.student, **request)  # type: ignore[arg-type]

    assert again.id == first.id
    assert len(await held_by(world)) == PER_TUTOR
