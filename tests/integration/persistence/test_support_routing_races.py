"""Routing under concurrency, on PostgreSQL (SQLite serialises writers, so races cannot happen
there): 200 tickets opened at once through four containers (four API processes, each with its
own connection pool) with five agents of capacity 10 fill each agent to exactly 10, leave 150
queued and give no ticket twice; then the agents resolving all their tickets at once pull the
50 most pressing of the queue (priority, then deadline), still never past capacity."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from sqlalchemy import func, select
from tests.conftest import empty_all_tables, make_settings, postgres_url

from elearn.adapters.jobs.broker import build_broker
from elearn.adapters.persistence.models.jobs import OutboxMessageRow
from elearn.adapters.persistence.models.support import SupportTicketRow
from elearn.application.actor import Actor
from elearn.application.support.agents import AgentSettings
from elearn.application.support.tickets import OpenTicketCommand
from elearn.domain.identity.roles import Role
from elearn.domain.support.agents import Presence
from elearn.domain.support.tickets import Category, Priority, TicketStatus
from elearn.entrypoints.bootstrap import Container, bootstrap
from elearn.entrypoints.settings import Settings

PROCESSES = 4
AGENTS = 5
CAPACITY = 10
TICKETS = 200


@pytest.fixture
def pg_settings(tmp_path: Path) -> Settings:
    """PostgreSQL only; four pools of 6 (and as many overflow) fit a shared server."""
    url = postgres_url()
    asyncio.run(empty_all_tables(url))
    return make_settings(tmp_path, url, database_pool_size=6)


@pytest.fixture
async def containers(pg_settings: Settings) -> AsyncIterator[list[Container]]:
    settings = pg_settings
    built = [bootstrap(settings, broker=build_broker(None)) for _ in range(PROCESSES)]
    try:
        yield built
    finally:
        for container in built:
            await container.dispose()


async def tickets_by_status(container: Container) -> dict[str, list[SupportTicketRow]]:
    async with container.sessions() as session:
        rows = list(await session.scalars(select(SupportTicketRow)))
    grouped: dict[str, list[SupportTicketRow]] = {}
    for row in rows:
        grouped.setdefault(row.status, []).append(row)
    return grouped


async def assignment_events(container: Container) -> Counter[str]:
    async with container.sessions() as session:
        payloads = await session.scalars(
            select(OutboxMessageRow.payload).where(
                OutboxMessageRow.event_type == "support.ticket_assigned"
            )
        )
        return Counter(str(payload["ticket_id"]) for payload in payloads)


def active_counts(grouped: dict[str, list[SupportTicketRow]]) -> Counter[UUID | None]:
    return Counter(
        row.assignee_id
        for status in (TicketStatus.ASSIGNED, TicketStatus.WAITING_ON_CUSTOMER)
        for row in grouped.get(status.value, [])
    )


async def test_routing_under_a_crowd_never_exceeds_capacity_nor_gives_a_ticket_twice(
    containers: list[Container],
) -> None:
    agents = [Actor(user_id=uuid4(), role=Role.MANAGER, email_verified=True) for _ in range(AGENTS)]
    for n, agent in enumerate(agents):
        await containers[n % PROCESSES].support.update_my_agent_settings(
            agent,
            AgentSettings(
                presence=Presence.ONLINE,
                categories=frozenset({Category.PAYMENT}),
                capacity=CAPACITY,
            ),
        )
    priorities = list(Priority)

    async def open_one(n: int) -> UUID:
        customer = Actor(user_id=uuid4(), role=Role.STUDENT, email_verified=True)
        command = OpenTicketCommand(
            f"Ticket {n}", Category.PAYMENT, "Charged twice", priorities[n % len(priorities)]
        )
        return (await containers[n % PROCESSES].support.open_ticket(customer, command)).id

    opened = await asyncio.gather(*(open_one(n) for n in range(TICKETS)))
    assert len(set(opened)) == TICKETS

    grouped = await tickets_by_status(containers[0])
    counts = active_counts(grouped)
    assert sorted(counts.values()) == [CAPACITY] * AGENTS
    assert set(counts) == {agent.user_id for agent in agents}
    assert len(grouped[TicketStatus.OPEN.value]) == TICKETS - AGENTS * CAPACITY
    events = await assignment_events(containers[0])
    assert sorted(events.values()) == [1] * (AGENTS * CAPACITY)

    # The queue as it stands, most pressing first: the next 50 to be served.
    queued = sorted(
        grouped[TicketStatus.OPEN.value],
        key=lambda row: (row.priority_rank, row.first_response_due, row.opened_at, row.id),
    )
    expected_next = {row.id for row in queued[: AGENTS * CAPACITY]}
    first_round = {row.id: row.assignee_id for row in grouped[TicketStatus.ASSIGNED.value]}

    async def resolve(ticket_id: UUID, agent_id: UUID | None, n: int) -> None:
        agent = next(a for a in agents if a.user_id == agent_id)
        await containers[n % PROCESSES].support.change_status(
            agent, ticket_id, TicketStatus.RESOLVED
        )

    await asyncio.gather(
        *(
            resolve(ticket_id, agent_id, n)
            for n, (ticket_id, agent_id) in enumerate(first_round.items())
        )
    )

    grouped = await tickets_by_status(containers[0])
    counts = active_counts(grouped)
    assert sorted(counts.values()) == [CAPACITY] * AGENTS
    assert {row.id for row in grouped[TicketStatus.ASSIGNED.value]} == expected_next
    assert len(grouped[TicketStatus.RESOLVED.value]) == AGENTS * CAPACITY
    assert len(grouped[TicketStatus.OPEN.value]) == TICKETS - 2 * AGENTS * CAPACITY
    events = await assignment_events(containers[0])
    assert sorted(events.values()) == [1] * (2 * AGENTS * CAPACITY)
    async with containers[0].sessions() as session:
        total = await session.scalar(select(func.count()).select_from(SupportTicketRow))
    assert total == TICKETS
