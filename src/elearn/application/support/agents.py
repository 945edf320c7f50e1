"""Agents: their presence, skills and capacity, their queue, and the desk's canned responses.

An agent is a staff member (manager or admin); their settings are made, offline, the first time
they read or set them.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from elearn.application.actor import Actor
from elearn.application.paging import Page, check_limit, page_of
from elearn.application.support.deps import SupportDeps
from elearn.application.support.ports import (
    AgentView,
    CannedResponse,
    CannedResponseView,
    SupportUnitOfWork,
    TicketSummary,
)
from elearn.application.support.routing import Router
from elearn.domain.support.agents import Agent, AgentPresenceChanged, Presence
from elearn.domain.support.tickets import BODY_MAX, SUBJECT_MAX, Category, clean_text


@dataclass(frozen=True, slots=True)
class AgentSettings:
    presence: Presence
    categories: frozenset[Category]
    capacity: int


async def _agent(deps: SupportDeps, uow: SupportUnitOfWork, agent_id: UUID) -> Agent:
    agent = await uow.support.agents.get(agent_id, for_update=True)
    if agent is None:
        agent = Agent(id=agent_id, capacity=deps.policy.default_capacity)
        await uow.support.agents.add(agent)
    return agent


async def _view(uow: SupportUnitOfWork, agent: Agent) -> AgentView:
    loads = {load.agent_id: load for load in await uow.support.agents.loads()}
    load = loads.get(agent.id)
    return AgentView(
        id=agent.id,
        presence=agent.presence,
        categories=sorted(agent.categories),
        capacity=agent.capacity,
        active_tickets=0 if load is None else load.active,
        last_assigned_at=agent.last_assigned_at,
    )


class GetMyAgentSettings:
    def __init__(self, deps: SupportDeps, router: Router) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor) -> AgentView:
        deps = self._deps
        agent_id = deps.require_agent(actor)
        async with deps.uow(read_only=True) as uow:
            agent = await uow.support.agents.get(agent_id)
            # Not yet an agent's settings of their own: the defaults, made when first set.
            agent = agent or Agent(id=agent_id, capacity=deps.policy.default_capacity)
            return await _view(uow, agent)


class UpdateMyAgentSettings:
    """Coming online, raising one's capacity or learning a skill pulls the queue at once; going
    offline returns one's unanswered tickets to routing (``away`` keeps them and takes no new
    ones)."""

    def __init__(self, deps: SupportDeps, router: Router) -> None:
        self._deps = deps
        self._router = router

    async def __call__(self, actor: Actor, settings: AgentSettings) -> AgentView:
        deps = self._deps
        agent_id = deps.require_agent(actor)
        now = deps.clock.now()
        async with deps.uow() as uow:
            await uow.support.lock_routing()
            agent = await _agent(deps, uow, agent_id)
            previous_presence = agent.presence
            change = agent.update(
                presence=settings.presence,
                categories=settings.categories,
                capacity=settings.capacity,
                now=now,
            )
            returned = []
            if change.went_offline:
                returned = await uow.support.tickets.unanswered_of(agent_id)
                for ticket in returned:
                    ticket.return_to_queue(now=now, new_id=deps.ids.new_id)
            if change.may_take_more or returned:
                await self._router.pull_queue(uow)
            # Joining or leaving their chats is crossing ``online``; away and offline both
            # mean gone to the customer.
            if agent.takes_tickets != (previous_presence is Presence.ONLINE):
                kept = await uow.support.tickets.active_of(agent_id)
                uow.publish(
                    AgentPresenceChanged(
                        event_id=deps.ids.new_id(),
                        occurred_at=now,
                        agent_id=agent_id,
                        presence=agent.presence.value,
                        previous_presence=previous_presence.value,
                        tickets=tuple((t.id, t.customer_id) for t in kept),
                    )
                )
            view = await _view(uow, agent)
            await uow.commit()
        return view


class AgentQueue:
    """Unassigned tickets and the agent's own, most pressing first (priority, then deadline)."""

    def __init__(self, deps: SupportDeps, router: Router) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, *, limit: int = 20, cursor: str | None = None
    ) -> Page[TicketSummary]:
        agent_id = self._deps.require_agent(actor)
        check_limit(limit)
        return await page_of(self._deps.queries.queue(agent_id, limit=limit, cursor=cursor))


@dataclass(frozen=True, slots=True)
class NewCannedResponse:
    title: str
    body: str
    category: Category | None = None


class CreateCannedResponse:
    def __init__(self, deps: SupportDeps, router: Router) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, command: NewCannedResponse) -> CannedResponseView:
        deps = self._deps
        author = deps.require_agent(actor)
        response = CannedResponse(
            id=deps.ids.new_id(),
            title=clean_text(command.title, field="title", max_length=SUBJECT_MAX),
            body=clean_text(command.body, field="body", max_length=BODY_MAX),
            category=command.category,
            created_by=author,
            created_at=deps.clock.now(),
        )
        async with deps.uow() as uow:
            await uow.support.canned_responses.add(response)
            await uow.commit()
        return CannedResponseView(
            id=response.id,
            title=response.title,
            body=response.body,
            category=response.category,
            created_by=response.created_by,
            created_at=response.created_at,
        )


class ListCannedResponses:
    def __init__(self, deps: SupportDeps, router: Router) -> None:
        self._deps = deps

    async def __call__(
        self,
        actor: Actor,
        *,
        category: Category | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[CannedResponseView]:
        self._deps.require_agent(actor)
        check_limit(limit)
        return await page_of(
            self._deps.queries.canned_responses(category=category, limit=limit, cursor=cursor)
        )
