"""Built Litestar apps, kept per test process and started afresh by every test.

Building the app (routes, OpenAPI, dependency graph) costs far more than starting it, and
nothing of a test's state lives in the built app: the container, its database and workers are
made at start-up from the settings the test hands over. So a test gets an app built earlier
with the same app-shaping settings, pointed at its own settings and container. Two apps lent
to one test at a time are two apps; each returns to the pool when its test ends.

The in-process worker and outbox relay run as in production (``run_background``), but not the
periodic scheduler unless a test asks (``run_scheduler=True``): on each test's fresh database
its first tick fired every periodic job at once, a fifth to a third of the CPU of a short
HTTP test spent on work no test looked at, racing the test's own writes for SQLite's lock. A
test about a periodic job calls it on the container, at the clock it chooses.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import httpx
import msgspec
from litestar import Litestar
from litestar.stores.registry import StoreRegistry
from litestar.types import ControllerRouterHandler

from elearn.entrypoints.bootstrap import Container, bootstrap
from elearn.entrypoints.http.app import create_app, prepare_start
from elearn.entrypoints.module import Module
from elearn.entrypoints.settings import Settings

# Read only at start-up (by the lifespan and ``bootstrap``): they may differ between the tests
# that share one built app. Every other setting shapes the app and so keys the pool.
_PER_START = ("var_dir", "database_url")

_built: dict[tuple[bytes, tuple[int, ...], tuple[int, ...] | None], list[Litestar]] = {}
_lent: set[int] = set()


def _shape(settings: Settings) -> bytes:
    fields = msgspec.structs.asdict(settings)
    for name in _PER_START:
        fields.pop(name)
    return msgspec.json.encode(fields)


def app_for(
    settings: Settings,
    *,
    container: Container | None = None,
    run_background: bool = True,
    run_scheduler: bool = False,
    extra_handlers: Sequence[ControllerRouterHandler] = (),
    modules: Sequence[Module] | None = None,
) -> Litestar:
    """What ``create_app(settings, container=..., configure_logs=False, run_background=...,
    run_scheduler=..., modules=...)`` answers, with ``extra_handlers`` registered, built at most
    once per test process for these app-shaping settings, handlers and modules (module-level
    objects, told apart by identity)."""
    key = (
        _shape(settings),
        tuple(map(id, extra_handlers)),
        None if modules is None else tuple(map(id, modules)),
    )
    pool = _built.setdefault(key, [])
    app = next((app for app in pool if id(app) not in _lent), None)
    if app is None:
        app = create_app(
            settings,
            container=container,
            configure_logs=False,
            run_background=run_background,
            run_scheduler=run_scheduler,
            modules=modules,
        )
        for handler in extra_handlers:
            app.register(handler)
        pool.append(app)
    else:
        prepare_start(
            app,
            settings,
            container=container,
            run_background=run_background,
            run_scheduler=run_scheduler,
        )
        # The response cache lives in the app's stores: each test starts with it empty.
        app.stores = StoreRegistry()
    _lent.add(id(app))
    return app


def return_lent_apps() -> None:
    """Called when a test ends: its apps may serve the next test."""
    _lent.clear()


class MovableClock:
    """A clock an app reads and a test sets (``current``)."""

    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


@contextlib.asynccontextmanager
async def app_with_clock(settings: Settings, clock: MovableClock) -> AsyncIterator[Any]:
    """The app on the test's own loop, telling the time by ``clock``."""
    container = bootstrap(settings, overrides={"clock": clock})
    app = app_for(settings, container=container, run_background=False)
    try:
        async with (
            app.lifespan(),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver.local"
            ) as timed,
        ):
            yield timed
    finally:
        await container.dispose()
