"""The realtime socket's part of the composition root: its tickets (in Redis when configured,
else in process memory) and the use cases that issue and redeem them. Live delivery itself is
the container's ``realtime`` hub (see ``bootstrap.build_realtime``)."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, TypeAlias

from litestar.di import NamedDependency

from elearn.adapters.realtime.tickets import InMemoryRealtimeTickets, RedisRealtimeTickets
from elearn.application.realtime_tickets import (
    IssueRealtimeTicket,
    RealtimeTickets,
    RedeemRealtimeTicket,
)

if TYPE_CHECKING:
    from elearn.entrypoints.bootstrap import Container


class LiveUseCases:
    def __init__(self, container: Container) -> None:
        self._container = container
        self.tickets: RealtimeTickets = (
            RedisRealtimeTickets(container.redis)
            if container.redis is not None
            else InMemoryRealtimeTickets()
        )

    @cached_property
    def issue_ticket(self) -> IssueRealtimeTicket:
        c = self._container
        return IssueRealtimeTicket(
            self.tickets, c.clock, seconds=c.settings.realtime_ticket_seconds
        )

    @cached_property
    def redeem_ticket(self) -> RedeemRealtimeTicket:
        return RedeemRealtimeTicket(self.tickets, self._container.identity.actor_of_session)


Live: TypeAlias = NamedDependency[LiveUseCases]
