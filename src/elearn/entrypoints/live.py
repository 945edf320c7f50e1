"""The realtime socket's part of the composition root: its policy from settings, its tickets
(in Redis when configured, else in process memory) and the use cases that issue and redeem
them. Live delivery itself is the container's ``realtime`` hub (``bootstrap.build_realtime``)."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, TypeAlias

from litestar.di import NamedDependency

from elearn.adapters.realtime.tickets import InMemoryRealtimeTickets, RedisRealtimeTickets
from elearn.application.realtime_tickets import (
    ConfirmRealtimeSession,
    IssueRealtimeTicket,
    RealtimeDeps,
    RealtimePolicy,
    RedeemRealtimeTicket,
)
from elearn.entrypoints.settings import Settings

if TYPE_CHECKING:
    from elearn.entrypoints.bootstrap import Container


def realtime_policy(settings: Settings) -> RealtimePolicy:
    return RealtimePolicy(
        ticket_seconds=settings.realtime_ticket_seconds,
        heartbeat_seconds=settings.realtime_heartbeat_seconds,
        sockets_per_person=settings.realtime_sockets_per_person,
        client_messages_per_minute=settings.realtime_client_messages_per_minute,
    )


def build_live_deps(container: Container) -> RealtimeDeps:
    return RealtimeDeps(
        tickets=RedisRealtimeTickets(container.redis)
        if container.redis is not None
        else InMemoryRealtimeTickets(),
        clock=container.clock,
        # Read when a ticket is redeemed: identity is built by then.
        session_check=lambda user_id, session_id: container.identity.actor_of_session(
            user_id, session_id
        ),
        policy=realtime_policy(container.settings),
    )


class LiveUseCases:
    def __init__(self, deps: RealtimeDeps) -> None:
        self.deps = deps

    @cached_property
    def issue_ticket(self) -> IssueRealtimeTicket:
        return IssueRealtimeTicket(self.deps)

    @cached_property
    def redeem_ticket(self) -> RedeemRealtimeTicket:
        return RedeemRealtimeTicket(self.deps)

    @cached_property
    def confirm_session(self) -> ConfirmRealtimeSession:
        return ConfirmRealtimeSession(self.deps)


Live: TypeAlias = NamedDependency[LiveUseCases]
