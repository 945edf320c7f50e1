"""The `elearn` command as an operator runs it, on the embedded default."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ELEARN = str(Path(sys.executable).parent / "elearn")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ELEARN_")}
    return {**clean, "ELEARN_VAR_DIR": str(tmp_path / "var"), "ELEARN_LOG_FORMAT": "console"}


def elearn(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ELEARN, *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_migrate_then_seed_demo_is_idempotent(env: dict[str, str], tmp_path: Path) -> None:
    assert elearn(env, "migrate").returncode == 0
    assert (tmp_path / "var" / "elearn.db").is_file()
    first = elearn(env, "seed-demo")
    assert first.returncode == 0, first.stderr
    assert "demo admin: admin@demo.elearn.test / " in first.stdout
    second = elearn(env, "seed-demo")
    assert second.returncode == 0
    assert second.stdout.count("already exists") == 4


def test_create_admin_refuses_a_taken_email_and_a_weak_password(env: dict[str, str]) -> None:
    elearn(env, "migrate")
    args = (
        "create-admin",
        "--email",
        "Root@Example.com",
        "--full-name",
        "Root",
        "--password-stdin",
    )
    created = elearn(env, *args, stdin="a long enough password\n")
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith("created admin Root@Example.com")

    again = elearn(env, "create-admin", "--email", "root@example.com", "--full-name", "R",
                   "--password-stdin", stdin="a long enough password\n")  # fmt: skip
    assert again.returncode == 1
    assert "already has an account" in again.stderr

    weak = elearn(env, "create-admin", "--email", "b@example.com", "--full-name", "B",
                  "--password-stdin", stdin="short\n")  # fmt: skip
    assert weak.returncode == 1
    assert "password" in weak.stderr
    assert "Traceback" not in weak.stderr + again.stderr


def test_dead_jobs_listing_on_an_empty_database(env: dict[str, str]) -> None:
    elearn(env, "migrate")
    listed = elearn(env, "jobs", "dead")
    assert listed.returncode == 0
    assert listed.stdout.strip() == "no dead jobs"
    unknown = elearn(env, "jobs", "retry", "00000000-0000-0000-0000-000000000001")
    assert unknown.returncode == 1


@pytest.mark.parametrize("command", ["worker", "scheduler"])
def test_worker_and_scheduler_explain_they_need_redis(env: dict[str, str], command: str) -> None:
    result = elearn(env, command)
    assert result.returncode == 2
    assert "ELEARN_REDIS_URL" in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_migrates_seeds_and_answers_ready_with_docs(
    env: dict[str, str], tmp_path: Path
) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [ELEARN, "serve", "--demo", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/health/ready", timeout=2
                ) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert server.poll() is None, "the server exited"
                assert time.monotonic() < deadline, "not ready within 60 s"
                time.sleep(0.1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/docs", timeout=5) as docs:
            assert docs.status == 200
            assert "text/html" in docs.headers["content-type"]
        # The demo accounts' welcome emails went through the in-process worker.
        outbox = tmp_path / "var" / "outbox"
        deadline = time.monotonic() + 20
        while len(list(outbox.glob("*.eml"))) < 4:
            assert time.monotonic() < deadline, "welcome emails not written"
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=30)
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert server.returncode in (0, -15)
