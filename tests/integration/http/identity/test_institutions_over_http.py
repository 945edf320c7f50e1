"""Institutions over HTTP, on SQLite and PostgreSQL: staff keep the list, anyone signed in
searches it (accents and case ignored the same way on both databases), students and tutors pick
theirs, and an instructor sees their students' institutions only in groups of five or more."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.catalog import headers_of, published_course, seed_people
from tests.support.identity import bearer, login, problem, seed_accounts

from elearn.domain.identity.roles import Role
from elearn.entrypoints.settings import Settings

ADMIN_LIST = "/api/v1/admin/institutions"
SEARCH = "/api/v1/institutions"
ME = "/api/v1/me"
MIX = "/api/v1/analytics/instructor/institutions"

TUM = {"name": "Technische Universität München", "country": "DE", "domains": ["tum.de"]}
LMU = {"name": "Ludwig-Maximilians-Universität München", "country": "DE", "domains": ["lmu.de"]}
ETH = {"name": "ETH Zürich", "country": "CH", "domains": ["ethz.ch"]}
OXFORD = {"name": "University of Oxford", "country": "GB", "domains": ["ox.ac.uk"]}


async def _add(client: Any, staff: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(ADMIN_LIST, json=body, headers=staff)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def _names(client: Any, headers: dict[str, str], **params: Any) -> list[str]:
    response = await client.get(SEARCH, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


async def test_staff_keep_the_list_and_nobody_else_does(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    manager = await headers_of(client, "manager")
    student = await headers_of(client, "student")

    created = await _add(client, manager, {**TUM, "country": "de", "domains": ["TUM.de"]})
    assert (created["country"], created["domains"], created["active"]) == ("DE", ["tum.de"], True)

    for headers, status in ((student, 403), ({}, 401)):
        problem(await client.post(ADMIN_LIST, json=ETH, headers=headers), status)
        problem(await client.get(ADMIN_LIST, headers=headers), status)
        change = await client.patch(
            f"{ADMIN_LIST}/{created['id']}", json={"active": False}, headers=headers
        )
        problem(change, status)
    problem(await client.get(SEARCH), 401)

    # Shape (400) and meaning (422), and a domain that is someone else's (409).
    for body in (
        {**ETH, "website": "x"},
        {**ETH, "country": "CHE"},
        {**ETH, "domains": []},
        {"name": "", "country": "CH", "domains": ["ethz.ch"]},
    ):
        problem(await client.post(ADMIN_LIST, json=body, headers=manager), 400)
    wrong = problem(
        await client.post(
            ADMIN_LIST, json={**ETH, "country": "QQ", "domains": ["@ethz.ch"]}, headers=manager
        ),
        422,
        "invalid-input",
    )
    assert {error["field"] for error in wrong["errors"]} == {"country", "domains[0]"}
    problem(
        await client.post(ADMIN_LIST, json={**ETH, "domains": ["tum.de"]}, headers=manager),
        409,
        "institution-domain-taken",
    )
    problem(
        await client.patch(f"{ADMIN_LIST}/{uuid.uuid4()}", json={"name": "X"}, headers=manager),
        404,
        "institution-not-found",
    )

    retired = await client.patch(
        f"{ADMIN_LIST}/{created['id']}",
        json={"active": False, "domains": ["tum.de", "mytum.de"]},
        headers=manager,
    )
    assert retired.status_code == 200, retired.text
    assert retired.json()["active"] is False and retired.json()["retired_at"] is not None
    assert retired.json()["domains"] == ["tum.de", "mytum.de"]
    listed = await client.get(ADMIN_LIST, params={"active": "false"}, headers=manager)
    assert [item["id"] for item in listed.json()["items"]] == [created["id"]]
    assert await _names(client, student, q="München") == []  # retired: not offered


async def test_searching_ignores_accents_and_case_and_finds_domains(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    manager = await headers_of(client, "manager")
    student = await headers_of(client, "student")
    for body in (TUM, LMU, ETH, OXFORD):
        await _add(client, manager, body)

    assert await _names(client, student, q="munchen") == [LMU["name"], TUM["name"]]
    assert await _names(client, student, q="MÜNCHEN technische") == [TUM["name"]]
    assert await _names(client, student, q="zurich") == ["ETH Zürich"]
    # A name starting with the query comes before one only holding it.
    assert await _names(client, student, q="tech") == [TUM["name"]]
    assert await _names(client, student, q="u") == [
        "University of Oxford",
        "ETH Zürich",
        LMU["name"],
        TUM["name"],
    ]
    assert await _names(client, student, q="ox.ac.uk") == ["University of Oxford"]
    assert await _names(client, student, email_domain="cs.ox.ac.uk") == ["University of Oxford"]
    assert await _names(client, student, email_domain="gmail.com") == []
    assert await _names(client, student, country="ch") == ["ETH Zürich"]
    assert await _names(client, student, q="100%_") == []
    assert len(await _names(client, student, q="\u0301")) == 4  # folds to nothing: no filter
    problem(await client.get(SEARCH, params={"country": "CHE"}, headers=student), 400)
    assert await _names(client, student, email_domain="a@b") == []


async def test_pages_walk_the_whole_search_and_a_cursor_belongs_to_its_search(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    manager = await headers_of(client, "manager")
    student = await headers_of(client, "student")
    for body in (TUM, LMU, ETH, OXFORD):
        await _add(client, manager, body)

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"q": "u", "limit": 1}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(SEARCH, params=params, headers=student)).json()
        seen += [item["name"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == await _names(client, student, q="u")

    first = (await client.get(SEARCH, params={"limit": 1}, headers=student)).json()
    other = await client.get(
        SEARCH, params={"q": "u", "cursor": first["next_cursor"]}, headers=student
    )
    problem(other, 400, "invalid-parameter")
    problem(await client.get(SEARCH, params={"cursor": "not-ours"}, headers=student), 400)


async def test_students_and_tutors_pick_their_institution(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    manager = await headers_of(client, "manager")
    student = await headers_of(client, "student")
    tutor = await headers_of(client, "tutor")
    tum = await _add(client, manager, TUM)
    eth = await _add(client, manager, ETH)

    picked = await client.patch(
        ME, json={"student": {"institution_id": tum["id"]}}, headers=student
    )
    assert picked.status_code == 200, picked.text
    profile = picked.json()["student_profile"]
    assert profile["institution"] == {
        "id": tum["id"],
        "name": TUM["name"],
        "country": "DE",
        "active": True,
    }
    assert profile["unverified_institution"] is None

    # Unknown or retired: 422 naming the field, nothing changed.
    await client.patch(f"{ADMIN_LIST}/{eth['id']}", json={"active": False}, headers=manager)
    for choice in (str(uuid.uuid4()), eth["id"]):
        refused = await client.patch(
            ME, json={"student": {"institution_id": choice, "bio": "changed"}}, headers=student
        )
        body = problem(refused, 422, "invalid-input")
        assert [error["field"] for error in body["errors"]] == ["student.institution_id"]
    after = (await client.get(ME, headers=student)).json()["student_profile"]
    assert after["institution"]["id"] == tum["id"] and after["bio"] == ""
    # Typing a name is no longer how it is done.
    problem(await client.patch(ME, json={"student": {"institution": "TUM"}}, headers=student), 400)

    cleared = await client.patch(ME, json={"student": {"institution_id": None}}, headers=student)
    assert cleared.json()["student_profile"]["institution"] is None

    tutor_pick = await client.patch(
        ME, json={"tutor": {"institution_id": tum["id"]}}, headers=tutor
    )
    assert tutor_pick.status_code == 200, tutor_pick.text
    assert tutor_pick.json()["tutor_profile"]["institution"]["name"] == TUM["name"]


async def test_an_instructor_sees_institutions_of_five_students_or_more(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    manager = await headers_of(client, "manager")
    tutor = await headers_of(client, "tutor")
    course = await published_course(client, tutor, manager)
    tum = await _add(client, manager, TUM)
    eth = await _add(client, manager, ETH)
    learners = [f"learner{n}@catalog.test" for n in range(10)]
    await seed_accounts(settings, *((address, Role.STUDENT) for address in learners))
    # Five at TUM, four at ETH, one who names none.
    for address, institution in zip(learners, [tum] * 5 + [eth] * 4 + [None], strict=True):
        headers = bearer(await login(client, address))
        if institution is not None:
            change = {"student": {"institution_id": institution["id"]}}
            assert (await client.patch(ME, json=change, headers=headers)).status_code == 200
        enrolled = await client.post(f"/api/v1/courses/{course['id']}/enroll", headers=headers)
        assert enrolled.status_code in (200, 201), enrolled.text

    answer = await client.get(MIX, headers=tutor)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [(i["name"], i["students"]) for i in body["institutions"]] == [(TUM["name"], 5)]
    assert (body["other"], body["not_stated"], body["students"]) == (4, 1, 10)
    assert body["min_group_size"] == 5
    assert "ETH" not in answer.text

    one_course = await client.get(MIX, params={"course_id": course["id"]}, headers=tutor)
    assert one_course.json()["institutions"] == body["institutions"]
    student = await headers_of(client, "student")
    problem(await client.get(MIX, params={"course_id": course["id"]}, headers=student), 404)
    problem(await client.get(MIX), 401)
