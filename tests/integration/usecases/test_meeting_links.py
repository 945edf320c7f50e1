"""Who sees a lesson's meeting link, and when (issue 15, finding 2): only the student and the
tutor of a confirmed booking, from 15 minutes before the start until the end; nobody sees it
on a hold, a cancelled lesson, or as staff; lists and the calendar feed follow the same rule.
Rooms made for tutors without a meeting URL of their own cannot be guessed."""

from __future__ import annotations

from datetime import timedelta

from tests.integration.usecases.world import World

from elearn.application.actor import Actor
from elearn.application.identity.account import TutorProfileChanges, UpdateAccount
from elearn.application.tutoring.ports import BookingFilters, BookingView

ROOM = "https://meet.example.com/tutors-own-room"
LEAD = timedelta(minutes=15)
SECOND = timedelta(seconds=1)


async def offer_with_room(world: World) -> None:
    await world.offer_lessons()
    await world.container.identity.update_account(
        world.tutor, UpdateAccount(tutor=TutorProfileChanges(meeting_url=ROOM))
    )


async def seen_by(world: World, viewer: Actor, booking: BookingView) -> str | None:
    return (await world.container.tutoring.get_booking(viewer, booking.id)).meeting_url


async def test_the_two_people_see_the_link_from_15_minutes_before_until_the_end(
    world: World,
) -> None:
    await offer_with_room(world)
    lesson = await world.confirmed_with_credits(world.student, world.days_ahead_at(3, 10))
    assert lesson.meeting_url is None  # paid days ahead: not yet

    world.clock.set(lesson.starts_at - LEAD - SECOND)
    assert await seen_by(world, world.student, lesson) is None
    assert await seen_by(world, world.tutor, lesson) is None

    world.clock.set(lesson.starts_at - LEAD)
    assert await seen_by(world, world.student, lesson) == ROOM
    assert await seen_by(world, world.tutor, lesson) == ROOM

    world.clock.set(lesson.ends_at - SECOND)
    assert await seen_by(world, world.student, lesson) == ROOM

    world.clock.set(lesson.ends_at)
    assert await seen_by(world, world.student, lesson) is None
    assert await seen_by(world, world.tutor, lesson) is None


async def test_staff_who_may_see_any_booking_do_not_see_its_link(world: World) -> None:
    await offer_with_room(world)
    lesson = await world.confirmed_with_credits(world.student, world.days_ahead_at(3, 10))
    world.clock.set(lesson.starts_at)

    assert await seen_by(world, world.admin, lesson) is None
    assert await seen_by(world, world.manager, lesson) is None


async def test_an_unpaid_hold_shows_no_link(world: World) -> None:
    await offer_with_room(world)
    held = await world.hold(world.student, world.days_ahead_at(3, 10))
    await world.top_up(world.student, held.price.amount)
    world.clock.set(held.starts_at)

    assert await seen_by(world, world.student, held) is None
    assert await seen_by(world, world.tutor, held) is None


async def test_a_lesson_cancelled_shows_no_link_even_at_its_time(world: World) -> None:
    await offer_with_room(world)
    lesson = await world.confirmed_with_credits(world.student, world.days_ahead_at(3, 10))
    await world.container.tutoring.cancel(world.tutor, lesson.id, "ill")
    world.clock.set(lesson.starts_at)

    assert await seen_by(world, world.student, lesson) is None
    assert await seen_by(world, world.tutor, lesson) is None


async def test_lists_follow_the_same_rule(world: World) -> None:
    tutoring = world.container.tutoring
    await offer_with_room(world)
    soon = await world.confirmed_with_credits(world.student, world.days_ahead_at(3, 10))
    later = await world.confirmed_with_credits(world.student, world.days_ahead_at(3, 14))
    world.clock.set(soon.starts_at - LEAD)

    mine = {
        b.id: b.meeting_url
        for b in (await tutoring.my_bookings(world.student, BookingFilters())).items
    }
    theirs = {
        b.id: b.meeting_url
        for b in (await tutoring.my_bookings(world.tutor, BookingFilters(as_tutor=True))).items
    }

    assert mine == theirs == {soon.id: ROOM, later.id: None}


async def test_the_calendar_feed_carries_the_link_only_while_it_is_shown(world: World) -> None:
    tutoring = world.container.tutoring
    await offer_with_room(world)
    lesson = await world.confirmed_with_credits(world.student, world.days_ahead_at(3, 10))
    token = (await tutoring.calendar.new_link(world.student)).url.rpartition("token=")[2]

    assert ROOM not in (await tutoring.calendar.render(token)).decode()
    world.clock.set(lesson.starts_at - LEAD)
    assert ROOM in (await tutoring.calendar.render(token)).decode()


async def test_generated_rooms_are_unguessable_and_one_per_booking(world: World) -> None:
    await world.offer_lessons()  # no meeting URL of the tutor's own
    first = await world.confirmed_with_credits(world.student, world.days_ahead_at(3, 10))
    second = await world.confirmed_with_credits(world.classmate, world.days_ahead_at(3, 12))
    world.clock.set(first.starts_at)
    first_room = await seen_by(world, world.student, first)
    world.clock.set(second.starts_at)
    second_room = await seen_by(world, world.classmate, second)

    assert first_room and second_room and first_room != second_room
    for room, booking in ((first_room, first), (second_room, second)):
        assert room.startswith("https://meet.jit.si/elearn/")
        name = room.rpartition("/")[2]
        # Nothing anyone else knows (the booking's id, its order's) names the room.
        assert booking.id.hex not in name and str(booking.id) not in name
        assert booking.order_id is not None and booking.order_id.hex not in name
        assert len(name) >= 32
