"""Routing applied: the pure policy (``domain.support.routing``) over the loads read under the
routing lock, so that no agent is given more than their capacity and no ticket is given twice,
whatever the number of API processes and workers."""

from __future__ import annotations

from uuid import UUID

from elearn.application.support.deps import SupportDeps
from elearn.application.support.ports import SupportUnitOfWork
from elearn.domain.support.routing import QueuedTicket, choose_agent, plan_assignments
from elearn.domain.support.tickets import Ticket

# How many queued tickets one pull considers: more than all agents together can take at once.
_QUEUE_BATCH = 500


def _queued(ticket: Ticket) -> QueuedTicket:
    return QueuedTicket(
        ticket.id, ticket.category, ticket.priority, ticket.first_response_due, ticket.created_at
    )


class Router:
    def __init__(self, deps: SupportDeps) -> None:
        self._deps = deps

    async def route(self, uow: SupportUnitOfWork, ticket: Ticket) -> UUID | None:
        """Gives a queued ticket to the agent the policy picks; None: it stays queued."""
        await uow.support.lock_routing()
        chosen = choose_agent(ticket.category, await uow.support.agents.loads())
        if chosen is None:
            return None
        await self.assign(uow, ticket, chosen.agent_id)
        return chosen.agent_id

    async def pull_queue(self, uow: SupportUnitOfWork) -> int:
        """Someone freed up (came online, resolved, made room, learned a skill): the queue is
        served most pressing first while anyone can take its tickets."""
        await uow.support.lock_routing()
        loads = await uow.support.agents.loads()
        if not any(load.online and load.has_room for load in loads):
            return 0
        queued = {t.id: t for t in await uow.support.tickets.queued(limit=_QUEUE_BATCH)}
        plan = plan_assignments(
            (_queued(t) for t in queued.values()), loads, self._deps.clock.now()
        )
        for assignment in plan:
            await self.assign(uow, queued[assignment.ticket_id], assignment.agent_id)
        return len(plan)

    async def assign(self, uow: SupportUnitOfWork, ticket: Ticket, agent_id: UUID) -> None:
        """The caller holds the routing lock and checked the agent's room."""
        now = self._deps.clock.now()
        ticket.assign(agent_id, now=now, new_id=self._deps.ids.new_id)
        agent = await uow.support.agents.get(agent_id)
        if agent is not None:
            agent.note_assignment(now)
