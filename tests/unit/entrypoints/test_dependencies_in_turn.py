"""Route dependencies are resolved one after another (no task group per request), each after
what it needs, with the same values as Litestar's concurrent batches."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, get
from litestar.di import Provide
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from elearn.entrypoints.http.dependencies import DependenciesInTurn

order: list[str] = []


async def provide_first() -> str:
    order.append("first")
    return "first"


def provide_second() -> str:
    order.append("second")
    return "second"


def provide_both(first: str, second: str) -> str:
    order.append("both")
    return f"{first}+{second}"


@get("/values")
async def values(first: str, second: str, both: str) -> dict[str, Any]:
    return {"first": first, "second": second, "both": both}


def app(*plugins: Any) -> Litestar:
    return Litestar(
        route_handlers=[values],
        dependencies={
            "first": Provide(provide_first),
            "second": Provide(provide_second, sync_to_thread=False),
            "both": Provide(provide_both, sync_to_thread=False),
        },
        plugins=list(plugins),
    )


def batch_sizes(built: Litestar, path: str) -> list[int]:
    route = next(r for r in built.routes if isinstance(r, HTTPRoute) and r.path == path)
    (_, kwargs_model), *_ = route.route_handler_map.values()
    return [len(batch) for batch in kwargs_model.dependency_batches]


def test_litestar_alone_batches_dependencies_of_one_level_together() -> None:
    assert batch_sizes(app(), "/values") == [2, 1]


def test_with_the_plugin_each_dependency_is_its_own_batch_after_what_it_needs() -> None:
    built = app(DependenciesInTurn())
    assert batch_sizes(built, "/values") == [1, 1, 1]
    order.clear()
    with TestClient(built) as client:
        answer = client.get("/values")
    assert answer.json() == {"first": "first", "second": "second", "both": "first+second"}
    assert order[-1] == "both"
