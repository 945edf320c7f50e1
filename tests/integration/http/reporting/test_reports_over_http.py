"""Staff reports over HTTP, on SQLite and PostgreSQL: the contract of the routes (202 and the
body's names, the app's own worker building the file, the signed download with its real media
type) and every refusal as a documented problem. The rules themselves are tested on the use
cases (tests/integration/usecases/test_reporting_use_cases.py)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.identity import bearer, login, problem, seed_accounts

from elearn.domain.identity.roles import Role
from elearn.entrypoints.settings import Settings

REPORTS = "/api/v1/admin/reports"


def _body(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "kind": "users",
        "format": "csv",
        "from": (now - timedelta(days=1)).isoformat(),
        "to": (now + timedelta(hours=1)).isoformat(),
        **changes,
    }


async def _ready(client: Any, headers: dict[str, str], report_id: str) -> dict[str, Any]:
    """The report once the app's in-process worker has written it."""
    for _ in range(400):
        response = await client.get(f"{REPORTS}/{report_id}", headers=headers)
        assert response.status_code == 200, response.text
        if response.json()["status"] in ("ready", "failed"):
            return response.json()  # type: ignore[no-any-return]
        await asyncio.sleep(0.05)
    raise AssertionError("the report was never built")


async def test_staff_export_a_report_and_download_it(client: Any, settings: Settings) -> None:
    await seed_accounts(
        settings,
        ("admin@reports.test", Role.ADMIN),
        ("manager@reports.test", Role.MANAGER),
        ("student@reports.test", Role.STUDENT),
    )
    admin = bearer(await login(client, "admin@reports.test"))
    manager = bearer(await login(client, "manager@reports.test"))

    asked = await client.post(REPORTS, json=_body(filters={"role": "student"}), headers=admin)
    assert asked.status_code == 202, asked.text
    queued = asked.json()
    assert (queued["kind"], queued["format"], queued["download_url"]) == ("users", "csv", None)
    assert queued["from"] and queued["to"] and queued["filters"] == {"role": "student"}
    report = await _ready(client, admin, queued["id"])
    assert (report["status"], report["progress"], report["row_count"]) == ("ready", 100, 1)

    download = await client.get(report["download_url"], headers=admin)
    assert download.status_code == 200, download.text
    assert download.headers["content-type"].startswith("text/csv")
    assert download.headers["content-disposition"].startswith("attachment;")
    lines = download.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("user_id,created_at,email") and "student@reports.test" in lines[1]
    # Signed for the admin: the manager holding it is refused.
    problem(await client.get(report["download_url"], headers=manager), 403, "report-link-invalid")

    listed = (await client.get(REPORTS, params={"mine": "true"}, headers=admin)).json()
    assert [item["id"] for item in listed["items"]] == [queued["id"]]
    assert listed["next_cursor"] is None


async def test_bad_reports_are_refused_with_their_problem(client: Any, settings: Settings) -> None:
    await seed_accounts(
        settings, ("admin@reports.test", Role.ADMIN), ("manager@reports.test", Role.MANAGER)
    )
    admin = bearer(await login(client, "admin@reports.test"))
    manager = bearer(await login(client, "manager@reports.test"))
    now = datetime.now(UTC)
    for body, code in [
        (_body(to=(now - timedelta(days=2)).isoformat()), "invalid-report-period"),
        (_body(**{"from": (now - timedelta(days=400)).isoformat()}), "invalid-report-period"),
        (_body(filters={"colour": "red"}), "invalid-staff-report"),
        (_body(filters={"role": "emperor"}), "invalid-staff-report"),
    ]:
        problem(await client.post(REPORTS, json=body, headers=admin), 422, code)
    problem(await client.post(REPORTS, json=_body(kind="everything"), headers=admin), 400)
    problem(await client.post(REPORTS, json=_body(kind="payments"), headers=manager), 403)
    problem(await client.get(f"{REPORTS}/{uuid.uuid4()}", headers=admin), 404)
    problem(
        await client.get(
            f"{REPORTS}/{uuid.uuid4()}/file",
            params={"expires": "1", "signature": "forged"},
            headers=admin,
        ),
        403,
        "report-link-invalid",
    )


async def test_the_same_report_asked_twice_at_once_answers_see_other_for_the_second(
    client: Any, settings: Settings
) -> None:
    """A double click: one 202 queues the report, the other is 303 See Other naming it (and
    carrying it), both with `Location`; only one report exists."""
    await seed_accounts(settings, ("admin@reports.test", Role.ADMIN))
    admin = bearer(await login(client, "admin@reports.test"))
    body = _body(filters={"role": "admin"})
    answers = await asyncio.gather(
        *(client.post(REPORTS, json=body, headers=admin, follow_redirects=False) for _ in "ab")
    )
    assert sorted(a.status_code for a in answers) == [202, 303], [a.text for a in answers]
    ids = {a.json()["id"] for a in answers}
    assert len(ids) == 1
    assert {a.headers["location"] for a in answers} == {f"{REPORTS}/{ids.pop()}"}
    listed = (await client.get(REPORTS, params={"mine": "true"}, headers=admin)).json()
    assert len(listed["items"]) == 1
