"""The Dramatiq broker: Redis when configured, otherwise in memory with an in-process worker."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import (
    AgeLimit,
    AsyncIO,
    Callbacks,
    CurrentMessage,
    Middleware,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

EVENTS_QUEUE = "events"
PERIODIC_QUEUE = "periodic"
DELIVER_OUTBOX_ACTOR = "deliver_outbox_message"
RUN_PERIODIC_ACTOR = "run_periodic_job"

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int = 8
    min_backoff_ms: int = 1_000
    max_backoff_ms: int = 15 * 60_000
    time_limit_ms: int = 5 * 60_000


DeadJobSink = Callable[[dramatiq.Message[Any], str], None]


class RecordDeadJobs(Middleware):
    """Hands a message that failed for good (retries exhausted) to ``sink`` with its last error.

    Dramatiq runs ``after_*`` hooks in reverse order, so this middleware sits *before* Retries
    in the stack to see the verdict Retries has just given.
    """

    def __init__(self, sink: DeadJobSink | None = None) -> None:
        self.sink = sink

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        if exception is None or not message.failed or self.sink is None:
            return
        error = "".join(traceback.format_exception_only(type(exception), exception)).strip()
        try:
            self.sink(message._message, error)
        except Exception:
            logger.exception("could not record dead job %s", message.message_id)


def build_broker(
    redis_url: str | None,
    *,
    retry: RetryPolicy = RetryPolicy(),
    namespace: str = "elearn",
    heartbeat_timeout_ms: int = 60_000,
) -> dramatiq.Broker:
    middleware: list[Middleware] = [
        AgeLimit(),
        TimeLimit(time_limit=retry.time_limit_ms),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        RecordDeadJobs(),
        Retries(
            max_retries=retry.max_retries,
            min_backoff=retry.min_backoff_ms,
            max_backoff=retry.max_backoff_ms,
        ),
        CurrentMessage(),
        AsyncIO(),
    ]
    broker: dramatiq.Broker
    if redis_url:
        from dramatiq.brokers.redis import RedisBroker  # only where Redis is configured

        broker = RedisBroker(
            url=redis_url,
            namespace=namespace,
            middleware=middleware,
            heartbeat_timeout=heartbeat_timeout_ms,
        )
    else:
        broker = StubBroker(middleware=middleware)
    for queue in (EVENTS_QUEUE, PERIODIC_QUEUE):
        broker.declare_queue(queue)
    return broker


def set_dead_job_sink(broker: dramatiq.Broker, sink: DeadJobSink) -> None:
    for middleware in broker.middleware:
        if isinstance(middleware, RecordDeadJobs):
            middleware.sink = sink


def deliver_message(delivery_id: str) -> dramatiq.Message[Any]:
    return dramatiq.Message(
        queue_name=EVENTS_QUEUE,
        actor_name=DELIVER_OUTBOX_ACTOR,
        args=(delivery_id,),
        kwargs={},
        options={},
    )


def periodic_message(job_name: str, slot: str) -> dramatiq.Message[Any]:
    return dramatiq.Message(
        queue_name=PERIODIC_QUEUE,
        actor_name=RUN_PERIODIC_ACTOR,
        args=(job_name, slot),
        kwargs={},
        options={},
    )
