"""Liveness and readiness probes at /health (errors are documented by ProblemResponsesPlugin)."""

from __future__ import annotations

import asyncio
from typing import Any, Literal, Protocol

import msgspec
from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec


class Probe(Protocol):
    name: str

    async def check(self) -> None: ...


class Liveness(msgspec.Struct):
    status: Literal["ok"]


class Readiness(msgspec.Struct):
    status: Literal["ready", "unavailable"]
    checks: dict[str, str]


class HealthController(Controller):
    path = "/health"
    tags = ["operations"]

    @get("/live", operation_id="health_live", summary="The process is up")
    async def live(self) -> Liveness:
        """Answers as long as the process serves requests; it checks nothing else."""
        return Liveness(status="ok")

    @get(
        "/ready",
        operation_id="health_ready",
        summary="The process can serve traffic",
        responses={503: ResponseSpec(data_container=Readiness, description="A dependency is down")},
    )
    async def ready(self, request: Request[Any, Any, Any]) -> Response[Readiness]:
        """Checks the database and, when configured, Redis; 503 names whatever is down."""
        probes: list[Probe] = request.app.state.probes
        results = await asyncio.gather(*(p.check() for p in probes), return_exceptions=True)
        checks = {
            probe.name: "ok" if result is None else f"down: {type(result).__name__}"
            for probe, result in zip(probes, results, strict=True)
        }
        ready = all(value == "ok" for value in checks.values())
        return Response(
            Readiness(status="ready" if ready else "unavailable", checks=checks),
            status_code=200 if ready else 503,
        )
