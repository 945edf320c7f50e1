"""An unknown email and a wrong password are indistinguishable: same status, same body, and
about the same time (the unknown email still pays for a password verification)."""

from __future__ import annotations

import statistics
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from tests.conftest import make_settings
from tests.support.apps import app_for
from tests.support.identity import register_student

TRIES = 200


@pytest.fixture
async def unlimited_client(tmp_path: Path, database_url: str) -> AsyncIterator[Any]:
    settings = make_settings(
        tmp_path, database_url, login_attempts_per_ip=10**6, login_attempts_per_account=10**6
    )
    async with AsyncTestClient(app=app_for(settings)) as client:
        yield client


async def test_unknown_email_costs_the_same_as_a_wrong_password(unlimited_client: Any) -> None:
    client = unlimited_client
    await register_student(client, "timing@example.com")
    attempts = {
        "wrong password": {"email": "timing@example.com", "password": "not the right one"},
        "unknown email": {"email": "nobody.here@example.com", "password": "not the right one"},
    }
    durations: dict[str, list[float]] = {name: [] for name in attempts}
    bodies: dict[str, set[str]] = {name: set() for name in attempts}
    for _ in range(TRIES):  # interleaved, so drift in the machine's load hits both alike
        for name, body in attempts.items():
            started = time.perf_counter()
            response = await client.post("/api/v1/auth/login", json=body)
            durations[name].append(time.perf_counter() - started)
            assert response.status_code == 401
            problem = response.json()
            problem.pop("request_id")
            bodies[name].add(repr(sorted(problem.items())))
    assert bodies["wrong password"] == bodies["unknown email"]
    assert len(bodies["unknown email"]) == 1
    medians = {name: statistics.median(values) for name, values in durations.items()}
    gap_ms = abs(medians["wrong password"] - medians["unknown email"]) * 1000
    shown = {name: round(value * 1000, 2) for name, value in medians.items()}
    print(f"login medians (ms): {shown}, gap {gap_ms:.2f} ms")
    assert gap_ms < 10, f"medians differ by {gap_ms:.1f} ms: {medians}"
