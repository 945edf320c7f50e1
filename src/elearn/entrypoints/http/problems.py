"""RFC 9457 problem details: the one place where errors become HTTP responses."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from elearn.application.errors import (
    ApplicationError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    UnsupportedMediaType,
)
from elearn.application.files import RangeNotSatisfiable
from elearn.domain.shared.errors import Conflict, DomainError, RuleViolation

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:elearn:problem:"


class FieldProblem(msgspec.Struct):
    field: str
    message: str


class Problem(msgspec.Struct, omit_defaults=True):
    """An error, as RFC 9457 problem details. ``code`` repeats the last part of ``type``."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldProblem] | None = None


def request_id_of(request: Request[Any, Any, Any]) -> str | None:
    return request.scope.get("state", {}).get("request_id")


def problem_response(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[FieldProblem] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[Problem]:
    problem = Problem(
        type=PROBLEM_TYPE_PREFIX + code,
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        code=code,
        instance=request.url.path,
        request_id=request_id_of(request),
        errors=errors or None,
    )
    return Response(problem, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


_APPLICATION_STATUS: list[tuple[type[ApplicationError], int]] = [
    (NotFound, 404),
    (NotAuthenticated, 401),
    (PermissionDenied, 403),
    (InvalidInput, 422),
    (RateLimited, 429),
    (PayloadTooLarge, 413),
    (UnsupportedMediaType, 415),
    (RangeNotSatisfiable, 416),
]


def status_for(error: ApplicationError | DomainError) -> int:
    if isinstance(error, DomainError):
        return 409 if isinstance(error, Conflict) else 422
    for kind, status in _APPLICATION_STATUS:
        if isinstance(error, kind):
            return status
    return 400


def handle_domain_error(request: Request[Any, Any, Any], error: DomainError) -> Response[Problem]:
    return problem_response(request, status_for(error), error.code, error.message)


def handle_application_error(
    request: Request[Any, Any, Any], error: ApplicationError
) -> Response[Problem]:
    headers: dict[str, str] = {}
    errors = None
    if isinstance(error, NotAuthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    elif isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after_seconds)
    elif isinstance(error, RangeNotSatisfiable):
        headers["Content-Range"] = f"bytes */{error.size}"
    elif isinstance(error, InvalidInput):
        errors = [FieldProblem(e.field, e.message) for e in error.errors]
    return problem_response(
        request, status_for(error), error.code, error.message, errors=errors, headers=headers
    )


_MSGSPEC_PATH = re.compile(r"\s*-\s*at `\$(?P<path>[^`]*)`")
_HTTP_CODES = {
    400: "bad-request",
    401: "not-authenticated",
    403: "permission-denied",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    429: "rate-limited",
    500: "internal-error",
    503: "service-unavailable",
}


def handle_validation_error(
    request: Request[Any, Any, Any], error: ValidationException
) -> Response[Problem]:
    """Malformed JSON, wrong types, unknown or missing fields, bad query parameters: 400."""
    field_errors: list[FieldProblem] = []
    for item in error.extra or []:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "invalid value"))
        field = str(item.get("key") or "")
        match = _MSGSPEC_PATH.search(message)
        if match:
            field = field or match.group("path").lstrip(".") or "body"
            message = _MSGSPEC_PATH.sub("", message)
        field_errors.append(FieldProblem(field or item.get("source", "body"), message.replace("`", "")))
    detail = (
        "the request body is not valid JSON"
        if any("malformed" in e.message.lower() or "json is" in e.message.lower() for e in field_errors)
        else "the request does not match the expected shape"
    )
    return problem_response(request, 400, "invalid-request", detail, errors=field_errors)


def handle_http_exception(request: Request[Any, Any, Any], error: HTTPException) -> Response[Problem]:
    status = error.status_code
    if status >= 500:
        return handle_unexpected(request, error)
    code = _HTTP_CODES.get(status, "http-error")
    detail = error.detail if error.detail and error.detail != HTTPStatus(status).phrase else ""
    if status == 413:
        detail = "the request body is larger than this endpoint accepts"
    headers = dict(error.headers or {})
    return problem_response(
        request, status, code, detail or HTTPStatus(status).description, headers=headers
    )


def handle_unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[Problem]:
    logger.exception(
        "unhandled error", extra={"request_id": request_id_of(request), "path": request.url.path}
    )
    return problem_response(
        request,
        500,
        "internal-error",
        "something went wrong on our side; quote the request id if you report it",
    )


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    DomainError: handle_domain_error,
    ApplicationError: handle_application_error,
    ValidationException: handle_validation_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the error statuses a route can answer."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=HTTPStatus(status).phrase,
            media_type=PROBLEM_MEDIA_TYPE,
        )
        for status in statuses
    }


DEFAULT_ERROR_RESPONSES = (400, 500)
JSON_BODY_ERROR_RESPONSES = (400, 413, 415, 500)
__all__ = ["EXCEPTION_HANDLERS", "MediaType", "Problem", "problem_response", "problem_responses"]
