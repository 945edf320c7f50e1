"""The Litestar application factory."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

import dramatiq
from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide

from elearn.adapters.health import DatabaseProbe, RedisProbe
from elearn.adapters.jobs.scheduler import PeriodicScheduler
from elearn.adapters.realtime.hub import SocketHub
from elearn.entrypoints.bootstrap import Container, bootstrap
from elearn.entrypoints.http.auth import provide_actor, trusted_networks
from elearn.entrypoints.http.dependencies import DependenciesInTurn
from elearn.entrypoints.http.docs import OPENAPI_PLUGINS, openapi_config, openapi_document
from elearn.entrypoints.http.health import HealthController
from elearn.entrypoints.http.middleware import (
    RequestContextMiddleware,
    ResponsePlumbing,
    require_declared_media_type,
)
from elearn.entrypoints.http.problems import EXCEPTION_HANDLERS
from elearn.entrypoints.http.response_cache import public_response_cache
from elearn.entrypoints.logging import configure_logging
from elearn.entrypoints.module import Module
from elearn.entrypoints.modules import MODULES
from elearn.entrypoints.settings import Settings, load_settings
from elearn.entrypoints.workers.actors import WorkerRuntime, register_actors

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1"


def create_app(
    settings: Settings | None = None,
    *,
    container: Container | None = None,
    configure_logs: bool = True,
    run_background: bool = True,
    run_scheduler: bool = True,
    modules: Sequence[Module] | None = None,
) -> Litestar:
    """Builds the API. Without a container one is bootstrapped from settings at start-up.

    With no Redis configured (the embedded default) the app also runs the Dramatiq worker and
    the periodic scheduler in its own process; with Redis, those are ``elearn worker`` and
    ``elearn scheduler`` processes and the app only relays its outbox. ``run_scheduler=False``
    keeps the in-process worker without the scheduler: no periodic job fires unless called.

    Each module's routes are served with its use cases as a route parameter named after it;
    ``modules`` defaults to the container's (or, without one, to every registered context).
    """
    settings = settings or (container.settings if container else load_settings())
    modules = tuple(
        modules if modules is not None else (container.modules if container else MODULES)
    )
    if configure_logs:
        configure_logging(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # Read from the app's state, not from this closure: building an app costs far more
        # than starting one, so tests start one built app with each test's own settings and
        # container (see ``prepare_start``). The modules are fixed at build time, as the routes.
        settings: Settings = app.state.settings
        given: Container | None = app.state.start_container
        owned = given is None
        c = given or bootstrap(settings, modules=modules)
        app.state.container = c
        app.state.trusted_proxies = trusted_networks(settings.trusted_proxies)
        probes: list[Any] = [DatabaseProbe(c.engine)]
        if settings.redis_url:
            probes.append(RedisProbe(settings.redis_url))
        app.state.probes = probes
        if settings.env != "test":
            # What start-up allocated lives as long as the process: keep it out of the
            # collector's full passes, whose pauses otherwise show in the slowest responses.
            # (Not under tests: one process starts many apps, and frozen cycles never go.)
            gc.freeze()
        worker: dramatiq.Worker | None = None
        runtime: WorkerRuntime | None = None
        hub = c.realtime if isinstance(c.realtime, SocketHub) else None
        try:
            if hub is not None:
                await hub.start()
            if app.state.start_background:
                if not settings.redis_url:
                    # The in-process worker publishes through this process's hub, where the
                    # sockets are (a hub of its own would reach no one).
                    runtime = WorkerRuntime(
                        settings, c.broker, modules=c.modules, overrides={"realtime": c.realtime}
                    )
                    register_actors(c.broker, runtime)
                    # The poll interval bounds how late a delayed retry starts and how long
                    # stopping waits (one poll for the workers, one for the consumers); a
                    # message that arrives is taken at once whatever it is. Idle wake-ups at
                    # this rate cost nothing measurable.
                    worker = dramatiq.Worker(
                        c.broker,
                        worker_threads=settings.jobs_in_process_threads,
                        worker_timeout=50,
                    )
                    worker.start()
                    # The in-memory queue died with the last process: send again what it held.
                    await c.relay.redispatch_unfinished()
                    if app.state.start_scheduler:
                        scheduler = PeriodicScheduler(
                            c.sessions, c.broker, c.clock, list(c.periodic_jobs.values())
                        )
                        c.start_background(scheduler.run(), "scheduler")
                c.start_background(c.relay.run(), "outbox-relay")
            yield
        finally:
            if worker is not None:
                # Off this loop: a running job may wait for a transaction that a task on this
                # loop (the relay) holds and must be free to commit. Blocking the loop here
                # deadlocked on PostgreSQL; cancelling the relay first can leave SQLite's write
                # lock held by the abandoned connection. The relay stops afterwards.
                await asyncio.to_thread(worker.stop)
            if hub is not None:
                await hub.stop()
            for probe in probes:
                if isinstance(probe, RedisProbe):
                    await probe.close()
            if owned:
                await c.dispose()
            else:
                await c.stop_background()

    api = Router(
        path=API_PREFIX,
        route_handlers=[handler for module in modules for handler in module.routes()],
        dependencies={
            "actor": Provide(provide_actor),
            **{module.name: _use_cases_of(module.name) for module in modules},
        },
    )
    if settings.catalog_cache_seconds <= 0:
        _without_response_cache(api)
    handlers: list[Any] = [HealthController, openapi_document, api]
    for module in modules:
        outside_api = module.root_routes(settings)
        if outside_api:
            handlers.append(
                Router(
                    path="/",
                    route_handlers=list(outside_api),
                    dependencies={module.name: _use_cases_of(module.name)},
                )
            )
    return Litestar(
        route_handlers=handlers,
        lifespan=[lifespan],
        state=State(
            {
                "settings": settings,
                "start_container": container,
                "start_background": run_background,
                "start_scheduler": run_scheduler,
            }
        ),
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=require_declared_media_type,
        middleware=[RequestContextMiddleware],
        before_send=[ResponsePlumbing(hsts=settings.is_production)],
        plugins=[*OPENAPI_PLUGINS, DependenciesInTurn()],
        cors_config=CORSConfig(
            allow_origins=settings.cors_allowed_origins,
            allow_credentials=False,
            expose_headers=["X-Request-ID", "Retry-After"],
        )
        if settings.cors_allowed_origins
        else None,
        openapi_config=openapi_config(settings),
        response_cache_config=public_response_cache(settings.catalog_cache_seconds),
        request_max_body_size=settings.max_request_body_bytes,
        logging_config=None,
        debug=False,
    )


def prepare_start(
    app: Litestar,
    settings: Settings,
    *,
    container: Container | None = None,
    run_background: bool = True,
    run_scheduler: bool = True,
) -> None:
    """Makes the next start of ``app`` use these settings and container, as if it had been
    built with them. Only the settings that the lifespan reads may differ (the database, the
    var directory, the worker's...): routes, middleware and OpenAPI are fixed at build time."""
    app.state.settings = settings
    app.state.start_container = container
    app.state.start_background = run_background
    app.state.start_scheduler = run_scheduler


def _without_response_cache(router: Router) -> None:
    """With the cache off no route consults the response cache: a cached route would still
    build its key, look it up and wrap its answer on every request, to store nothing. The
    handlers are this router's own copies, so other apps keep their own."""
    for route in router.routes:
        for handler in getattr(route, "route_handlers", ()):
            handler.cache = False


def _use_cases_of(module_name: str) -> Provide:
    """The route parameter named after a module: its use cases, from the app's container."""

    def use_cases(state: State) -> Any:
        return getattr(state.container, module_name)

    return Provide(use_cases, sync_to_thread=False)
