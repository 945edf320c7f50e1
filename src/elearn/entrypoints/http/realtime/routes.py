"""/api/v1/realtime/ticket and the socket it opens, ``WS /api/v1/realtime`` (docs/realtime.md:
there is no OpenAPI for WebSockets)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, WebSocket, post, websocket
from litestar.types import ControllerRouterHandler

from elearn.application.realtime_tickets import RealtimeTicket
from elearn.entrypoints.http.auth import CurrentActor, signed_in
from elearn.entrypoints.http.realtime.socket import serve
from elearn.entrypoints.live import Live


class RealtimeTicketController(Controller):
    path = "/realtime"
    tags = ["realtime"]
    guards = [signed_in]

    @post(
        "/ticket",
        operation_id="issue_realtime_ticket",
        summary="A ticket to open the realtime socket",
        status_code=201,
    )
    async def issue_ticket(self, actor: CurrentActor, live: Live) -> RealtimeTicket:
        """Open `WS /api/v1/realtime?ticket=<ticket>` with it before `expires_at` (30 seconds):
        it opens one socket, once, for you in this sign-in. The socket (frames, close codes,
        resuming after a disconnect, limits) is described in `docs/realtime.md`."""
        return await live.issue_ticket(actor)


@websocket("/realtime")
async def realtime_socket(socket: WebSocket[Any, Any, Any], live: Live) -> None:
    await serve(socket, live)


REALTIME_ROUTES: list[ControllerRouterHandler] = [RealtimeTicketController, realtime_socket]
