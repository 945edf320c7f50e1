"""Routing, against a brute-force model: every choice is one the rules allow (an online agent
with the skill and room; nobody with fewer active tickets; among the least loaded, nobody idle
longer), capacity is never exceeded, no ticket is held twice, nothing waits in the queue that an
agent could take, and equally skilled agents' loads stay within one of each other while tickets
arrive. The queue is served most pressing first."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from elearn.domain.support.routing import (
    AgentLoad,
    QueuedTicket,
    choose_agent,
    plan_assignments,
    queue_order,
)
from elearn.domain.support.tickets import Category, Priority

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SKILLS = (Category.PAYMENT, Category.TECHNICAL, Category.ACCOUNT)


def is_allowed_choice(
    category: Category, agents: list[AgentLoad], chosen: AgentLoad | None
) -> bool:
    """The rules, spelled out one by one over every agent (no sorting)."""
    eligible = [
        a for a in agents if a.online and category in a.categories and a.active < a.capacity
    ]
    if chosen is None:
        return not eligible
    if chosen not in eligible:
        return False
    for other in eligible:
        if other.active < chosen.active:
            return False
        if other.active == chosen.active:
            if chosen.last_assigned_at is not None and (
                other.last_assigned_at is None or other.last_assigned_at < chosen.last_assigned_at
            ):
                return False
    return True


agent_loads = st.builds(
    AgentLoad,
    agent_id=st.integers(1, 10**6).map(lambda n: UUID(int=n)),
    online=st.booleans(),
    categories=st.frozensets(st.sampled_from(SKILLS)),
    capacity=st.integers(0, 4),
    active=st.integers(0, 4),
    last_assigned_at=st.none() | st.integers(0, 5).map(lambda m: T0 + timedelta(minutes=m)),
)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SKILLS), st.lists(agent_loads, max_size=8, unique_by=lambda a: a.agent_id))
def test_the_chosen_agent_is_one_the_rules_allow(
    category: Category, agents: list[AgentLoad]
) -> None:
    assert is_allowed_choice(category, agents, choose_agent(category, agents))


@dataclass
class Desk:
    """The model: agents, who holds which ticket, and the queue."""

    agents: dict[UUID, AgentLoad]
    held: dict[UUID, set[UUID]] = field(default_factory=dict)
    queue: dict[UUID, QueuedTicket] = field(default_factory=dict)
    tickets: dict[UUID, QueuedTicket] = field(default_factory=dict)
    resolved: set[UUID] = field(default_factory=set)

    def load(self, agent_id: UUID) -> AgentLoad:
        return replace(self.agents[agent_id], active=len(self.held.setdefault(agent_id, set())))

    def loads(self) -> list[AgentLoad]:
        return [self.load(agent_id) for agent_id in self.agents]

    def give(self, ticket_id: UUID, agent_id: UUID, now: datetime) -> None:
        assert all(ticket_id not in held for held in self.held.values()), "assigned twice"
        self.held.setdefault(agent_id, set()).add(ticket_id)
        self.agents[agent_id] = replace(self.agents[agent_id], last_assigned_at=now)
        self.queue.pop(ticket_id, None)

    def pull_queue(self, now: datetime) -> None:
        for assignment in plan_assignments(self.queue.values(), self.loads(), now):
            self.give(assignment.ticket_id, assignment.agent_id, now)


arrival = st.tuples(st.just("arrive"), st.sampled_from(SKILLS), st.sampled_from(list(Priority)))
resolution = st.tuples(st.just("resolve"), st.integers(0, 5), st.none())
presence = st.tuples(st.just("toggle"), st.integers(0, 5), st.none())
desks = st.lists(
    st.tuples(st.frozensets(st.sampled_from(SKILLS), min_size=1), st.integers(0, 3), st.booleans()),
    min_size=1,
    max_size=5,
)


@settings(max_examples=200, deadline=None)
@given(desks, st.lists(st.one_of(arrival, resolution, presence), max_size=60))
def test_any_sequence_of_arrivals_resolutions_and_presence_keeps_the_rules(
    setup: list[tuple[frozenset[Category], int, bool]], steps: list[tuple[str, object, object]]
) -> None:
    agents = {
        UUID(int=n + 1): AgentLoad(UUID(int=n + 1), online, skills, capacity, 0, None)
        for n, (skills, capacity, online) in enumerate(setup)
    }
    desk = Desk(agents)
    ids = (UUID(int=10**6 + n) for n in itertools.count())
    now = T0
    for kind, what, priority in steps:
        now += timedelta(seconds=1)
        if kind == "arrive":
            assert isinstance(what, Category) and isinstance(priority, Priority)
            ticket = QueuedTicket(next(ids), what, priority, now + timedelta(hours=1), now)
            desk.tickets[ticket.ticket_id] = ticket
            loads = desk.loads()
            chosen = choose_agent(what, loads)
            assert is_allowed_choice(what, loads, chosen)
            if chosen is None:
                desk.queue[ticket.ticket_id] = ticket
            else:
                desk.give(ticket.ticket_id, chosen.agent_id, now)
        elif kind == "resolve":
            assert isinstance(what, int)
            agent_id = list(desk.agents)[what % len(desk.agents)]
            if desk.held.get(agent_id):
                done = min(desk.held[agent_id])
                desk.held[agent_id].discard(done)
                desk.resolved.add(done)
                desk.pull_queue(now)
        else:
            assert isinstance(what, int)
            agent_id = list(desk.agents)[what % len(desk.agents)]
            agent = desk.agents[agent_id]
            desk.agents[agent_id] = replace(agent, online=not agent.online)
            desk.pull_queue(now)

        # Capacity is never exceeded and every ticket is in exactly one place.
        for load in desk.loads():
            assert load.active <= load.capacity
        places = [*desk.queue, *desk.resolved, *(t for h in desk.held.values() for t in h)]
        assert sorted(places) == sorted(desk.tickets)
        # Nothing waits that someone could take now.
        for queued in desk.queue.values():
            assert choose_agent(queued.category, desk.loads()) is None


@settings(max_examples=200, deadline=None)
@given(
    st.integers(2, 5),
    st.integers(1, 6),
    st.lists(st.sampled_from(SKILLS), max_size=40),
)
def test_equally_skilled_agents_stay_within_one_ticket_of_each_other_as_tickets_arrive(
    team_size: int, capacity: int, arrivals: list[Category]
) -> None:
    # One team knows everything; one specialist knows payments only and competes for them.
    team = {
        UUID(int=n): AgentLoad(UUID(int=n), True, frozenset(SKILLS), capacity, 0, None)
        for n in range(1, team_size + 1)
    }
    specialist = AgentLoad(UUID(int=99), True, frozenset({Category.PAYMENT}), capacity, 0, None)
    desk = Desk({**team, specialist.agent_id: specialist})
    now = T0
    for n, category in enumerate(arrivals):
        now += timedelta(seconds=1)
        chosen = choose_agent(category, desk.loads())
        if chosen is not None:
            desk.give(UUID(int=10**6 + n), chosen.agent_id, now)
        counts = [desk.load(agent_id).active for agent_id in team]
        assert max(counts) - min(counts) <= 1


@settings(max_examples=200, deadline=None)
@given(st.lists(agent_loads, max_size=6, unique_by=lambda a: a.agent_id), st.data())
def test_an_arrival_never_widens_the_gap_between_equally_skilled_agents(
    agents: list[AgentLoad], data: st.DataObject
) -> None:
    """After resolutions the loads of a team may differ by more than one (a busy agent resolved
    nothing, another everything, and no ticket moves between agents): arrivals then go to the
    least loaded and never widen the gap."""
    category = data.draw(st.sampled_from(SKILLS))
    team = [a for a in agents if a.online and a.categories == frozenset(SKILLS)]
    chosen = choose_agent(category, agents)
    if chosen is None or len(team) < 2 or len({a.capacity for a in team}) > 1:
        return
    before = [a.active for a in team]
    after = [a.active + (a.agent_id == chosen.agent_id) for a in team]
    assert max(after) - min(after) <= max(1, max(before) - min(before))


def test_ties_go_to_whoever_waited_longest_since_their_last_assignment() -> None:
    never = AgentLoad(UUID(int=3), True, frozenset(SKILLS), 5, 1, None)
    early = AgentLoad(UUID(int=1), True, frozenset(SKILLS), 5, 1, T0)
    late = AgentLoad(UUID(int=2), True, frozenset(SKILLS), 5, 1, T0 + timedelta(minutes=1))
    busy = AgentLoad(UUID(int=4), True, frozenset(SKILLS), 5, 2, None)
    assert choose_agent(Category.PAYMENT, [late, early, busy, never]) is never
    assert choose_agent(Category.PAYMENT, [late, early, busy]) is early
    away = replace(early, online=False)
    full = replace(late, capacity=1)
    unskilled = replace(never, categories=frozenset({Category.TECHNICAL}))
    assert choose_agent(Category.PAYMENT, [away, full, unskilled]) is None


def test_the_queue_goes_by_priority_then_deadline_and_skips_what_nobody_can_take() -> None:
    def queued(n: int, category: Category, priority: Priority, due_minutes: int) -> QueuedTicket:
        return QueuedTicket(
            UUID(int=n), category, priority, T0 + timedelta(minutes=due_minutes), T0
        )

    queue = [
        queued(1, Category.PAYMENT, Priority.LOW, 0),
        queued(2, Category.PAYMENT, Priority.URGENT, 30),
        queued(3, Category.TECHNICAL, Priority.URGENT, 0),  # nobody knows this
        queued(4, Category.PAYMENT, Priority.URGENT, 10),
        queued(5, Category.PAYMENT, Priority.HIGH, 0),
    ]
    assert [t.ticket_id.int for t in sorted(queue, key=queue_order)] == [3, 4, 2, 5, 1]
    agent = AgentLoad(UUID(int=9), True, frozenset({Category.PAYMENT}), 3, 0, None)
    plan = plan_assignments(queue, [agent], T0)
    assert [(a.ticket_id.int, a.agent_id) for a in plan] == [
        (4, agent.agent_id),
        (2, agent.agent_id),
        (5, agent.agent_id),
    ]
