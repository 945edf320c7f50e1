from __future__ import annotations

from pathlib import Path

from tests.conftest import make_settings
from tests.support.apps import app_for


async def test_live_answers_ok(client) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_checks_the_database(client) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok"}}


async def test_ready_answers_503_naming_the_database_when_it_is_down(tmp_path: Path) -> None:
    from litestar.testing import AsyncTestClient

    # A port nothing listens on: the database is unreachable.
    settings = make_settings(tmp_path, "postgresql+asyncpg://postgres@127.0.0.1:9/test")
    app = app_for(settings, run_background=False)
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"].startswith("down")


async def test_ready_names_redis_when_it_is_configured_and_down(
    tmp_path: Path, sqlite_url: str
) -> None:
    from litestar.testing import AsyncTestClient

    settings = make_settings(tmp_path, sqlite_url, redis_url="redis://127.0.0.1:9/0")
    app = app_for(settings, run_background=False)
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "redis": "down: ConnectionError"}
