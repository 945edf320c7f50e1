"""OpenAPI 3.1: titles, one tag per bounded context, Swagger UI, ReDoc and Scalar under /docs."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import RedocRenderPlugin, ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Tag
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute

from elearn import __doc__ as package_doc
from elearn.entrypoints.http.problems import (
    DEFAULT_ERROR_RESPONSES,
    JSON_BODY_ERROR_RESPONSES,
    PARAMETER_ERROR_RESPONSES,
    problem_responses,
)
from elearn.entrypoints.settings import Settings

TAGS = [
    Tag(name="identity", description="Accounts, roles, sessions, verification, tutor approval."),
    Tag(name="catalog", description="Categories, courses, sections, lessons and their review."),
    Tag(name="learning", description="Enrollment, progress, quizzes, assignments, certificates."),
    Tag(name="tutoring", description="Availability, bookings, reschedules, testimonials."),
    Tag(name="billing", description="Checkout, wallet, ledger, earnings, withdrawals, payouts."),
    Tag(name="communication", description="Messages, notifications, forums, support."),
    Tag(name="analytics", description="Dashboards, audit log, exports."),
    Tag(name="privacy", description="Your data: an archive of it, and erasing it."),
    Tag(name="operations", description="Health and readiness of the service."),
]

DESCRIPTION = f"""{package_doc}

Errors are RFC 9457 problem details (`application/problem+json`) with a stable `type` and
`code`, a human `detail`, the `request_id`, and `errors` per field where input was wrong.
Every response carries `X-Request-ID`; send your own to correlate logs."""


def openapi_config(settings: Settings) -> OpenAPIConfig:
    return OpenAPIConfig(
        title=f"{settings.app_name} API",
        version="1.0.0",
        description=DESCRIPTION,
        tags=TAGS,
        path="/docs",
        render_plugins=[
            ScalarRenderPlugin(path="/scalar"),
            SwaggerRenderPlugin(path="/swagger"),
            RedocRenderPlugin(path="/redoc"),
        ],
        use_handler_docstrings=True,
    )


@get("/schema/openapi.json", include_in_schema=False, media_type="application/vnd.oai.openapi+json")
async def openapi_document(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """The OpenAPI document at its conventional address (the same as /docs/openapi.json)."""
    return Response(
        request.app.openapi_schema.to_schema(), media_type="application/vnd.oai.openapi+json"
    )


class ProblemResponsesPlugin(ReceiveRoutePlugin):
    """Documents the problem+json errors every route can answer, whatever its author declared:
    500 always, 400 for routes with parameters, and 400/413/415 for routes with a body.

    Without it Litestar documents its own 400 shape (``status_code``/``detail``/``extra``), which
    the app never sends. A route's own ``responses`` win over these defaults.
    """

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        for handler, kwargs_model in route.route_handler_map.values():
            if not handler.resolve_include_in_schema():
                continue
            statuses: tuple[int, ...]
            if "data" in handler.parsed_fn_signature.parameters:
                statuses = JSON_BODY_ERROR_RESPONSES
            elif (
                kwargs_model.expected_path_params
                or kwargs_model.expected_query_params
                or kwargs_model.expected_header_params
                or kwargs_model.expected_cookie_params
            ):
                statuses = PARAMETER_ERROR_RESPONSES
            else:
                statuses = DEFAULT_ERROR_RESPONSES
            handler.responses = {**problem_responses(*statuses), **(handler.responses or {})}
