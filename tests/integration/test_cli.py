"""The `elearn` command as an operator runs it, on the embedded default.

Each command runs ``main`` in this process, with the environment, standard input and output a
separate process would have: a new Python process spent seconds importing the app before
doing anything, on every call. ``elearn serve`` stays a real process started from the installed
script, the one test of the command as a program."""

from __future__ import annotations

import contextlib
import email
import email.policy
import io
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.logs import logging_restored

from elearn.entrypoints.cli import main

ELEARN = str(Path(sys.executable).parent / "elearn")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ELEARN_")}
    return {**clean, "ELEARN_VAR_DIR": str(tmp_path / "var"), "ELEARN_LOG_FORMAT": "console"}


@pytest.fixture
def migrated(env: dict[str, str], tmp_path: Path, sqlite_template: Path) -> dict[str, str]:
    """``env`` over a database at head, copied rather than made by a (slow) ``elearn migrate``,
    which has its own test."""
    (tmp_path / "var").mkdir()
    shutil.copyfile(sqlite_template, tmp_path / "var" / "elearn.db")
    return env


def elearn(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``elearn *args`` with ``env`` as its whole environment and ``stdin`` as its input: its
    exit code and what it wrote, as ``subprocess.run`` would answer them."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with (
        _environment(env),
        logging_restored(),
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
        _standard_input(stdin),
    ):
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse refusing the arguments
            code = exit_.code if isinstance(exit_.code, int) else 1
    return subprocess.CompletedProcess([ELEARN, *args], code, stdout.getvalue(), stderr.getvalue())


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _standard_input(text: str) -> Iterator[None]:
    saved = sys.stdin
    sys.stdin = io.StringIO(text)
    try:
        yield
    finally:
        sys.stdin = saved


def user_row(tmp_path: Path, email: str) -> dict[str, object] | None:
    """The stored account, read straight from the embedded database."""
    with sqlite3.connect(tmp_path / "var" / "elearn.db") as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM users WHERE email = ?", (email,)).fetchone()
    return None if row is None else dict(row)


def test_migrate_then_seed_demo_is_idempotent(env: dict[str, str], tmp_path: Path) -> None:
    assert elearn(env, "migrate").returncode == 0
    assert (tmp_path / "var" / "elearn.db").is_file()
    first = elearn(env, "seed-demo")
    assert first.returncode == 0, first.stderr
    assert "demo admin: admin@demo.elearn.test / " in first.stdout
    tutor_line = re.search(
        r"demo tutor: tutor@demo\.elearn\.test / \S+ \(id ([0-9a-f-]{36}), approved\)", first.stdout
    )
    assert tutor_line, first.stdout
    tutor = user_row(tmp_path, "tutor@demo.elearn.test")
    assert tutor is not None
    assert tutor["role"] == "tutor"
    assert tutor["tutor_approval"] == "approved"
    assert tutor["email_verified_at"] is not None
    with sqlite3.connect(tmp_path / "var" / "elearn.db") as db:
        profile = db.execute(
            "SELECT hourly_rate_amount, hourly_rate_currency, time_zone, headline, bio "
            "FROM tutor_profiles"
        ).fetchall()
    assert len(profile) == 1
    assert profile[0][:3] == (3000, "USD", "Europe/Berlin")
    assert profile[0][3] and profile[0][4]
    assert "demo institutions: 6 universities" in first.stdout
    with sqlite3.connect(tmp_path / "var" / "elearn.db") as db:
        (studies_at,) = db.execute(
            "SELECT i.name FROM student_profiles p JOIN institutions i ON i.id = p.institution_id"
        ).fetchall()
    assert studies_at == ("Technische Universität München",)

    second = elearn(env, "seed-demo")
    assert second.returncode == 0
    assert second.stdout.count("already exists") == 4
    assert "demo institutions: already there" in second.stdout
    assert f"(id {tutor_line.group(1)})" in second.stdout
    assert user_row(tmp_path, "tutor@demo.elearn.test") == tutor


def create_admin(
    env: dict[str, str], *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return elearn(env, "create-admin", *args, stdin=stdin)


def test_create_admin_refuses_a_taken_email_and_a_weak_password(migrated: dict[str, str]) -> None:
    args = ("--email", "Root@Example.com", "--full-name", "Root", "--password-stdin")
    created = create_admin(migrated, *args, stdin="a long enough password\n")
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith("created admin Root@Example.com")

    # The same address again is the same admin: nothing to do, and that is not an error.
    again = create_admin(migrated, "--email", "root@example.com", "--full-name", "R",
                         "--password-stdin", stdin="another long password\n")  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "is already an admin; nothing changed" in again.stdout

    weak = create_admin(migrated, "--email", "b@example.com", "--full-name", "B",
                        "--password-stdin", stdin="short\n")  # fmt: skip
    assert weak.returncode == 1
    assert "password" in weak.stderr
    assert "Traceback" not in weak.stderr + again.stderr


def test_create_admin_with_password_option(migrated: dict[str, str], tmp_path: Path) -> None:
    created = create_admin(migrated, "--email", "ops@example.com", "--full-name", "Ops",
                           "--password", "a long enough password")  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith("created admin ops@example.com (")
    row = user_row(tmp_path, "ops@example.com")
    assert row is not None
    assert row["role"] == "admin"
    assert row["email_verified_at"] is not None
    assert "a long enough password" not in str(row["password_hash"])


def test_create_admin_refuses_a_common_password_in_one_line(
    migrated: dict[str, str], tmp_path: Path
) -> None:
    common = create_admin(migrated, "--email", "ops@example.com", "--full-name", "Ops",
                          "--password", "password123")  # fmt: skip
    assert common.returncode == 1
    assert common.stderr.strip() == ("elearn: the password is one of the most common passwords"), (
        common.stderr
    )
    assert common.stdout == ""
    assert user_row(tmp_path, "ops@example.com") is None


def test_create_admin_needs_a_full_name_for_a_new_account(
    migrated: dict[str, str], tmp_path: Path
) -> None:
    result = create_admin(
        migrated, "--email", "ops@example.com", "--password", "a long enough password"
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "elearn: a new account needs a full name (--full-name)"
    assert user_row(tmp_path, "ops@example.com") is None


def test_create_admin_promotes_an_existing_student(
    migrated: dict[str, str], tmp_path: Path
) -> None:
    assert elearn(migrated, "seed-demo").returncode == 0
    email = "student@demo.elearn.test"
    before = user_row(tmp_path, email)
    assert before is not None
    assert before["role"] == "student"

    # No --full-name, no password: promoting needs neither (and never prompts).
    promoted = create_admin(migrated, "--email", email.upper())
    assert promoted.returncode == 0, promoted.stderr
    assert promoted.stdout.startswith(f"promoted {email.upper()} (")
    assert "role student -> admin" in promoted.stdout
    after = user_row(tmp_path, email)
    assert after is not None
    assert after["role"] == "admin"
    assert after["email_verified_at"] is not None
    assert after["password_hash"] == before["password_hash"]
    assert after["full_name"] == before["full_name"]
    assert after["sessions_valid_after"] is not None
    with sqlite3.connect(tmp_path / "var" / "elearn.db") as db:
        audit = db.execute(
            "SELECT details FROM audit_log WHERE action = 'user.role_changed'"
        ).fetchall()
    assert [json.loads(details) for (details,) in audit] == [{"from": "student", "to": "admin"}]

    # A password given while promoting is not used; running it again changes nothing.
    again = create_admin(migrated, "--email", email, "--password", "not used at all 123")
    assert again.returncode == 0
    assert "already an admin; nothing changed" in again.stdout
    assert user_row(tmp_path, email) == after


def test_dead_jobs_listing_on_an_empty_database(migrated: dict[str, str]) -> None:
    listed = elearn(migrated, "jobs", "dead")
    assert listed.returncode == 0
    assert listed.stdout.strip() == "no dead jobs"
    unknown = elearn(migrated, "jobs", "retry", "00000000-0000-0000-0000-000000000001")
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


def _calendar_link(port: int) -> str:
    """The demo student's calendar feed link, as the server gives it out."""

    def post(path: str, body: dict[str, str] | None, token: str | None = None) -> Any:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1{path}",
            data=json.dumps(body).encode() if body is not None else b"",
            headers={"content-type": "application/json"}
            | ({"authorization": f"Bearer {token}"} if token else {}),
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    session = post(
        "/auth/login", {"email": "student@demo.elearn.test", "password": "demo-password-2026"}
    )
    return str(post("/me/calendar-token", None, session["access_token"])["url"])


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
        # Without ELEARN_PUBLIC_URL, links point where the server listens, not at :8000.
        for eml in outbox.glob("*.eml"):
            message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
            body = message.get_body(("plain",))
            assert body is not None
            assert f"http://127.0.0.1:{port}/login" in body.get_content()
        calendar_link = _calendar_link(port)
        assert calendar_link.startswith(f"http://127.0.0.1:{port}/api/v1/me/calendar.ics?token=")
    finally:
        server.terminate()
        server.wait(timeout=30)
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert server.returncode in (0, -15)
