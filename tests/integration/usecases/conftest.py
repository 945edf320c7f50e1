"""A container per test, bootstrapped on the test's own copy of the migrated SQLite template,
with a clock the test moves, a broker that delivers nothing and no background work: the use
cases are called directly, with an ``Actor`` and a command."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.conftest import make_settings
from tests.fakes import FixedClock
from tests.integration.usecases.world import (
    APPROVED_TUTORS,
    PEOPLE,
    World,
    actor_for,
    email_of,
)
from tests.support.catalog import approve_tutors
from tests.support.identity import seed_accounts

from elearn.adapters.jobs.broker import build_broker
from elearn.entrypoints.bootstrap import bootstrap


@contextlib.asynccontextmanager
async def _world_on(url: str, tmp_path: Path) -> AsyncIterator[World]:
    settings = make_settings(tmp_path, url)
    ids = await seed_accounts(settings, *((email_of(name), role) for name, role in PEOPLE))
    await approve_tutors(settings, *(email_of(name) for name in APPROVED_TUTORS))
    clock = FixedClock(datetime.now(UTC).replace(minute=0, second=0, microsecond=0))
    container = bootstrap(settings, broker=build_broker(None), overrides={"clock": clock})
    actors = {
        name: actor_for(user_id, role) for (name, role), user_id in zip(PEOPLE, ids, strict=True)
    }
    try:
        yield World(container=container, clock=clock, **actors)
    finally:
        await container.dispose()


@pytest.fixture
async def world(sqlite_url: str, tmp_path: Path) -> AsyncIterator[World]:
    async with _world_on(sqlite_url, tmp_path) as world:
        yield world


@pytest.fixture
async def world_on_each_database(database_url: str, tmp_path: Path) -> AsyncIterator[World]:
    """The world on SQLite and on PostgreSQL (for what concurrent transactions may break)."""
    async with _world_on(database_url, tmp_path) as world:
        yield world
