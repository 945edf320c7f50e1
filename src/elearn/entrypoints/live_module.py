"""The realtime socket as a module: no context of its own (what goes live is each context's to
publish through the ``realtime`` port), only the ticket route and the socket, which routes
client messages to the handlers the other modules register (``Module.socket_messages``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from elearn.adapters.realtime.hub import SocketHub
from elearn.application.identity.api import SessionRevoked
from elearn.application.realtime import LiveSessions
from elearn.domain.shared.events import DomainEvent
from elearn.entrypoints.live import LiveUseCases, build_live_deps, realtime_policy
from elearn.entrypoints.module import Module, Subscription

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

    from elearn.entrypoints.bootstrap import Container


def _use_cases(container: Container, options: Mapping[str, Any]) -> LiveUseCases:
    return LiveUseCases(build_live_deps(container))


def _routes() -> Sequence[ControllerRouterHandler]:
    from elearn.entrypoints.http.realtime.routes import REALTIME_ROUTES

    return REALTIME_ROUTES


class CloseSocketsOfEndedSession:
    """The outbox handler of an ended sign-in: its open sockets close (close code 4401,
    ``invalid-token``), in whichever API process holds them."""

    def __init__(self, sessions: LiveSessions) -> None:
        self._sessions = sessions

    async def __call__(self, event: DomainEvent) -> None:
        assert isinstance(event, SessionRevoked)
        await self._sessions.end_session(event.user_id, event.session_id)


def _subscriptions(c: Container) -> dict[str, Subscription]:
    hub = c.realtime
    if not isinstance(hub, SocketHub):
        return {}  # a publisher given by a test, with no sockets to close
    return {
        "live.close_sockets_of_ended_session": Subscription(
            SessionRevoked.event_type, CloseSocketsOfEndedSession(hub)
        )
    }


MODULE = Module(
    name="live",
    use_cases=_use_cases,
    policy=realtime_policy,
    routes=_routes,
    subscriptions=_subscriptions,
)
