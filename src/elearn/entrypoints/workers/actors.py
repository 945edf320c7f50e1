"""Dramatiq actors: thin wrappers that find the container for this event loop and call in."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any
from uuid import UUID

import dramatiq
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware import Middleware

from elearn.adapters.jobs.broker import (
    DELIVER_OUTBOX_ACTOR,
    EVENTS_QUEUE,
    PERIODIC_QUEUE,
    RUN_PERIODIC_ACTOR,
    set_dead_job_sink,
)
from elearn.entrypoints.bootstrap import Container, bootstrap
from elearn.entrypoints.settings import Settings

logger = logging.getLogger(__name__)


class WorkerRuntime:
    """Builds the worker's container lazily, inside Dramatiq's event loop thread, so its
    database connections belong to the loop that uses them."""

    def __init__(
        self, settings: Settings, broker: dramatiq.Broker, **bootstrap_options: Any
    ) -> None:
        self.settings = settings
        self.broker = broker
        self._options: Mapping[str, Any] = bootstrap_options
        self._container: Container | None = None
        self._lock: asyncio.Lock | None = None

    async def container(self) -> Container:
        if self._container is None:
            self._lock = self._lock or asyncio.Lock()
            async with self._lock:
                if self._container is None:
                    self._container = bootstrap(self.settings, broker=self.broker, **self._options)
        return self._container

    def record_dead_job(self, message: dramatiq.Message[Any], error: str) -> None:
        loop_thread = get_event_loop_thread()
        if loop_thread is None:
            logger.error("dead job %s not recorded: no event loop thread", message.message_id)
            return

        async def record() -> None:
            await (await self.container()).dead_jobs.record(message, error)

        loop_thread.run_coroutine(record())

    async def dispose(self) -> None:
        if self._container is not None:
            await self._container.dispose()
            self._container = None


class DisposeRuntimeOnShutdown(Middleware):
    """Closes the worker's container once its threads have stopped. Dramatiq runs ``after_*``
    hooks in reverse order, so this sits after AsyncIO to run while the loop still turns."""

    def __init__(self, runtime: WorkerRuntime) -> None:
        self.runtime = runtime

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        loop_thread = get_event_loop_thread()
        if loop_thread is not None:
            loop_thread.run_coroutine(self.runtime.dispose())


def register_actors(broker: dramatiq.Broker, runtime: WorkerRuntime) -> None:
    @dramatiq.actor(broker=broker, actor_name=DELIVER_OUTBOX_ACTOR, queue_name=EVENTS_QUEUE)
    async def deliver_outbox_message(delivery_id: str) -> None:
        container = await runtime.container()
        await container.deliveries().deliver(UUID(delivery_id))

    @dramatiq.actor(broker=broker, actor_name=RUN_PERIODIC_ACTOR, queue_name=PERIODIC_QUEUE)
    async def run_periodic_job(job_name: str, slot: str) -> None:
        container = await runtime.container()
        job = container.periodic_jobs.get(job_name)
        if job is None:
            logger.warning("periodic job %s (slot %s) is not registered here", job_name, slot)
            return
        await job.run()

    set_dead_job_sink(broker, runtime.record_dead_job)
    broker.add_middleware(DisposeRuntimeOnShutdown(runtime))
