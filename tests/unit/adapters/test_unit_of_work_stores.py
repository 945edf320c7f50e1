"""The unit of work builds a context's store on first use only, flushes what it built in the
declared order (session-wide flushes last, then the rows transactions share) and awaits its
guards on both sides of the commit."""

from __future__ import annotations

from typing import Any

import pytest

from elearn.adapters.persistence.events import EventCodec
from elearn.adapters.persistence.unit_of_work import SqlaUnitOfWork, StoreDeclaration, StoreRegistry
from elearn.domain.shared.events import DomainEvent
from elearn.entrypoints.modules import MODULES


class FakeSession:
    """Just what the unit of work calls on a session, with nothing underneath."""

    def __init__(self) -> None:
        self.added: list[object] = []
        self.commits = 0

    async def connection(self, **_: Any) -> None:
        return None

    def add(self, row: object) -> None:
        self.added.append(row)

    async def flush(self) -> None:
        return None

    async def commit(self) -> None:
        self.commits += 1

    async def rollback(self) -> None:
        return None

    async def close(self) -> None:
        return None


class RecordingStore:
    def __init__(self, name: str, flushed: list[str]) -> None:
        self.name = name
        self._flushed = flushed

    async def flush_changes(self) -> None:
        self._flushed.append(self.name)

    async def flush_shared_rows(self) -> None:
        self._flushed.append(f"{self.name}'s shared rows")

    def pull_events(self) -> list[DomainEvent]:
        return []


def open_uow(registry: StoreRegistry, session: FakeSession | None = None) -> SqlaUnitOfWork:
    session = session or FakeSession()
    return SqlaUnitOfWork(lambda: session, EventCodec([]), {}, registry)  # type: ignore[arg-type,return-value]


def every_store_declared() -> StoreRegistry:
    return StoreRegistry.of(store for module in MODULES for store in module.stores)


async def test_a_transaction_builds_no_store_it_does_not_use() -> None:
    async with open_uow(every_store_declared()) as uow:
        assert uow.built_stores == {}
        await uow.commit()
        assert uow.built_stores == {}


async def test_a_transaction_of_one_context_builds_only_the_stores_it_touched() -> None:
    registry = every_store_declared()
    assert len(registry.stores) > 10  # every context's, and the audit trail

    async with open_uow(registry) as uow:
        users = uow.users
        assert uow.users is users  # built once, then kept
        uow.audit  # noqa: B018 - touching it is the point
        await uow.commit()
        assert set(uow.built_stores) == {"users", "audit"}


async def test_a_new_transaction_starts_without_the_last_ones_stores() -> None:
    uow = open_uow(every_store_declared())
    async with uow:
        first = uow.billing
    async with uow:
        assert uow.built_stores == {}
        assert uow.billing is not first


async def test_commit_flushes_the_built_stores_in_declared_order_session_flushes_last() -> None:
    flushed: list[str] = []

    def store(name: str, **options: Any) -> StoreDeclaration:
        return StoreDeclaration(name, lambda session: RecordingStore(name, flushed), **options)

    registry = StoreRegistry.of(
        [store("first"), store("whole_session", flush_last=True), store("second"), store("unused")]
    )
    async with open_uow(registry) as uow:
        uow.whole_session  # noqa: B018
        uow.second  # noqa: B018
        uow.first  # noqa: B018
        await uow.commit()

    # Rows many transactions share are written after every other row, just before the commit.
    assert flushed == [
        "first", "second", "whole_session",
        "first's shared rows", "second's shared rows", "whole_session's shared rows",
    ]  # fmt: skip


async def test_after_commit_hooks_see_the_stores_the_transaction_built() -> None:
    seen: list[set[str]] = []
    registry = StoreRegistry.of(
        [StoreDeclaration("notes", lambda session: RecordingStore("notes", []))],
        after_commit=[lambda stores: seen.append(set(stores))],
    )
    async with open_uow(registry) as uow:
        await uow.commit()
    async with open_uow(registry) as uow:
        uow.notes  # noqa: B018
        await uow.commit()

    assert seen == [set(), {"notes"}]


async def test_around_commit_guards_are_awaited_after_the_write_back_and_after_the_commit() -> None:
    session = FakeSession()
    flushed: list[str] = []
    seen: list[tuple[int, list[str], set[str]]] = []

    async def guard(stores: Any) -> None:
        seen.append((session.commits, list(flushed), set(stores)))

    registry = StoreRegistry.of(
        [StoreDeclaration("notes", lambda session: RecordingStore("notes", flushed))],
        around_commit=[guard],
    )
    async with open_uow(registry, session) as uow:
        uow.notes  # noqa: B018
        await uow.commit()

    # Before the shared rows' locks are taken, so a guard's round trip does not extend them.
    assert seen == [
        (0, ["notes"], {"notes"}),
        (1, ["notes", "notes's shared rows"], {"notes"}),
    ]


async def test_a_guard_that_fails_before_the_commit_commits_nothing() -> None:
    session = FakeSession()

    async def unreachable(stores: Any) -> None:
        raise ConnectionError("the revocation store is down")

    registry = StoreRegistry.of([], around_commit=[unreachable])
    with pytest.raises(ConnectionError):
        async with open_uow(registry, session) as uow:
            await uow.commit()

    assert session.commits == 0


async def test_an_unknown_attribute_is_still_an_attribute_error() -> None:
    async with open_uow(every_store_declared()) as uow:
        with pytest.raises(AttributeError, match="no_such_store"):
            uow.no_such_store  # noqa: B018


def test_two_stores_of_one_name_are_refused() -> None:
    with pytest.raises(ValueError, match="users"):
        StoreRegistry.of([StoreDeclaration("users", object), StoreDeclaration("users", object)])
