"""Bookings: every (status, action) pair of the state machine in one table, the cancellation
cutoff to the second, refunds and lesson prices against exact fractions, and the conflict rule
of two bookings against a brute-force model of minutes."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from math import floor
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elearn.domain.shared.errors import Conflict, IllegalTransition
from elearn.domain.shared.money import Money
from elearn.domain.tutoring.availability import ALLOWED_DURATIONS
from elearn.domain.tutoring.booking import (
    ACTIVE,
    HOLD_MINUTES,
    Booking,
    BookingCancelled,
    BookingConfirmed,
    BookingRescheduled,
    BookingStatus,
    BusyTime,
    CancellationPolicy,
    HoldLimits,
    InvalidBooking,
    MeetingLinkWindow,
    TooManyHolds,
    lesson_price,
    refund_amount,
)

PROPERTY = settings(max_examples=120, deadline=None)
S = BookingStatus
HELD_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # when the student holds the slot
START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
END = START + timedelta(minutes=60)
SECOND = timedelta(seconds=1)
DAY_AHEAD = START - timedelta(hours=24)  # the default cutoff
BOOKING_ID, TUTOR, STUDENT, ORDER_ID, EVENT_ID = (UUID(int=n) for n in range(1, 6))
PRICE = Money(2_500, "EUR")


def held(policy: CancellationPolicy | None = None, **overrides: object) -> Booking:
    fields: dict[str, object] = {
        "booking_id": BOOKING_ID,
        "tutor_id": TUTOR,
        "student_id": STUDENT,
        "starts_at": START,
        "duration_minutes": 60,
        "price": PRICE,
        "policy": policy or CancellationPolicy(),
        "buffer_minutes": 15,
        "now": HELD_AT,
    }
    fields.update(overrides)
    return Booking.hold(**fields)  # type: ignore[arg-type]


def confirm(booking: Booking, now: datetime = HELD_AT + timedelta(minutes=5)) -> None:
    booking.confirm(
        order_id=ORDER_ID, meeting_url="https://meet.test/r1", now=now, event_id=EVENT_ID
    )


def booking_in(status: BookingStatus, policy: CancellationPolicy | None = None) -> Booking:
    """A booking brought to ``status`` by legal moves only, its events taken."""
    booking = held(policy)
    paths: dict[BookingStatus, list[Callable[[Booking], object]]] = {
        S.HELD: [],
        S.CONFIRMED: [confirm],
        S.EXPIRED: [lambda b: b.expire(b.held_until)],
        S.COMPLETED: [confirm, lambda b: b.complete(END)],
        S.CANCELLED_BY_STUDENT: [
            confirm,
            lambda b: b.cancel(by_tutor=False, reason=None, now=DAY_AHEAD, event_id=EVENT_ID),
        ],
        S.CANCELLED_BY_TUTOR: [
            confirm,
            lambda b: b.cancel(by_tutor=True, reason=None, now=DAY_AHEAD, event_id=EVENT_ID),
        ],
        S.NO_SHOW_STUDENT: [confirm, lambda b: b.no_show(student_absent=True, now=START)],
        S.NO_SHOW_TUTOR: [confirm, lambda b: b.no_show(student_absent=False, now=START)],
    }
    for step in paths[status]:
        step(booking)
    assert booking.status is status
    booking.pull_events()
    return booking


def snapshot(booking: Booking) -> dict[str, object]:
    return {f.name: getattr(booking, f.name) for f in dataclasses.fields(booking)}


# ---- the state machine -----------------------------------------------------------------------

# Each action at a moment when time itself does not forbid it (the hold has run out for
# "expire", the cutoff is still ahead for "cancel" and "reschedule", the lesson has begun for
# "complete" and the no-shows), so only the status decides.
BOOKING_ACTIONS: dict[str, Callable[[Booking], object]] = {
    "confirm": lambda b: confirm(b),
    "expire": lambda b: b.expire(b.held_until),
    "cancel by student": lambda b: b.cancel(
        by_tutor=False, reason="ill", now=DAY_AHEAD - timedelta(hours=1), event_id=EVENT_ID
    ),
    "cancel by tutor": lambda b: b.cancel(
        by_tutor=True, reason="away", now=DAY_AHEAD - timedelta(hours=1), event_id=EVENT_ID
    ),
    "reschedule": lambda b: b.reschedule(
        START + timedelta(days=1), now=DAY_AHEAD - timedelta(hours=1), event_id=EVENT_ID
    ),
    "complete": lambda b: b.complete(END),
    "no-show student": lambda b: b.no_show(student_absent=True, now=START + timedelta(minutes=10)),
    "no-show tutor": lambda b: b.no_show(student_absent=False, now=START + timedelta(minutes=10)),
}
LEGAL: dict[tuple[BookingStatus, str], BookingStatus] = {
    (S.HELD, "confirm"): S.CONFIRMED,
    # A payment landing after the hold ran out still confirms it (the caller checks the time
    # is still free): the student paid for that time.
    (S.EXPIRED, "confirm"): S.CONFIRMED,
    (S.HELD, "expire"): S.EXPIRED,
    # An unpaid hold can be let go by the student; a tutor only cancels paid lessons.
    (S.HELD, "cancel by student"): S.CANCELLED_BY_STUDENT,
    (S.CONFIRMED, "cancel by student"): S.CANCELLED_BY_STUDENT,
    (S.CONFIRMED, "cancel by tutor"): S.CANCELLED_BY_TUTOR,
    (S.CONFIRMED, "reschedule"): S.CONFIRMED,
    (S.CONFIRMED, "complete"): S.COMPLETED,
    (S.CONFIRMED, "no-show student"): S.NO_SHOW_STUDENT,
    (S.CONFIRMED, "no-show tutor"): S.NO_SHOW_TUTOR,
}
TABLE = [(status, action) for status in S for action in BOOKING_ACTIONS]


@pytest.mark.parametrize(("status", "action"), TABLE, ids=[f"{s}-{a}" for s, a in TABLE])
def test_every_booking_status_and_action(status: BookingStatus, action: str) -> None:
    booking = booking_in(status)
    before = snapshot(booking)

    if (status, action) in LEGAL:
        BOOKING_ACTIONS[action](booking)
        assert booking.status is LEGAL[status, action]
        assert booking.is_active == (booking.status in ACTIVE)
        assert (booking.ended_at is None) == booking.is_active
    else:
        with pytest.raises(IllegalTransition) as refused:
            BOOKING_ACTIONS[action](booking)
        assert isinstance(refused.value, Conflict)  # answered as 409
        assert snapshot(booking) == before
        assert booking.pull_events() == []


def test_moves_stamp_the_booking_and_record_what_calendars_and_payments_need() -> None:
    booking = held(note="Irregular verbs, please")
    assert (booking.held_until, booking.ends_at) == (HELD_AT + timedelta(minutes=HOLD_MINUTES), END)
    assert (booking.duration_minutes, booking.sequence, booking.status) == (60, 0, S.HELD)

    confirmed_at = HELD_AT + timedelta(minutes=3)
    confirm(booking, confirmed_at)
    assert (booking.order_id, booking.meeting_url, booking.confirmed_at) == (
        ORDER_ID,
        "https://meet.test/r1",
        confirmed_at,
    )
    assert (booking.sequence, booking.scheduled_at) == (1, confirmed_at)
    assert booking.pull_events() == [
        BookingConfirmed(event_id=EVENT_ID, occurred_at=confirmed_at, booking_id=BOOKING_ID)
    ]

    moved_at = DAY_AHEAD - timedelta(days=2)
    booking.reschedule(START + timedelta(hours=5), now=moved_at, event_id=EVENT_ID)
    assert (booking.starts_at, booking.ends_at) == (
        START + timedelta(hours=5),
        END + timedelta(hours=5),
    )
    assert booking.sequence == 2 and booking.status is S.CONFIRMED
    # A reminder is wanted only if its moment came after the lesson was fixed at its new time.
    assert booking.scheduled_at == moved_at
    lead = booking.starts_at - moved_at
    assert booking.reminder_wanted(lead)
    assert not booking.reminder_wanted(lead + SECOND)
    assert booking.pull_events() == [
        BookingRescheduled(
            event_id=EVENT_ID, occurred_at=moved_at, booking_id=BOOKING_ID, previous_start=START
        )
    ]

    cancelled_at = moved_at + timedelta(hours=1)
    percent = booking.cancel(by_tutor=True, reason="x" * 600, now=cancelled_at, event_id=EVENT_ID)
    assert percent == 100
    assert booking.cancel_reason == "x" * 500
    assert (booking.ended_at, booking.sequence) == (cancelled_at, 3)
    assert booking.pull_events() == [
        BookingCancelled(
            event_id=EVENT_ID,
            occurred_at=cancelled_at,
            booking_id=BOOKING_ID,
            status="cancelled_by_tutor",
        )
    ]

    without_reason = booking_in(S.CONFIRMED)
    without_reason.cancel(by_tutor=False, reason="", now=DAY_AHEAD, event_id=EVENT_ID)
    assert without_reason.cancel_reason is None


def test_a_booking_is_between_two_people_and_lasts_some_time() -> None:
    with pytest.raises(InvalidBooking):
        held(student_id=TUTOR)
    with pytest.raises(InvalidBooking):
        held(duration_minutes=0)
    with pytest.raises(InvalidBooking):
        held(note="x" * 1001)
    assert held(note="x" * 1000).note == "x" * 1000


# ---- holds, reschedules, completion at their limits ------------------------------------------


def test_a_late_payment_revives_an_expired_hold() -> None:
    booking = booking_in(S.EXPIRED)
    assert booking.ended_at == booking.held_until

    paid_at = booking.held_until + timedelta(minutes=2)
    confirm(booking, paid_at)

    assert (booking.status, booking.ended_at, booking.confirmed_at) == (S.CONFIRMED, None, paid_at)
    assert booking.sequence == 1
    assert booking.pull_events() == [
        BookingConfirmed(event_id=EVENT_ID, occurred_at=paid_at, booking_id=BOOKING_ID)
    ]


def test_a_hold_expires_exactly_at_held_until() -> None:
    booking = held()
    deadline = booking.held_until

    assert not booking.hold_expired(deadline - SECOND)
    assert booking.hold_expired(deadline)
    with pytest.raises(IllegalTransition):
        booking.expire(deadline - SECOND)
    assert booking.status is S.HELD and booking.ended_at is None

    booking.expire(deadline)
    assert (booking.status, booking.ended_at) == (S.EXPIRED, deadline)
    # A paid booking's hold never runs out.
    assert not booking_in(S.CONFIRMED).hold_expired(deadline + timedelta(days=30))


@given(
    status=st.sampled_from(sorted(ACTIVE)),
    offset=st.integers(min_value=-3600, max_value=3600).map(lambda s: timedelta(seconds=s)),
)
def test_a_calendars_busy_time_blocks_as_its_booking_does(
    status: BookingStatus, offset: timedelta
) -> None:
    """The slots and a hold's first check read bookings' times without the bookings: a busy
    time blocks exactly while its booking would (a hold until its time, a paid one always)."""
    booking = booking_in(status)
    busy = BusyTime(booking.interval, booking.status, booking.held_until)
    now = booking.held_until + offset
    assert busy.blocks(now) is (booking.is_active and not booking.hold_expired(now))
    assert busy.blocks(booking.held_until) is (status is not S.HELD)


@pytest.mark.parametrize(
    ("moved_at", "allowed"),
    [
        pytest.param(DAY_AHEAD - SECOND, True, id="a second before the cutoff"),
        pytest.param(DAY_AHEAD, True, id="at the cutoff"),
        pytest.param(DAY_AHEAD + SECOND, False, id="a second after the cutoff"),
        pytest.param(START, False, id="at the start"),
    ],
)
def test_a_lesson_is_moved_until_the_cutoff(moved_at: datetime, allowed: bool) -> None:
    booking = booking_in(S.CONFIRMED)
    before = snapshot(booking)
    new_start = START + timedelta(days=2, minutes=30)

    if allowed:
        booking.reschedule(new_start, now=moved_at, event_id=EVENT_ID)
        assert (booking.starts_at, booking.ends_at) == (new_start, new_start + timedelta(hours=1))
    else:
        with pytest.raises(InvalidBooking) as refused:
            booking.reschedule(new_start, now=moved_at, event_id=EVENT_ID)
        assert refused.value.code == "reschedule-too-late"
        assert snapshot(booking) == before and booking.pull_events() == []


def test_the_cutoff_of_the_policy_copied_onto_the_booking_applies() -> None:
    booking = booking_in(S.CONFIRMED, CancellationPolicy(cutoff_hours=48))

    with pytest.raises(InvalidBooking):
        booking.reschedule(START, now=START - timedelta(hours=48) + SECOND, event_id=EVENT_ID)
    booking.reschedule(
        START + timedelta(hours=1), now=START - timedelta(hours=48), event_id=EVENT_ID
    )


@pytest.mark.parametrize("action", ["complete", "no-show student", "no-show tutor"])
def test_a_lesson_is_completed_or_missed_only_once_it_has_started(action: str) -> None:
    moves: dict[str, Callable[[Booking, datetime], object]] = {
        "complete": lambda b, now: b.complete(now),
        "no-show student": lambda b, now: b.no_show(student_absent=True, now=now),
        "no-show tutor": lambda b, now: b.no_show(student_absent=False, now=now),
    }
    booking = booking_in(S.CONFIRMED)
    before = snapshot(booking)

    with pytest.raises(InvalidBooking) as refused:
        moves[action](booking, START - SECOND)
    assert refused.value.code == "not-started"
    assert snapshot(booking) == before

    answer = moves[action](booking, START)
    assert booking.ended_at == START
    expected = {"complete": (S.COMPLETED, None), "no-show student": (S.NO_SHOW_STUDENT, 0)}
    # A student's absence pays the tutor in full; a tutor's refunds the student in full.
    assert (booking.status, answer) == expected.get(action, (S.NO_SHOW_TUTOR, 100))


# ---- cancellation and refunds ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "offset", "percent"),
    [
        pytest.param(CancellationPolicy(), -SECOND, 100, id="24h: a second before"),
        pytest.param(CancellationPolicy(), timedelta(0), 100, id="24h: exactly at the cutoff"),
        pytest.param(CancellationPolicy(), SECOND, 0, id="24h: a second after"),
        pytest.param(CancellationPolicy(48, 80, 30), -SECOND, 80, id="48h 80/30: before"),
        pytest.param(CancellationPolicy(48, 80, 30), timedelta(0), 80, id="48h 80/30: at"),
        pytest.param(CancellationPolicy(48, 80, 30), SECOND, 30, id="48h 80/30: after"),
        pytest.param(CancellationPolicy(0, 100, 50), timedelta(0), 100, id="0h: at the start"),
        pytest.param(CancellationPolicy(0, 100, 50), SECOND, 50, id="0h: after the start"),
    ],
)
def test_student_refund_percent_is_exact_to_the_second(
    policy: CancellationPolicy, offset: timedelta, percent: int
) -> None:
    cancelled_at = START - policy.cutoff + offset

    assert policy.student_refund_percent(starts_at=START, cancelled_at=cancelled_at) == percent

    booking = booking_in(S.CONFIRMED, policy)
    assert (
        booking.cancel(by_tutor=False, reason=None, now=cancelled_at, event_id=EVENT_ID) == percent
    )
    assert booking.status is S.CANCELLED_BY_STUDENT
    # A tutor cancelling at the same moment always refunds everything.
    by_tutor = booking_in(S.CONFIRMED, policy)
    assert by_tutor.cancel(by_tutor=True, reason=None, now=cancelled_at, event_id=EVENT_ID) == 100


@pytest.mark.parametrize(
    ("cancelled_at", "by_tutor", "percent"),
    [
        pytest.param(DAY_AHEAD - timedelta(days=3), False, 100, id="student days ahead"),
        pytest.param(START - SECOND, False, 0, id="student a second before the start"),
        pytest.param(END - SECOND, False, 0, id="student during the lesson"),
        pytest.param(START - SECOND, True, 100, id="tutor a second before the start"),
        pytest.param(END - SECOND, True, 100, id="tutor during the lesson"),
        pytest.param(END, False, None, id="student at the end: refused"),
        pytest.param(END, True, None, id="tutor at the end: refused"),
        pytest.param(END + timedelta(days=1), True, None, id="tutor after the end: refused"),
    ],
)
def test_cancelling_a_paid_lesson(
    cancelled_at: datetime, by_tutor: bool, percent: int | None
) -> None:
    booking = booking_in(S.CONFIRMED)
    before = snapshot(booking)

    if percent is None:
        with pytest.raises(IllegalTransition):
            booking.cancel(by_tutor=by_tutor, reason=None, now=cancelled_at, event_id=EVENT_ID)
        assert snapshot(booking) == before and booking.pull_events() == []
    else:
        answer = booking.cancel(by_tutor=by_tutor, reason=None, now=cancelled_at, event_id=EVENT_ID)
        assert answer == percent
        assert booking.ended_at == cancelled_at


def test_cancelling_a_hold_refunds_nothing_and_ends_with_the_lesson() -> None:
    booking = held()
    assert booking.cancel(by_tutor=False, reason=None, now=START - SECOND, event_id=EVENT_ID) == 0
    assert booking.status is S.CANCELLED_BY_STUDENT

    too_late = held()
    with pytest.raises(IllegalTransition):
        too_late.cancel(by_tutor=False, reason=None, now=END, event_id=EVENT_ID)
    assert too_late.status is S.HELD


def test_a_policy_is_a_cutoff_of_up_to_two_weeks_and_percentages() -> None:
    for bad in (
        {"cutoff_hours": -1},
        {"cutoff_hours": 24 * 14 + 1},
        {"refund_percent_before": 101},
        {"refund_percent_after": -1},
        {"refund_percent_before": True},
    ):
        with pytest.raises(InvalidBooking):
            CancellationPolicy(**bad)  # type: ignore[arg-type]
    assert CancellationPolicy(cutoff_hours=24 * 14, refund_percent_after=100).cutoff == timedelta(
        days=14
    )


@PROPERTY
@given(
    paid=st.one_of(st.integers(0, 1_000), st.integers(0, 10**12)),
    percent=st.integers(0, 100),
    currency=st.sampled_from(["EUR", "JPY", "KWD"]),
)
def test_a_refund_is_the_percentage_rounded_down_never_more_than_paid(
    paid: int, percent: int, currency: str
) -> None:
    refund = refund_amount(Money(paid, currency), percent)

    assert refund.currency == currency
    assert refund.amount == floor(Fraction(paid * percent, 100))
    assert 0 <= refund.amount <= paid
    assert refund_amount(Money(paid, currency), 100) == Money(paid, currency)
    assert refund_amount(Money(paid, currency), 0) == Money(0, currency)


def test_refund_examples() -> None:
    assert refund_amount(Money(1_875, "EUR"), 50) == Money(937, "EUR")  # 9.375 rounds down
    assert refund_amount(Money(1, "EUR"), 99) == Money(0, "EUR")
    assert refund_amount(Money(3_333, "JPY"), 33) == Money(1_099, "JPY")  # 1099.89


# ---- prices ----------------------------------------------------------------------------------


def half_up(value: Fraction) -> int:
    return floor(value + Fraction(1, 2))


@PROPERTY
@given(
    rate=st.one_of(st.integers(0, 200), st.integers(0, 10**10)),
    extra_duration=st.integers(1, 24 * 60),
    currency=st.sampled_from(["EUR", "USD", "JPY", "KWD"]),
)
def test_lesson_price_is_rate_times_minutes_rounded_half_up(
    rate: int, extra_duration: int, currency: str
) -> None:
    for duration in (*ALLOWED_DURATIONS, extra_duration):
        price = lesson_price(Money(rate, currency), duration)

        assert price == Money(half_up(Fraction(rate * duration, 60)), currency)


@pytest.mark.parametrize(
    ("rate", "minutes", "price"),
    [
        pytest.param(Money(2_500, "EUR"), 45, Money(1_875, "EUR"), id="25.00/h x 45 min = 18.75"),
        pytest.param(Money(1, "EUR"), 30, Money(1, "EUR"), id="0.01/h x 30 min = 0.01 (half up)"),
        pytest.param(Money(1, "EUR"), 15, Money(0, "EUR"), id="0.01/h x 15 min = 0.00"),
        pytest.param(Money(1, "EUR"), 90, Money(2, "EUR"), id="0.01/h x 90 min = 0.02 (1.5 up)"),
        pytest.param(Money(3_333, "USD"), 45, Money(2_500, "USD"), id="33.33/h x 45 = 24.9975"),
        pytest.param(Money(3_000, "JPY"), 45, Money(2_250, "JPY"), id="JPY 3000/h x 45"),
        pytest.param(Money(1_001, "JPY"), 45, Money(751, "JPY"), id="JPY 1001/h x 45 = 750.75"),
        pytest.param(Money(2, "JPY"), 45, Money(2, "JPY"), id="JPY 2/h x 45 = 1.5 up"),
        pytest.param(Money(1, "JPY"), 30, Money(1, "JPY"), id="JPY 1/h x 30 = 0.5 up"),
        pytest.param(Money(12_345, "KWD"), 90, Money(18_518, "KWD"), id="KWD 3 decimals"),
    ],
)
def test_lesson_price_examples(rate: Money, minutes: int, price: Money) -> None:
    assert lesson_price(rate, minutes) == price


def test_a_lesson_price_needs_some_minutes() -> None:
    for minutes in (0, -30):
        with pytest.raises(InvalidBooking):
            lesson_price(Money(2_500, "EUR"), minutes)


# ---- conflicts between bookings --------------------------------------------------------------

people = st.sampled_from([UUID(int=n) for n in (11, 12, 13)])


@st.composite
def bookings(draw: st.DrawFn, booking_id: UUID) -> tuple[Booking, dict[str, object]]:
    tutor = draw(people)
    student = draw(people.filter(lambda person: person != tutor))
    start, length = draw(st.integers(0, 240)), draw(st.integers(1, 150))
    buffer = draw(st.sampled_from([0, 1, 5, 15, 30, 120]))
    status = draw(st.sampled_from(S))
    booking = Booking(
        id=booking_id,
        tutor_id=tutor,
        student_id=student,
        starts_at=HELD_AT + timedelta(minutes=start),
        ends_at=HELD_AT + timedelta(minutes=start + length),
        price=PRICE,
        policy=CancellationPolicy(),
        buffer_minutes=buffer,
        created_at=HELD_AT,
        held_until=HELD_AT + timedelta(minutes=HOLD_MINUTES),
        status=status,
    )
    return booking, {"start": start, "end": start + length, "buffer": buffer}


@PROPERTY
@given(
    first=bookings(UUID(int=21)),
    second=st.one_of(bookings(UUID(int=22)), bookings(UUID(int=21))),
)
def test_conflicts_match_a_model_of_minutes(
    first: tuple[Booking, dict[str, int]], second: tuple[Booking, dict[str, int]]
) -> None:
    (a, a_minutes), (b, b_minutes) = first, second

    def minutes(of: dict[str, int], buffer: int) -> set[int]:
        return set(range(of["start"], of["end"] + buffer))

    if a.id == b.id or a.status not in ACTIVE or b.status not in ACTIVE:
        expected = False
    elif a.tutor_id == b.tutor_id:
        # Each keeps its time plus the larger of the two buffers after it.
        buffer = max(a_minutes["buffer"], b_minutes["buffer"])
        expected = bool(minutes(a_minutes, buffer) & minutes(b_minutes, buffer))
    elif a.student_id == b.student_id:
        expected = bool(minutes(a_minutes, 0) & minutes(b_minutes, 0))
    else:
        expected = False

    assert a.conflicts_with(b) == expected
    assert b.conflicts_with(a) == expected


# ---- limits of unpaid holds -----------------------------------------------------------------
TUTORS = [UUID(int=n) for n in range(1, 5)]


@PROPERTY
@given(
    per_student=st.integers(1, 6),
    per_tutor=st.integers(1, 6),
    asked=st.lists(st.sampled_from(TUTORS), max_size=20),
)
def test_holds_granted_one_by_one_never_pass_either_limit_and_only_a_limit_refuses(
    per_student: int, per_tutor: int, asked: list[UUID]
) -> None:
    limits = HoldLimits(per_student=per_student, per_tutor=per_tutor)
    held: list[UUID] = []
    for tutor in asked:
        with_tutor = held.count(tutor)
        try:
            limits.check(held, tutor)
        except TooManyHolds as refused:
            assert with_tutor >= per_tutor or len(held) >= per_student
            expected = "too-many-holds-with-tutor" if with_tutor >= per_tutor else "too-many-holds"
            assert refused.code == expected
            continue
        held.append(tutor)
        assert held.count(tutor) <= per_tutor
        assert len(held) <= per_student


@pytest.mark.parametrize("limits", [{"per_student": 0}, {"per_tutor": 0}, {"per_tutor": True}])
def test_a_limit_of_unpaid_holds_is_at_least_one(limits: dict[str, int]) -> None:
    with pytest.raises(InvalidBooking):
        HoldLimits(**limits)


# ---- when the meeting link is shown ---------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "now", "shown"),
    [
        (S.CONFIRMED, START - timedelta(minutes=15) - SECOND, False),
        (S.CONFIRMED, START - timedelta(minutes=15), True),
        (S.CONFIRMED, END - SECOND, True),
        (S.CONFIRMED, END, False),
        (S.HELD, START, False),
        (S.CANCELLED_BY_TUTOR, START, False),
        (S.COMPLETED, START, False),
    ],
)
def test_the_meeting_link_is_shown_for_a_paid_lesson_from_the_lead_until_its_end(
    status: BookingStatus, now: datetime, shown: bool
) -> None:
    window = MeetingLinkWindow(lead_minutes=15)

    assert window.is_open(status=status, starts_at=START, ends_at=END, now=now) is shown


@pytest.mark.parametrize("lead", [-1, 1441, True])
def test_the_lead_of_a_meeting_link_is_0_to_1440_minutes(lead: int) -> None:
    with pytest.raises(InvalidBooking):
        MeetingLinkWindow(lead_minutes=lead)
