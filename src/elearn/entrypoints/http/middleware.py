"""Request plumbing: request ids, security headers, the access log and request-body checks.

Two pieces cooperate, because Litestar runs app middleware only for requests that matched a
route: ``RequestContextMiddleware`` starts the clock for routed requests, and the
``ResponsePlumbing`` ``before_send`` hook sees every response (404, 405, CORS preflight
included) to add the headers and write the access log line.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from datetime import datetime
from typing import Any, get_args
from urllib.parse import parse_qsl

import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import (
    ClientException,
    HTTPException,
    SerializationException,
    ValidationException,
)
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("elearn.access")

REQUEST_ID_HEADER = "x-request-id"
_ACCEPTABLE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

# Keys in the ASGI scope's ``state`` (the same mapping as ``request.state``).
_REQUEST_ID = "request_id"
_STARTED = "_elearn_started"
_STATUS = "_elearn_status"
_LOGGED = "_elearn_logged"


def _state(scope: Scope) -> dict[str, Any]:
    return scope.setdefault("state", {})


def ensure_request_id(scope: Scope) -> str:
    """The request's id: the client's ``X-Request-ID`` if it is sane, else a new one. Assigned
    once per request, on first use, which also starts the request's clock."""
    state = _state(scope)
    request_id: str | None = state.get(_REQUEST_ID)
    if request_id is None:
        request_id = _request_id_from_headers(scope) or uuid.uuid4().hex
        state[_REQUEST_ID] = request_id
        state.setdefault(_STARTED, time.perf_counter())
    return request_id


def _request_id_from_headers(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _ACCEPTABLE_REQUEST_ID.fullmatch(candidate) else None
    return None


def security_headers(*, hsts: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if hsts:
        headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
    return headers


# Paths that carry a bearer credential: a media URL's token lets whoever holds it stream the
# file until it expires, so logs and problem answers show the route, never the token.
_SECRET_PATH_PREFIXES = ("/api/v1/media/",)


def redacted_path(path: str) -> str:
    for prefix in _SECRET_PATH_PREFIXES:
        if path.startswith(prefix):
            return prefix + "[redacted]"
    return path


def _log_access(scope: Scope, status: int) -> None:
    state = _state(scope)
    if state.get(_LOGGED):
        return
    state[_LOGGED] = True
    request_id = ensure_request_id(scope)
    duration_ms = round((time.perf_counter() - state[_STARTED]) * 1000, 2)
    method, path = scope.get("method", "-"), redacted_path(scope["path"])
    access_log.info(
        "%s %s %s %.2fms",
        method,
        path,
        status,
        duration_ms,
        extra={
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": duration_ms,
            "request_id": request_id,
        },
    )


class ResponsePlumbing:
    """A ``before_send`` hook: echoes the request id, adds the security headers (HSTS only in
    production) and writes one access log line when the response is complete."""

    def __init__(self, *, hsts: bool) -> None:
        self._headers = security_headers(hsts=hsts)
        self._allow: dict[tuple[int, str], bytes] = {}

    async def __call__(self, message: Message, scope: Scope) -> None:
        if scope["type"] != ScopeType.HTTP:
            return
        if message["type"] == "http.response.start":
            request_id = ensure_request_id(scope)
            _state(scope)[_STATUS] = message["status"]
            headers = _with_request_id(message.get("headers", []), request_id)
            if scope.get("method") == "OPTIONS":
                headers = self._with_allow_of_path(headers, scope)
            present = {name.lower() for name, _ in headers}
            headers.extend(h for h in self._headers if h[0] not in present)
            message["headers"] = headers
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            _log_access(scope, _state(scope).get(_STATUS, 500))

    def _with_allow_of_path(self, headers: Any, scope: Scope) -> list[tuple[bytes, bytes]]:
        """Litestar's own OPTIONS answer names the methods of the first handler registered for
        a path only; ``Allow`` names those of every handler of the path."""
        if not any(name.lower() == b"allow" for name, _ in headers):
            return list(headers)
        key = (id(scope["app"]), scope.get("path_template", ""))
        allow = self._allow.get(key)
        if allow is None:
            methods = {
                method
                for route in scope["app"].routes
                if isinstance(route, HTTPRoute) and route.path_format == key[1]
                for method in route.methods
            }
            allow = self._allow[key] = ", ".join(sorted(methods)).encode()
        return [(n, v) for n, v in headers if n.lower() != b"allow"] + [(b"allow", allow)]


def _with_request_id(headers: Any, request_id: str) -> list[tuple[bytes, bytes]]:
    """The headers with this request's id, replacing any other (a cached response's)."""
    kept = [(name, value) for name, value in headers if name.lower() != b"x-request-id"]
    return [*kept, (b"x-request-id", request_id.encode())]


class RequestContextMiddleware:
    """Assigns the request id and starts the clock before anything else runs on a routed
    request; logs the request even if the response never completed (a client that went away)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = ensure_request_id(scope)

        async def send_with_request_id(message: Message) -> None:
            # A response replayed from the response cache skips ``before_send``: it still gets
            # this request's id, and its status is still logged.
            if message["type"] == "http.response.start":
                _state(scope)[_STATUS] = message["status"]
                message["headers"] = _with_request_id(message.get("headers", []), request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            if scope["type"] == ScopeType.HTTP:
                _log_access(scope, _state(scope).get(_STATUS, 500))


class BadRequestBody(ClientException):
    """A request body refused before parsing: a 400 problem with ``problem_code`` as its code
    and ``reason`` as the error of its ``body`` field."""

    def __init__(self, reason: str, *, problem_code: str) -> None:
        super().__init__(f"the request body {reason}")
        self.problem_code = problem_code
        self.field_errors = [("body", reason)]


_JSON_TYPES = re.compile(r"application/([\w.+-]+\+)?json")
_MSGSPEC_PATH = re.compile(r"\s*-\s*at `\$[^`]*`")  # "$[...]" says nothing for an untyped decode
# A JSON ``\u0000`` escape (not an escaped backslash followed by "u0000"): PostgreSQL text
# cannot hold NUL, so it is refused here rather than failing in the database.
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_NUL_IN_QUERY = re.compile(rb"%00|\x00")


class NulInUrl(ClientException):
    """PostgreSQL text cannot hold NUL: a 400 naming the parameters (or the path) that do."""

    def __init__(self, fields: list[str]) -> None:
        super().__init__("the URL has a NUL (%00) character, which no parameter may contain")
        self.problem_code = "invalid-request"
        self.field_errors = [(field, "contains a NUL character") for field in fields]


def _nul_in_url(request: Request[Any, Any, Any]) -> NulInUrl:
    query = parse_qsl(request.scope["query_string"].decode("latin-1"), keep_blank_values=True)
    fields = {name for name, value in query if "\x00" in name + value}
    fields |= {name for name, value in request.path_params.items() if "\x00" in str(value)}
    return NulInUrl(sorted(fields or {"path"}))


_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def _refuse_numeric_times(request: Request[Any, Any, Any]) -> None:
    """A date-time query parameter is RFC 3339 text: Litestar would read a number as a Unix
    timestamp, which the document (``format: date-time``) does not allow."""
    wrong = []
    for key, name in _datetime_query_keys(request.route_handler):
        if name in request.path_params:
            continue
        if any(_NUMBER.fullmatch(value) for value in request.query_params.getall(key, [])):
            wrong.append(key)
    if wrong:
        raise ValidationException(
            detail="a date-time parameter is a number",
            extra=[
                {
                    "key": key,
                    "message": "expected an RFC 3339 date-time with an offset "
                    "(2026-12-07T09:00:00Z), not a number",
                    "source": "query",
                }
                for key in wrong
            ],
        )


# Per handler function (shared by every app's copy of its handler): which parameters are
# date-times is fixed by the signature, so it is read once, not on every request.
_DATETIME_KEYS: dict[Any, tuple[tuple[str, str], ...]] = {}


def _datetime_query_keys(handler: Any) -> tuple[tuple[str, str], ...]:
    """(query key, parameter name) of each date-time parameter of ``handler``."""
    function = getattr(handler.fn, "__func__", handler.fn)  # a controller's method, unbound
    found = _DATETIME_KEYS.get(function)
    if found is None:
        found = _DATETIME_KEYS[function] = tuple(
            (getattr(parameter.kwarg_definition, "name", None) or name, name)
            for name, parameter in handler.parsed_fn_signature.parameters.items()
            if _is_datetime(parameter.annotation)
        )
    return found


def _is_datetime(annotation: Any) -> bool:
    if annotation is datetime:
        return True
    return any(arg is datetime for arg in get_args(annotation))


async def require_declared_media_type(request: Request[Any, Any, Any]) -> None:
    """Checks a request body before Litestar parses it, so that bad bodies answer clear 4xx:
    the wrong Content-Type is 415; an empty body, malformed JSON, bytes that are not UTF-8 and
    nesting deeper than the decoder allows are 400.

    It is the app's ``before_request`` hook; a layer that sets its own must call it first.
    A NUL anywhere in the path or query string is refused (400) here too.
    """
    if "\x00" in request.scope["path"] or _NUL_IN_QUERY.search(request.scope["query_string"]):
        raise _nul_in_url(request)
    _refuse_numeric_times(request)
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    parameter = request.route_handler.parsed_fn_signature.parameters.get("data")
    if parameter is None:
        return
    expected = getattr(parameter.kwarg_definition, "media_type", None) or RequestEncodingType.JSON
    wanted = str(getattr(expected, "value", expected))
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    has_body = (
        request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers
    )
    if has_body or content_type:
        is_json = wanted == RequestEncodingType.JSON.value
        ok = bool(_JSON_TYPES.fullmatch(content_type)) if is_json else content_type == wanted
        if not ok:
            raise HTTPException(
                status_code=415,
                detail=f"send this body as {wanted}, not {content_type or 'no Content-Type'}",
            )
    if wanted != RequestEncodingType.JSON.value:
        return
    # Reads and decodes the body once (Litestar keeps both for the handler), enforcing the size
    # limit (413); what msgspec cannot decode must be a 400, not an unhandled error.
    body = await request.body()
    if not body.strip():
        if parameter.is_optional or parameter.has_default:
            return
        raise BadRequestBody("is empty; this endpoint needs a JSON body", problem_code="empty-body")
    try:
        value = await request.json()
    except SerializationException as error:
        reason = _MSGSPEC_PATH.sub("", str(error))
        raise BadRequestBody(
            f"is not valid JSON: {reason}", problem_code="malformed-body"
        ) from None
    except UnicodeDecodeError as error:
        raise BadRequestBody(
            f"is not valid UTF-8 (byte {error.start} cannot be decoded)",
            problem_code="malformed-body",
        ) from None
    except RecursionError:
        raise BadRequestBody("is nested too deeply", problem_code="malformed-body") from None
    if _NUL_ESCAPE.search(body):
        raise BadRequestBody(
            "has text with a NUL (\\u0000) character, which is not allowed",
            problem_code="malformed-body",
        )
    # Litestar converts bodies leniently ("5000" would become 5000); amounts of money and every
    # other field take exactly the JSON type they declare.
    try:
        msgspec.convert(value, parameter.annotation, strict=True)
    except msgspec.ValidationError as error:
        raise ValidationException(
            detail=f"Validation failed for {request.method} {request.url.path}",
            extra=[{"message": str(error), "key": "", "source": "body"}],
        ) from None
