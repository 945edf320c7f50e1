"""Learning reads the catalog by narrow queries, not by loading the course aggregate: opening a
lesson and redeeming its media token take one statement besides authentication, recording
progress a few, and the same number for a course of 5 lessons as for one of 25 (on SQLite and
PostgreSQL)."""

from __future__ import annotations

from typing import Any

from tests.integration.http.learning.helpers import LESSONS, enroll, learning_course
from tests.support.apps import app_for
from tests.support.catalog import add_lesson, headers_of, seed_people
from tests.support.statements import Statements

from elearn.entrypoints.settings import Settings

# What each request reads and writes, counted (on asyncpg the driver's own statements too): the
# actor's account (authentication) and one statement for the lesson in its course with the
# student's enrollment and progress; recording progress reads the lesson in its course with the
# course's plan (outline, required quizzes, time zone) in one statement, then in its transaction
# locks the enrollment and, holding that lock, reads the student's progress rows, passed quizzes
# and last activity (and whether today is marked a learning day already) in one statement and
# writes the enrollment and the lesson's progress; the first report of a day marks the day too.
MOST_STATEMENTS = {"open a text lesson": 2, "open a video lesson": 2, "redeem media": 2}
MOST_STATEMENTS_TO_RECORD_PROGRESS = 5


async def test_opening_a_lesson_reads_the_catalog_by_one_query_whatever_the_outline(
    settings: Settings,
) -> None:
    from litestar.testing import AsyncTestClient

    # No outbox relay nor scheduler: every statement seen is the request's own.
    app = app_for(settings, run_background=False)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        await seed_people(settings)
        tutor = await headers_of(client, "tutor")
        manager = await headers_of(client, "manager")
        student = await headers_of(client, "student")
        course = await learning_course(client, tutor, manager, title="Counted Statements")
        await enroll(client, student, course.id)
        section_id = course.course["sections"][0]["id"]

        statements = Statements(client.app.state.container.engine)

        async def count(method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
            (await statements.settled()).clear()
            response = await client.request(method, url, headers=student, **kwargs)
            assert response.status_code == 200, response.text
            return len(await statements.settled()), response

        async def counts() -> dict[str, int]:
            found: dict[str, int] = {}
            found["open a text lesson"], _ = await count("GET", f"{LESSONS}/{course.text['id']}")
            found["open a video lesson"], video = await count(
                "GET", f"{LESSONS}/{course.video['id']}"
            )
            media_url = video.json()["media"]["url"]
            found["redeem media"], _ = await count("GET", media_url)
            found["record progress"], _ = await count(
                "PUT", f"{LESSONS}/{course.text['id']}/progress", json={"completed": True}
            )
            return found

        with statements:
            await count("GET", f"{LESSONS}/{course.text['id']}")  # warm up the connection
            first_of_the_day, _ = await count(
                "PUT", f"{LESSONS}/{course.video['id']}/progress", json={"position_seconds": 1}
            )
            small = await counts()
        for n in range(20):
            await add_lesson(client, tutor, section_id, title=f"Extra {n}")
        with statements:
            big = await counts()

    print(f"statements per request, 5 lessons: {small}; 25 lessons: {big}")
    assert small == big
    for name, most in MOST_STATEMENTS.items():
        assert small[name] <= most, (name, small)
    assert small["record progress"] <= MOST_STATEMENTS_TO_RECORD_PROGRESS, small
    assert first_of_the_day <= MOST_STATEMENTS_TO_RECORD_PROGRESS + 1
