"""Shared fixtures. Integration tests run against real SQLite and PostgreSQL databases and a real
Redis. Outside CI, a missing PostgreSQL or Redis skips those tests with a message saying how to
enable them; under CI=true it fails them."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text

from elearn.adapters.persistence.database import create_engine
from elearn.adapters.persistence.migrations import find_migrations_dir, upgrade
from elearn.entrypoints.modules import table_metadata
from elearn.entrypoints.settings import Settings
from tests.support.apps import app_for, return_lent_apps
from tests.support.logs import logging_restored

# Every HTTP answer a test receives is checked against the OpenAPI document.
pytest_plugins = ["tests.support.contract"]

# No deadline per example: a deadline is a timing assertion, and on a loaded two-core machine it
# fails examples that are only slow (how fast things are is measured by benchmarks instead).
hypothesis_settings.register_profile("elearn", deadline=None)
hypothesis_settings.load_profile("elearn")

# Every table: the shared ones and each registered context's.
metadata = table_metadata()

IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_DATABASE_URL = os.environ.get("ELEARN_TEST_DATABASE_URL", "")
# Under pytest-xdist each worker process has a database of its own (test_gw0, test_gw1, …),
# made on first use beside the one named, so workers never truncate each other's rows.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
TEST_REDIS_URL = os.environ.get("ELEARN_TEST_REDIS_URL", "")
MIGRATIONS = find_migrations_dir()


def unavailable(what: str, how: str) -> None:
    message = f"{what} is not available: {how}"
    if IN_CI:
        pytest.fail(f"CI needs {message}", pytrace=False)
    pytest.skip(message)


# ---- PostgreSQL -----------------------------------------------------------------------------
_postgres_state: dict[str, str | None] = {}


def _worker_url(url: str) -> str:
    if not XDIST_WORKER or not url:
        return url
    base, _, name = url.rpartition("/")
    name, _, query = name.partition("?")
    return f"{base}/{name}_{XDIST_WORKER}" + (f"?{query}" if query else "")


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _create_worker_database(url: str) -> None:
    import asyncpg

    name = url.rpartition("/")[2].partition("?")[0]
    connection = await asyncpg.connect(_asyncpg_dsn(TEST_DATABASE_URL))
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _reset_postgres(url: str) -> None:
    if url != TEST_DATABASE_URL:
        await _create_worker_database(url)
    name = url.rpartition("/")[2].partition("?")[0]
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
            # A test database need not survive a crash of the server: a commit that does not
            # wait for its WAL flush is as visible, locked and ordered as one that does, and a
            # thousand tests commit tens of thousands of times.
            await connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    finally:
        await engine.dispose()
    await upgrade(url, MIGRATIONS)


def postgres_url() -> str:
    """The test PostgreSQL, migrated to head once per run."""
    if not TEST_DATABASE_URL:
        unavailable(
            "PostgreSQL",
            "set ELEARN_TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test",
        )
    if "error" not in _postgres_state:
        try:
            asyncio.run(_reset_postgres(_worker_url(TEST_DATABASE_URL)))
            _postgres_state["error"] = None
        except Exception as error:
            _postgres_state["error"] = f"{type(error).__name__}: {error}"
    if _postgres_state["error"]:
        unavailable("PostgreSQL", f"{TEST_DATABASE_URL} answered {_postgres_state['error']}")
    return _worker_url(TEST_DATABASE_URL)


# Every row of every table, children before parents, in one script: sent as one simple query,
# it is one round trip and one implicit transaction.
_DELETE_ALL_ROWS = ";".join(
    f'DELETE FROM "{table.name}"' for table in reversed(metadata.sorted_tables)
)


async def empty_all_tables(url: str) -> None:
    """Deletes every row. Not TRUNCATE: that replaces the files of every table and scans the
    shared buffers once per table, about ten times slower for the few rows a test leaves (no
    table has a sequence to restart). Straight through asyncpg: an engine made and disposed per
    test, with a statement per table, cost ~80 ms of the test process's CPU each time."""
    import asyncpg

    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        await connection.execute(_DELETE_ALL_ROWS)
    finally:
        await connection.close()


# ---- SQLite ---------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated to head once; each test gets a copy."""
    path = tmp_path_factory.mktemp("sqlite-template") / "elearn.db"
    asyncio.run(upgrade(f"sqlite+aiosqlite:///{path}", MIGRATIONS))
    return path


def fresh_database(request: pytest.FixtureRequest, directory: Path) -> str:
    """An empty database at head of the kind ``request.param`` names: a copy of the SQLite
    template in ``directory``, or this process's PostgreSQL emptied."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = directory / "elearn.db"
        shutil.copyfile(template, path)
        return f"sqlite+aiosqlite:///{path}"
    url = postgres_url()
    asyncio.run(empty_all_tables(url))
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return fresh_database(request, tmp_path)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """One database of each kind shared by a module's tests, for a module whose fixtures are
    too dear to start per test (API processes): its tests keep apart by their own rows (their
    own accounts), not by an empty database."""
    return fresh_database(request, tmp_path_factory.mktemp("module-database"))


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "elearn.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


# ---- Redis ----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def redis_url() -> str:
    if not TEST_REDIS_URL:
        unavailable("Redis", "set ELEARN_TEST_REDIS_URL=redis://127.0.0.1:6379/15")
    import redis

    client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        unavailable("Redis", f"{TEST_REDIS_URL} answered {error}")
    finally:
        client.close()
    return TEST_REDIS_URL


@pytest.fixture
def broker_namespace() -> str:
    """A Redis key namespace per test, so tests never see each other's queues."""
    return f"elearn-test-{uuid.uuid4().hex[:12]}"


# ---- application ----------------------------------------------------------------------------
def make_settings(tmp_path: Path, database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "test",
        "var_dir": str(tmp_path / "var"),
        "database_url": database_url,
        "database_pool_size": 5,
        "log_format": "console",
        "jobs_min_backoff_ms": 10,
        "jobs_max_backoff_ms": 50,
        # Tests write through other containers too; the cache has its own tests.
        "catalog_cache_seconds": 0,
        "analytics_cache_seconds": 0,
        # Tests craft tokens with it; the embedded default generates its own (var/secrets/).
        "jwt_secret": "test-only-jwt-secret-" + "0" * 24,
        "media_signing_key": "test-only-media-signing-key-" + "0" * 16,
        # Hundreds of accounts are made and signed in: cheap hashes (the hasher's own tests
        # and production keep the real cost).
        "password_hash_time_cost": 1,
        "password_hash_memory_kib": 64,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[object]:
    """The real app, lifespan and all, over an in-memory ASGI transport."""
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(
        app=app_for(settings), base_url="http://testserver.local"
    ) as test_client:
        yield test_client


@pytest.fixture(autouse=True)
def _return_lent_apps() -> Iterator[None]:
    """Set up before, so torn down after, every fixture that starts an app."""
    yield
    return_lent_apps()


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """A test that runs a command in process leaves logging as it found it: a handler left on
    that test's closed capture stream turned every later log line into a traceback."""
    with logging_restored():
        yield
