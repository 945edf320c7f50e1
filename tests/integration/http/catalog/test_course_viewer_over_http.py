"""What a course page tells the signed-in person reading it (`viewer`), over HTTP on SQLite and
PostgreSQL: enrolled or not, progress, whether they may edit it; anonymous answers, which are
cached and shared, carry none of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient
from tests.conftest import make_settings
from tests.support.apps import app_for
from tests.support.catalog import (
    COURSES,
    add_lesson,
    add_section,
    create_course,
    headers_of,
    move,
    seed_people,
)

from elearn.entrypoints.settings import Settings


async def viewer_of(client: Any, headers: dict[str, str], key: str) -> Any:
    response = await client.get(f"{COURSES}/{key}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["viewer"]


async def two_lesson_course(
    client: Any, tutor: dict[str, str], manager: dict[str, str]
) -> tuple[dict[str, Any], list[str]]:
    course = await create_course(client, tutor, title="Two lessons")
    section = await add_section(client, tutor, course["id"])
    lessons = [(await add_lesson(client, tutor, section["id"]))["id"] for _ in range(2)]
    for headers, action in ((tutor, "submit"), (manager, "approve"), (manager, "publish")):
        assert (await move(client, headers, course["id"], action)).status_code == 200
    return course, lessons


async def test_the_viewer_is_told_enrollment_progress_and_editing(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor, manager = await headers_of(client, "tutor"), await headers_of(client, "manager")
    student = await headers_of(client, "student")
    course, lessons = await two_lesson_course(client, tutor, manager)
    key = course["id"]

    assert await viewer_of(client, {}, key) is None
    outsider = {"enrolled": False, "progress": None, "can_edit": False}
    assert await viewer_of(client, student, key) == outsider
    assert await viewer_of(client, manager, key) == outsider
    assert await viewer_of(client, tutor, key) == {
        "enrolled": False,
        "progress": None,
        "can_edit": True,
    }

    response = await client.post(f"{COURSES}/{key}/enroll", headers=student)
    assert response.status_code == 201, response.text
    assert await viewer_of(client, student, course["slug"]) == {
        "enrolled": True,
        "progress": 0,
        "can_edit": False,
    }
    response = await client.put(
        f"/api/v1/lessons/{lessons[0]}/progress", json={"completed": True}, headers=student
    )
    assert response.status_code == 200, response.text
    assert (await viewer_of(client, student, key))["progress"] == 50

    assert (await move(client, tutor, key, "archive")).status_code == 200
    assert (await viewer_of(client, tutor, key))["can_edit"] is False
    assert (await viewer_of(client, student, key))["enrolled"] is True


async def test_a_cached_anonymous_page_never_carries_a_viewer(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, database_url, catalog_cache_seconds=300)
    await seed_people(settings)
    app = app_for(settings)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        tutor, manager = await headers_of(client, "tutor"), await headers_of(client, "manager")
        course, _lessons = await two_lesson_course(client, tutor, manager)
        for _ in range(2):
            assert await viewer_of(client, {}, course["id"]) is None
        assert (await viewer_of(client, tutor, course["id"]))["can_edit"] is True
        assert await viewer_of(client, {}, course["id"]) is None
