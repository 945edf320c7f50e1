"""RFC 9457 problem details: the one place where errors become HTTP responses."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Annotated, Any

import msgspec
from litestar import Request, Response
from litestar.enums import ParamType
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec

from elearn.application.errors import (
    ApplicationError,
    Gone,
    InvalidInput,
    InvalidParameter,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    PaymentRequired,
    PermissionDenied,
    RateLimited,
    ServiceUnavailable,
    UnsupportedMediaType,
)
from elearn.application.files import RangeNotSatisfiable
from elearn.domain.learning.enrollment import PrerequisitesMissing
from elearn.domain.shared.errors import Conflict, DomainError, Forbidden
from elearn.entrypoints.http.middleware import ensure_request_id, redacted_path

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:elearn:problem:"
CHECKOUT_PATH = "/api/v1/checkout"


class FieldProblem(msgspec.Struct):
    """What was wrong with one input field."""

    field: Annotated[
        str,
        msgspec.Meta(
            description="The field, as a dotted path into the body (`lessons[2].title`), "
            "or the name of a query or path parameter.",
            examples=["title"],
        ),
    ]
    message: Annotated[
        str, msgspec.Meta(description="What is wrong with it.", examples=["Expected str, got int"])
    ]


class CheckoutPointer(msgspec.Struct):
    """``POST`` ``{"item": item}`` to ``url`` to pay."""

    url: str
    method: str
    item: dict[str, str]


class Problem(msgspec.Struct, omit_defaults=True):
    """An error, as RFC 9457 problem details. ``code`` repeats the last part of ``type``."""

    type: Annotated[
        str,
        msgspec.Meta(
            description="A stable URI naming the kind of problem.",
            examples=["urn:elearn:problem:not-found"],
        ),
    ]
    title: Annotated[
        str, msgspec.Meta(description="The HTTP status phrase.", examples=["Not Found"])
    ]
    status: Annotated[int, msgspec.Meta(description="The HTTP status code.", examples=[404])]
    detail: Annotated[
        str,
        msgspec.Meta(
            description="What went wrong, for a human.", examples=["there is no such course"]
        ),
    ]
    code: Annotated[
        str,
        msgspec.Meta(
            description="The stable, machine-readable kind of problem (kebab-case).",
            examples=["not-found"],
        ),
    ]
    instance: Annotated[
        str | None, msgspec.Meta(description="The path of the request that failed.")
    ] = None
    request_id: Annotated[
        str | None,
        msgspec.Meta(description="The request's id (`X-Request-ID`), to quote in reports."),
    ] = None
    errors: Annotated[
        list[FieldProblem] | None,
        msgspec.Meta(description="One entry per field, where the input was wrong."),
    ] = None
    missing_courses: Annotated[
        list[str] | None,
        msgspec.Meta(description="Ids of the prerequisite courses still to complete."),
    ] = None
    checkout: Annotated[
        CheckoutPointer | None,
        msgspec.Meta(description="Where to buy what a 402 answer says must be paid for."),
    ] = None


def request_id_of(request: Request[Any, Any, Any]) -> str:
    return ensure_request_id(request.scope)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _description(status: int) -> str:
    try:
        return HTTPStatus(status).description
    except ValueError:
        return "the request failed"


def problem_response(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[FieldProblem] | None = None,
    headers: Mapping[str, str] | None = None,
    missing_courses: list[str] | None = None,
    checkout: CheckoutPointer | None = None,
) -> Response[Problem]:
    problem = Problem(
        type=PROBLEM_TYPE_PREFIX + code,
        title=_phrase(status),
        status=status,
        detail=detail,
        code=code,
        instance=redacted_path(request.url.path),
        request_id=request_id_of(request),
        errors=errors or None,
        missing_courses=missing_courses,
        checkout=checkout,
    )
    return Response(problem, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


# Most specific first: the first match wins.
_APPLICATION_STATUS: list[tuple[type[ApplicationError], int]] = [
    (NotFound, 404),
    (NotAuthenticated, 401),
    (PermissionDenied, 403),
    (Gone, 410),
    (InvalidParameter, 400),
    (InvalidInput, 422),
    (RateLimited, 429),
    (PayloadTooLarge, 413),
    (UnsupportedMediaType, 415),
    (RangeNotSatisfiable, 416),
    (PaymentRequired, 402),
    (ServiceUnavailable, 503),
]


def status_for(error: ApplicationError | DomainError) -> int:
    """Conflicts (duplicates, double bookings, illegal transitions) are 409, rules that do not
    let this actor act now (an unverified email) 403, other rules 422."""
    if isinstance(error, DomainError):
        if isinstance(error, Forbidden):
            return 403
        return 409 if isinstance(error, Conflict) else 422
    for kind, status in _APPLICATION_STATUS:
        if isinstance(error, kind):
            return status
    return 400


def handle_domain_error(request: Request[Any, Any, Any], error: DomainError) -> Response[Problem]:
    missing = None
    if isinstance(error, PrerequisitesMissing):
        missing = [str(course_id) for course_id in error.missing]
    return problem_response(
        request, status_for(error), error.code, error.message, missing_courses=missing
    )


def handle_application_error(
    request: Request[Any, Any, Any], error: ApplicationError
) -> Response[Problem]:
    headers: dict[str, str] = {}
    errors = None
    if isinstance(error, NotAuthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    elif isinstance(error, RateLimited):
        headers["Retry-After"] = str(max(1, error.retry_after_seconds))
    elif isinstance(error, RangeNotSatisfiable):
        headers["Content-Range"] = f"bytes */{error.size}"
        headers["Accept-Ranges"] = "bytes"
    elif isinstance(error, ServiceUnavailable):
        headers["Retry-After"] = "5"
    elif isinstance(error, InvalidInput):
        errors = [FieldProblem(e.field, e.message) for e in error.errors]
    checkout = None
    if isinstance(error, PaymentRequired):
        checkout = CheckoutPointer(url=CHECKOUT_PATH, method="POST", item=error.checkout_item)
    return problem_response(
        request,
        status_for(error),
        error.code,
        error.message,
        errors=errors,
        headers=headers,
        checkout=checkout,
    )


# Litestar strips msgspec's " - at `$.path`" into the error's key; match it too in case not.
_MSGSPEC_PATH = re.compile(r"\s*-\s*at `\$\.?(?P<path>[^`]*)`")
# msgspec names the field itself, not its path, for unknown and missing fields.
_NAMED_FIELD = re.compile(r"(?:unknown|missing required) field `(?P<name>[^`]+)`")
_BODY_PARAMETER = "data"  # the name Litestar gives the request body


def _field_problem(item: Mapping[str, Any]) -> FieldProblem:
    message = str(item.get("message") or "invalid value")
    key = str(item.get("key") or "")
    source = str(item.get("source") or "")
    if match := _MSGSPEC_PATH.search(message):
        key = key or match.group("path")
        message = _MSGSPEC_PATH.sub("", message)
    if key == _BODY_PARAMETER and source in ("body", ""):
        key = ""  # the body as a whole
    if named := _NAMED_FIELD.search(message):
        key = f"{key}.{named.group('name')}" if key else named.group("name")
    return FieldProblem(key or source or "body", message.replace("`", ""))


_MISSING_PARAMETER = re.compile(
    r"Missing required (?P<kind>query|header|cookie|path) parameter '(?P<name>[^']+)'"
)


def public_parameter_names(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The route's parameters by their Python name (``from_``) -> the name a client sends
    (``from``), where the two differ."""
    handler = request.scope.get("route_handler")
    if not isinstance(handler, HTTPRouteHandler):
        return {}
    names = {}
    for name, parameter in handler.parsed_fn_signature.parameters.items():
        kwarg = parameter.kwarg_definition
        if getattr(kwarg, "param_type", None) not in (ParamType.QUERY, ParamType.HEADER):
            continue
        alias = getattr(kwarg, "name", None)
        if alias and alias != name:
            names[name] = alias
    return names


def _public(problem: FieldProblem, names: Mapping[str, str]) -> FieldProblem:
    head, dot, rest = problem.field.partition(".")
    if head not in names:
        return problem
    return FieldProblem(names[head] + dot + rest, problem.message)


def handle_validation_error(
    request: Request[Any, Any, Any], error: ValidationException
) -> Response[Problem]:
    """Wrong types, unknown or missing fields, values out of range, bad parameters: 400."""
    items = error.extra if isinstance(error.extra, list) else []
    public = public_parameter_names(request)
    field_errors = [
        _public(_field_problem(item), public) for item in items if isinstance(item, Mapping)
    ]
    if not field_errors and (missing := _MISSING_PARAMETER.search(error.detail or "")):
        name = public.get(missing.group("name"), missing.group("name"))
        field_errors = [FieldProblem(name, f"the {missing.group('kind')} parameter is required")]
    if field_errors:
        first = field_errors[0]
        detail = f"{first.field}: {first.message}"
        if len(field_errors) > 1:
            detail += f" (and {len(field_errors) - 1} more; see errors)"
    else:
        detail = error.detail or "the request does not match the expected shape"
    return problem_response(request, 400, "invalid-request", detail, errors=field_errors)


_HTTP_CODES = {
    400: "invalid-request",
    401: "not-authenticated",
    403: "permission-denied",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    408: "request-timeout",
    409: "conflict",
    410: "gone",
    411: "length-required",
    412: "precondition-failed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    416: "range-not-satisfiable",
    422: "invalid-input",
    429: "rate-limited",
    500: "internal-error",
    502: "bad-gateway",
    503: "service-unavailable",
    504: "gateway-timeout",
}


def handle_http_exception(
    request: Request[Any, Any, Any], error: HTTPException
) -> Response[Problem]:
    status = error.status_code
    if status == 500:
        return handle_unexpected(request, error)
    headers = dict(error.headers or {})
    if status > 500:  # deliberate (a 503 with Retry-After): its status, but no internals
        code = _HTTP_CODES.get(status, "server-error")
        return problem_response(request, status, code, _description(status), headers=headers)
    code = getattr(error, "problem_code", None) or _HTTP_CODES.get(status, "http-error")
    detail = error.detail if error.detail and error.detail != _phrase(status) else ""
    errors = [FieldProblem(f, m) for f, m in getattr(error, "field_errors", ())] or None
    if isinstance(error.__cause__, SerializationException):
        # Litestar could not decode the body (malformed JSON): say so, and where.
        code = "malformed-body"
        errors = [FieldProblem("body", str(error.__cause__))]
        detail = f"the request body is not well-formed: {error.__cause__}"
    elif status == 413:
        handler = request.scope.get("route_handler")
        limit = (
            handler.resolve_request_max_body_size()
            if isinstance(handler, HTTPRouteHandler)
            else None
        )
        detail = "the request body is larger than this endpoint accepts" + (
            f" ({limit} bytes)" if limit else ""
        )
    return problem_response(
        request, status, code, detail or _description(status), errors=errors, headers=headers
    )


def handle_unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[Problem]:
    logger.error(
        "unhandled error",
        exc_info=error,
        extra={"request_id": request_id_of(request), "path": redacted_path(request.url.path)},
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


_RESPONSE_DESCRIPTIONS = {
    400: "Malformed request: not JSON, wrong types, unknown or missing fields, bad parameters.",
    401: "Not authenticated: no valid access token (see WWW-Authenticate).",
    402: "The thing is sold: `checkout` says what to buy and where.",
    403: "Authenticated, but not allowed to do this.",
    404: "No such resource, or not visible to the caller.",
    409: "Conflicts with the current state: a duplicate, a double booking, an illegal move.",
    410: "It existed, but is no longer available (an expired download).",
    413: "The request body is larger than the endpoint accepts.",
    415: "The request body was sent with the wrong Content-Type.",
    416: "The Range asked for lies outside the file (see Content-Range).",
    422: "Well-formed, but rejected by a business rule.",
    429: "Too many requests; retry after Retry-After seconds.",
    500: "An unexpected error; the problem carries the request id to quote.",
    503: "A dependency is unavailable; retry later.",
}


class EnumeratedProblem:
    """A problem+json answer whose ``code`` is one of ``codes``: the data container of one
    documented error status (``problem_responses``), drawn by ``EnumeratedProblemSchema``
    as the Problem component narrowed to those codes."""

    codes: tuple[str, ...] = ()


def problem_responses(codes_by_status: Mapping[int, Iterable[str]]) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the error statuses a route can answer, each naming its codes."""
    return {
        status: _problem_response(status, tuple(sorted(set(codes))))
        for status, codes in sorted(codes_by_status.items())
    }


# Routes share their error lists (401 `not-authenticated`, 422 `validation-failed`, ...): one
# class and spec per distinct (status, codes) rather than per route keeps ~2 MiB of classes out
# of every API process.
@functools.cache
def _problem_response(status: int, codes: tuple[str, ...]) -> ResponseSpec:
    return ResponseSpec(
        data_container=type(f"Problem{status}", (EnumeratedProblem,), {"codes": codes}),
        description=_RESPONSE_DESCRIPTIONS.get(status) or _description(status),
        media_type=PROBLEM_MEDIA_TYPE,
        generate_examples=False,
    )


__all__ = [
    "EXCEPTION_HANDLERS",
    "EnumeratedProblem",
    "FieldProblem",
    "Problem",
    "problem_response",
    "problem_responses",
    "status_for",
]
