"""Billing's use cases called directly: wallet top-ups through the sandbox's capture, courses
bought by card and with credits, refunds moving money back, and books that always balance."""

from __future__ import annotations

import pytest
from tests.integration.usecases.world import World

from elearn.application.billing.checkout import CheckoutItem
from elearn.application.billing.ports import OrderFilters
from elearn.application.errors import InvalidInput, NotFound, PermissionDenied
from elearn.domain.billing.fees import FeeSplit
from elearn.domain.billing.order import OrderStatus, RefundStatus
from elearn.domain.learning.enrollment import EnrollmentStatus
from elearn.domain.shared.errors import Conflict, RuleViolation
from elearn.domain.shared.money import Money

PRICE = 2000  # 20.00 USD
TUTOR_SHARE = 1700  # after the default 15 % platform fee


def usd(amount: int) -> Money:
    return Money(amount, "USD")


async def test_a_top_up_captured_by_the_sandbox_credits_the_wallet(world: World) -> None:
    order_id = await world.top_up(world.student, 5000)

    assert await world.wallet_balance(world.student) == 5000
    order = await world.container.billing.get_order(world.student, order_id)
    assert (order.status, order.amount, order.paid_at) == (
        OrderStatus.SUCCEEDED,
        usd(5000),
        world.clock.now(),
    )
    await world.books_balance()


async def test_a_declined_top_up_credits_nothing(world: World) -> None:
    billing = world.container.billing
    started = await billing.start_checkout(
        world.student, CheckoutItem(kind="wallet_topup", amount=5000, currency="USD")
    )

    failed = await billing.sandbox_checkout(world.student, started.order_id, "fail")

    assert failed.status is OrderStatus.FAILED
    assert await world.wallet_balance(world.student) == 0


async def test_a_top_up_beyond_the_limit_is_refused(world: World) -> None:
    too_much = (world.container.settings.maximum_topup + 1) * 100

    with pytest.raises(InvalidInput) as refused:
        await world.container.billing.start_checkout(
            world.student, CheckoutItem(kind="wallet_topup", amount=too_much, currency="USD")
        )
    assert [error.field for error in refused.value.errors] == ["item.amount"]


async def test_the_same_idempotency_key_answers_the_same_checkout(world: World) -> None:
    billing = world.container.billing
    item = CheckoutItem(kind="wallet_topup", amount=1000, currency="USD")

    first = await billing.start_checkout(world.student, item, idempotency_key="key-1")
    again = await billing.start_checkout(world.student, item, idempotency_key="key-1")

    assert again == first
    assert len((await billing.my_orders(world.student)).items) == 1


async def test_a_course_paid_by_card_enrolls_the_buyer_and_credits_the_tutor_pending(
    world: World,
) -> None:
    billing = world.container.billing
    course = await world.paid_course(PRICE)

    started = await billing.start_checkout(world.student, CheckoutItem("course", course.id))
    await billing.sandbox_checkout(world.student, started.order_id, "succeed")

    (enrollment,) = (await world.container.learning.my_enrollments(world.student)).items
    assert (enrollment.course.id, enrollment.status) == (course.id, EnrollmentStatus.ACTIVE)
    (earned,) = (await billing.earnings(world.tutor)).balances
    assert (earned.pending, earned.available) == (usd(TUTOR_SHARE), usd(0))
    assert earned.total_earned == usd(TUTOR_SHARE)
    await world.books_balance()


async def test_credits_buy_a_course_at_once(world: World) -> None:
    billing = world.container.billing
    course = await world.paid_course(PRICE)
    await world.top_up(world.student, 5000)

    purchase = await billing.purchase_with_credits(world.student, course.id)

    assert (purchase.status, purchase.amount) == (OrderStatus.SUCCEEDED.value, usd(PRICE))
    assert await world.wallet_balance(world.student) == 5000 - PRICE
    enrolled = await world.container.learning.my_enrollments(world.student)
    assert [e.course.id for e in enrolled.items] == [course.id]
    await world.books_balance()


async def test_credits_cannot_buy_more_than_the_wallet_holds(world: World) -> None:
    course = await world.paid_course(PRICE)
    await world.top_up(world.student, PRICE - 1)

    with pytest.raises(RuleViolation) as refused:
        await world.container.billing.purchase_with_credits(world.student, course.id)
    assert refused.value.code == "insufficient-funds"
    assert await world.wallet_balance(world.student) == PRICE - 1
    assert (await world.container.learning.my_enrollments(world.student)).items == []


async def test_a_course_already_owned_is_not_sold_again(world: World) -> None:
    billing = world.container.billing
    course = await world.paid_course(PRICE)
    await world.top_up(world.student, 5000)
    await billing.purchase_with_credits(world.student, course.id)

    with pytest.raises(Conflict) as refused:
        await billing.purchase_with_credits(world.student, course.id)
    assert refused.value.code == "already-owned"
    assert await world.wallet_balance(world.student) == 5000 - PRICE


async def test_instructors_do_not_buy_their_own_course(world: World) -> None:
    course = await world.paid_course(PRICE)

    with pytest.raises(PermissionDenied) as refused:
        await world.container.billing.start_checkout(world.tutor, CheckoutItem("course", course.id))
    assert refused.value.code == "own-course"


async def test_refunding_a_credit_purchase_puts_the_credits_back(world: World) -> None:
    billing = world.container.billing
    course = await world.paid_course(PRICE)
    await world.top_up(world.student, 5000)
    purchase = await billing.purchase_with_credits(world.student, course.id)

    refund = await billing.refund_payment(
        world.admin, purchase.order_id, amount=None, reason="changed their mind"
    )

    assert (refund.status, refund.amount) == (RefundStatus.SUCCEEDED, usd(PRICE))
    assert await world.wallet_balance(world.student) == 5000
    order = await billing.get_order(world.student, purchase.order_id)
    assert (order.status, order.refunded) == (OrderStatus.REFUNDED, usd(PRICE))
    (earned,) = (await billing.earnings(world.tutor)).balances
    # A sale refunded in full earned the tutor nothing.
    assert (earned.pending, earned.total_earned) == (usd(0), usd(0))
    await world.books_balance()


async def test_a_partial_card_refund_leaves_the_rest_refundable(world: World) -> None:
    billing = world.container.billing
    order_id = await world.top_up(world.student, 5000)

    refund = await billing.refund_payment(world.admin, order_id, amount=usd(1000), reason="partly")

    assert (refund.status, refund.amount) == (RefundStatus.SUCCEEDED, usd(1000))
    order = await billing.get_order(world.admin, order_id)
    assert (order.status, order.refunded) == (OrderStatus.PARTIALLY_REFUNDED, usd(1000))
    assert await world.wallet_balance(world.student) == 4000
    await world.books_balance()


async def test_no_more_is_refunded_than_was_paid(world: World) -> None:
    billing = world.container.billing
    order_id = await world.top_up(world.student, 5000)

    with pytest.raises(RuleViolation) as refused:
        await billing.refund_payment(world.admin, order_id, amount=usd(5001), reason="too much")
    assert refused.value.code == "invalid-refund"
    assert await world.wallet_balance(world.student) == 5000


async def test_a_refund_is_asked_for_in_the_payments_currency(world: World) -> None:
    billing = world.container.billing
    order_id = await world.top_up(world.student, 5000)

    with pytest.raises(InvalidInput) as refused:
        await billing.refund_payment(
            world.admin, order_id, amount=Money(1000, "EUR"), reason="wrong currency"
        )
    assert refused.value.code == "currency-mismatch"
    assert [error.field for error in refused.value.errors] == ["amount.currency"]
    assert await world.wallet_balance(world.student) == 5000
    order = await billing.get_order(world.admin, order_id)
    assert (order.status, order.refunded) == (OrderStatus.SUCCEEDED, usd(0))


async def test_only_admins_refund_payments(world: World) -> None:
    order_id = await world.top_up(world.student, 5000)

    with pytest.raises(PermissionDenied) as refused:
        await world.container.billing.refund_payment(
            world.manager, order_id, amount=None, reason="not mine to give"
        )
    assert refused.value.code == "permission-denied"
    assert await world.wallet_balance(world.student) == 5000


async def test_only_admins_read_the_trial_balance(world: World) -> None:
    with pytest.raises(PermissionDenied):
        await world.container.billing.trial_balance(world.manager)
    assert (await world.books_balance()).accounts == []


async def test_an_order_is_hidden_from_other_buyers(world: World) -> None:
    order_id = await world.top_up(world.student, 5000)

    with pytest.raises(NotFound) as refused:
        await world.container.billing.get_order(world.classmate, order_id)
    assert refused.value.code == "order-not-found"


async def test_total_earned_is_the_tutors_share_of_sales_less_what_refunds_took_back(
    world: World,
) -> None:
    billing = world.container.billing
    first, second = await world.paid_course(PRICE), await world.paid_course(999)
    await world.top_up(world.student, 5000)
    kept = await billing.purchase_with_credits(world.student, first.id)
    partly = await billing.purchase_with_credits(world.student, second.id)

    await billing.refund_payment(world.admin, partly.order_id, amount=usd(333), reason="partly")

    (earned,) = (await billing.earnings(world.tutor)).balances
    # What the ledger holds for the tutor is what they earned net: nothing was paid out or
    # covered by the platform, so the books are the oracle.
    held = earned.pending.amount + earned.available.amount + earned.on_hold.amount
    assert earned.total_earned == usd(held)
    fees = FeeSplit(1500)
    assert earned.total_earned == (
        fees.tutor_share(usd(PRICE)) + fees.tutor_share(usd(999)) - fees.tutor_share(usd(333))
    )
    await billing.refund_payment(world.admin, kept.order_id, amount=None, reason="all of it")
    (earned,) = (await billing.earnings(world.tutor)).balances
    assert earned.total_earned == fees.tutor_share(usd(999)) - fees.tutor_share(usd(333))


async def test_buyers_see_what_they_paid_and_staff_see_the_real_split_of_each_kind(
    world: World,
) -> None:
    billing = world.container.billing
    course = await world.paid_course(PRICE)
    topup_id = await world.top_up(world.student, 5000)
    purchase = await billing.purchase_with_credits(world.student, course.id)

    mine = await billing.my_orders(world.student)
    assert {order.id for order in mine.items} == {topup_id, purchase.order_id}
    for order in mine.items:
        assert not hasattr(order, "platform_fee") and not hasattr(order, "tutor_share")
        assert not hasattr(order, "payee_id")

    staff = {o.id: o for o in (await billing.list_orders(world.admin, OrderFilters())).items}
    topup, sale = staff[topup_id], staff[purchase.order_id]
    # A top-up is the buyer's own credit: no fee, and no tutor's share.
    assert (topup.platform_fee, topup.tutor_share, topup.payee_id) == (usd(0), None, None)
    assert (sale.platform_fee, sale.tutor_share) == (usd(PRICE - TUTOR_SHARE), usd(TUTOR_SHARE))
    assert sale.payee_id == world.tutor.user_id
