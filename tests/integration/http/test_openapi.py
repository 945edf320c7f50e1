"""The OpenAPI 3.1 document and the documentation UIs under /docs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Annotated, Any

import msgspec
import pytest
from litestar import Controller, Litestar, get, post
from litestar.params import FromPath, JSONBody
from litestar.testing import AsyncTestClient
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from tests.conftest import make_settings
from tests.support.apps import app_for

from elearn.entrypoints.http.docs import TAGS
from elearn.entrypoints.http.problem_codes import problems

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
PROBLEM_REF = "#/components/schemas/Problem"


async def fetch_schema(app: Litestar) -> dict[str, Any]:
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def app(tmp_path: Path, sqlite_url: str) -> Litestar:
    return app_for(make_settings(tmp_path, sqlite_url), run_background=False)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


@pytest.fixture
async def schema(client: AsyncTestClient) -> dict[str, Any]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def problem_statuses(operation: dict[str, Any]) -> list[str]:
    return [
        status
        for status, response in operation["responses"].items()
        if status[0] in "45"
        and response.get("content", {}).get("application/problem+json", {}).get("schema")
        == {"$ref": PROBLEM_REF}
    ]


# ---- the document -----------------------------------------------------------------------------
async def test_the_document_is_valid_openapi_3_1(schema: dict[str, Any]) -> None:
    assert schema["openapi"].startswith("3.1")
    validate(schema, cls=OpenAPIV31SpecValidator)


async def test_the_document_has_a_title_a_description_and_tags_per_context(
    schema: dict[str, Any],
) -> None:
    info = schema["info"]
    assert info["title"] == "elearn API"
    assert info["version"]
    assert "application/problem+json" in info["description"]
    tags = {tag["name"]: tag.get("description") for tag in schema["tags"]}
    for context in (
        "identity",
        "catalog",
        "learning",
        "tutoring",
        "billing",
        "communication",
        "analytics",
        "operations",
    ):
        assert tags.get(context), f"no described tag for {context}"


async def test_the_document_is_also_served_under_docs(
    client: AsyncTestClient, schema: dict[str, Any]
) -> None:
    response = await client.get("/docs/openapi.json")
    assert response.status_code == 200
    assert response.json()["paths"].keys() == schema["paths"].keys()


async def test_the_documentation_routes_are_not_in_the_document(schema: dict[str, Any]) -> None:
    assert not [path for path in schema["paths"] if path.startswith(("/docs", "/schema"))]


@pytest.mark.parametrize("ui", ["swagger", "redoc", "scalar"])
async def test_the_documentation_uis_answer(client: AsyncTestClient, ui: str) -> None:
    response = await client.get(f"/docs/{ui}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<title>elearn API</title>" in response.text
    assert ui in response.text.lower()  # the UI's own script


async def test_docs_has_a_default_ui(client: AsyncTestClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


# ---- every operation --------------------------------------------------------------------------
async def test_every_operation_is_identified_tagged_and_described(schema: dict[str, Any]) -> None:
    declared_tags = {tag.name for tag in TAGS}
    seen_ids: set[str] = set()
    found = list(operations(schema))
    assert found
    for path, method, operation in found:
        where = f"{method.upper()} {path}"
        assert operation.get("operationId"), f"{where} has no operationId"
        assert operation["operationId"] not in seen_ids, f"{where} repeats an operationId"
        seen_ids.add(operation["operationId"])
        assert operation.get("tags"), f"{where} has no tag"
        assert set(operation["tags"]) <= declared_tags, f"{where} uses an undeclared tag"
        assert operation.get("summary") or operation.get("description"), f"{where} is undescribed"


async def test_every_operation_declares_its_success_and_error_responses(
    schema: dict[str, Any],
) -> None:
    for path, method, operation in operations(schema):
        where = f"{method.upper()} {path}"
        responses = operation["responses"]
        assert any(status.startswith(("2", "3")) for status in responses), f"{where}: no success"
        assert problem_statuses(operation) or "503" in responses, f"{where}: no error response"
        # Every operation can fail unexpectedly, and says so with the problem shape.
        assert "500" in problem_statuses(operation), f"{where}: no 500 problem"
        for status, response in responses.items():
            assert response.get("description"), f"{where} {status} has no description"


async def test_no_operation_documents_litestars_own_error_shape(schema: dict[str, Any]) -> None:
    """Errors are problem+json; Litestar's default {status_code, detail, extra} never goes out."""
    for path, method, operation in operations(schema):
        for status, response in operation["responses"].items():
            if status[0] in "45" and status != "503":
                assert set(response.get("content", {})) <= {"application/problem+json"}, (
                    f"{method.upper()} {path} {status}"
                )


async def test_readiness_documents_its_503(schema: dict[str, Any]) -> None:
    ready = schema["paths"]["/health/ready"]["get"]
    assert ready["responses"]["503"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Readiness"
    }


async def test_the_problem_schema_is_a_described_component(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    problem = components["Problem"]
    assert problem["type"] == "object"
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}
    properties = problem["properties"]
    assert set(properties) == {
        "type",
        "title",
        "status",
        "detail",
        "code",
        "instance",
        "request_id",
        "errors",
        "missing_courses",
        "checkout",
    }
    for name, prop in properties.items():
        assert prop.get("description"), f"Problem.{name} is undescribed"
    errors = properties["errors"]
    assert {"items": {"$ref": "#/components/schemas/FieldProblem"}, "type": "array"} in errors[
        "oneOf"
    ]
    assert set(components["FieldProblem"]["required"]) == {"field", "message"}


# ---- routes with bodies and parameters (test-only, as there are none in the app yet) ---------
class Lesson(msgspec.Struct, forbid_unknown_fields=True):
    """A lesson to add."""

    title: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    minutes: Annotated[int, msgspec.Meta(ge=1, le=600)]


class LessonController(Controller):
    path = "/api/v1/_test/courses/{course_id:uuid}/lessons"
    tags = ["catalog"]

    @problems("course-not-found", "slug-taken")
    @post(summary="Add a lesson")
    async def add(self, course_id: FromPath[Any], data: JSONBody[Lesson]) -> Lesson:
        """Adds a lesson at the end of the course."""
        return data

    @get("/{position:int}", summary="Read a lesson")
    async def read(self, course_id: FromPath[Any], position: FromPath[int]) -> Lesson:
        return Lesson(title="x", minutes=position)


async def test_routes_with_bodies_document_request_types_and_body_errors(
    tmp_path: Path, sqlite_url: str
) -> None:
    app = app_for(
        make_settings(tmp_path, sqlite_url), run_background=False, extra_handlers=[LessonController]
    )
    schema = await fetch_schema(app)
    validate(schema, cls=OpenAPIV31SpecValidator)

    item = schema["paths"]["/api/v1/_test/courses/{course_id}/lessons"]["post"]
    body = item["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Lesson"}
    lesson = schema["components"]["schemas"]["Lesson"]
    assert lesson["properties"]["title"]["maxLength"] == 120
    assert lesson["properties"]["minutes"]["maximum"] == 600
    assert item["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Lesson"
    }
    # The route's own (404, 409) and those every body route has (400, 413, 415, 500).
    assert sorted(problem_statuses(item)) == ["400", "404", "409", "413", "415", "500"]

    read = schema["paths"]["/api/v1/_test/courses/{course_id}/lessons/{position}"]["get"]
    assert sorted(problem_statuses(read)) == ["400", "500"]
    assert "requestBody" not in read
