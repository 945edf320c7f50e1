"""A front end's view of the contract: TypeScript types generated from the OpenAPI document by
openapi-typescript (``clients/typescript``) must accept the answers the server really gives
along a user's journey. Each recorded answer becomes a typed constant in a TypeScript file, so
``tsc --strict`` fails on a missing or mistyped field, on a field the document does not name
(excess property checks), and on a status or media type the operation does not document.

Needs Node.js and npm (Debian's ``nodejs`` and ``npm`` packages); skipped with a message without
them. The npm packages install from ``clients/typescript/package-lock.json`` on first run."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from tests.conftest import make_settings
from tests.integration.contract.conftest import SeededPlatform
from tests.support.apps import app_for

CLIENT_DIR = Path(__file__).resolve().parents[3] / "clients" / "typescript"


@dataclass(frozen=True)
class Step:
    caller: str
    method: str
    path: str
    status: int
    json: Any = None
    query: dict[str, str] | None = None
    # Path parameters given literally instead of taken from the seeded platform.
    given: dict[str, str] | None = None


def _day(days: int, hour: int) -> str:
    day = datetime.now(UTC).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC).isoformat()


ANSWERS = {"answers": {"q1": True}}
# A visitor browses, a student learns and pays, a tutor teaches and grades, an admin oversees.
JOURNEY = (
    Step("anonymous", "GET", "/api/v1/courses", 200),
    Step("anonymous", "GET", "/api/v1/courses/{course_key}", 200),
    Step("anonymous", "GET", "/api/v1/courses/{course_key}/reviews", 200),
    Step("anonymous", "GET", "/api/v1/categories", 200),
    Step("anonymous", "GET", "/api/v1/tags", 200),
    Step("anonymous", "GET", "/api/v1/tutors", 200),
    Step("anonymous", "GET", "/api/v1/tutors/{tutor_id}", 200),
    Step(
        "anonymous",
        "GET",
        "/api/v1/tutors/{tutor_id}/slots",
        200,
        query={"from": _day(2, 0), "to": _day(4, 0), "duration": "60"},
    ),
    Step("anonymous", "GET", "/api/v1/tutors/{tutor_id}/testimonials", 200),
    Step("anonymous", "GET", "/api/v1/courses/{course_key}", 404, given={"course_key": "nope"}),
    Step("anonymous", "GET", "/api/v1/me", 401),
    Step("student", "GET", "/api/v1/me", 200),
    Step("student", "GET", "/api/v1/me/enrollments", 200),
    Step("student", "GET", "/api/v1/lessons/{lesson_id}", 200),
    Step("student", "PUT", "/api/v1/lessons/{lesson_id}/progress", 200, json={"completed": True}),
    Step("student", "GET", "/api/v1/attempts/{attempt_id}", 200),
    Step(
        "student",
        "POST",
        "/api/v1/attempts/{attempt_id}/submit",
        200,
        json={"answers": {"q1": True}},
    ),
    Step("student", "GET", "/api/v1/me/streak", 200),
    Step("student", "GET", "/api/v1/institutions", 200, query={"q": "sao paulo"}),
    Step("student", "GET", "/api/v1/me/certificates", 200),
    Step("student", "GET", "/api/v1/me/orders", 200),
    Step("student", "GET", "/api/v1/me/orders/{order_id}", 200),
    Step("student", "GET", "/api/v1/me/wallet", 200),
    Step("student", "GET", "/api/v1/me/wallet/transactions", 200),
    Step("student", "GET", "/api/v1/me/bookings", 200),
    Step("student", "GET", "/api/v1/bookings/{booking_id}", 200),
    Step("student", "POST", "/api/v1/courses/{course_key}/reviews", 409, json={"rating": 4}),
    Step("tutor", "GET", "/api/v1/me", 200),
    Step("tutor", "GET", "/api/v1/me/courses", 200),
    Step("tutor", "GET", "/api/v1/courses/{course_key}/students", 200),
    Step("tutor", "GET", "/api/v1/me/availability", 200),
    Step("tutor", "GET", "/api/v1/me/earnings", 200),
    Step("tutor", "GET", "/api/v1/analytics/instructor/institutions", 200),
    Step("tutor", "GET", "/api/v1/me/withdrawals", 200),
    Step("tutor", "POST", "/api/v1/submissions/{submission_id}/grade", 200, json={"points": 80}),
    Step("admin", "GET", "/api/v1/admin/users", 200),
    Step("admin", "GET", "/api/v1/admin/institutions", 200, query={"active": "true"}),
    Step("admin", "GET", "/api/v1/admin/tutor-applications", 200),
    Step("admin", "GET", "/api/v1/admin/audit-log", 200),
    Step("admin", "GET", "/api/v1/admin/orders", 200),
    Step("admin", "GET", "/api/v1/admin/payments", 200),
    Step("admin", "GET", "/api/v1/admin/refunds", 200),
    Step("admin", "GET", "/api/v1/admin/withdrawals", 200),
    Step("admin", "GET", "/api/v1/admin/ledger/trial-balance", 200),
)
# Path templates whose parameter is named differently from the seeded object it takes.
USE = {
    ("/api/v1/lessons/{lesson_id}/submissions", "lesson_id"): "assignment_lesson_id",
}


def _tools() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip(
            "the TypeScript client check needs Node.js and npm (apt install nodejs npm); "
            "the rest of the contract is checked without them"
        )
    return node, npm


def _install(npm: str) -> Path:
    bin_dir = CLIENT_DIR / "node_modules" / ".bin"
    if not (bin_dir / "tsc").exists() or not (bin_dir / "openapi-typescript").exists():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=CLIENT_DIR,
            check=True,
            timeout=300,
        )
    return bin_dir


async def _record(seeded_platform: SeededPlatform) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    world = seeded_platform.world
    values = world.path_values
    var_dir, database_url = seeded_platform.copy("typescript-journey")
    settings = make_settings(var_dir, database_url)
    recorded = []
    async with AsyncTestClient(
        app=app_for(settings, run_background=False), base_url="http://testserver.local"
    ) as client:
        document = (await client.get("/schema/openapi.json")).json()
        for step in JOURNEY:
            url = step.path.format(
                **{
                    name: values[USE.get((step.path, name), name)]
                    for name in _parameters(step.path)
                }
                | (step.given or {})
            )
            headers = {} if step.caller == "anonymous" else world.bearer(step.caller)
            response = await client.request(
                step.method, url, headers=headers, json=step.json, params=step.query
            )
            assert response.status_code == step.status, (step, response.text)
            recorded.append(
                {
                    "path": step.path,
                    "method": step.method.lower(),
                    "status": response.status_code,
                    "media_type": response.headers["content-type"].split(";")[0],
                    "body": response.json(),
                }
            )
    return document, recorded


def _parameters(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def _typescript(recorded: list[dict[str, Any]]) -> str:
    lines = ['import type { paths } from "./api";', ""]
    for number, answer in enumerate(recorded):
        target = (
            f"paths[{json.dumps(answer['path'])}][{json.dumps(answer['method'])}]"
            f'["responses"][{answer["status"]}]["content"][{json.dumps(answer["media_type"])}]'
        )
        lines.append(
            f"// {answer['method'].upper()} {answer['path']} -> {answer['status']}\n"
            f"export const answer{number}: {target} = {json.dumps(answer['body'], indent=2)};"
        )
    return "\n".join(lines) + "\n"


def test_a_generated_typescript_client_accepts_the_answers_of_a_user_journey(
    seeded_platform: SeededPlatform, tmp_path: Path
) -> None:
    node, npm = _tools()
    bin_dir = _install(npm)
    document, recorded = asyncio.run(_record(seeded_platform))
    (tmp_path / "openapi.json").write_text(json.dumps(document))
    generated = subprocess.run(
        [node, bin_dir / "openapi-typescript", "openapi.json", "--output", "api.d.ts"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert generated.returncode == 0, generated.stderr
    (tmp_path / "journey.ts").write_text(_typescript(recorded))
    checked = subprocess.run(
        [
            node,
            bin_dir / "tsc",
            "--noEmit",
            "--strict",
            "--target",
            "es2022",
            "--module",
            "es2022",
            "--moduleResolution",
            "bundler",
            "journey.ts",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
