"""Opening the realtime socket: a short, single-use ticket bought with the bearer token, so the
token itself never travels in a URL (where proxies and browsers log it).

A ticket is a random secret that the store keeps (hashed) for a few seconds, with the person and
the sign-in it was issued to. Redeeming it takes it out of the store (a second use finds
nothing) and checks that the sign-in is still open then: a session ended between the two is
refused. The socket asks once more when it has started listening for the end of its sign-in
(`ConfirmRealtimeSession`): a sign-in that ended in between is not missed either.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from elearn.application.actor import Actor
from elearn.application.errors import NotAuthenticated
from elearn.application.ports import Clock

__all__ = [
    "ConfirmRealtimeSession",
    "IssueRealtimeTicket",
    "RealtimeDeps",
    "RealtimePolicy",
    "RealtimeTicket",
    "RealtimeTickets",
    "RedeemRealtimeTicket",
    "SessionCheck",
    "TicketGrant",
    "TicketRefused",
]


@dataclass(frozen=True, slots=True)
class TicketGrant:
    """What a ticket stands for: a person in one sign-in."""

    user_id: UUID
    session_id: UUID


class RealtimeTickets(Protocol):
    """Tickets shared by every API process (a ticket bought from one may open a socket on
    another), each kept only for its lifetime."""

    async def keep(self, key: str, grant: TicketGrant, *, seconds: int) -> None: ...

    async def take(self, key: str) -> TicketGrant | None:
        """The grant kept under ``key``, removed in the same step (None when it is unknown,
        used or expired)."""
        ...


# The actor of a sign-in that is still open (None when it has ended, or the account may no
# longer sign in): identity's answer.
SessionCheck = Callable[[UUID, UUID], Awaitable[Actor | None]]


@dataclass(frozen=True, slots=True)
class RealtimePolicy:
    """The rules of the realtime socket (docs/realtime.md), from settings."""

    ticket_seconds: int = 30
    heartbeat_seconds: float = 25.0
    sockets_per_person: int = 5
    client_messages_per_minute: int = 120

    @property
    def presence_seconds(self) -> float:
        """How long a socket counts as held without a heartbeat renewing it: two heartbeats
        and a margin, so one late renewal does not make a person look gone."""
        return self.heartbeat_seconds * 2 + 5


@dataclass(frozen=True, slots=True)
class RealtimeDeps:
    tickets: RealtimeTickets
    clock: Clock
    session_check: SessionCheck
    policy: RealtimePolicy


class TicketRefused(NotAuthenticated):
    code = "invalid-realtime-ticket"

    def __init__(self) -> None:
        super().__init__("the ticket is unknown, used or expired; ask for a new one")


@dataclass(frozen=True, slots=True)
class RealtimeTicket:
    ticket: str
    expires_at: datetime


async def _open_session(deps: RealtimeDeps, user_id: UUID, session_id: UUID) -> Actor:
    actor = await deps.session_check(user_id, session_id)
    if actor is None:
        raise NotAuthenticated("this session has ended; sign in again", code="invalid-token")
    return actor


def _key(ticket: str) -> str:
    # Stored hashed: whoever reads the store cannot open sockets with what it holds.
    return hashlib.sha256(ticket.encode()).hexdigest()


class IssueRealtimeTicket:
    """A signed-in person gets a ticket that opens one socket, once, within its lifetime."""

    def __init__(self, deps: RealtimeDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor) -> RealtimeTicket:
        if actor.user_id is None or actor.session_id is None:
            raise NotAuthenticated("sign in first")
        deps = self._deps
        seconds = deps.policy.ticket_seconds
        ticket = secrets.token_urlsafe(32)
        grant = TicketGrant(actor.user_id, actor.session_id)
        await deps.tickets.keep(_key(ticket), grant, seconds=seconds)
        return RealtimeTicket(ticket, deps.clock.now() + timedelta(seconds=seconds))


class RedeemRealtimeTicket:
    """The actor a ticket opens a socket for: the ticket must be one that was issued and never
    used, within its lifetime, and its sign-in must still be open."""

    def __init__(self, deps: RealtimeDeps) -> None:
        self._deps = deps

    async def __call__(self, ticket: str, *, ip: str | None, user_agent: str | None) -> Actor:
        # Longer than any ticket issued: not worth hashing, let alone looking up.
        if not ticket or len(ticket) > 128:
            raise TicketRefused()
        grant = await self._deps.tickets.take(_key(ticket))
        if grant is None:
            raise TicketRefused()
        actor = await _open_session(self._deps, grant.user_id, grant.session_id)
        return Actor(
            user_id=actor.user_id,
            role=actor.role,
            email_verified=actor.email_verified,
            ip=ip,
            user_agent=user_agent,
            session_id=actor.session_id,
            two_factor_enabled=actor.two_factor_enabled,
        )


class ConfirmRealtimeSession:
    """The sign-in of a socket's actor is still open (raises ``NotAuthenticated`` otherwise).

    Asked once the socket listens for the end of its sign-in: an end published between the
    ticket's redemption and then reached no one, and this is how the socket learns of it (an
    end that comes later reaches the socket itself)."""

    def __init__(self, deps: RealtimeDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor) -> None:
        if actor.user_id is None or actor.session_id is None:
            raise NotAuthenticated("sign in first")
        await _open_session(self._deps, actor.user_id, actor.session_id)
