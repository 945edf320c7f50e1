"""The module Dramatiq's worker command loads (``elearn worker`` runs it): settings, the Redis
broker and the actors."""

from __future__ import annotations

import dramatiq

from elearn.entrypoints.bootstrap import build_broker_from
from elearn.entrypoints.logging import configure_logging
from elearn.entrypoints.settings import load_settings
from elearn.entrypoints.workers.actors import WorkerRuntime, register_actors

settings = load_settings()
configure_logging(settings)
broker = build_broker_from(settings)
dramatiq.set_broker(broker)
runtime = WorkerRuntime(settings, broker)
register_actors(broker, runtime)
