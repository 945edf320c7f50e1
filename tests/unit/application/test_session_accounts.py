"""SessionAccounts: each process's cache of the account facts authentication needs. An entry is
used only under the generation it was read under and for a bounded time; the cache is bounded
too. The property drives two processes' caches and one revocation store through random
interleavings of changes and requests against a model: every answer once a change has returned
is a fresh read's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.fakes import FixedClock

from elearn.adapters.security.deny_list import InMemoryRevokedAccessTokens
from elearn.application.identity.ports import SessionAccount
from elearn.application.identity.session_accounts import SESSION_FACTS_MAX_AGE, SessionAccounts
from elearn.domain.identity.roles import Role
from elearn.domain.identity.user import AccountStatus

ANA = UUID(int=1)
BEN = UUID(int=2)
CUT = datetime(2025, 1, 15, 9, 0, tzinfo=UTC)


def facts(user_id: UUID = ANA, **changes: object) -> SessionAccount:
    values: dict[str, object] = {
        "id": user_id,
        "role": Role.STUDENT,
        "status": AccountStatus.ACTIVE,
        "email_verified": True,
        "sessions_valid_after": None,
        "two_factor_enabled": False,
    }
    values.update(changes)
    return SessionAccount(**values)  # type: ignore[arg-type]


class Database:
    """The accounts as stored, counting reads; ``during_read`` runs inside a read (a change
    that commits while a request reads)."""

    def __init__(self, *accounts: SessionAccount) -> None:
        self.accounts = {account.id: account for account in accounts}
        self.reads = 0
        self.before_read: Callable[[], Awaitable[None]] | None = None
        self.after_read: Callable[[], Awaitable[None]] | None = None

    async def read(self, user_id: UUID) -> SessionAccount | None:
        self.reads += 1
        if self.before_read is not None:
            await self.before_read()
        account = self.accounts.get(user_id)
        if self.after_read is not None:
            await self.after_read()
        return account


async def test_a_second_request_under_the_same_generation_reads_nothing() -> None:
    database = Database(facts())
    cache = SessionAccounts(database.read, FixedClock())

    first = await cache.get(ANA, 0)
    second = await cache.get(ANA, 0)

    assert first == second == facts()
    assert database.reads == 1


async def test_another_generation_reads_the_account_again() -> None:
    database = Database(facts())
    cache = SessionAccounts(database.read, FixedClock())
    await cache.get(ANA, 0)
    database.accounts[ANA] = facts(role=Role.ADMIN)

    assert await cache.get(ANA, 0) == facts()
    assert await cache.get(ANA, 1) == facts(role=Role.ADMIN)
    assert database.reads == 2


async def test_an_entry_is_read_again_once_it_is_as_old_as_the_limit() -> None:
    clock = FixedClock()
    database = Database(facts())
    cache = SessionAccounts(database.read, clock)
    await cache.get(ANA, 0)

    clock.advance(SESSION_FACTS_MAX_AGE - timedelta(microseconds=1))
    await cache.get(ANA, 0)
    assert database.reads == 1
    clock.advance(timedelta(microseconds=1))
    await cache.get(ANA, 0)
    assert database.reads == 2


async def test_an_unknown_account_is_remembered_as_unknown() -> None:
    database = Database()
    cache = SessionAccounts(database.read, FixedClock())

    assert await cache.get(ANA, 0) is None
    assert await cache.get(ANA, 0) is None
    assert database.reads == 1


async def test_the_least_recently_used_account_leaves_first_beyond_the_capacity() -> None:
    carla = UUID(int=3)
    database = Database(facts(ANA), facts(BEN), facts(carla))
    cache = SessionAccounts(database.read, FixedClock(), capacity=2)
    await cache.get(ANA, 0)
    await cache.get(BEN, 0)
    await cache.get(ANA, 0)  # Ana was used last: Ben goes when Carla comes

    await cache.get(carla, 0)
    assert len(cache) == 2
    reads = database.reads
    await cache.get(ANA, 0)
    assert database.reads == reads
    await cache.get(BEN, 0)
    assert database.reads == reads + 1


def test_a_cache_holds_one_account_at_least() -> None:
    with pytest.raises(ValueError):
        SessionAccounts(Database().read, FixedClock(), capacity=0)


# ---- the property ---------------------------------------------------------------------------
ACCOUNTS = (ANA, BEN)
account_facts = st.builds(
    facts,
    st.sampled_from(ACCOUNTS),
    role=st.sampled_from(Role),
    status=st.sampled_from(AccountStatus),
    email_verified=st.booleans(),
    sessions_valid_after=st.sampled_from([None, CUT, CUT + timedelta(seconds=1)]),
    two_factor_enabled=st.booleans(),
)
request = st.tuples(st.just("request"), st.integers(0, 1), st.sampled_from(ACCOUNTS))
# A change's steps are: the generation moves, the change commits, the generation moves again
# (unless the process dies first: ``lost``). A request racing it reads the generation after
# ``read_generation_after`` of those steps and the account after ``read_account_after``.
racing_change = st.tuples(
    st.just("change"),
    st.integers(0, 1),
    account_facts,
    st.integers(0, 3),
    st.integers(0, 3),
    st.booleans(),
)
time_passes = st.tuples(st.just("tick"), st.integers(0, 40))


class World:
    """Two API processes' caches, the revocation store they share and the database."""

    def __init__(self) -> None:
        self.clock = FixedClock()
        self.store = InMemoryRevokedAccessTokens(self.clock)
        self.database = Database(facts(ANA), facts(BEN))
        self.processes = [
            SessionAccounts(self.database.read, self.clock, capacity=1 + i) for i in range(2)
        ]

    async def authenticate(self, process: int, user_id: UUID) -> SessionAccount | None:
        standing = await self.store.standing("session", user_id.hex)
        return await self.processes[process].get(user_id, standing.account_generation)

    async def change_raced_by_a_request(
        self, process: int, new: SessionAccount, a: int, b: int, lost: bool
    ) -> None:
        async def move_generation() -> None:
            await self.store.accounts_changed([new.id.hex])

        async def commit() -> None:
            self.database.accounts[new.id] = new

        steps = [move_generation, commit] + ([] if lost else [move_generation])
        read_generation_after = min(a, b, len(steps))
        read_account_after = min(max(a, b), len(steps))

        async def run(first: int, last: int | None = None) -> None:
            for step in steps[first:last]:
                await step()

        await run(0, read_generation_after)
        self.database.before_read = lambda: run(read_generation_after, read_account_after)
        self.database.after_read = lambda: run(read_account_after)
        reads = self.database.reads
        await self.authenticate(process, new.id)
        self.database.before_read = self.database.after_read = None
        if self.database.reads == reads:  # answered from the cache: no read ran the steps
            await run(read_generation_after)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(request, racing_change, time_passes), max_size=30))
async def test_every_answer_after_a_change_returned_is_a_fresh_reads(
    operations: list[tuple[object, ...]],
) -> None:
    world = World()
    clock, database = world.clock, world.database
    # Until when an account may still be answered from before its last change: only a change
    # whose second generation move was lost leaves such a window, as long as the age limit.
    unsettled_until: dict[UUID, datetime] = {}

    def settled(user_id: UUID) -> bool:
        return clock.now() >= unsettled_until.get(user_id, clock.now())

    for operation in operations:
        match operation:
            case ("request", int(process), UUID() as user_id):
                answer = await world.authenticate(process, user_id)
                if settled(user_id):
                    assert answer == database.accounts[user_id]
            case ("change", int(process), SessionAccount() as new, int(a), int(b), bool(lost)):
                await world.change_raced_by_a_request(process, new, a, b, lost)
                if lost:
                    unsettled_until[new.id] = clock.now() + SESSION_FACTS_MAX_AGE
                else:  # its last move voids whatever the lost one left behind
                    unsettled_until.pop(new.id, None)
            case ("tick", int(seconds)):
                clock.advance(timedelta(seconds=seconds))
    for process in range(2):
        for user_id in ACCOUNTS:
            if settled(user_id):
                assert await world.authenticate(process, user_id) == database.accounts[user_id]
