"""Outbox handlers that publish the desk's live events after commit, through the realtime
port: ``ticket.message`` to the ticket's customer and agent, ``ticket.assigned`` and
``ticket.status``. Best effort, like every live event: who is not connected reads the ticket."""

from __future__ import annotations

from uuid import UUID

from elearn.application.realtime import RealtimePublisher
from elearn.application.support.deps import SupportDeps
from elearn.domain.shared.events import DomainEvent
from elearn.domain.support.tickets import (
    TicketAssigned,
    TicketMessagePosted,
    TicketStatusChanged,
)


def _people(*ids: UUID | None) -> list[UUID]:
    return list(dict.fromkeys(person for person in ids if person is not None))


class PublishTicketMessage:
    def __init__(self, deps: SupportDeps, realtime: RealtimePublisher) -> None:
        self._deps = deps
        self._realtime = realtime

    async def __call__(self, event: DomainEvent) -> None:
        assert isinstance(event, TicketMessagePosted)
        async with self._deps.uow(read_only=True) as uow:
            message = await uow.support.messages.get(event.message_id)
        if message is None or message.internal:
            return
        await self._realtime.publish(
            _people(event.customer_id, event.agent_id),
            "ticket.message",
            {
                "ticket_id": str(event.ticket_id),
                "message_id": str(message.id),
                "author_id": str(message.author_id),
                "author_role": "agent" if message.from_agent else "customer",
                "body": message.body,
                "created_at": message.created_at.isoformat(),
            },
        )


class PublishTicketAssigned:
    def __init__(self, deps: SupportDeps, realtime: RealtimePublisher) -> None:
        self._realtime = realtime

    async def __call__(self, event: DomainEvent) -> None:
        assert isinstance(event, TicketAssigned)
        await self._realtime.publish(
            _people(event.customer_id, event.agent_id, event.previous_agent_id),
            "ticket.assigned",
            {
                "ticket_id": str(event.ticket_id),
                "agent_id": str(event.agent_id),
                "previous_agent_id": (
                    None if event.previous_agent_id is None else str(event.previous_agent_id)
                ),
            },
        )


class PublishTicketStatus:
    def __init__(self, deps: SupportDeps, realtime: RealtimePublisher) -> None:
        self._realtime = realtime

    async def __call__(self, event: DomainEvent) -> None:
        assert isinstance(event, TicketStatusChanged)
        await self._realtime.publish(
            _people(event.customer_id, event.agent_id),
            "ticket.status",
            {
                "ticket_id": str(event.ticket_id),
                "status": event.status,
                "previous_status": event.previous_status,
            },
        )
