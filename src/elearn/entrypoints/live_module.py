"""The realtime socket as a module: no context of its own (what goes live is each context's to
publish through the ``realtime`` port), only the ticket route and the socket, which routes
client messages to the handlers the other modules register (``Module.socket_messages``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from elearn.entrypoints.live import LiveUseCases, build_live_deps, realtime_policy
from elearn.entrypoints.module import Module

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

    from elearn.entrypoints.bootstrap import Container


def _use_cases(container: Container, options: Mapping[str, Any]) -> LiveUseCases:
    return LiveUseCases(build_live_deps(container))


def _routes() -> Sequence[ControllerRouterHandler]:
    from elearn.entrypoints.http.realtime.routes import REALTIME_ROUTES

    return REALTIME_ROUTES


MODULE = Module(name="live", use_cases=_use_cases, policy=realtime_policy, routes=_routes)
