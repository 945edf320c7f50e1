"""A Dramatiq worker module for the kill test: its extra handler stalls on the first attempt so
the test can kill the worker mid-message, and writes an idempotent effect on the next."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import dramatiq

from elearn.adapters.jobs.broker import build_broker
from elearn.domain.identity.user import UserRegistered
from elearn.domain.shared.events import DomainEvent
from elearn.entrypoints.bootstrap import Subscription
from elearn.entrypoints.settings import load_settings
from elearn.entrypoints.workers.actors import WorkerRuntime, register_actors

MARKERS = Path(os.environ["TEST_MARKERS_DIR"])
SLOW_HANDLER = "test.slow_idempotent"


async def slow_idempotent_handler(event: DomainEvent) -> None:
    attempt = len(list(MARKERS.glob("started-*"))) + 1
    (MARKERS / f"started-{attempt}").touch()
    if attempt == 1:
        await asyncio.sleep(120)  # the test kills us here
    # Keyed on the event id: running twice leaves one effect.
    (MARKERS / f"effect-{event.event_id}").touch()


settings = load_settings(env_file=None)
broker = build_broker(
    settings.redis_url,
    namespace=os.environ["TEST_BROKER_NAMESPACE"],
    heartbeat_timeout_ms=1_000,
)
# Check for dead peers on every fetch, so the test does not wait for the odds.
broker.maintenance_chance = 1_000_000  # type: ignore[attr-defined]
dramatiq.set_broker(broker)
register_actors(
    broker,
    WorkerRuntime(
        settings,
        broker,
        extra_subscriptions={
            SLOW_HANDLER: Subscription(UserRegistered.event_type, slow_idempotent_handler)
        },
    ),
)
