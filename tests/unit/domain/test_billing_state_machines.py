"""The payment (order) and withdrawal state machines, every (status, action) pair of each in
one table, the refund checks, and the property that partial refunds adding up to the whole give
back exactly the sale's split."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elearn.domain.billing.fees import BASIS_POINTS, FeeSplit
from elearn.domain.billing.order import (
    InvalidRefund,
    ItemKind,
    Order,
    OrderPaid,
    OrderStatus,
    PaymentMethod,
)
from elearn.domain.billing.withdrawal import (
    Withdrawal,
    WithdrawalApproved,
    WithdrawalFailed,
    WithdrawalPaid,
    WithdrawalStatus,
)
from elearn.domain.shared.errors import IllegalTransition, RuleViolation
from elearn.domain.shared.money import Money

PROPERTY = settings(max_examples=200, deadline=None)
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)
ORDER_ID, BUYER, TUTOR, COURSE, ADMIN = (UUID(int=n) for n in range(1, 6))
S = OrderStatus
W = WithdrawalStatus


def course_order(amount: int = 10_000, *, bps: int = 1500, currency: str = "USD") -> Order:
    return Order(
        id=ORDER_ID,
        buyer_id=BUYER,
        kind=ItemKind.COURSE,
        method=PaymentMethod.CARD,
        amount=Money(amount, currency),
        created_at=NOW,
        platform_bps=bps,
        course_id=COURSE,
        payee_id=TUTOR,
    )


def order_in(status: OrderStatus) -> Order:
    """An order brought to ``status`` by legal moves only."""
    order = course_order()
    paths: dict[OrderStatus, list[Callable[[Order], None]]] = {
        S.PENDING: [],
        S.SUCCEEDED: [lambda o: o.succeed(NOW, payment_id="pi_1", event_id=uuid4())],
        S.FAILED: [lambda o: o.fail(NOW, "card declined")],
        S.EXPIRED: [lambda o: o.expire(NOW)],
        S.PARTIALLY_REFUNDED: [
            lambda o: o.succeed(NOW, payment_id="pi_1", event_id=uuid4()),
            lambda o: o.record_refund(Money(2_500, "USD")),
        ],
        S.REFUNDED: [
            lambda o: o.succeed(NOW, payment_id="pi_1", event_id=uuid4()),
            lambda o: o.record_refund(Money(10_000, "USD")),
        ],
    }
    for step in paths[status]:
        step(order)
    assert order.status is status
    return order


ORDER_ACTIONS: dict[str, Callable[[Order], None]] = {
    "succeed": lambda o: o.succeed(LATER, payment_id="pi_2", event_id=uuid4()),
    "fail": lambda o: o.fail(LATER, "declined"),
    "expire": lambda o: o.expire(LATER),
    "refund part": lambda o: o.record_refund(Money(1_000, "USD")),
    "refund the rest": lambda o: o.record_refund(o.refundable),
}

# Where each (status, action) leads, or the error it raises.
ORDER_TABLE: dict[tuple[OrderStatus, str], OrderStatus | type[Exception]] = {
    (S.PENDING, "succeed"): S.SUCCEEDED,
    (S.PENDING, "fail"): S.FAILED,
    (S.PENDING, "expire"): S.EXPIRED,
    (S.PENDING, "refund part"): IllegalTransition,
    (S.PENDING, "refund the rest"): IllegalTransition,
    # A capture after a declined attempt: Checkout lets the buyer try another card.
    (S.FAILED, "succeed"): S.SUCCEEDED,
    (S.FAILED, "fail"): IllegalTransition,
    (S.FAILED, "expire"): IllegalTransition,
    (S.FAILED, "refund part"): IllegalTransition,
    (S.FAILED, "refund the rest"): IllegalTransition,
    (S.EXPIRED, "succeed"): IllegalTransition,
    (S.EXPIRED, "fail"): IllegalTransition,
    (S.EXPIRED, "expire"): IllegalTransition,
    (S.EXPIRED, "refund part"): IllegalTransition,
    (S.EXPIRED, "refund the rest"): IllegalTransition,
    (S.SUCCEEDED, "succeed"): IllegalTransition,
    (S.SUCCEEDED, "fail"): IllegalTransition,
    (S.SUCCEEDED, "expire"): IllegalTransition,
    (S.SUCCEEDED, "refund part"): S.PARTIALLY_REFUNDED,
    (S.SUCCEEDED, "refund the rest"): S.REFUNDED,
    (S.PARTIALLY_REFUNDED, "succeed"): IllegalTransition,
    (S.PARTIALLY_REFUNDED, "fail"): IllegalTransition,
    (S.PARTIALLY_REFUNDED, "expire"): IllegalTransition,
    (S.PARTIALLY_REFUNDED, "refund part"): S.PARTIALLY_REFUNDED,
    (S.PARTIALLY_REFUNDED, "refund the rest"): S.REFUNDED,
    (S.REFUNDED, "succeed"): IllegalTransition,
    (S.REFUNDED, "fail"): IllegalTransition,
    (S.REFUNDED, "expire"): IllegalTransition,
    (S.REFUNDED, "refund part"): IllegalTransition,
    (S.REFUNDED, "refund the rest"): IllegalTransition,
}


def test_the_order_table_covers_every_status_and_action() -> None:
    assert set(ORDER_TABLE) == {(status, action) for status in S for action in ORDER_ACTIONS}


@pytest.mark.parametrize(
    ("status", "action"), list(ORDER_TABLE), ids=[f"{s}-{a}" for s, a in ORDER_TABLE]
)
def test_every_order_status_and_action(status: OrderStatus, action: str) -> None:
    order = order_in(status)
    before = (order.status, order.refunded_amount, order.paid_at, order.closed_at)
    expected = ORDER_TABLE[status, action]

    if isinstance(expected, OrderStatus):
        ORDER_ACTIONS[action](order)
        assert order.status is expected
    else:
        with pytest.raises(expected):
            ORDER_ACTIONS[action](order)
        # A refused move changes nothing on the order.
        assert (order.status, order.refunded_amount, order.paid_at, order.closed_at) == before


def test_moves_stamp_the_order() -> None:
    failed = order_in(S.FAILED)
    assert (failed.closed_at, failed.failure_reason) == (NOW, "card declined")

    failed.pull_events()
    paid_event = uuid4()
    failed.succeed(LATER, payment_id="pi_2", event_id=paid_event)
    assert failed.paid_at == LATER
    # Paid: one event, for the buyer's receipt.
    (paid,) = failed.pull_events()
    assert isinstance(paid, OrderPaid)
    assert (paid.event_id, paid.order_id, paid.buyer_id, paid.occurred_at) == (
        paid_event,
        failed.id,
        failed.buyer_id,
        LATER,
    )
    assert failed.closed_at is None and failed.failure_reason is None
    assert failed.provider_payment_id == "pi_2"

    assert order_in(S.EXPIRED).closed_at == NOW
    long_reason = course_order()
    long_reason.fail(NOW, "x" * 1000)
    assert long_reason.failure_reason == "x" * 500


def test_an_order_is_for_a_positive_amount_at_a_legal_rate_naming_its_course() -> None:
    with pytest.raises(RuleViolation):
        course_order(0)
    with pytest.raises(RuleViolation):
        course_order(bps=BASIS_POINTS + 1)
    with pytest.raises(RuleViolation):
        course_order(bps=1500.0)  # type: ignore[arg-type]
    with pytest.raises(RuleViolation):
        Order(
            id=ORDER_ID,
            buyer_id=BUYER,
            kind=ItemKind.WALLET_TOPUP,
            method=PaymentMethod.CARD,
            amount=Money(100, "USD"),
            created_at=NOW,
            platform_bps=1500,
            course_id=COURSE,
        )


# ---- refunds -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        pytest.param(Money(10_001, "USD"), InvalidRefund, id="more than paid"),
        pytest.param(Money(100, "EUR"), InvalidRefund, id="wrong currency"),
        pytest.param(Money(0, "USD"), InvalidRefund, id="zero"),
        pytest.param(Money(-100, "USD"), InvalidRefund, id="negative"),
    ],
)
def test_a_refund_is_positive_in_the_orders_currency_and_at_most_what_is_left(
    amount: Money, error: type[Exception]
) -> None:
    order = order_in(S.SUCCEEDED)

    with pytest.raises(error):
        order.check_refund(amount)
    with pytest.raises(error):
        order.record_refund(amount)
    assert order.refunded_amount == 0 and order.status is S.SUCCEEDED


def test_after_a_partial_refund_only_the_rest_can_be_refunded() -> None:
    order = order_in(S.PARTIALLY_REFUNDED)  # 2 500 of 10 000 refunded

    assert order.refundable == Money(7_500, "USD")
    with pytest.raises(InvalidRefund):
        order.record_refund(Money(7_501, "USD"))
    order.record_refund(Money(7_500, "USD"))
    assert order.status is S.REFUNDED and order.refundable == Money(0, "USD")


@pytest.mark.parametrize("status", [S.PENDING, S.FAILED, S.EXPIRED])
def test_an_unpaid_order_cannot_be_refunded_and_has_nothing_refundable(
    status: OrderStatus,
) -> None:
    order = order_in(status)

    assert not order.is_paid
    assert order.refundable == Money(0, "USD")
    with pytest.raises(IllegalTransition):
        order.check_refund(Money(1, "USD"))


def test_a_topup_refund_is_all_platform_side_and_a_sale_splits_by_the_rate() -> None:
    topup = Order(
        id=ORDER_ID,
        buyer_id=BUYER,
        kind=ItemKind.WALLET_TOPUP,
        method=PaymentMethod.CARD,
        amount=Money(5_000, "USD"),
        created_at=NOW,
        platform_bps=1500,
    )
    assert topup.split.tutor == Money(0, "USD") and topup.split.platform == Money(5_000, "USD")
    assert topup.refund_split(Money(1_000, "USD")).tutor == Money(0, "USD")
    assert course_order().split.tutor == Money(8_500, "USD")


@st.composite
def partitions(draw: st.DrawFn) -> tuple[int, list[int]]:
    """A gross amount and positive parts that add up to it."""
    gross = draw(st.integers(min_value=1, max_value=10**9))
    cuts = draw(st.lists(st.integers(min_value=1, max_value=gross), max_size=8, unique=True))
    points = sorted({0, gross, *cuts})
    return gross, [b - a for a, b in pairwise(points)]


@PROPERTY
@given(gross_and_parts=partitions(), bps=st.integers(min_value=0, max_value=BASIS_POINTS))
def test_partial_refunds_adding_up_to_the_gross_give_back_exactly_the_sales_split(
    gross_and_parts: tuple[int, list[int]], bps: int
) -> None:
    gross, parts = gross_and_parts
    order = course_order(gross, bps=bps, currency="JPY")
    order.succeed(NOW, payment_id="pi_1", event_id=uuid4())
    platform_back = tutor_back = 0
    # Refunds still in flight at the provider are not recorded on the order yet: the
    # application splits each one after those with ``already``, and must get the same parts.
    in_flight = Money(0, "JPY")

    for part in parts:
        refund = order.refund_split(Money(part, "JPY"))
        assert refund == order.refund_split(Money(part, "JPY"), already=in_flight)
        assert refund.platform + refund.tutor == Money(part, "JPY")
        assert refund.platform.amount >= 0 and refund.tutor.amount >= 0
        platform_back += refund.platform.amount
        tutor_back += refund.tutor.amount
        in_flight += Money(part, "JPY")
        order.record_refund(Money(part, "JPY"))
        # Whatever was refunded so far, the tutor has given back exactly their share of it.
        assert tutor_back == FeeSplit(bps).tutor_share(order.refunded).amount

    assert order.status is S.REFUNDED
    assert Money(platform_back, "JPY") == order.split.platform
    assert Money(tutor_back, "JPY") == order.split.tutor


# ---- withdrawals ---------------------------------------------------------------------------


def withdrawal_in(status: WithdrawalStatus) -> Withdrawal:
    withdrawal = Withdrawal(
        id=UUID(int=7), tutor_id=TUTOR, amount=Money(4_000, "USD"), requested_at=NOW
    )
    paths: dict[WithdrawalStatus, list[Callable[[Withdrawal], None]]] = {
        W.REQUESTED: [],
        W.APPROVED: [lambda w: w.approve(ADMIN, NOW, UUID(int=100))],
        W.REJECTED: [lambda w: w.reject(ADMIN, NOW, "no bank details")],
        W.PAID: [
            lambda w: w.approve(ADMIN, NOW, UUID(int=100)),
            lambda w: w.start_attempt(NOW),
            lambda w: w.mark_paid("tr_1", NOW, uuid4()),
        ],
        W.FAILED: [
            lambda w: w.approve(ADMIN, NOW, UUID(int=100)),
            lambda w: w.start_attempt(NOW),
            lambda w: w.mark_failed("account closed", NOW, UUID(int=101)),
        ],
    }
    for step in paths[status]:
        step(withdrawal)
    assert withdrawal.status is status
    withdrawal.pull_events()
    return withdrawal


WITHDRAWAL_ACTIONS: dict[str, Callable[[Withdrawal], None]] = {
    "approve": lambda w: w.approve(ADMIN, LATER, UUID(int=200)),
    "reject": lambda w: w.reject(ADMIN, LATER, "duplicate"),
    "start attempt": lambda w: w.start_attempt(LATER),
    "mark paid": lambda w: w.mark_paid("tr_2", LATER, uuid4()),
    "mark failed": lambda w: w.mark_failed("bank said no", LATER, UUID(int=201)),
}
# Legal moves; every other (status, action) pair is an IllegalTransition. Starting an attempt
# keeps the withdrawal approved (it only counts the attempt).
WITHDRAWAL_MOVES: dict[tuple[WithdrawalStatus, str], WithdrawalStatus] = {
    (W.REQUESTED, "approve"): W.APPROVED,
    (W.REQUESTED, "reject"): W.REJECTED,
    (W.APPROVED, "start attempt"): W.APPROVED,
    (W.APPROVED, "mark paid"): W.PAID,
    (W.APPROVED, "mark failed"): W.FAILED,
}
WITHDRAWAL_PAIRS = [(status, action) for status in W for action in WITHDRAWAL_ACTIONS]


@pytest.mark.parametrize(
    ("status", "action"), WITHDRAWAL_PAIRS, ids=[f"{s}-{a}" for s, a in WITHDRAWAL_PAIRS]
)
def test_every_withdrawal_status_and_action(status: WithdrawalStatus, action: str) -> None:
    withdrawal = withdrawal_in(status)
    expected = WITHDRAWAL_MOVES.get((status, action))

    if expected is None:
        with pytest.raises(IllegalTransition):
            WITHDRAWAL_ACTIONS[action](withdrawal)
        assert withdrawal.status is status
        assert withdrawal.pull_events() == []
    else:
        WITHDRAWAL_ACTIONS[action](withdrawal)
        assert withdrawal.status is expected
        assert withdrawal.is_open == (expected in {W.REQUESTED, W.APPROVED})


def test_approving_records_withdrawal_approved_for_the_payout_worker() -> None:
    withdrawal = withdrawal_in(W.REQUESTED)
    withdrawal.approve(ADMIN, LATER, UUID(int=200))

    assert withdrawal.pull_events() == [
        WithdrawalApproved(
            event_id=UUID(int=200), occurred_at=LATER, withdrawal_id=UUID(int=7), tutor_id=TUTOR
        )
    ]
    assert (withdrawal.decided_by, withdrawal.decided_at) == (ADMIN, LATER)


def test_a_failed_payout_records_withdrawal_failed_and_counts_attempts() -> None:
    withdrawal = withdrawal_in(W.APPROVED)
    withdrawal.start_attempt(NOW)
    withdrawal.start_attempt(LATER)
    withdrawal.mark_failed("y" * 1000, LATER, UUID(int=201))

    assert withdrawal.payout_attempts == 2 and withdrawal.last_attempt_at == LATER
    assert withdrawal.failure_reason == "y" * 500 and withdrawal.paid_at is None
    assert withdrawal.pull_events() == [
        WithdrawalFailed(
            event_id=UUID(int=201), occurred_at=LATER, withdrawal_id=UUID(int=7), tutor_id=TUTOR
        )
    ]


def test_a_paid_payout_records_withdrawal_paid_for_the_tutors_notification() -> None:
    withdrawal = withdrawal_in(W.APPROVED)
    withdrawal.start_attempt(LATER)
    withdrawal.mark_paid("tr_9", LATER, UUID(int=202))

    assert withdrawal.pull_events() == [
        WithdrawalPaid(
            event_id=UUID(int=202), occurred_at=LATER, withdrawal_id=UUID(int=7), tutor_id=TUTOR
        )
    ]


def test_a_paid_withdrawal_keeps_its_transfer_and_rejection_its_reason() -> None:
    paid = withdrawal_in(W.PAID)
    assert (paid.transfer_id, paid.paid_at, paid.payout_attempts) == ("tr_1", NOW, 1)
    assert withdrawal_in(W.REJECTED).reason == "no bank details"


def test_the_payout_key_is_the_withdrawals_own_id_never_random() -> None:
    withdrawal = withdrawal_in(W.APPROVED)

    assert withdrawal.payout_key == f"payout:{UUID(int=7)}"
    assert withdrawal.payout_key == withdrawal_in(W.APPROVED).payout_key
