"""The outbox end to end: committed changes reach a real Dramatiq worker exactly once,
rolled-back changes never do, failures are retried then kept as dead, and a worker killed
mid-message leaves it to be delivered again."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import dramatiq
import pytest
from dramatiq.middleware import Middleware
from sqlalchemy import func, select
from tests.conftest import make_settings
from tests.support.apps import app_for

from elearn.adapters.jobs.broker import (
    DELIVER_OUTBOX_ACTOR,
    EVENTS_QUEUE,
    RetryPolicy,
    build_broker,
    deliver_message,
)
from elearn.adapters.persistence.models.jobs import OutboxDeliveryRow, OutboxMessageRow
from elearn.application.actor import Actor
from elearn.application.identity.accounts import CreateAccount
from elearn.domain.identity.email import EmailAddress
from elearn.domain.identity.roles import Role
from elearn.domain.identity.user import User, UserRegistered
from elearn.domain.shared.events import DomainEvent
from elearn.entrypoints.bootstrap import Container, Subscription, bootstrap
from elearn.entrypoints.settings import Settings
from elearn.entrypoints.workers.actors import WorkerRuntime, register_actors

PROJECT_ROOT = Path(__file__).resolve().parents[3]
WELCOME = "identity.send_welcome_email"
# Every handler of a registration: the welcome email, and analytics counting the sign-up.
ON_REGISTRATION = sorted([WELCOME, "analytics.count_signup"])
SLOW_HANDLER = "test.slow_idempotent"  # as named in killable_worker.py


class ProcessedCounter(Middleware):
    """Counts messages a worker finished (successfully or not), so tests wait on facts."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def after_process_message(
        self, broker: Any, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        with self._lock:
            self.count += 1


async def eventually(check: Callable[[], Awaitable[bool]], *, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


@contextlib.contextmanager
def running(broker: dramatiq.Broker, threads: int = 1) -> Iterator[dramatiq.Worker]:
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=50)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


def account(email: str = "ada@example.com") -> CreateAccount:
    return CreateAccount(
        email=email, password="correct horse battery", full_name="Ada", role=Role.STUDENT
    )


def emails(settings: Settings) -> list[Path]:
    return sorted(settings.effective_mail_outbox_dir.glob("*.eml"))


async def deliveries(container: Container) -> list[OutboxDeliveryRow]:
    async with container.sessions() as session:
        return list((await session.scalars(select(OutboxDeliveryRow))).all())


async def delivery_status(container: Container, handler: str) -> str | None:
    for row in await deliveries(container):
        if row.handler == handler:
            return row.status
    return None


@pytest.fixture
def redis_settings(tmp_path: Path, database_url: str, redis_url: str) -> Settings:
    return make_settings(tmp_path, database_url, redis_url=redis_url)


@pytest.fixture
def redis_broker(redis_settings: Settings, broker_namespace: str) -> Iterator[dramatiq.Broker]:
    broker = build_broker(
        redis_settings.redis_url,
        namespace=broker_namespace,
        retry=RetryPolicy(max_retries=2, min_backoff_ms=10, max_backoff_ms=20),
    )
    yield broker
    broker.flush_all()
    broker.close()


@contextlib.asynccontextmanager
async def wired(
    settings: Settings, broker: dramatiq.Broker, **options: Any
) -> AsyncIterator[tuple[Container, ProcessedCounter]]:
    """The API side (a container) and the worker side (actors on the same broker)."""
    counter = ProcessedCounter()
    broker.add_middleware(counter)
    register_actors(broker, WorkerRuntime(settings, broker, **options))
    container = bootstrap(settings, broker=broker, **options)
    try:
        yield container, counter
    finally:
        await container.dispose()


# ---- the transaction decides --------------------------------------------------------------
async def test_commit_stores_the_event_and_one_delivery_per_handler(settings: Settings) -> None:
    container = bootstrap(settings, broker=build_broker(None))
    try:
        await container.identity.create_account(Actor.system(), account())
        async with container.sessions() as session:
            messages = (await session.scalars(select(OutboxMessageRow))).all()
        assert [m.event_type for m in messages] == [UserRegistered.event_type]
        assert messages[0].payload["email"] == "ada@example.com"
        assert sorted((d.handler, d.status) for d in await deliveries(container)) == [
            (handler, "pending") for handler in ON_REGISTRATION
        ]
    finally:
        await container.dispose()


async def test_a_rolled_back_change_leaves_nothing_to_deliver(settings: Settings) -> None:
    container = bootstrap(settings, broker=build_broker(None))
    try:
        now = datetime.now(UTC)
        async with container.uow() as uow:
            user = User.register(
                user_id=uuid4(), event_id=uuid4(), email=EmailAddress("gone@example.com"),
                full_name="Gone", role=Role.STUDENT, password_hash="x", now=now,
            )  # fmt: skip
            await uow.users.add(user)
            # leaving without commit() rolls back
        with pytest.raises(RuntimeError):
            async with container.uow() as uow:
                uow.publish(*user.pull_events())
                raise RuntimeError("the use case failed before committing")
        async with container.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(OutboxMessageRow)) == 0
        assert await container.relay.relay_once() == 0
    finally:
        await container.dispose()


# ---- on Redis with a real worker ------------------------------------------------------------
async def test_a_committed_change_is_delivered_exactly_once(
    redis_settings: Settings, redis_broker: dramatiq.Broker
) -> None:
    async with wired(redis_settings, redis_broker) as (container, counter):
        await container.identity.create_account(Actor.system(), account())
        assert await container.relay.relay_once() == len(ON_REGISTRATION)
        assert await container.relay.relay_once() == 0, "a dispatched delivery is not sent twice"

        with running(redis_broker):
            await eventually(lambda: _status_is(container, WELCOME, "done"))
            assert len(emails(redis_settings)) == 1

            # The broker may deliver again (at-least-once): the handler must not repeat itself.
            [delivery] = [d for d in await deliveries(container) if d.handler == WELCOME]
            processed = counter.count
            redis_broker.enqueue(deliver_message(str(delivery.id)))
            await eventually(lambda: _true(counter.count > processed))
        assert len(emails(redis_settings)) == 1
        message = emails(redis_settings)[0].read_text()
        assert "To: ada@example.com" in message


async def test_a_failing_handler_is_retried_then_kept_dead_and_can_be_retried(
    redis_settings: Settings, redis_broker: dramatiq.Broker
) -> None:
    calls: list[str] = []
    healthy = threading.Event()

    async def flaky(event: DomainEvent) -> None:
        calls.append(str(event.event_id))
        if not healthy.is_set():
            raise ConnectionError("the partner API is down")

    extra = {"test.flaky": Subscription(UserRegistered.event_type, flaky)}
    async with wired(redis_settings, redis_broker, extra_subscriptions=extra) as (container, _):
        await container.identity.create_account(Actor.system(), account())
        await container.relay.relay_once()
        with running(redis_broker):
            await eventually(lambda: _status_is(container, "test.flaky", "dead"))
            await eventually(lambda: _status_is(container, WELCOME, "done"))
        assert len(calls) == 3, "one attempt plus max_retries=2"
        [dead] = await container.dead_jobs.list()
        assert dead.actor_name == DELIVER_OUTBOX_ACTOR
        assert "ConnectionError: the partner API is down" in dead.last_error
        flaky_delivery = next(d for d in await deliveries(container) if d.handler == "test.flaky")
        assert flaky_delivery.attempts == 3
        assert "partner API is down" in (flaky_delivery.last_error or "")

        # An admin retries it once the partner is back.
        healthy.set()
        assert await container.dead_jobs.retry(dead.id, redis_broker)
        assert not await container.dead_jobs.retry(dead.id, redis_broker), "retried only once"
        assert await container.relay.relay_once() == 1
        with running(redis_broker):
            await eventually(lambda: _status_is(container, "test.flaky", "done"))
        assert len(calls) == 4
        assert await container.dead_jobs.list() == []
        assert len(await container.dead_jobs.list(include_retried=True)) == 1
        assert len(emails(redis_settings)) == 1, "the healthy handler was not run again"


async def test_a_worker_killed_mid_message_leaves_it_to_be_redelivered(
    redis_settings: Settings, redis_broker: dramatiq.Broker, broker_namespace: str, tmp_path: Path
) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()

    async def not_here(event: DomainEvent) -> None:
        raise AssertionError("runs only in the worker process")

    extra = {SLOW_HANDLER: Subscription(UserRegistered.event_type, not_here)}
    container = bootstrap(redis_settings, broker=redis_broker, extra_subscriptions=extra)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ELEARN_")},
        "ELEARN_ENV": "test",
        "ELEARN_DATABASE_URL": redis_settings.database_url,
        "ELEARN_REDIS_URL": redis_settings.redis_url,
        "ELEARN_VAR_DIR": redis_settings.var_dir,
        "ELEARN_LOG_FORMAT": "console",
        "TEST_MARKERS_DIR": str(markers),
        "TEST_BROKER_NAMESPACE": broker_namespace,
        "PYTHONPATH": str(PROJECT_ROOT),
    }

    log = (tmp_path / "worker.log").open("ab")

    def start_worker() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "dramatiq", "tests.integration.workers.killable_worker",
             "--processes", "1", "--threads", "1", "--queues", EVENTS_QUEUE],
            cwd=PROJECT_ROOT, env=env, start_new_session=True,
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    try:
        await container.identity.create_account(Actor.system(), account())
        await container.relay.relay_once()
        first = start_worker()
        try:
            await eventually(lambda: _true((markers / "started-1").exists()), timeout=30)
        finally:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
        assert await delivery_status(container, SLOW_HANDLER) == "dispatched"

        second = start_worker()
        try:
            await eventually(lambda: _status_is(container, SLOW_HANDLER, "done"), timeout=45)
        finally:
            # Dramatiq's main process forwards SIGTERM to its workers and stops gracefully.
            second.send_signal(signal.SIGTERM)
            try:
                second.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(second.pid, signal.SIGKILL)
                raise
        assert (markers / "started-2").exists(), "the message was delivered again"
        assert len(list(markers.glob("effect-*"))) == 1
    finally:
        await container.dispose()


# ---- the embedded default: no Redis, a worker inside the API process ---------------------------
async def test_the_embedded_app_delivers_with_its_in_process_worker(
    client: Any, settings: Settings
) -> None:
    # The test client runs the app on a loop of its own: write through a container of ours and
    # let the app's relay find the delivery when it polls.
    ours = bootstrap(settings, broker=build_broker(None))
    try:
        await ours.identity.create_account(Actor.system(), account())
        await eventually(lambda: _true(len(emails(settings)) == 1))
        await eventually(lambda: _status_is(ours, WELCOME, "done"))
    finally:
        await ours.dispose()


async def test_the_embedded_app_resends_what_its_last_process_had_not_finished(
    settings: Settings,
) -> None:
    from litestar.testing import AsyncTestClient

    # A previous process dispatched the delivery to its in-memory queue, then died.
    previous = bootstrap(settings, broker=build_broker(None))
    await previous.identity.create_account(Actor.system(), account())
    assert await previous.relay.relay_once() == len(ON_REGISTRATION)
    await previous.dispose()
    assert emails(settings) == []

    ours = bootstrap(settings, broker=build_broker(None))
    try:
        async with AsyncTestClient(app=app_for(settings)):
            await eventually(lambda: _status_is(ours, WELCOME, "done"))
    finally:
        await ours.dispose()
    assert len(emails(settings)) == 1


async def _status_is(container: Container, handler: str, status: str) -> bool:
    return await delivery_status(container, handler) == status


async def _true(value: bool) -> bool:
    return value
