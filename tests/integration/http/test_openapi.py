"""The OpenAPI 3.1 document and the documentation UIs under /docs."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Annotated, Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Controller, Litestar, Response, get, post
from litestar.params import FromPath, JSONBody
from litestar.testing import AsyncTestClient
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from tests.conftest import make_settings
from tests.support import contract
from tests.support.apps import app_for

from elearn.application.errors import PermissionDenied
from elearn.entrypoints.http.docs import TAGS, component_name, finished_document
from elearn.entrypoints.http.problem_codes import PROBLEM_CODES, problems

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


def problem_schema(response: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = (
        response.get("content", {}).get("application/problem+json", {}).get("schema", {})
    )
    return schema


def problem_statuses(operation: dict[str, Any]) -> list[str]:
    """The statuses answered with the Problem component narrowed to enumerated codes."""
    return [
        status
        for status, response in operation["responses"].items()
        if status[0] in "45"
        and problem_schema(response).get("allOf", [None])[0] == {"$ref": PROBLEM_REF}
    ]


def codes_of(operation: dict[str, Any], status: int) -> list[str]:
    schema = problem_schema(operation["responses"][str(status)])
    enum: list[str] = schema["allOf"][1]["properties"]["code"]["enum"]
    return enum


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
        "conversations",
        "notifications",
        "realtime",
        "community",
        "support",
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
    assert codes_of(item, 404) == ["course-not-found", "not-found"]
    assert codes_of(item, 409) == ["slug-taken"]
    assert codes_of(item, 400) == ["empty-body", "invalid-request", "malformed-body"]
    assert codes_of(item, 500) == ["internal-error"]
    assert item["security"] == []  # reads no caller: anonymous

    read = schema["paths"]["/api/v1/_test/courses/{course_id}/lessons/{position}"]["get"]
    assert sorted(problem_statuses(read)) == ["400", "404", "500"]
    assert codes_of(read, 404) == ["not-found"]
    assert "requestBody" not in read


# ---- statuses and codes --------------------------------------------------------------------------
async def test_every_problem_status_enumerates_registered_codes_of_that_status(
    schema: dict[str, Any],
) -> None:
    for path, method, operation in operations(schema):
        for status in problem_statuses(operation):
            codes = codes_of(operation, int(status))
            assert codes, f"{method.upper()} {path} {status} enumerates no code"
            for code in codes:
                assert int(status) in PROBLEM_CODES[code], f"{method.upper()} {path}: {code}"


def operation_by_id(schema: dict[str, Any], operation_id: str) -> dict[str, Any]:
    return next(op for _, _, op in operations(schema) if op["operationId"] == operation_id)


async def test_generic_codes_follow_from_the_route(schema: dict[str, Any]) -> None:
    # reads the caller, has a path parameter and a body
    reschedule = operation_by_id(schema, "reschedule_booking")
    assert codes_of(reschedule, 401) == ["invalid-token", "not-authenticated"]
    assert "permission-denied" in codes_of(reschedule, 403)
    assert "not-found" in codes_of(reschedule, 404)
    assert {"413", "415"} <= set(reschedule["responses"])
    # pages with a cursor, reads nobody
    tutors = operation_by_id(schema, "find_tutors")
    assert codes_of(tutors, 400) == ["invalid-parameter", "invalid-request"]
    assert not {"401", "403", "404", "413", "415"} & set(tutors["responses"])


async def test_declared_codes_are_documented_under_their_status(schema: dict[str, Any]) -> None:
    create_course = operation_by_id(schema, "create_course")
    assert "tutor-not-approved" in codes_of(create_course, 403)
    assert "slug-taken" in codes_of(create_course, 409)
    login = operation_by_id(schema, "login")
    assert {"invalid-credentials", "otp-required"} <= set(codes_of(login, 401))
    assert codes_of(login, 429) == ["rate-limited"]


# ---- security ------------------------------------------------------------------------------------
async def test_the_bearer_scheme_is_declared_and_every_operation_says_who_may_call(
    schema: dict[str, Any],
) -> None:
    assert schema["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schema["components"]["securitySchemes"]["bearer"]["description"],
    }
    for path, method, operation in operations(schema):
        assert "security" in operation, f"{method.upper()} {path} says nothing of security"
        assert operation["security"] in ([], [{"bearer": []}], [{}, {"bearer": []}])
        if operation["security"] == []:
            assert "401" not in operation["responses"], f"{method.upper()} {path}"
        else:
            assert "401" in operation["responses"], f"{method.upper()} {path}"
    assert operation_by_id(schema, "list_my_bookings")["security"] == [{"bearer": []}]
    assert operation_by_id(schema, "find_tutors")["security"] == []
    assert operation_by_id(schema, "get_course")["security"] == [{}, {"bearer": []}]


async def test_swagger_ui_offers_to_authorize(schema: dict[str, Any]) -> None:
    # Swagger UI shows its Authorize button when the document has security schemes.
    assert schema["components"]["securitySchemes"]


# ---- component names -----------------------------------------------------------------------------
async def test_component_names_are_clean_class_names(schema: dict[str, Any]) -> None:
    names = list(schema["components"]["schemas"])
    for name in names:
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", name), f"{name} leaks a module path or generic"
    assert len(names) == len({name.lower() for name in names})
    assert {"OrderPage", "CourseCardPage", "BillingRejectBody", "CatalogRejectBody"} <= set(names)
    referenced = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(schema)))
    assert referenced <= set(names), referenced - set(names)


@pytest.mark.parametrize(
    ("generated", "clean"),
    [
        ("Page_elearn.application.billing.ports.OrderView_", "OrderPage"),
        ("Page_elearn.domain.shared.audit.AuditEntry_", "AuditEntryPage"),
        ("billing_routes_RejectBody", "BillingRejectBody"),
        ("identity_admin_routes_RejectBody", "IdentityRejectBody"),
        ("CourseDetail", "CourseDetail"),
    ],
)
def test_the_component_name_rule(generated: str, clean: str) -> None:
    assert component_name(generated) == clean


def test_two_components_renamed_alike_are_refused() -> None:
    document = {"components": {"schemas": {"OrderPage": {}, "Page_x.OrderView_": {}}}}
    with pytest.raises(ValueError, match="OrderPage"):
        finished_document(document)


# ---- request schemas -----------------------------------------------------------------------------
async def test_bodies_that_refuse_unknown_fields_say_so(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    bodies = set()
    for _, _, operation in operations(schema):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        bodies |= set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(body)))
    assert {"BookingBody", "AvailabilityBody", "LoginBody"} <= bodies
    for name in bodies:
        assert components[name].get("additionalProperties") is False, name


async def test_item_constraints_are_kept(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    durations = components["AvailabilityBody"]["properties"]["durations"]
    assert durations["items"] == {"type": "integer", "minimum": 15, "maximum": 240}
    requirements = json.dumps(components["NewCourseBody"]["properties"]["requirements"])
    assert '"minLength": 1' in requirements


async def test_no_union_lists_one_alternative_twice(schema: dict[str, Any]) -> None:
    def unions(value: Any) -> Iterator[list[Any]]:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("oneOf", "anyOf"):
                    yield item
                yield from unions(item)
        elif isinstance(value, list):
            for item in value:
                yield from unions(item)

    for union in unions(schema):
        assert len(union) == len({json.dumps(item, sort_keys=True) for item in union}), union


async def test_optional_bodies_are_not_required(schema: dict[str, Any]) -> None:
    for operation_id in ("archive_course", "cancel_booking", "unpublish_course"):
        assert operation_by_id(schema, operation_id)["requestBody"]["required"] is False


async def test_submissions_have_a_real_multipart_schema(schema: dict[str, Any]) -> None:
    body = operation_by_id(schema, "submit_work")["requestBody"]["content"]
    form = body["multipart/form-data"]["schema"]
    assert form["additionalProperties"] is False
    assert form["properties"]["files"]["items"] == {"type": "string", "format": "binary"}
    assert form["properties"]["text"]["type"] == "string"


async def test_date_time_parameters_are_documented_as_such(schema: dict[str, Any]) -> None:
    slots = operation_by_id(schema, "list_tutor_slots")
    parameters = {p["name"]: p for p in slots["parameters"]}
    assert parameters["from"]["schema"] == {"type": "string", "format": "date-time"}
    assert parameters["from"]["required"] is True


# ---- files ---------------------------------------------------------------------------------------
async def test_file_answers_carry_their_media_types(schema: dict[str, Any]) -> None:
    binary = {"schema": {"type": "string", "format": "binary"}}
    media = operation_by_id(schema, "get_media")
    for status in ("200", "206"):
        content = media["responses"][status]["content"]
        assert {"video/mp4", "application/pdf", "audio/mpeg", "image/png"} <= set(content)
        assert "application/json" not in content
        assert content["video/mp4"] == binary
    assert "Content-Range" in media["responses"]["206"]["headers"]
    assert codes_of(media, 416) == ["range-not-satisfiable"]
    assert {"name": "Range", "in": "header"}.items() <= next(
        p for p in media["parameters"] if p["name"] == "Range"
    ).items()
    pdf = operation_by_id(schema, "get_certificate_pdf")["responses"]
    assert set(pdf["200"]["content"]) == {"application/pdf"}
    assert "206" in pdf
    calendar = operation_by_id(schema, "get_calendar_feed")["responses"]["200"]["content"]
    assert set(calendar) == {"text/calendar"}
    image = operation_by_id(schema, "get_image")["responses"]["200"]["content"]
    assert set(image) == {"image/gif", "image/jpeg", "image/png", "image/webp"}


# ---- answers that the document promises ----------------------------------------------------
async def test_options_names_every_method_of_the_path(client: AsyncTestClient) -> None:
    response = await client.options("/api/v1/me/calendar-token")
    assert response.status_code == 204
    assert response.headers["allow"] == "DELETE, OPTIONS, POST"
    response = await client.options("/api/v1/courses")
    assert response.headers["allow"] == "GET, OPTIONS, POST"


SLOTS = "/api/v1/tutors/7f1a3a3e-4b8e-4a2e-9c61-3f8f1f6f0a11/slots"


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"to": "2026-12-08T00:00:00Z", "duration": "60"}, "from", "required"),
        ({"from": "1700000000", "to": "2026-12-08T00:00:00Z", "duration": "60"}, "from", "number"),
        ({"from": "2026-12-07T00:00:00Z", "to": "-1.5e3", "duration": "60"}, "to", "number"),
        ({"from": "yesterday", "to": "2026-12-08T00:00:00Z", "duration": "60"}, "from", "RFC3339"),
    ],
)
async def test_bad_parameters_answer_400_naming_the_public_field(
    client: AsyncTestClient, query: dict[str, str], field: str, message: str
) -> None:
    response = await client.get(SLOTS, params=query)
    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] == "invalid-request"
    assert [error["field"] for error in problem["errors"]] == [field]
    assert message in problem["errors"][0]["message"]
    assert "from_" not in response.text


@given(
    timestamp=st.integers(min_value=-(10**12), max_value=10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
)
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
async def test_no_number_is_read_as_a_time(client: AsyncTestClient, timestamp: float) -> None:
    response = await client.get(
        "/api/v1/tutors",
        params={"available_from": str(timestamp), "available_to": "2026-12-08T00:00:00Z"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "available_from"


# ---- the truth check itself ----------------------------------------------------------------------
@get("/api/v1/_test/undeclared", operation_id="undeclared_refusal", summary="Refuses")
async def undeclared_refusal() -> None:
    raise PermissionDenied("no", code="two-factor-required")


@get("/api/v1/_test/mislabelled", operation_id="mislabelled", summary="Says JSON, sends text")
async def mislabelled() -> Response[str]:
    return Response("plain", media_type="text/plain")


async def test_the_truth_check_catches_an_undocumented_answer(
    tmp_path: Path, sqlite_url: str
) -> None:
    app = app_for(
        make_settings(tmp_path, sqlite_url),
        run_background=False,
        extra_handlers=[undeclared_refusal, mislabelled],
    )
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/api/v1/_test/undeclared")
        text = await client.get("/api/v1/_test/mislabelled")
        documented_answer = await client.get("/api/v1/_test/nothing-here")
    assert response.status_code == 403
    assert documented_answer.status_code == 404  # no route: no operation to hold it to
    found = contract.take_findings()  # taken: this test expects them
    assert text.status_code == 200
    assert found == [
        "GET /api/v1/_test/mislabelled answered 200 as text/plain, not documented for it",
        "GET /api/v1/_test/undeclared answered 403 'two-factor-required', "
        "a status its operation does not document",
    ]
