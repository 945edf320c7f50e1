"""Who is calling: the bearer token becomes an ``Actor`` (once per request), the client address
is read with only trusted proxies believed, and guards make the coarse role checks. Object-level
checks stay in the use cases."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any, TypeAlias

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler

from elearn.application.actor import Actor
from elearn.application.authorization import STAFF_ROLES
from elearn.application.errors import NotAuthenticated, PermissionDenied
from elearn.entrypoints.http.analytics.sightings import note_active

_ACTOR_KEY = "_elearn_actor"
# The caller, as a route parameter: ``actor: CurrentActor``.
CurrentActor: TypeAlias = NamedDependency[Actor]
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(proxies: Sequence[str]) -> tuple[IpNetwork, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def client_ip(
    connection: ASGIConnection[Any, Any, Any, Any], trusted: Sequence[IpNetwork]
) -> str | None:
    """The peer's address, unless the peer is a trusted proxy: then the nearest address in
    X-Forwarded-For that is not itself a trusted proxy. A client cannot forge its way past a
    proxy that appends what it saw."""
    peer = connection.client.host if connection.client else None
    if peer is None or not trusted or not _is_trusted(peer, trusted):
        return peer
    forwarded = connection.headers.get("x-forwarded-for", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop if _is_ip(hop) else peer
    return peer


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _is_trusted(address: str, trusted: Sequence[IpNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


async def current_actor(connection: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    """The request's actor, authenticated once and remembered for the rest of the request."""
    state = connection.scope.setdefault("state", {})
    cached: Actor | None = state.get(_ACTOR_KEY)
    if cached is not None:
        return cached
    app_state = connection.app.state
    ip = client_ip(connection, app_state.trusted_proxies)
    user_agent = connection.headers.get("user-agent")
    header = connection.headers.get("authorization")
    if header is None:
        actor = Actor.anonymous(ip=ip, user_agent=user_agent)
    else:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("send the access token as 'Authorization: Bearer <token>'")
        actor = await app_state.container.identity.authenticate(
            token.strip(), ip=ip, user_agent=user_agent
        )
        # Daily active people for the dashboards: a set lookup here, written in batches later.
        note_active(app_state.container, actor)
    state[_ACTOR_KEY] = actor
    return actor


async def provide_actor(request: Request[Any, Any, Any]) -> Actor:
    return await current_actor(request)


async def signed_in(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not (await current_actor(connection)).is_authenticated:
        raise NotAuthenticated("sign in first")


async def staff_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    actor = await current_actor(connection)
    if not actor.is_authenticated:
        raise NotAuthenticated("sign in first")
    if actor.role not in STAFF_ROLES:
        raise PermissionDenied("this is for staff")
