"""The truth check: every response an HTTP test receives must be one its operation documents.

A pytest plugin (``pytest_plugins`` in ``tests/conftest.py``). Each response the app sends to
any test client is checked against the app's own OpenAPI document: its status must be
documented for the operation that answered, its media type among those documented for that
status, and a problem+json answer's ``code`` enumerated under that status. The test that
received an undocumented answer fails, naming it; the fix is a ``@problems(...)`` declaration
on the route (``problem_codes.py``) or a documented response, not a change to the test.

Only routed requests that the document covers are checked: a path no route matches (404),
a method the path has not (405), the documentation pages and ``include_in_schema=False``
routes are not operations of the document.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.enums import ScopeType
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute
from litestar.types import HTTPScope, Message, Send

from elearn.entrypoints.http.app import create_app
from elearn.entrypoints.http.problems import PROBLEM_MEDIA_TYPE

# Apps built from the same route handlers under the same title document the same operations:
# the tests build dozens of apps that differ only in settings read at start-up, and each
# document costs about a second of CPU. Keyed by the handler functions themselves; the caches
# keep them and the apps alive, so no id is ever reused for another.
_documents: dict[tuple[Any, ...], dict[str, Any]] = {}
_document_keys: dict[int, tuple[Litestar, tuple[Any, ...]]] = {}
_received: list[str] = []


@dataclass(frozen=True, slots=True)
class Documented:
    """What an operation documents: its statuses, the media types of each, and the codes of
    each problem status."""

    statuses: frozenset[str]
    media_types: dict[str, frozenset[str]]
    codes: dict[str, frozenset[str]]


def _document_key(app: Litestar) -> tuple[Any, ...]:
    known = _document_keys.get(id(app))
    if known is not None:
        return known[1]
    operations = sorted(
        (
            # A controller's method is bound to the app's own instance of the controller.
            (route.path, method, getattr(handler.fn, "__func__", handler.fn))
            for route in app.routes
            if isinstance(route, HTTPRoute)
            for handler in route.route_handlers
            if handler.resolve_include_in_schema()
            for method in handler.http_methods
        ),
        key=lambda operation: (operation[0], operation[1], id(operation[2])),
    )
    key = (app.openapi_config.title if app.openapi_config else None, *operations)
    _document_keys[id(app)] = (app, key)
    return key


def document_of(app: Litestar) -> dict[str, Any]:
    key = _document_key(app)
    document = _documents.get(key)
    if document is None:
        document = _documents[key] = app.openapi_schema.to_schema()
    return document


@functools.cache
def documented_app() -> Litestar:
    """An app with every context's routes, never started, for the tests that read or walk its
    OpenAPI document: built once per test process (an app and its document cost ~2 s of CPU,
    and three contract modules each built their own, one of them twice)."""
    from tests.conftest import make_settings

    settings = make_settings(Path("/nonexistent"), "sqlite+aiosqlite:///:memory:")
    return create_app(settings, configure_logs=False)


def documented(app: Litestar, path: str, method: str) -> Documented | None:
    operation = document_of(app)["paths"].get(path, {}).get(method.lower())
    if operation is None:
        return None
    responses = operation.get("responses", {})
    codes: dict[str, frozenset[str]] = {}
    for status, response in responses.items():
        schema = response.get("content", {}).get(PROBLEM_MEDIA_TYPE, {}).get("schema", {})
        codes[status] = frozenset(enumerated_codes(schema))
    media_types = {
        status: frozenset(response.get("content", {})) for status, response in responses.items()
    }
    return Documented(frozenset(responses), media_types, codes)


def enumerated_codes(schema: dict[str, Any]) -> Iterator[str]:
    for part in schema.get("allOf", ()):
        yield from part.get("properties", {}).get("code", {}).get("enum", ())


def violation(app: Litestar, scope: HTTPScope, status: int, body: bytes, media: str) -> str | None:
    handler = scope.get("route_handler")
    path = scope.get("path_template")
    if not isinstance(handler, HTTPRouteHandler) or not path:
        return None
    method = scope["method"]
    if method not in handler.http_methods or not handler.resolve_include_in_schema():
        return None
    expected = documented(app, path, method)
    if expected is None:
        return f"{method} {path} is served but not in the OpenAPI document"
    code = None
    if media.split(";")[0].strip() == PROBLEM_MEDIA_TYPE:
        try:
            code = json.loads(body).get("code")
        except ValueError:
            return f"{method} {path} answered {status} problem+json that is not JSON"
    if str(status) not in expected.statuses:
        return (
            f"{method} {path} answered {status}"
            + (f" {code!r}" if code else "")
            + ", a status its operation does not document"
        )
    if code is not None and code not in expected.codes.get(str(status), frozenset()):
        return f"{method} {path} answered {status} {code!r}, not enumerated for that status"
    media_type = media.split(";")[0].strip()
    documented_types = expected.media_types.get(str(status), frozenset())
    if media_type and documented_types and media_type not in documented_types:
        return f"{method} {path} answered {status} as {media_type}, not documented for it"
    return None


def checked(app: Litestar, scope: HTTPScope, send: Send) -> Send:
    """``send``, checking the answer of ``app`` to ``scope`` against the document."""
    status = 0
    media = ""
    body = bytearray()

    async def recording_send(message: Message) -> None:
        nonlocal status, media
        if message["type"] == "http.response.start":
            status = message["status"]
            for name, value in message.get("headers", ()):
                if name.lower() == b"content-type":
                    media = value.decode("latin-1")
        elif message["type"] == "http.response.body" and status >= 400:
            body.extend(message.get("body", b""))
            if not message.get("more_body", False):
                found = violation(app, scope, status, bytes(body), media)
                if found:
                    _received.append(found)
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            found = violation(app, scope, status, b"", media)
            if found:
                _received.append(found)
        await send(message)

    return recording_send


_original_call = Litestar.__call__


async def _checked_call(self: Litestar, scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != ScopeType.HTTP:
        await _original_call(self, scope, receive, send)
        return
    await _original_call(self, scope, receive, checked(self, scope, send))


def take_findings() -> list[str]:
    """The findings so far, taken: for a test that provokes them on purpose."""
    found = sorted(set(_received))
    _received.clear()
    return found


def pytest_configure(config: pytest.Config) -> None:
    Litestar.__call__ = _checked_call  # type: ignore[method-assign]


def pytest_unconfigure(config: pytest.Config) -> None:
    Litestar.__call__ = _original_call  # type: ignore[method-assign]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _received.clear()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Fails the test (setup included) that received an answer its operation does not
    document. With ``ELEARN_CONTRACT_RECORD=<file>`` the findings are appended there instead,
    to declare them all at once."""
    result = yield
    found = sorted(set(_received))
    _received.clear()
    if not found:
        return result
    if record := os.environ.get("ELEARN_CONTRACT_RECORD"):
        with open(record, "a", encoding="utf-8") as out:
            out.writelines(f"{item.nodeid}\t{line}\n" for line in found)
        return result
    raise AssertionError(
        "responses the OpenAPI document does not describe (declare their codes with "
        "@problems(...), see entrypoints/http/problem_codes.py):\n  " + "\n  ".join(found)
    )
