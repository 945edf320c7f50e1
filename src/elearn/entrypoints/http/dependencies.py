"""How route dependencies are resolved: one after another.

Litestar resolves the dependencies of one level together, in an anyio task group of their own
on every request. Here every dependency but the actor is a synchronous look-up in the
container (a module's use cases), so the task group buys no concurrency, and on the hottest
reads (a signed-in course page takes the actor and the catalog) it cost a measurable share of
the request's CPU. Resolving them in turn, in an order that respects what each needs, gives the
same values and the same first error.
"""

from __future__ import annotations

from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute


class DependenciesInTurn(ReceiveRoutePlugin):
    """Splits each HTTP route's batches of dependencies into batches of one, in the batches'
    order (a batch needs only what earlier batches provide)."""

    __slots__ = ()

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        for _handler, kwargs_model in route.route_handler_map.values():
            kwargs_model.dependency_batches = [
                {dependency}
                for batch in kwargs_model.dependency_batches
                for dependency in sorted(batch, key=lambda found: found.key)
            ]
