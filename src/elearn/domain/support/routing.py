"""Routing: which agent takes a ticket, and in which order the queue is served.

A ticket goes to an online agent whose skills include its category and who has room (fewer
active tickets than their capacity): the one with the fewest active tickets, and among those
the one who waited longest since their last assignment (never assigned first). None free: the
ticket waits in the queue, served most pressing first (priority, then the nearest deadline,
then the oldest) whenever an agent frees up.

Pure: the application reads the loads under a lock and applies the plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from elearn.domain.support.tickets import Category, Priority


@dataclass(frozen=True, slots=True)
class AgentLoad:
    agent_id: UUID
    online: bool
    categories: frozenset[Category]
    capacity: int
    active: int  # tickets assigned or waiting on their customer
    last_assigned_at: datetime | None

    @property
    def has_room(self) -> bool:
        return self.active < self.capacity

    def can_take(self, category: Category) -> bool:
        return self.online and category in self.categories and self.has_room


@dataclass(frozen=True, slots=True)
class QueuedTicket:
    ticket_id: UUID
    category: Category
    priority: Priority
    first_response_due: datetime
    created_at: datetime


def queue_order(ticket: QueuedTicket) -> tuple[int, datetime, datetime, UUID]:
    return (ticket.priority.rank, ticket.first_response_due, ticket.created_at, ticket.ticket_id)


def _idle_key(last: datetime | None) -> tuple[int, datetime | None]:
    return (0, None) if last is None else (1, last)


def choose_agent(category: Category, agents: Iterable[AgentLoad]) -> AgentLoad | None:
    """The agent a ticket of ``category`` goes to now, or None: it waits in the queue."""
    candidates = [agent for agent in agents if agent.can_take(category)]
    if not candidates:
        return None
    return min(candidates, key=_sort_key)


def _sort_key(agent: AgentLoad) -> tuple[int, int, datetime, UUID]:
    never, last = _idle_key(agent.last_assigned_at)
    return (agent.active, never, last or datetime.min, agent.agent_id)


@dataclass(frozen=True, slots=True)
class Assignment:
    ticket_id: UUID
    agent_id: UUID


def plan_assignments(
    queue: Iterable[QueuedTicket], agents: Sequence[AgentLoad], now: datetime
) -> list[Assignment]:
    """Serves the queue in order while anyone can take its tickets: a ticket nobody can take
    now stays queued without holding up the tickets behind it (another skill)."""
    loads = {agent.agent_id: agent for agent in agents}
    plan: list[Assignment] = []
    for ticket in sorted(queue, key=queue_order):
        chosen = choose_agent(ticket.category, loads.values())
        if chosen is None:
            continue
        loads[chosen.agent_id] = replace(chosen, active=chosen.active + 1, last_assigned_at=now)
        plan.append(Assignment(ticket.ticket_id, chosen.agent_id))
    return plan
