"""Outbox handlers that publish the desk's live events after commit, through the realtime
port: ``ticket.message`` to the ticket's customer and agent, ``ticket.assigned``,
``ticket.status``, ``ticket.agent_joined`` and ``ticket.agent_left``; and ``ticket.typing``,
straight from the socket (nothing stored). Best effort, like every live event: who is not
connected reads the ticket."""

from __future__ import annotations

from uuid import UUID

from elearn.application.actor import Actor
from elearn.application.realtime import RealtimePublisher
from elearn.application.support.deps import SupportDeps
from elearn.domain.shared.events import DomainEvent
from elearn.domain.support.agents import AgentPresenceChanged, Presence
from elearn.domain.support.tickets import (
    TicketAssigned,
    TicketMessagePosted,
    TicketStatus,
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


class PublishAgentJoinedOrLeft:
    """``ticket.agent_joined`` and ``ticket.agent_left`` in a ticket's live chat, to its customer
    and the agents concerned: an agent is handed the ticket (``assigned``) and the one before
    loses it (``reassigned``); the ticket goes back to the queue or is reopened without them
    (``unassigned``); its agent comes online (``online``) or steps away (``away``,
    ``offline``)."""

    def __init__(self, deps: SupportDeps, realtime: RealtimePublisher) -> None:
        self._realtime = realtime

    async def __call__(self, event: DomainEvent) -> None:
        if isinstance(event, TicketAssigned):
            if event.previous_agent_id is not None:
                await self._left(
                    event.ticket_id,
                    event.previous_agent_id,
                    "reassigned",
                    _people(event.customer_id, event.agent_id, event.previous_agent_id),
                )
            await self._joined(
                event.ticket_id,
                event.agent_id,
                "assigned",
                _people(event.customer_id, event.agent_id, event.previous_agent_id),
            )
        elif isinstance(event, TicketStatusChanged):
            # Back to ``open`` from an agent's hands: returned to routing or reopened.
            if event.status == TicketStatus.OPEN.value and event.agent_id is not None:
                await self._left(
                    event.ticket_id,
                    event.agent_id,
                    "unassigned",
                    _people(event.customer_id, event.agent_id),
                )
        elif isinstance(event, AgentPresenceChanged):
            for ticket_id, customer_id in event.tickets:
                audience = _people(customer_id, event.agent_id)
                if event.presence == Presence.ONLINE.value:
                    await self._joined(ticket_id, event.agent_id, "online", audience)
                else:
                    await self._left(ticket_id, event.agent_id, event.presence, audience)

    async def _joined(
        self, ticket_id: UUID, agent_id: UUID, reason: str, audience: list[UUID]
    ) -> None:
        await self._realtime.publish(
            audience,
            "ticket.agent_joined",
            {"ticket_id": str(ticket_id), "agent_id": str(agent_id), "reason": reason},
        )

    async def _left(
        self, ticket_id: UUID, agent_id: UUID, reason: str, audience: list[UUID]
    ) -> None:
        await self._realtime.publish(
            audience,
            "ticket.agent_left",
            {"ticket_id": str(ticket_id), "agent_id": str(agent_id), "reason": reason},
        )


class SayTyping:
    """Someone in a ticket's chat is typing (the socket's ``{type: "ticket.typing",
    ticket_id}``): the ticket's customer and agent see it live, the typist excepted. Nothing is
    stored; a closed ticket says nothing. Whoever may not read the ticket is told it does not
    exist."""

    def __init__(self, deps: SupportDeps, realtime: RealtimePublisher) -> None:
        self._deps = deps
        self._realtime = realtime

    async def __call__(self, actor: Actor, ticket_id: UUID) -> None:
        deps = self._deps
        async with deps.uow(read_only=True) as uow:
            access = await deps.ticket_for(uow, actor, ticket_id)
        ticket = access.ticket
        if ticket.status is TicketStatus.CLOSED:
            return
        audience = [
            p for p in _people(ticket.customer_id, ticket.assignee_id) if p != access.user_id
        ]
        if not audience:
            return
        await self._realtime.publish(
            audience,
            "ticket.typing",
            {
                "ticket_id": str(ticket.id),
                "user_id": str(access.user_id),
                "role": "customer" if access.is_customer else "agent",
            },
        )
