"""A journal entry's key is taken before anything else of a posting (one INSERT that does
nothing when the key is in, where a lookup and then the INSERT took two statements): a key
already in the ledger answers the first entry and changes nothing, whatever the balances are
now, and two transactions posting one key at once end with one entry, the later waiting for
the first and answering its entry (on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

from tests.integration.usecases.world import World

from elearn.domain.billing import postings
from elearn.domain.billing.ledger import EntryKind, JournalEntry, Line
from elearn.domain.shared.money import Money


def spend(world: World, amount: int) -> tuple[Line, ...]:
    """The student's credits moved to the platform's clearing account."""
    assert world.student.user_id is not None
    return (
        Line(postings.wallet(world.student.user_id, "USD"), -amount),
        Line(postings.clearing("USD"), amount),
    )


async def post(world: World, key: str, lines: tuple[Line, ...]) -> JournalEntry:
    deps = world.container.billing.deps
    async with deps.uow() as uow:
        entry = await deps.post(uow, key=key, kind=EntryKind.CREDIT_PURCHASE, lines=lines)
        await uow.commit()
    return entry


async def test_a_key_already_posted_answers_the_first_entry_and_changes_nothing(
    world_on_each_database: World,
) -> None:
    world = world_on_each_database
    await world.top_up(world.student, 1_000)
    first = await post(world, "spend-once", spend(world, 800))

    # The wallet now holds 200: spending 800 again would be refused, but the key is in.
    again = await post(world, "spend-once", spend(world, 800))

    assert again.id == first.id
    assert set(again.lines) == set(first.lines)
    assert await world.wallet_balance(world.student) == 200
    await world.books_balance()


async def test_one_key_posted_by_two_transactions_at_once_is_one_entry(
    world_on_each_database: World,
) -> None:
    world = world_on_each_database
    await world.top_up(world.student, 1_000)

    entries = await asyncio.gather(
        post(world, "spend-at-once", spend(world, 300)),
        post(world, "spend-at-once", spend(world, 300)),
    )

    assert entries[0].id == entries[1].id
    assert await world.wallet_balance(world.student) == 700
    trial = await world.books_balance()
    clearing = [a.balance for a in trial.accounts if a.kind == "provider_clearing"]
    assert clearing == [Money(-1_000 + 300, "USD")]
