"""Support tickets: the state machine `open → assigned → waiting_on_customer ⇄ assigned →
resolved → closed` (reopen by the customer within the window), checked against a table over any
sequence of moves: an allowed move lands where the table says and records its status change, a
refused one raises `IllegalTransition` (or its own conflict) and changes nothing. Deadlines,
breaches, ratings and the auto-close warning at their boundaries."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elearn.domain.shared.errors import Conflict, IllegalTransition, RuleViolation
from elearn.domain.support.tickets import (
    AlreadyRated,
    AutoCloseWarned,
    Category,
    Priority,
    ReopenWindowOver,
    SlaBreached,
    SlaKind,
    SlaTargets,
    Ticket,
    TicketAssigned,
    TicketStatus,
    TicketStatusChanged,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
WINDOW = timedelta(days=7)
SLA = SlaTargets(
    first_response={p: timedelta(hours=h) for p, h in zip(Priority, (1, 4, 8, 24), strict=True)},
    resolution={p: timedelta(hours=h) for p, h in zip(Priority, (4, 24, 72, 120), strict=True)},
)
AGENTS = (UUID(int=1), UUID(int=2))


def new_ticket(priority: Priority = Priority.MEDIUM) -> Ticket:
    ticket = Ticket.open(
        ticket_id=uuid4(),
        customer_id=uuid4(),
        subject="  Refund please ",
        category=Category.PAYMENT,
        priority=priority,
        now=T0,
        sla=SLA,
        new_id=uuid4,
    )
    ticket.pull_events()
    return ticket


S = TicketStatus
# (status, move) → status after it; a move missing here is refused in that status.
TABLE: dict[tuple[TicketStatus, str], TicketStatus] = {
    (S.OPEN, "assign"): S.ASSIGNED,
    (S.ASSIGNED, "assign"): S.ASSIGNED,
    (S.WAITING_ON_CUSTOMER, "assign"): S.WAITING_ON_CUSTOMER,
    (S.ASSIGNED, "wait"): S.WAITING_ON_CUSTOMER,
    (S.WAITING_ON_CUSTOMER, "resume"): S.ASSIGNED,
    (S.WAITING_ON_CUSTOMER, "customer_reply"): S.ASSIGNED,
    (S.OPEN, "customer_reply"): S.OPEN,
    (S.ASSIGNED, "customer_reply"): S.ASSIGNED,
    (S.ASSIGNED, "resolve"): S.RESOLVED,
    (S.RESOLVED, "close"): S.CLOSED,
    (S.RESOLVED, "reopen"): S.OPEN,
    (S.WAITING_ON_CUSTOMER, "close_unanswered"): S.CLOSED,
    (S.ASSIGNED, "return_to_queue"): S.OPEN,
}
MOVES = sorted({move for _, move in TABLE} | {"agent_reply"})


def apply(ticket: Ticket, move: str, now: datetime, agent: UUID) -> None:
    moves: dict[str, Callable[[], object]] = {
        "assign": lambda: ticket.assign(agent, now=now, new_id=uuid4),
        "wait": lambda: ticket.wait_on_customer(now=now, new_id=uuid4),
        "resume": lambda: ticket.resume(now=now, new_id=uuid4),
        "customer_reply": lambda: ticket.note_customer_reply(now=now, new_id=uuid4),
        "agent_reply": lambda: ticket.note_agent_reply(now),
        "resolve": lambda: ticket.resolve(now=now, new_id=uuid4),
        "close": lambda: ticket.close(now=now, new_id=uuid4),
        "reopen": lambda: ticket.reopen(now=now, window=WINDOW, new_id=uuid4),
        "close_unanswered": lambda: ticket.close_unanswered(now=now, wait=WINDOW, new_id=uuid4),
        "return_to_queue": lambda: ticket.return_to_queue(now=now, new_id=uuid4),
    }
    moves[move]()


def expected_refusal(ticket: Ticket, move: str, now: datetime, agent: UUID) -> bool:
    """Guards beyond the status: the table's move is still refused."""
    if move == "assign":
        return ticket.assignee_id == agent
    if move == "reopen":
        return ticket.resolved_at is None or now > ticket.resolved_at + WINDOW
    if move == "close_unanswered":
        return ticket.waiting_since is None or now < ticket.waiting_since + WINDOW
    if move == "return_to_queue":
        return ticket.is_answered
    return False


ELAPSED = st.sampled_from([timedelta(0), timedelta(hours=1), timedelta(days=3), timedelta(days=8)])


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_sequence_of_moves_follows_the_table_and_refusals_change_nothing(
    data: st.DataObject,
) -> None:
    ticket = new_ticket()
    now = T0
    for _ in range(data.draw(st.integers(0, 30), label="length")):
        # Mostly moves the table has for the current status, so long lives are explored;
        # the rest from every move, so refusals are.
        listed = sorted(move for status, move in TABLE if status is ticket.status)
        pool = listed if listed and data.draw(st.integers(0, 3)) else MOVES
        move = data.draw(st.sampled_from(pool), label="move")
        agent = data.draw(st.sampled_from(AGENTS), label="agent")
        now += data.draw(ELAPSED, label="elapsed")
        before = copy.copy(ticket)
        before_state = dict(vars(ticket))
        before_state.pop("_pending_events", None)
        if move == "agent_reply":
            apply(ticket, move, now, agent)
            assert ticket.status is before.status
            assert ticket.first_responded_at is not None
            continue
        allowed = (before.status, move) in TABLE and not expected_refusal(ticket, move, now, agent)
        if not allowed:
            with pytest.raises(Conflict) as refused:
                apply(ticket, move, now, agent)
            assert isinstance(refused.value, IllegalTransition | ReopenWindowOver)
            state = dict(vars(ticket))
            state.pop("_pending_events", None)
            assert state == before_state
            assert ticket.pull_events() == []
            continue
        apply(ticket, move, now, agent)
        assert ticket.status is TABLE[(before.status, move)]
        changes = [e for e in ticket.pull_events() if isinstance(e, TicketStatusChanged)]
        if ticket.status is before.status:
            assert changes == []
        else:
            (change,) = changes
            assert (change.previous_status, change.status) == (before.status, ticket.status)
        # An agent holds the ticket exactly while it is theirs to work on (and keeps their name
        # on it once it is resolved).
        assert (ticket.assignee_id is not None) == (
            ticket.status in (S.ASSIGNED, S.WAITING_ON_CUSTOMER)
            or (ticket.status in (S.RESOLVED, S.CLOSED) and before.assignee_id is not None)
        )


def test_assigning_records_who_had_it_before_and_every_event_has_its_own_id() -> None:
    ticket = new_ticket()
    ticket.assign(AGENTS[0], now=T0, new_id=uuid4)
    ticket.assign(AGENTS[1], now=T0 + timedelta(minutes=1), new_id=uuid4)
    events = ticket.pull_events()
    assigned = [e for e in events if isinstance(e, TicketAssigned)]
    assert [(e.agent_id, e.previous_agent_id) for e in assigned] == [
        (AGENTS[0], None),
        (AGENTS[1], AGENTS[0]),
    ]
    assert len({e.event_id for e in events}) == len(events) == 3
    with pytest.raises(IllegalTransition):
        ticket.assign(AGENTS[1], now=T0, new_id=uuid4)


def test_reopen_is_allowed_to_the_second_of_the_window_and_not_after() -> None:
    for late, allowed in ((WINDOW, True), (WINDOW + timedelta(seconds=1), False)):
        ticket = new_ticket()
        ticket.assign(AGENTS[0], now=T0, new_id=uuid4)
        ticket.resolve(now=T0, new_id=uuid4)
        if allowed:
            ticket.reopen(now=T0 + late, window=WINDOW, new_id=uuid4)
            assert (ticket.status, ticket.assignee_id) == (S.OPEN, None)
        else:
            with pytest.raises(ReopenWindowOver):
                ticket.reopen(now=T0 + late, window=WINDOW, new_id=uuid4)
            assert ticket.status is S.RESOLVED


def test_deadlines_follow_the_priority_from_the_opening_and_breaches_are_flagged_once() -> None:
    ticket = new_ticket(Priority.LOW)
    assert ticket.first_response_due == T0 + timedelta(hours=24)
    ticket.change_priority(Priority.URGENT, now=T0 + timedelta(minutes=5), sla=SLA)
    assert (ticket.first_response_due, ticket.resolution_due) == (
        T0 + timedelta(hours=1),
        T0 + timedelta(hours=4),
    )
    just_before = T0 + timedelta(hours=1) - timedelta(microseconds=1)
    assert ticket.breached(just_before) == []
    assert ticket.breached(T0 + timedelta(hours=1)) == [SlaKind.FIRST_RESPONSE]
    late = T0 + timedelta(hours=4)
    assert ticket.breached(late) == [SlaKind.FIRST_RESPONSE, SlaKind.RESOLUTION]
    manager = uuid4()
    for kind in ticket.breached(late):
        ticket.flag_breach(kind, now=late, recipients=(manager,), new_id=uuid4)
    assert ticket.breached(late + timedelta(days=1)) == []
    breaches = [e for e in ticket.pull_events() if isinstance(e, SlaBreached)]
    assert [(e.kind, e.recipient_ids) for e in breaches] == [
        ("first_response", (manager,)),
        ("resolution", (manager,)),
    ]


def test_an_answered_ticket_breaches_no_first_response_deadline() -> None:
    ticket = new_ticket(Priority.URGENT)
    ticket.assign(AGENTS[0], now=T0, new_id=uuid4)
    ticket.note_agent_reply(T0 + timedelta(minutes=59))
    assert ticket.breached(T0 + timedelta(hours=2)) == []
    ticket.resolve(now=T0 + timedelta(hours=3), new_id=uuid4)
    assert ticket.breached(T0 + timedelta(days=9)) == []


def test_rating_once_after_resolution_from_one_to_five() -> None:
    ticket = new_ticket()
    with pytest.raises(IllegalTransition):
        ticket.rate(5, None, now=T0, new_id=uuid4)
    ticket.assign(AGENTS[0], now=T0, new_id=uuid4)
    ticket.resolve(now=T0, new_id=uuid4)
    for score in (0, 6):
        with pytest.raises(RuleViolation):
            ticket.rate(score, None, now=T0, new_id=uuid4)
    ticket.rate(4, "  quick  ", now=T0, new_id=uuid4)
    assert (ticket.rating_score, ticket.rating_comment) == (4, "quick")
    with pytest.raises(AlreadyRated):
        ticket.rate(5, None, now=T0, new_id=uuid4)


def test_the_auto_close_warning_is_given_once_per_wait_and_names_the_closing_instant() -> None:
    ticket = new_ticket()
    ticket.assign(AGENTS[0], now=T0, new_id=uuid4)
    ticket.wait_on_customer(now=T0, new_id=uuid4)
    ticket.pull_events()
    assert ticket.warn_of_auto_close(now=T0 + timedelta(days=6), wait=WINDOW, new_id=uuid4)
    assert not ticket.warn_of_auto_close(now=T0 + timedelta(days=6), wait=WINDOW, new_id=uuid4)
    (warning,) = ticket.pull_events()
    assert isinstance(warning, AutoCloseWarned)
    assert warning.closes_at == T0 + WINDOW
    with pytest.raises(IllegalTransition):
        ticket.close_unanswered(now=T0 + WINDOW - timedelta(seconds=1), wait=WINDOW, new_id=uuid4)
    # The customer answers: a later wait is warned about again.
    ticket.note_customer_reply(now=T0 + timedelta(days=6, hours=1), new_id=uuid4)
    ticket.wait_on_customer(now=T0 + timedelta(days=6, hours=2), new_id=uuid4)
    assert ticket.warn_of_auto_close(now=T0 + timedelta(days=13), wait=WINDOW, new_id=uuid4)
    ticket.close_unanswered(now=T0 + timedelta(days=13, hours=2), wait=WINDOW, new_id=uuid4)
    assert ticket.status is S.CLOSED


@pytest.mark.parametrize("subject", ["", "   ", "x" * 201])
def test_a_blank_or_long_subject_is_refused(subject: str) -> None:
    with pytest.raises(RuleViolation):
        Ticket.open(
            ticket_id=uuid4(),
            customer_id=uuid4(),
            subject=subject,
            category=Category.OTHER,
            priority=Priority.LOW,
            now=T0,
            sla=SLA,
            new_id=uuid4,
        )


def test_sla_targets_cover_every_priority_with_positive_durations() -> None:
    with pytest.raises(ValueError):
        SlaTargets(first_response={Priority.URGENT: timedelta(hours=1)}, resolution=SLA.resolution)
    with pytest.raises(ValueError):
        SlaTargets(first_response={p: timedelta(0) for p in Priority}, resolution=SLA.resolution)
