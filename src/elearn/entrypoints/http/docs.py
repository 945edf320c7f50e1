"""OpenAPI 3.1: titles, one tag per bounded context, Swagger UI, ReDoc and Scalar under /docs."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import RedocRenderPlugin, ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Tag

from elearn import __doc__ as package_doc
from elearn.entrypoints.settings import Settings

TAGS = [
    Tag(name="identity", description="Accounts, roles, sessions, verification, tutor approval."),
    Tag(name="catalog", description="Categories, courses, sections, lessons and their review."),
    Tag(name="learning", description="Enrollment, progress, quizzes, assignments, certificates."),
    Tag(name="tutoring", description="Availability, bookings, reschedules, testimonials."),
    Tag(name="billing", description="Checkout, wallet, ledger, earnings, withdrawals, payouts."),
    Tag(name="communication", description="Messages, notifications, forums, support."),
    Tag(name="analytics", description="Dashboards, audit log, exports."),
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
