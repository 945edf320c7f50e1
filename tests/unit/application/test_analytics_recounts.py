"""The outbox handler that recounts an event's quarter hour shares recounts among the events of
one slot that arrive while one runs, without ever returning before a recount that began after
it was called has finished (so after its event was committed), and never on a failed one."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elearn.application.analytics.rollups import RecountEventSlot
from elearn.domain.analytics.metrics import Family
from elearn.domain.analytics.series import slot_of
from elearn.domain.shared.events import DomainEvent

NOON = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


class Keeper:
    """Records each recount's start and end on a logical clock; a recount yields to the loop
    ``steps`` times (other handlers run meanwhile) and may be told to fail."""

    def __init__(self, steps: int = 3) -> None:
        self.steps = steps
        self.time = 0
        self.recounts: list[tuple[int, int | None, int]] = []  # (started, finished, slot)
        self.failures = 0

    def tick(self) -> int:
        self.time += 1
        return self.time

    async def recompute(self, families: Collection[Family], first_slot: int, end_slot: int) -> int:
        assert end_slot == first_slot + 1
        started = self.tick()
        for _ in range(self.steps):
            await asyncio.sleep(0)
        if self.failures:
            self.failures -= 1
            self.recounts.append((started, None, first_slot))
            raise RuntimeError("the database went away")
        self.recounts.append((started, self.tick(), first_slot))
        return 1


def event_at(moment: datetime) -> DomainEvent:
    return DomainEvent(event_id=uuid4(), occurred_at=moment)


async def handled(handler: RecountEventSlot, keeper: Keeper, event: DomainEvent, delay: int) -> int:
    """Calls the handler after ``delay`` turns of the loop; answers when it was called."""
    for _ in range(delay):
        await asyncio.sleep(0)
    called = keeper.tick()
    await handler(event)
    returned = keeper.tick()
    slot = slot_of(event.occurred_at)
    # A recount of its slot began after the call and finished before the handler returned.
    assert any(
        slot == counted and called < started and finished is not None and finished < returned
        for started, finished, counted in keeper.recounts
    )
    return called


@settings(max_examples=150, deadline=None)
@given(
    delays=st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=20),
    slots=st.lists(st.integers(min_value=0, max_value=1), min_size=20, max_size=20),
    steps=st.integers(min_value=0, max_value=4),
)
def test_each_handler_returns_after_a_recount_of_its_slot_that_began_after_it_was_called(
    delays: list[int], slots: list[int], steps: int
) -> None:
    keeper = Keeper(steps)
    handler = RecountEventSlot(keeper, (Family.LEDGER,))
    events = [event_at(NOON + timedelta(minutes=15 * slot)) for slot in slots]

    async def crowd() -> None:
        await asyncio.gather(
            *(handled(handler, keeper, events[n], delay) for n, delay in enumerate(delays))
        )

    asyncio.run(crowd())
    # Recounts of one slot never overlap, and nothing is left behind for the next events.
    for slot in {counted for _, _, counted in keeper.recounts}:
        spans = sorted((s, f) for s, f, c in keeper.recounts if c == slot)
        assert all(f is not None and f < nxt for (_, f), (nxt, _) in pairwise(spans))
    assert handler._slots == {}


def test_twenty_events_of_one_slot_arriving_during_a_recount_share_the_next_one() -> None:
    keeper = Keeper(steps=5)
    handler = RecountEventSlot(keeper, (Family.LEARNING,))

    async def burst() -> None:
        first = asyncio.create_task(handler(event_at(NOON)))
        await asyncio.sleep(0)  # the first recount is running
        await asyncio.gather(*(handler(event_at(NOON)) for _ in range(20)), first)

    asyncio.run(burst())
    assert len(keeper.recounts) == 2


def test_a_failed_recount_is_not_taken_for_done_by_those_waiting_on_it() -> None:
    keeper = Keeper(steps=2)
    keeper.failures = 1
    handler = RecountEventSlot(keeper, (Family.LEARNING,))

    async def burst() -> list[BaseException | None]:
        first = asyncio.create_task(handler(event_at(NOON)))
        await asyncio.sleep(0)
        waiting = [asyncio.create_task(handler(event_at(NOON))) for _ in range(3)]
        results = await asyncio.gather(first, *waiting, return_exceptions=True)
        return list(results)

    results = asyncio.run(burst())
    assert isinstance(results[0], RuntimeError)
    assert results[1:] == [None, None, None]
    # The failed recount, then one that the three waiting shared.
    assert [finished is None for _, finished, _ in keeper.recounts] == [True, False]


def test_the_handler_raises_what_the_recount_raised() -> None:
    keeper = Keeper()
    keeper.failures = 1
    handler = RecountEventSlot(keeper, (Family.IDENTITY,))
    with pytest.raises(RuntimeError):
        asyncio.run(handler(event_at(NOON)))
    assert handler._slots == {}
