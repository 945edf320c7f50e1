"""Request plumbing: request ids, the access log, CORS and security headers."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar, Response, get
from litestar.testing import AsyncTestClient
from tests.conftest import make_settings
from tests.support.apps import app_for

from elearn.entrypoints.logging import JsonFormatter

GENERATED_ID = re.compile(r"[0-9a-f]{32}")
ALLOWED_ORIGIN = "https://app.elearn.example"
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
}


@get("/api/v1/_test/plumbing/boom", include_in_schema=False)
async def boom() -> None:
    raise RuntimeError("boom")


def build_app(
    tmp_path: Path, database_url: str, *extra_handlers: object, **overrides: object
) -> Litestar:
    return app_for(
        make_settings(tmp_path, database_url, **overrides),
        run_background=False,
        extra_handlers=[boom, *extra_handlers],
    )


@pytest.fixture
async def client(tmp_path: Path, sqlite_url: str) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = build_app(tmp_path, sqlite_url, cors_allowed_origins=[ALLOWED_ORIGIN])
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


async def asgi_get(app: Litestar, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """A GET straight to the ASGI app, for header bytes no HTTP client would send."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)  # type: ignore[arg-type]
    start = next(m for m in sent if m["type"] == "http.response.start")
    return {k.decode(): v.decode() for k, v in start["headers"]}


# ---- request ids ------------------------------------------------------------------------------
async def test_a_given_request_id_is_echoed(client: AsyncTestClient) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "abc-123.x:y_z"})
    assert response.headers["x-request-id"] == "abc-123.x:y_z"


async def test_a_request_id_is_generated_when_none_is_given(client: AsyncTestClient) -> None:
    first = await client.get("/health/live")
    second = await client.get("/health/live")
    assert GENERATED_ID.fullmatch(first.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_the_request_id_is_in_problem_bodies(client: AsyncTestClient) -> None:
    for path in ("/no/such/route", "/api/v1/_test/plumbing/boom"):
        response = await client.get(path, headers={"X-Request-ID": "req-for-problem"})
        assert response.headers["x-request-id"] == "req-for-problem"
        assert response.json()["request_id"] == "req-for-problem"


async def test_a_generated_request_id_is_the_same_in_header_and_body(
    client: AsyncTestClient,
) -> None:
    response = await client.delete("/health/live")  # 405, answered before any route middleware
    assert response.status_code == 405
    assert response.json()["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize(
    "given", ["x" * 129, "has space", "semi;colon", "<script>", "", "ünïcode".encode()]
)
async def test_an_unacceptable_request_id_is_replaced(
    client: AsyncTestClient, given: str | bytes
) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": given})
    assert GENERATED_ID.fullmatch(response.headers["x-request-id"])


async def test_a_request_id_with_a_newline_is_replaced(tmp_path: Path, sqlite_url: str) -> None:
    app = build_app(tmp_path, sqlite_url)
    async with AsyncTestClient(app=app):
        headers = await asgi_get(
            app, "/health/live", [(b"x-request-id", b"abc\r\nSet-Cookie: session=evil")]
        )
    assert GENERATED_ID.fullmatch(headers["x-request-id"])
    assert "set-cookie" not in headers


async def test_a_request_id_of_128_characters_is_kept(client: AsyncTestClient) -> None:
    given = "a" * 128
    response = await client.get("/health/live", headers={"X-Request-ID": given})
    assert response.headers["x-request-id"] == given


# ---- access log -------------------------------------------------------------------------------
def access_records(caplog: pytest.LogCaptureFixture, request_id: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "elearn.access" and getattr(r, "request_id", None) == request_id
    ]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/health/live", 200),
        ("GET", "/no/such/route", 404),  # never reaches a route
        ("DELETE", "/health/live", 405),
        ("GET", "/api/v1/_test/plumbing/boom", 500),
    ],
)
async def test_one_access_log_line_per_request(
    client: AsyncTestClient,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    status: int,
) -> None:
    caplog.set_level(logging.INFO, logger="elearn.access")
    response = await client.request(method, path, headers={"X-Request-ID": "log-me"})
    assert response.status_code == status
    (record,) = access_records(caplog, "log-me")
    assert record.levelno == logging.INFO
    assert record.method == method  # type: ignore[attr-defined]
    assert record.path == path  # type: ignore[attr-defined]
    assert record.status == status  # type: ignore[attr-defined]
    assert isinstance(record.duration_ms, float) and record.duration_ms >= 0  # type: ignore[attr-defined]


async def test_the_access_log_renders_as_one_json_object(
    client: AsyncTestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="elearn.access")
    await client.get("/health/live?verbose=1", headers={"X-Request-ID": "json-line"})
    (record,) = access_records(caplog, "json-line")
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "info"
    assert entry["logger"] == "elearn.access"
    assert entry["method"] == "GET"
    assert entry["path"] == "/health/live"  # the path, not the query string
    assert entry["status"] == 200
    assert entry["request_id"] == "json-line"
    assert isinstance(entry["duration_ms"], float)
    assert entry["time"].endswith("+00:00")


# ---- CORS -------------------------------------------------------------------------------------
async def test_a_preflight_from_an_allowed_origin_is_allowed(client: AsyncTestClient) -> None:
    response = await client.options(
        "/health/live",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "X-Request-ID",
        },
    )
    assert response.status_code in (200, 204)
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "GET" in response.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in response.headers


async def test_a_preflight_from_another_origin_is_not_allowed(client: AsyncTestClient) -> None:
    response = await client.options(
        "/health/live",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in response.headers
    assert response.status_code < 500


async def test_a_simple_request_from_an_allowed_origin_may_read_the_request_id(
    client: AsyncTestClient,
) -> None:
    response = await client.get("/health/live", headers={"Origin": ALLOWED_ORIGIN})
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    exposed = response.headers["access-control-expose-headers"].lower()
    assert "x-request-id" in exposed
    assert "retry-after" in exposed


async def test_a_simple_request_from_another_origin_gets_no_allow_origin(
    client: AsyncTestClient,
) -> None:
    response = await client.get("/health/live", headers={"Origin": "https://evil.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


async def test_without_configured_origins_there_is_no_cors(tmp_path: Path, sqlite_url: str) -> None:
    async with AsyncTestClient(app=build_app(tmp_path, sqlite_url)) as plain:
        response = await plain.get("/health/live", headers={"Origin": ALLOWED_ORIGIN})
    assert "access-control-allow-origin" not in response.headers


# ---- security headers -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/health/live"),
        ("GET", "/no/such/route"),
        ("DELETE", "/health/live"),
        ("GET", "/api/v1/_test/plumbing/boom"),
        ("GET", "/docs/swagger"),
        ("GET", "/schema/openapi.json"),
        ("OPTIONS", "/health/live"),
    ],
)
async def test_security_headers_are_on_every_response(
    client: AsyncTestClient, method: str, path: str
) -> None:
    response = await client.request(method, path)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value, name
    assert "strict-transport-security" not in response.headers  # not in production


async def test_hsts_only_in_production(tmp_path: Path, sqlite_url: str) -> None:
    # Settings(...) directly: load_settings would insist on production secrets.
    app = build_app(tmp_path, sqlite_url, env="production")
    async with AsyncTestClient(app=app) as production:
        for path in ("/health/live", "/no/such/route"):
            response = await production.get(path)
            hsts = response.headers["strict-transport-security"]
            assert "max-age=63072000" in hsts
            assert "includesubdomains" in hsts.lower()
            for name, value in SECURITY_HEADERS.items():
                assert response.headers[name] == value


@get("/api/v1/_test/plumbing/framed", include_in_schema=False)
async def framed() -> Response[str]:
    return Response("embeddable", headers={"X-Frame-Options": "SAMEORIGIN"})


async def test_a_route_can_set_its_own_security_header(tmp_path: Path, sqlite_url: str) -> None:
    app = build_app(tmp_path, sqlite_url, framed)
    async with AsyncTestClient(app=app) as test_client:
        response = await test_client.get("/api/v1/_test/plumbing/framed")
    assert response.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
    assert response.headers["x-content-type-options"] == "nosniff"
