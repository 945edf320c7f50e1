"""Tutoring's use cases called directly: availability, holds, payment, the cancellation and
refund policy to the second, and double booking refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.integration.usecases.world import WORKING_HOURS, World

from elearn.application.billing.api import ReturnUrls
from elearn.application.errors import InvalidInput, NotFound, PermissionDenied
from elearn.domain.billing.order import OrderStatus
from elearn.domain.shared.errors import Conflict, IllegalTransition
from elearn.domain.shared.money import Money
from elearn.domain.tutoring.booking import BookingStatus


def usd(amount: int) -> Money:
    return Money(amount, "USD")


RATE = 4000  # 40.00 USD an hour
TUTOR_SHARE = 3400  # after the default 15 % platform fee


async def test_a_tutor_sets_availability_and_students_see_its_slots(world: World) -> None:
    tutoring = world.container.tutoring
    await world.offer_lessons()
    day = world.days_ahead_at(3, 0)
    assert world.tutor.user_id is not None

    kept = await tutoring.my_availability(world.tutor)
    slots = await tutoring.slots(world.tutor.user_id, day, day + timedelta(days=1), 60)

    assert (kept.windows, kept.durations) == (WORKING_HOURS.windows, WORKING_HOURS.durations)
    assert slots.starts[0] == world.days_ahead_at(3, 9)
    assert slots.starts[-1] == world.days_ahead_at(3, 16)


async def test_only_tutors_offer_lessons(world: World) -> None:
    with pytest.raises(PermissionDenied) as refused:
        await world.container.tutoring.set_availability(world.student, WORKING_HOURS)
    assert refused.value.code == "not-a-tutor"


async def test_a_student_holds_a_free_slot_at_the_tutors_rate(world: World) -> None:
    await world.offer_lessons(rate=RATE)

    held = await world.hold(world.student, world.days_ahead_at(3, 10), minutes=30)

    assert held.status is BookingStatus.HELD
    assert held.price == Money(RATE // 2, "USD")
    assert held.held_until == world.clock.now() + timedelta(minutes=15)
    assert held.student_id == world.student.user_id


async def test_a_time_another_student_holds_is_refused(world: World) -> None:
    await world.offer_lessons()
    await world.hold(world.student, world.days_ahead_at(3, 10))

    with pytest.raises(Conflict) as refused:
        await world.hold(world.classmate, world.days_ahead_at(3, 10) + timedelta(minutes=30))
    assert refused.value.code == "slot-taken"


async def test_a_student_cannot_book_two_tutors_at_once(world: World) -> None:
    await world.offer_lessons()
    await world.offer_lessons(world.cotutor)
    await world.hold(world.student, world.days_ahead_at(3, 10))

    with pytest.raises(Conflict) as refused:
        await world.hold(world.student, world.days_ahead_at(3, 10), tutor=world.cotutor)
    assert refused.value.code == "slot-taken"


async def test_a_time_outside_the_tutors_hours_is_refused(world: World) -> None:
    await world.offer_lessons()

    with pytest.raises(InvalidInput) as refused:
        await world.hold(world.student, world.days_ahead_at(3, 17))
    assert refused.value.code == "outside-availability"
    assert [e.field for e in refused.value.errors] == ["starts_at"]


async def test_a_length_the_tutor_does_not_offer_is_refused_by_name(world: World) -> None:
    await world.offer_lessons()

    with pytest.raises(InvalidInput) as refused:
        await world.hold(world.student, world.days_ahead_at(3, 10), minutes=45)
    assert refused.value.code == "duration-not-offered"
    assert [e.field for e in refused.value.errors] == ["duration_minutes"]


async def test_a_start_off_the_quarter_hour_is_refused_by_name(world: World) -> None:
    await world.offer_lessons()

    with pytest.raises(InvalidInput) as refused:
        await world.hold(world.student, world.days_ahead_at(3, 10) + timedelta(minutes=10))
    assert refused.value.code == "start-not-on-grid"
    assert [e.field for e in refused.value.errors] == ["starts_at"]


async def test_a_move_into_a_taken_hour_is_a_conflict_and_a_move_off_the_grid_a_rule(
    world: World,
) -> None:
    await world.offer_lessons()
    lesson = await world.confirmed_with_credits(world.student, world.days_ahead_at(3, 10))
    await world.hold(world.classmate, world.days_ahead_at(3, 12))
    tutoring = world.container.tutoring

    with pytest.raises(Conflict) as taken:
        await tutoring.reschedule(world.student, lesson.id, world.days_ahead_at(3, 12))
    assert taken.value.code == "slot-taken"
    with pytest.raises(InvalidInput) as off_grid:
        await tutoring.reschedule(
            world.student, lesson.id, world.days_ahead_at(3, 14) + timedelta(minutes=5)
        )
    assert off_grid.value.code == "start-not-on-grid"
    assert (await tutoring.get_booking(world.student, lesson.id)).starts_at == lesson.starts_at


async def test_paying_a_hold_with_credits_confirms_it_and_credits_the_tutor_pending(
    world: World,
) -> None:
    await world.offer_lessons(rate=RATE)

    booking = await world.confirmed_with_credits(world.student, world.days_ahead_at(3, 10))

    assert booking.meeting_url
    assert await world.wallet_balance(world.student) == 0
    (earned,) = (await world.container.billing.earnings(world.tutor)).balances
    assert (earned.pending, earned.available) == (usd(TUTOR_SHARE), usd(0))
    await world.books_balance()


async def test_paying_a_hold_by_card_confirms_it_once_the_payment_is_captured(
    world: World,
) -> None:
    tutoring = world.container.tutoring
    await world.offer_lessons()
    held = await world.hold(world.student, world.days_ahead_at(3, 10))

    payment = await tutoring.pay(world.student, held.id, "card")
    assert payment.booking.status is BookingStatus.HELD
    await world.container.billing.sandbox_checkout(payment.order_id, "succeed")

    booking = await tutoring.get_booking(world.student, held.id)
    assert (booking.status, booking.order_id) == (BookingStatus.CONFIRMED, payment.order_id)


async def test_a_lesson_paid_by_card_returns_the_buyer_to_an_allowed_page_only(
    world: World,
) -> None:
    tutoring = world.container.tutoring
    await world.offer_lessons()
    held = await world.hold(world.student, world.days_ahead_at(3, 10))
    public = world.container.settings.public_url.rstrip("/")

    with pytest.raises(InvalidInput) as refused:
        await tutoring.pay(
            world.student, held.id, "card", ReturnUrls(cancel_url="https://elsewhere.example/")
        )
    assert refused.value.code == "return-url-not-allowed"
    assert [e.field for e in refused.value.errors] == ["cancel_url"]
    assert (await tutoring.get_booking(world.student, held.id)).order_id is None

    back = ReturnUrls(success_url=f"{public}/lessons/booked", cancel_url=f"{public}/lessons")
    payment = await tutoring.pay(world.student, held.id, "card", back)

    order = await world.container.billing.sandbox_checkout.order(payment.order_id)
    assert (order.booking_id, order.success_url, order.cancel_url) == (
        held.id,
        back.success_url,
        back.cancel_url,
    )


async def test_a_hold_that_ran_out_cannot_be_paid(world: World) -> None:
    tutoring = world.container.tutoring
    await world.offer_lessons()
    held = await world.hold(world.student, world.days_ahead_at(3, 10))
    await world.top_up(world.student, held.price.amount)
    world.clock.advance(timedelta(minutes=15, seconds=1))

    with pytest.raises(Conflict) as refused:
        await tutoring.pay(world.student, held.id, "credits")
    assert refused.value.code == "hold-expired"
    assert (await tutoring.get_booking(world.student, held.id)).status is BookingStatus.EXPIRED
    assert await world.wallet_balance(world.student) == held.price.amount


async def test_a_student_cancelling_more_than_24_hours_ahead_is_refunded_in_full(
    world: World,
) -> None:
    await world.offer_lessons()
    booking = await world.confirmed_with_credits(world.student, world.days_ahead_at(3, 10))

    cancelled = await world.container.tutoring.cancel(world.student, booking.id, "sick")

    assert cancelled.status is BookingStatus.CANCELLED_BY_STUDENT
    assert await world.wallet_balance(world.student) == booking.price.amount
    order = await world.container.billing.get_order(world.student, booking.order_id)  # type: ignore[arg-type]
    assert order.status is OrderStatus.REFUNDED
    await world.books_balance()


async def test_cancelling_exactly_at_the_cutoff_is_still_in_time(world: World) -> None:
    await world.offer_lessons()
    booking = await world.confirmed_with_credits(world.student, world.days_ahead_at(3, 10))
    world.clock.set(booking.starts_at - timedelta(hours=24))

    await world.container.tutoring.cancel(world.student, booking.id, None)

    assert await world.wallet_balance(world.student) == booking.price.amount


async def test_a_student_cancelling_inside_24_hours_gets_nothing_back_and_the_tutor_is_paid(
    world: World,
) -> None:
    await world.offer_lessons(rate=RATE)
    booking = await world.confirmed_with_credits(world.student, world.days_ahead_at(3, 10))
    world.clock.set(booking.starts_at - timedelta(hours=24) + timedelta(seconds=1))

    await world.container.tutoring.cancel(world.student, booking.id, None)

    assert await world.wallet_balance(world.student) == 0
    (earned,) = (await world.container.billing.earnings(world.tutor)).balances
    assert (earned.pending, earned.available) == (usd(0), usd(TUTOR_SHARE))
    await world.books_balance()


async def test_a_tutor_cancelling_late_refunds_in_full(world: World) -> None:
    await world.offer_lessons()
    booking = await world.confirmed_with_credits(world.student, world.days_ahead_at(3, 10))
    world.clock.set(booking.starts_at - timedelta(hours=1))

    cancelled = await world.container.tutoring.cancel(world.tutor, booking.id, "ill")

    assert cancelled.status is BookingStatus.CANCELLED_BY_TUTOR
    assert await world.wallet_balance(world.student) == booking.price.amount


async def test_a_cancelled_lesson_cannot_be_cancelled_again(world: World) -> None:
    tutoring = world.container.tutoring
    await world.offer_lessons()
    booking = await world.confirmed_with_credits(world.student, world.days_ahead_at(3, 10))
    await tutoring.cancel(world.student, booking.id, None)

    with pytest.raises(IllegalTransition) as refused:
        await tutoring.cancel(world.student, booking.id, None)
    assert refused.value.code == "illegal-transition"
    assert await world.wallet_balance(world.student) == booking.price.amount


async def test_a_booking_is_hidden_from_other_students(world: World) -> None:
    tutoring = world.container.tutoring
    await world.offer_lessons()
    held = await world.hold(world.student, world.days_ahead_at(3, 10))

    with pytest.raises(NotFound) as refused:
        await tutoring.cancel(world.classmate, held.id, None)
    assert refused.value.code == "booking-not-found"
    assert (await tutoring.get_booking(world.student, held.id)).status is BookingStatus.HELD


async def test_a_completed_lesson_makes_the_tutors_share_available(world: World) -> None:
    await world.offer_lessons(rate=RATE)
    booking = await world.confirmed_with_credits(world.student, world.days_ahead_at(3, 10))
    world.clock.set(booking.ends_at)

    completed = await world.container.tutoring.finish.complete(world.tutor, booking.id)

    assert completed.status is BookingStatus.COMPLETED
    (earned,) = (await world.container.billing.earnings(world.tutor)).balances
    assert (earned.pending, earned.available) == (usd(0), usd(TUTOR_SHARE))


async def test_the_student_cannot_mark_a_lesson_completed(world: World) -> None:
    await world.offer_lessons()
    booking = await world.confirmed_with_credits(world.student, world.days_ahead_at(3, 10))
    world.clock.set(booking.ends_at)

    with pytest.raises(PermissionDenied):
        await world.container.tutoring.finish.complete(world.student, booking.id)
    booking_now = await world.container.tutoring.get_booking(world.student, booking.id)
    assert booking_now.status is BookingStatus.CONFIRMED
