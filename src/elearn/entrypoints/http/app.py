"""The Litestar application factory."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any

import dramatiq
from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide

from elearn.adapters.health import DatabaseProbe, RedisProbe
from elearn.adapters.jobs.scheduler import PeriodicScheduler
from elearn.entrypoints.billing import BillingUseCases
from elearn.entrypoints.bootstrap import Container, bootstrap
from elearn.entrypoints.catalog import CatalogUseCases
from elearn.entrypoints.http.auth import provide_actor, trusted_networks
from elearn.entrypoints.http.billing.routes import BILLING_CONTROLLERS
from elearn.entrypoints.http.billing.sandbox import SandboxCheckoutController
from elearn.entrypoints.http.catalog.routes import (
    CategoriesController,
    CoursesController,
    ImagesController,
    LessonsController,
    MyCoursesController,
    SectionsController,
    TagsController,
)
from elearn.entrypoints.http.docs import ProblemResponsesPlugin, openapi_config, openapi_document
from elearn.entrypoints.http.health import HealthController
from elearn.entrypoints.http.identity.account_routes import MeController, TutorsController
from elearn.entrypoints.http.identity.admin_routes import AdminController
from elearn.entrypoints.http.identity.auth_routes import AuthController
from elearn.entrypoints.http.learning.routes import LEARNING_CONTROLLERS
from elearn.entrypoints.http.middleware import (
    RequestContextMiddleware,
    ResponsePlumbing,
    require_declared_media_type,
)
from elearn.entrypoints.http.problems import EXCEPTION_HANDLERS
from elearn.entrypoints.http.response_cache import public_response_cache
from elearn.entrypoints.http.tutoring.routes import TUTORING_CONTROLLERS
from elearn.entrypoints.identity import IdentityUseCases
from elearn.entrypoints.learning import LearningUseCases
from elearn.entrypoints.logging import configure_logging
from elearn.entrypoints.settings import Settings, load_settings
from elearn.entrypoints.tutoring import TutoringUseCases
from elearn.entrypoints.workers.actors import WorkerRuntime, register_actors

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1"


def create_app(
    settings: Settings | None = None,
    *,
    container: Container | None = None,
    configure_logs: bool = True,
    run_background: bool = True,
) -> Litestar:
    """Builds the API. Without a container one is bootstrapped from settings at start-up.

    With no Redis configured (the embedded default) the app also runs the Dramatiq worker and
    the periodic scheduler in its own process; with Redis, those are ``elearn worker`` and
    ``elearn scheduler`` processes and the app only relays its outbox.
    """
    settings = settings or (container.settings if container else load_settings())
    if configure_logs:
        configure_logging(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # Read from the app's state, not from this closure: building an app costs far more
        # than starting one, so tests start one built app with each test's own settings and
        # container (see ``prepare_start``).
        settings: Settings = app.state.settings
        given: Container | None = app.state.start_container
        owned = given is None
        c = given or bootstrap(settings)
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
        try:
            if app.state.start_background:
                if not settings.redis_url:
                    runtime = WorkerRuntime(settings, c.broker)
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
            for probe in probes:
                if isinstance(probe, RedisProbe):
                    await probe.close()
            if owned:
                await c.dispose()
            else:
                await c.stop_background()

    api = Router(
        path=API_PREFIX,
        route_handlers=[
            AuthController,
            MeController,
            TutorsController,
            AdminController,
            CategoriesController,
            TagsController,
            CoursesController,
            SectionsController,
            LessonsController,
            MyCoursesController,
            ImagesController,
            *LEARNING_CONTROLLERS,
            *BILLING_CONTROLLERS,
            *TUTORING_CONTROLLERS,
        ],
        dependencies={
            "actor": Provide(provide_actor),
            "identity": Provide(_identity, sync_to_thread=False),
            "catalog": Provide(_catalog, sync_to_thread=False),
            "learning": Provide(_learning, sync_to_thread=False),
            "billing": Provide(_billing, sync_to_thread=False),
            "tutoring": Provide(_tutoring, sync_to_thread=False),
        },
    )
    handlers: list[Any] = [HealthController, openapi_document, api]
    if settings.payments_backend == "sandbox":
        handlers.append(
            Router(
                path="/",
                route_handlers=[SandboxCheckoutController],
                dependencies={"billing": Provide(_billing, sync_to_thread=False)},
            )
        )
    return Litestar(
        route_handlers=handlers,
        lifespan=[lifespan],
        state=State(
            {"settings": settings, "start_container": container, "start_background": run_background}
        ),
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=require_declared_media_type,
        middleware=[RequestContextMiddleware],
        before_send=[ResponsePlumbing(hsts=settings.is_production)],
        plugins=[ProblemResponsesPlugin()],
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
) -> None:
    """Makes the next start of ``app`` use these settings and container, as if it had been
    built with them. Only the settings that the lifespan reads may differ (the database, the
    var directory, the worker's...): routes, middleware and OpenAPI are fixed at build time."""
    app.state.settings = settings
    app.state.start_container = container
    app.state.start_background = run_background


def _identity(state: State) -> IdentityUseCases:
    return state.container.identity


def _catalog(state: State) -> CatalogUseCases:
    return state.container.catalog


def _learning(state: State) -> LearningUseCases:
    return state.container.learning


def _billing(state: State) -> BillingUseCases:
    return state.container.billing


def _tutoring(state: State) -> TutoringUseCases:
    return state.container.tutoring
