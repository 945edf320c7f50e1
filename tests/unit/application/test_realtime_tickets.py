"""A realtime ticket opens one socket, once, within its lifetime, for a sign-in still open."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.fakes import FixedClock

from elearn.adapters.realtime.tickets import InMemoryRealtimeTickets
from elearn.application.actor import Actor
from elearn.application.errors import NotAuthenticated
from elearn.application.realtime_tickets import (
    IssueRealtimeTicket,
    RealtimeDeps,
    RealtimePolicy,
    RedeemRealtimeTicket,
    TicketRefused,
)
from elearn.domain.identity.roles import Role


class Seconds:
    """The monotonic clock the in-memory store reads, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def person(session_open: bool = True) -> tuple[Actor, dict[uuid.UUID, bool]]:
    actor = Actor(user_id=uuid.uuid4(), role=Role.STUDENT, session_id=uuid.uuid4())
    return actor, {actor.session_id: session_open}  # type: ignore[dict-item]


def parts(
    open_sessions: dict[uuid.UUID, bool],
) -> tuple[Seconds, IssueRealtimeTicket, RedeemRealtimeTicket]:
    seconds = Seconds()
    store = InMemoryRealtimeTickets(clock=seconds)

    async def session_check(user_id: uuid.UUID, session_id: uuid.UUID) -> Actor | None:
        if not open_sessions.get(session_id):
            return None
        return Actor(user_id=user_id, role=Role.STUDENT, session_id=session_id)

    deps = RealtimeDeps(store, FixedClock(), session_check, RealtimePolicy(ticket_seconds=30))
    return seconds, IssueRealtimeTicket(deps), RedeemRealtimeTicket(deps)


@given(attempts=st.integers(min_value=1, max_value=20))
def test_of_any_number_of_attempts_with_one_ticket_exactly_the_first_opens_a_socket(
    attempts: int,
) -> None:
    actor, sessions = person()
    _, issue, redeem = parts(sessions)

    async def scenario() -> list[bool]:
        ticket = await issue(actor)
        outcomes = []
        for _ in range(attempts):
            try:
                opened = await redeem(ticket.ticket, ip="127.0.0.1", user_agent=None)
            except TicketRefused:
                outcomes.append(False)
            else:
                assert (opened.user_id, opened.session_id) == (actor.user_id, actor.session_id)
                assert opened.ip == "127.0.0.1"
                outcomes.append(True)
        return outcomes

    assert asyncio.run(scenario()) == [True] + [False] * (attempts - 1)


async def test_a_ticket_expires_after_its_lifetime_to_the_second() -> None:
    actor, sessions = person()
    seconds, issue, redeem = parts(sessions)
    in_time, late = await issue(actor), await issue(actor)
    assert in_time.expires_at == FixedClock().now() + timedelta(seconds=30)
    seconds.now += 29.999
    await redeem(in_time.ticket, ip=None, user_agent=None)
    seconds.now += 0.001
    with pytest.raises(TicketRefused):
        await redeem(late.ticket, ip=None, user_agent=None)


async def test_a_ticket_of_a_session_ended_since_is_refused_and_used_up() -> None:
    actor, sessions = person()
    _, issue, redeem = parts(sessions)
    ticket = await issue(actor)
    sessions[actor.session_id] = False  # type: ignore[index]
    with pytest.raises(NotAuthenticated) as refused:
        await redeem(ticket.ticket, ip=None, user_agent=None)
    assert refused.value.code == "invalid-token"
    sessions[actor.session_id] = True  # type: ignore[index]
    with pytest.raises(TicketRefused):
        await redeem(ticket.ticket, ip=None, user_agent=None)


@pytest.mark.parametrize("made_up", ["", "x", "y" * 43, "z" * 500])
async def test_a_ticket_never_issued_is_refused(made_up: str) -> None:
    actor, sessions = person()
    _, issue, redeem = parts(sessions)
    await issue(actor)
    with pytest.raises(TicketRefused):
        await redeem(made_up, ip=None, user_agent=None)


async def test_only_a_signed_in_person_gets_a_ticket() -> None:
    _, issue, _ = parts({})
    with pytest.raises(NotAuthenticated):
        await issue(Actor.anonymous())
