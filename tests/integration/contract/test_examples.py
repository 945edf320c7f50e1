"""Every example the OpenAPI document carries works, as a new front-end developer tries it in
`/docs`: each is valid against its own schema, and each request body example, sent to its
operation by the caller ``EXAMPLE_CALLERS`` names, answers a documented success status.

A developer puts in their own ids and times: the fields that name an object of the platform or a
moment (``_real_values``) are replaced by those of the seeded platform, as schemathesis does with
path parameters. The bodies go in the table's order, as one journey on one copy of the platform:
the person the registration example creates signs in with the login example. The platform's
front end is at ``https://shop.example``, where the checkout examples send the buyer back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import msgspec
from jsonschema import Draft202012Validator
from litestar.testing import AsyncTestClient
from tests.conftest import make_settings
from tests.integration.contract.conftest import SeededPlatform
from tests.support.apps import app_for
from tests.support.contract import document_of, documented_app

# operation id -> who sends its examples; the order is the journey's.
EXAMPLE_CALLERS = {
    "register_student": "anonymous",
    "login": "anonymous",
    "start_checkout": "student",
    "book_lesson": "student",
    "refund_payment": "admin",
}
FRONT_END = "https://shop.example"


def _examples(document: dict[str, Any]) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """(where, example, schema) for every example: those of a schema (a list beside it) and
    those of a media type (named Example objects beside its schema)."""

    def walk(node: Any, where: str) -> Iterator[tuple[str, Any, dict[str, Any]]]:
        if isinstance(node, dict):
            examples = node.get("examples")
            if isinstance(examples, list):
                for example in examples:
                    yield where, example, node
            elif isinstance(examples, dict) and isinstance(node.get("schema"), dict):
                for name, example in examples.items():
                    yield f"{where}/examples/{name}", example["value"], node["schema"]
            for key, value in node.items():
                if key != "examples":
                    yield from walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(value, f"{where}/{index}")

    yield from walk(document, "#")


def _body_examples(document: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operation id -> (method, path, the operation) of every operation with body examples."""
    found = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if any("examples" in media_type for media_type in content.values()):
                found[operation["operationId"]] = (method, path, operation)
    return found


def test_every_example_matches_its_schema() -> None:
    document = document_of(documented_app())
    components = document["components"]
    wrong = []
    count = 0
    for where, example, schema in _examples(document):
        count += 1
        validator = Draft202012Validator({**schema, "components": components})
        wrong += [f"{where}: {error.message}" for error in validator.iter_errors(example)]
    assert count > 0
    assert wrong == []


def test_every_body_example_has_its_caller() -> None:
    """A new example needs a row in EXAMPLE_CALLERS, so that the journey sends it."""
    documented = sorted(_body_examples(document_of(documented_app())))
    assert documented != []
    assert documented == sorted(EXAMPLE_CALLERS)


def _real_values(values: dict[str, str]) -> dict[str, str]:
    """What a developer would put in for the ids and times of an example: a tutor who teaches,
    a priced course on sale, and a free hour of that tutor (09:00 UTC, 5 days ahead)."""
    day = datetime.now(UTC).date() + timedelta(days=5)
    return {
        "tutor_id": values["tutor_id"],
        "course_id": values["paid_course_key"],
        "starts_at": datetime.combine(day, time(9), tzinfo=UTC).isoformat(),
    }


def _with_real_values(value: Any, real: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {
            key: real[key] if key in real else _with_real_values(item, real)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_with_real_values(item, real) for item in value]
    return value


async def test_every_body_example_succeeds_when_sent_as_documented(
    seeded_platform: SeededPlatform,
) -> None:
    world = seeded_platform.world
    var_dir, database_url = seeded_platform.copy("examples")
    settings = msgspec.structs.replace(make_settings(var_dir, database_url), frontend_url=FRONT_END)
    app = app_for(settings, run_background=False)
    operations = _body_examples(document_of(app))
    real = _real_values(world.path_values)
    sent: list[str] = []
    failed: list[str] = []
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        for operation_id, caller in EXAMPLE_CALLERS.items():
            method, path, operation = operations[operation_id]
            url = path.format(**world.path_values)
            headers = {} if caller == "anonymous" else world.bearer(caller)
            (media_type,) = operation["requestBody"]["content"].values()
            successes = {status for status in operation["responses"] if status.startswith("2")}
            for name, example in media_type["examples"].items():
                body = _with_real_values(example["value"], real)
                response = await client.request(method, url, json=body, headers=headers)
                sent.append(f"{operation_id} {name}")
                if str(response.status_code) not in successes:
                    failed.append(
                        f"{operation_id} {name}: {response.status_code}, not one of "
                        f"{sorted(successes)}: {response.text[:300]}"
                    )
    assert failed == []
    assert len(sent) >= len(EXAMPLE_CALLERS)
