"""Errors and bad input over HTTP: every one is an RFC 9457 problem, and none is a 500.

There are no business routes with bodies yet, so the app gets a test-only controller under
``/api/v1/_test`` with a request struct that forbids unknown fields and carries limits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Annotated, Any

import msgspec
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from litestar import Controller, Litestar, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.testing import AsyncTestClient, TestClient
from tests.conftest import make_settings
from tests.support.apps import app_for

from elearn.application.errors import (
    FieldError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from elearn.domain.shared.errors import Conflict, IllegalTransition, RuleViolation

BODY_LIMIT = 64 * 1024
PROBLEM_FIELDS = {"type", "title", "status", "detail", "code", "instance", "request_id"}


class Author(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]


class NewItem(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
    count: Annotated[int, msgspec.Meta(ge=0, le=10)] = 0
    tags: list[Annotated[str, msgspec.Meta(max_length=10)]] = []
    author: Author | None = None


ERRORS: dict[str, Exception] = {
    "conflict": Conflict("that email is taken", code="duplicate-email"),
    "rule": RuleViolation("a course needs at least one lesson", code="course-empty"),
    "transition": IllegalTransition("booking", "cancelled", "confirm"),
    "not-found": NotFound("there is no such course"),
    "denied": PermissionDenied("only the tutor may do that"),
    "unauthenticated": NotAuthenticated("log in first"),
    "invalid": InvalidInput(
        "the profile is not valid", errors=[FieldError("time_zone", "unknown time zone")]
    ),
    "rate-limited": RateLimited("too many attempts", retry_after_seconds=30),
}


class BadInputTestController(Controller):
    path = "/api/v1/_test"
    tags = ["operations"]

    @post("/items", summary="Echo an item")
    async def create_item(self, data: JSONBody[NewItem]) -> NewItem:
        return data

    @get("/items", summary="List items")
    async def list_items(
        self, limit: Annotated[int, QueryParameter(ge=1, le=100)] = 10
    ) -> dict[str, int]:
        return {"limit": limit}

    # Raises any error, with made-up codes too, to test their mapping: not an operation.
    @get("/raise/{kind:str}", summary="Raise an error", include_in_schema=False)
    async def raise_error(self, kind: FromPath[str]) -> None:
        raise ERRORS[kind]

    @get("/boom", summary="Fail unexpectedly")
    async def boom(self) -> None:
        raise RuntimeError("connection to db-7 failed: password=hunter2")


def build_app(tmp_path: Path, database_url: str, **overrides: object) -> Litestar:
    values: dict[str, object] = {"max_request_body_bytes": BODY_LIMIT, **overrides}
    settings = make_settings(tmp_path, database_url, **values)
    return app_for(settings, run_background=False, extra_handlers=[BadInputTestController])


@pytest.fixture
def app(tmp_path: Path, sqlite_url: str) -> Litestar:
    return build_app(tmp_path, sqlite_url)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert PROBLEM_FIELDS <= body.keys()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:elearn:problem:{code}"
    assert body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def field_names(body: dict[str, Any]) -> list[str]:
    return [error["field"] for error in body.get("errors") or []]


# ---- domain and application errors ----------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("conflict", 409, "duplicate-email"),
        ("rule", 422, "course-empty"),
        ("transition", 409, "illegal-transition"),
        ("not-found", 404, "not-found"),
        ("denied", 403, "permission-denied"),
        ("unauthenticated", 401, "not-authenticated"),
        ("invalid", 422, "invalid-input"),
        ("rate-limited", 429, "rate-limited"),
    ],
)
async def test_errors_become_problems(
    client: AsyncTestClient, kind: str, status: int, code: str
) -> None:
    response = await client.get(f"/api/v1/_test/raise/{kind}")
    body = assert_problem(response, status, code)
    assert body["detail"] == str(ERRORS[kind])
    assert body["instance"] == f"/api/v1/_test/raise/{kind}"


async def test_not_authenticated_asks_for_a_bearer_token(client: AsyncTestClient) -> None:
    response = await client.get("/api/v1/_test/raise/unauthenticated")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_rate_limited_says_when_to_retry(client: AsyncTestClient) -> None:
    response = await client.get("/api/v1/_test/raise/rate-limited")
    assert response.headers["retry-after"] == "30"


async def test_invalid_input_names_the_fields(client: AsyncTestClient) -> None:
    response = await client.get("/api/v1/_test/raise/invalid")
    body = assert_problem(response, 422, "invalid-input")
    assert body["errors"] == [{"field": "time_zone", "message": "unknown time zone"}]


async def test_an_unexpected_error_is_a_500_problem_without_internals(
    client: AsyncTestClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = await client.get("/api/v1/_test/boom", headers={"X-Request-ID": "trace-me-1"})
    body = assert_problem(response, 500, "internal-error")
    assert body["request_id"] == "trace-me-1"
    for leak in ("hunter2", "db-7", "RuntimeError", "Traceback", ".py"):
        assert leak not in response.text
    # ... while the log keeps everything, under the same request id.
    (record,) = [r for r in caplog.records if r.name == "elearn.entrypoints.http.problems"]
    assert record.request_id == "trace-me-1"  # type: ignore[attr-defined]
    assert record.exc_info and "hunter2" in str(record.exc_info[1])


# ---- routing ----------------------------------------------------------------------------------
# These two run the whole app on SQLite and on PostgreSQL.
async def test_an_unknown_route_is_a_404_problem(database_url: str, tmp_path: Path) -> None:
    async with AsyncTestClient(app=build_app(tmp_path, database_url)) as real:
        response = await real.get("/api/v1/no/such/thing")
    body = assert_problem(response, 404, "not-found")
    assert body["instance"] == "/api/v1/no/such/thing"


async def test_a_wrong_method_is_a_405_problem(database_url: str, tmp_path: Path) -> None:
    async with AsyncTestClient(app=build_app(tmp_path, database_url)) as real:
        response = await real.delete("/health/live")
    assert_problem(response, 405, "method-not-allowed")
    assert "GET" in response.headers["allow"]


# ---- request bodies ---------------------------------------------------------------------------
JSON = {"content-type": "application/json"}


async def test_a_valid_body_is_accepted(client: AsyncTestClient) -> None:
    response = await client.post("/api/v1/_test/items", json={"title": "ok", "count": 3})
    assert response.status_code == 201
    assert response.json() == {"title": "ok", "count": 3, "tags": [], "author": None}


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "application/merge-patch+json"]
)
async def test_json_content_types_with_parameters_or_suffixes_are_accepted(
    client: AsyncTestClient, content_type: str
) -> None:
    response = await client.post(
        "/api/v1/_test/items", content=b'{"title":"ok"}', headers={"content-type": content_type}
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("case", "content", "code", "fields"),
    [
        ("malformed JSON", b'{"title": "a",', "malformed-body", ["body"]),
        ("not JSON at all", b"title=a", "malformed-body", ["body"]),
        ("wrong type", b'{"title": 5}', "invalid-request", ["title"]),
        ("unknown field", b'{"title": "a", "is_admin": true}', "invalid-request", ["is_admin"]),
        ("missing field", b'{"count": 1}', "invalid-request", ["title"]),
        ("too long", b'{"title": "' + b"x" * 21 + b'"}', "invalid-request", ["title"]),
        ("too short", b'{"title": ""}', "invalid-request", ["title"]),
        ("out of range", b'{"title": "a", "count": 11}', "invalid-request", ["count"]),
        ("negative", b'{"title": "a", "count": -1}', "invalid-request", ["count"]),
        ("bool for int", b'{"title": "a", "count": true}', "invalid-request", ["count"]),
        (
            "list item",
            b'{"title": "a", "tags": ["ok", "' + b"y" * 11 + b'"]}',
            "invalid-request",
            ["tags[1]"],
        ),
        ("nested missing", b'{"title": "a", "author": {}}', "invalid-request", ["author.name"]),
        (
            "nested unknown",
            b'{"title": "a", "author": {"name": "x", "x": 1}}',
            "invalid-request",
            ["author.x"],
        ),
        ("array for object", b'[{"title": "a"}]', "invalid-request", ["body"]),
        ("null for object", b"null", "invalid-request", ["body"]),
        ("string for object", b'"title"', "invalid-request", ["body"]),
        ("empty body", b"", "empty-body", ["body"]),
        ("blank body", b"   \n", "empty-body", ["body"]),
        ("not UTF-8", b'{"title": "\xff\xfe"}', "malformed-body", ["body"]),
        ("latin-1", '{"title": "café"}'.encode("latin-1"), "malformed-body", ["body"]),
        ("NaN", b'{"title": "a", "count": NaN}', "malformed-body", ["body"]),
        (
            "huge integer",
            b'{"title": "a", "count": ' + b"9" * 5000 + b"}",
            "malformed-body",
            ["body"],
        ),
        ("huge float", b'{"title": "a", "count": 1e999999}', "malformed-body", ["body"]),
        ("float for int", b'{"title": "a", "count": 1.5}', "invalid-request", ["count"]),
        ("deeply nested array", b"[" * 20_000 + b"]" * 20_000, "malformed-body", ["body"]),
        (
            "deeply nested object",
            b'{"title": ' + b'{"a": ' * 5_000 + b"1" + b"}" * 5_001,
            "malformed-body",
            ["body"],
        ),
        ("NUL character", b'{"title": "a\\u0000b"}', "malformed-body", ["body"]),
    ],
)
async def test_bad_bodies_are_clear_400_problems(
    client: AsyncTestClient, case: str, content: bytes, code: str, fields: list[str]
) -> None:
    response = await client.post("/api/v1/_test/items", content=content, headers=JSON)
    body = assert_problem(response, 400, code)
    assert field_names(body) == fields, body


async def test_an_escaped_backslash_before_u0000_is_not_a_nul(client: AsyncTestClient) -> None:
    response = await client.post(
        "/api/v1/_test/items", content=b'{"title": "a\\\\u0000"}', headers=JSON
    )
    assert response.status_code == 201
    assert response.json()["title"] == "a\\u0000"


async def test_the_error_message_says_what_is_wrong(client: AsyncTestClient) -> None:
    response = await client.post("/api/v1/_test/items", json={"title": "a", "is_admin": True})
    body = response.json()
    assert "is_admin" in body["detail"]
    assert body["errors"][0]["message"] == "Object contains unknown field is_admin"


async def test_a_bad_query_parameter_is_a_400_naming_it(client: AsyncTestClient) -> None:
    for query in ("limit=abc", "limit=0", "limit=101"):
        response = await client.get(f"/api/v1/_test/items?{query}")
        body = assert_problem(response, 400, "invalid-request")
        assert field_names(body) == ["limit"], query


@pytest.mark.parametrize(
    ("headers", "content"),
    [
        ({"content-type": "text/plain"}, b'{"title": "a"}'),
        ({"content-type": "application/x-www-form-urlencoded"}, b"title=a"),
        ({"content-type": "multipart/form-data; boundary=x"}, b"--x--"),
        ({"content-type": "application/xml"}, b"<title>a</title>"),
        ({}, b'{"title": "a"}'),  # no Content-Type at all
    ],
)
async def test_a_body_in_the_wrong_media_type_is_a_415(
    client: AsyncTestClient, headers: dict[str, str], content: bytes
) -> None:
    response = await client.post("/api/v1/_test/items", content=content, headers=headers)
    body = assert_problem(response, 415, "unsupported-media-type")
    assert "application/json" in body["detail"]


async def test_form_data_is_a_415(client: AsyncTestClient) -> None:
    response = await client.post("/api/v1/_test/items", data={"title": "a"})
    assert_problem(response, 415, "unsupported-media-type")


async def test_a_body_over_the_limit_is_a_413(client: AsyncTestClient) -> None:
    content = b'{"title": "' + b"x" * BODY_LIMIT + b'"}'
    response = await client.post("/api/v1/_test/items", content=content, headers=JSON)
    body = assert_problem(response, 413, "payload-too-large")
    assert str(BODY_LIMIT) in body["detail"]


async def test_a_body_just_under_the_limit_is_read(client: AsyncTestClient) -> None:
    content = b'{"title": "' + b"x" * (BODY_LIMIT - 20) + b'"}'
    response = await client.post("/api/v1/_test/items", content=content, headers=JSON)
    # Read and validated (too long a title), not refused for its size.
    assert_problem(response, 400, "invalid-request")


async def test_the_limit_comes_from_settings(tmp_path: Path, sqlite_url: str) -> None:
    app = build_app(tmp_path, sqlite_url, max_request_body_bytes=100)
    async with AsyncTestClient(app=app) as small:
        response = await small.post("/api/v1/_test/items", json={"title": "a", "tags": ["b"] * 30})
    assert_problem(response, 413, "payload-too-large")


async def asgi_post(
    app: Litestar, path: str, chunks: list[bytes], headers: list[tuple[bytes, bytes]]
) -> tuple[int, dict[str, str], bytes, int]:
    """POSTs a body in chunks straight to the ASGI app (the test clients join them up), with no
    Content-Length: what a client sending ``Transfer-Encoding: chunked`` looks like to the app.
    Returns the status, headers, body and how many chunks the app read."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    pending = list(chunks)
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        if not pending:
            return {"type": "http.disconnect"}
        read += 1
        chunk = pending.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)  # type: ignore[arg-type]
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    response_headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], response_headers, body, read


async def test_a_chunked_body_over_the_limit_is_a_413_before_it_is_all_read(
    app: Litestar,
) -> None:
    chunks = [b'{"title": "'] + [b"x" * 1024] * 200 + [b'"}']
    async with AsyncTestClient(app=app):  # runs the lifespan
        status, headers, body, read = await asgi_post(
            app,
            "/api/v1/_test/items",
            chunks,
            [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
        )
    assert status == 413
    assert headers["content-type"] == "application/problem+json"
    assert msgspec.json.decode(body)["code"] == "payload-too-large"
    assert read < 70  # stopped at the limit (64 KiB), not after 200 KiB


async def test_a_chunked_body_under_the_limit_is_read(app: Litestar) -> None:
    async with AsyncTestClient(app=app):
        status, _, body, _ = await asgi_post(
            app,
            "/api/v1/_test/items",
            [b'{"tit', b'le": "a', b'b"}'],
            [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
        )
    assert status == 201
    assert msgspec.json.decode(body)["title"] == "ab"


async def test_an_invalid_content_length_is_a_400(app: Litestar) -> None:
    async with AsyncTestClient(app=app):
        status, headers, _, _ = await asgi_post(
            app,
            "/api/v1/_test/items",
            [b'{"title": "a"}'],
            [(b"content-type", b"application/json"), (b"content-length", b"lots")],
        )
    assert status == 400
    assert headers["content-type"] == "application/problem+json"


# ---- nothing is a 500 ------------------------------------------------------------------------
@pytest.fixture
def sync_client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app=app) as test_client:
        yield test_client


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
item_like = st.fixed_dictionaries(
    {"title": st.text(max_size=25) | st.integers()},
    optional={
        "count": st.integers(min_value=-(2**70), max_value=2**70) | st.floats(),
        "tags": st.lists(st.text(max_size=12), max_size=3) | json_values,
        "author": json_values | st.fixed_dictionaries({"name": st.text(max_size=60)}),
        "extra": json_values,
    },
)


@hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    content=st.binary(max_size=200)
    | json_values.map(msgspec.json.encode)
    | item_like.map(lambda value: msgspec.json.encode(value).replace(b"Infinity", b"1e999")),
    content_type=st.sampled_from(["application/json", "text/plain", "", "application/json; x"]),
)
def test_no_body_is_ever_a_500(
    sync_client: TestClient[Litestar], content: bytes, content_type: str
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = sync_client.post("/api/v1/_test/items", content=content, headers=headers)
    assert response.status_code < 500, (content, response.text)
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
