"""With the catalog cache on, a change made through this API process shows at once, while a
change this process did not make shows only once the cache's TTL has passed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from tests.conftest import make_settings
from tests.support.apps import app_for
from tests.support.catalog import (
    COURSES,
    create_course,
    headers_of,
    move,
    published_course,
    seed_people,
)

from elearn.adapters.persistence.database import create_engine


async def titles(client: Any, headers: dict[str, str]) -> list[str]:
    response = await client.get(COURSES, headers=headers)
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


async def test_the_cache_serves_pages_and_forgets_them_on_this_process_changes(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, database_url, catalog_cache_seconds=300)
    await seed_people(settings)
    app = app_for(settings)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        tutor, manager = await headers_of(client, "tutor"), await headers_of(client, "manager")
        # Signed in: what is cached is the data behind the answers, not the answers.
        student = await headers_of(client, "student")
        course = await published_course(client, tutor, manager, title="First Light")
        assert await titles(client, student) == ["First Light"]
        slug = course["slug"]
        detail = await client.get(f"{COURSES}/{slug}", headers=student)
        assert detail.json()["title"] == "First Light"

        # A change the process did not make (another API process, say) is not seen yet...
        # (On the test's own loop: the app runs on another.)
        engine = create_engine(database_url, pool_size=1)
        try:
            async with engine.begin() as connection:
                await connection.execute(sa.text("UPDATE courses SET title = 'Elsewhere'"))
        finally:
            await engine.dispose()
        assert await titles(client, student) == ["First Light"]
        detail = await client.get(f"{COURSES}/{slug}", headers=student)
        assert detail.json()["title"] == "First Light"

        # ...while one made through this process clears the cache at once.
        await create_course(client, tutor, title="Second")
        assert await titles(client, student) == ["Elsewhere"]
        response = await client.patch(
            f"{COURSES}/{course['id']}", json={"subtitle": "now"}, headers=tutor
        )
        assert response.status_code == 200
        # A published course's change goes live when staff approve it.
        for headers, action in ((tutor, "revision/submit"), (manager, "revision/approve")):
            assert (await move(client, headers, course["id"], action)).status_code == 200
        detail = await client.get(f"{COURSES}/{slug}", headers=student)
        assert detail.json()["subtitle"] == "now"


async def test_anonymous_answers_are_replayed_but_signed_in_ones_never_are(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, database_url, catalog_cache_seconds=300)
    await seed_people(settings)
    app = app_for(settings)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        tutor, manager = await headers_of(client, "tutor"), await headers_of(client, "manager")
        course = await published_course(client, tutor, manager, title="Cached")
        first = await client.get(f"{COURSES}/{course['slug']}")
        # The tutor's change clears the data cache; the anonymous response stays replayed.
        response = await client.patch(
            f"{COURSES}/{course['id']}", json={"subtitle": "changed"}, headers=tutor
        )
        assert response.status_code == 200
        for headers, action in ((tutor, "revision/submit"), (manager, "revision/approve")):
            assert (await move(client, headers, course["id"], action)).status_code == 200
        again = await client.get(f"{COURSES}/{course['slug']}")
        assert again.json() == first.json()
        assert again.headers["x-request-id"] != first.headers["x-request-id"]
        signed_in = await client.get(f"{COURSES}/{course['slug']}", headers=tutor)
        assert signed_in.json()["subtitle"] == "changed"
        # An instructor's view (lesson content, history) never reaches anonymous visitors.
        assert first.json()["history"] is None
        assert (await client.get(f"{COURSES}/{course['slug']}")).json()["history"] is None


def cached_routes(app: Any) -> list[str]:
    return sorted(
        f"{handler.http_methods} {route.path}"
        for route in app.routes
        for handler in getattr(route, "route_handlers", ())
        if handler.cache
    )


def test_only_an_app_with_the_cache_on_consults_the_response_cache(tmp_path: Path) -> None:
    """Off, no route builds a cache key or looks one up on each request, to store nothing."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'never-opened.db'}"  # the apps never start
    off = app_for(make_settings(tmp_path, database_url, catalog_cache_seconds=0))
    on = app_for(make_settings(tmp_path, database_url, catalog_cache_seconds=300))

    assert cached_routes(off) == []
    assert "{'GET'} /api/v1/courses" in cached_routes(on)
