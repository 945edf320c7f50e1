"""Learning-route throughput and latency under a real HTTP load tool, as an enrolled student.

1. seeds the database ``elearn_bench_learning`` through the app's own use cases (unless it
   already holds this seed and its video is still in storage; ``--reseed`` forces it): an
   approved tutor, a manager and a student; one free, published course of 50 lessons in
   5 sections (per section 6 video, 3 text and 1 quiz lesson; text lessons carry about 3 KB
   of markdown), one video lesson with an uploaded 20 MiB MP4-looking file (an ``ftyp`` box,
   then filler bytes); the student enrolled and through the first section; 1,000 more students
   enrolled (cheap password hashes: they use access tokens minted with the server's JWT secret,
   as login would issue them), the seed's welcome emails marked sent. Files live in
   ``<tmp>/elearn-bench-learning`` (``files/``), migrations as `catalog_seed.py` runs them;
2. serves the app like `catalog_load.py` does (uvicorn, one worker, pinned to CPU 0, pool of
   64 connections), with ``ELEARN_MEDIA_URL_SECONDS=3600`` and a one-day access token lifetime;
3. signs the student in (``POST /api/v1/auth/login``) and checks each scenario answers as it
   should (status, ``Content-Range``, the bytes themselves);
4. loads each scenario with ``wrk`` pinned to CPU 1 (2 threads, keep-alive, loopback; a Lua
   script sends the method, the body and ``Authorization: Bearer <token>``): a warm-up, then
   ``--duration`` seconds measured; ``--rounds N`` interleaves the scenarios N times and reports
   medians. The scenarios:

   - ``lesson``: ``GET /api/v1/lessons/{id}`` of the uploaded video lesson (64 connections);
   - ``progress``: ``PUT /api/v1/lessons/{id}/progress`` ``{"seconds_spent": 5}`` on a text
     lesson (64 connections; a write, with the streak day upserted; every request is the same
     student's, so they queue on that student's enrollment row lock);
   - ``media range``: ``GET`` the lesson's signed media URL with
     ``Range: bytes=1048576-1179647`` (128 KiB from the middle, as a player seeking; 64
     connections);
   - ``media whole``: the same URL without ``Range``, the whole 20 MiB file (8 connections).

   The media URL is fetched afresh (from the lesson) before each media run. After each wrk
   run the script waits (up to a minute) until the app's database sessions are idle: requests
   still queued when wrk stops go on running, and would otherwise load the next scenario.
   Before the load it warns when the app's pool (``--pool-size`` plus as many in overflow) may
   ask PostgreSQL for more connections than it has free.

Reported per scenario: requests/s, MB/s for the media (10^6 bytes, from requests/s and the
response size), p50 and p99 latency, responses wrk counts as errors (status 400 and above; the
check before the load confirms each scenario's exact 2xx status) and socket errors, and the CPU
used meanwhile by the server, PostgreSQL, wrk and everything else (in CPUs, measured by
`catalog_load.py`'s meter). The exit status is 1 when any response was an error, a socket
failed, a run got no response at all, the server stayed busy after a run, or a check before the
load failed. Usage (from the project root):

    .venv/bin/python benchmarks/learning_load.py [--duration 10] [--rounds 1] [--reseed]
        [--warmup 2] [--connections 64] [--file-connections 8] [--pool-size 64]
        [--server-log PATH]

Loopback only; stops the server by itself. Needs wrk and taskset, and a PostgreSQL server at
``--server`` (default postgresql://postgres@127.0.0.1:5432) where it may create databases.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
from catalog_load import (
    OTHER_CPU_WARNING,
    CpuMeter,
    Result,
    Run,
    Server,
    parse_wrk,
    start_server,
    uvicorn_fast_path,
)
from catalog_seed import DEFAULT_SERVER, seeded_marker, sqlalchemy_url

from elearn.adapters.jobs.broker import build_broker
from elearn.adapters.passwords import Argon2PasswordHasher
from elearn.adapters.persistence.migrations import find_migrations_dir, upgrade
from elearn.adapters.security.jwt_tokens import JwtAccessTokens
from elearn.application.actor import Actor
from elearn.application.catalog.authoring import CourseChanges, NewCourse, NewLesson
from elearn.application.files import Upload
from elearn.application.identity.accounts import CreateAccount
from elearn.application.learning.lessons import ProgressReport
from elearn.domain.catalog.course import CourseStatus, LessonKind, Level
from elearn.domain.identity.email import EmailAddress
from elearn.domain.identity.roles import Role
from elearn.entrypoints.bootstrap import Container, bootstrap
from elearn.entrypoints.demo import DEMO_QUIZ
from elearn.entrypoints.settings import Settings

DATABASE = "elearn_bench_learning"
VAR_DIR = Path(tempfile.gettempdir()) / "elearn-bench-learning"
SEED_FORMAT = 2  # bump when what is seeded changes, so old databases are seeded again
MARKER = "learning_seed "
PASSWORD = "bench-password-2026"
TUTOR = "tutor@bench-learning.elearn.test"
MANAGER = "manager@bench-learning.elearn.test"
STUDENT = "student@bench-learning.elearn.test"
STUDENTS = 1000  # more students enrolled, each reporting progress with a minted token
JWT_SECRET = "learning-bench-jwt-secret-not-for-production-0"
TOKEN_SECONDS = 86_400

SECTIONS = 5
# One section's lessons, in order: 6 videos, 3 texts and a quiz to close it.
SECTION_KINDS = [LessonKind.VIDEO, LessonKind.VIDEO, LessonKind.TEXT, LessonKind.VIDEO,
                 LessonKind.VIDEO, LessonKind.TEXT, LessonKind.VIDEO, LessonKind.VIDEO,
                 LessonKind.TEXT, LessonKind.QUIZ]  # fmt: skip
UPLOADED = (1, 0)  # (section, lesson): the video lesson given the file
MEASURED_TEXT = (2, 2)  # (section, lesson): the text lesson progress is reported on

MiB = 1024 * 1024
MB = 1_000_000
VIDEO_SIZE = 20 * MiB
RANGE = (1 * MiB, 1 * MiB + 128 * 1024 - 1)  # inclusive, as in the header

LOGIN = "/api/v1/auth/login"
LESSONS = "/api/v1/lessons"
PROGRESS_BODY = '{"seconds_spent": 5}'
SCENARIOS = ["lesson", "progress", "progress many", "media range", "media whole"]
WRK_TIMEOUT = 10.0  # seconds: a response later than that is a socket error (timeout)
DRAIN = 60.0  # seconds to wait at most for the server to finish after wrk
DISCONNECTED = "client disconnected prematurely"
# Settings the server reads from the .env in its working directory (start_server gives it
# only a fixed set of ELEARN_* variables; the environment's win over the file's).
SERVER_ENV_FILE = {
    "ELEARN_MEDIA_URL_SECONDS": "3600",
    "ELEARN_JWT_ACCESS_TTL_SECONDS": str(TOKEN_SECONDS),
    "ELEARN_JWT_SECRET": JWT_SECRET,
}


def video_bytes() -> bytes:
    """An MP4 to storage's sniffing (an ``ftyp`` box), then a byte pattern up to 20 MiB."""
    head = (24).to_bytes(4, "big") + b"ftypisom" + b"\x00\x00\x02\x00" + b"isomavc1"
    pattern = bytes(range(256))
    filler = pattern * ((VIDEO_SIZE - len(head)) // len(pattern) + 1)
    return head + filler[: VIDEO_SIZE - len(head)]


# ---- the seed --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Seeded:
    course_id: str
    video_lesson_id: str
    text_lesson_id: str
    video_key: str
    video_size: int
    lessons: int
    students: list[str]
    format: int = SEED_FORMAT

    def marker(self) -> str:
        return MARKER + json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_marker(cls, marker: str | None) -> Seeded | None:
        if not marker or not marker.startswith(MARKER):
            return None
        try:
            seeded = cls(**json.loads(marker[len(MARKER) :]))
        except (ValueError, TypeError):
            return None
        return seeded if seeded.format == SEED_FORMAT else None

    @property
    def video_path(self) -> Path:
        return VAR_DIR / "files" / Path(*self.video_key.split("/"))


def seed_settings(url: str) -> Settings:
    return Settings(
        database_url=url,
        var_dir=str(VAR_DIR),
        log_level="WARNING",
        catalog_cache_seconds=0,
        jwt_secret=JWT_SECRET,
    )


async def ensure_seeded(server: str, *, reseed: bool) -> tuple[str, Seeded, float | None]:
    """The SQLAlchemy URL, what is seeded and the seconds spent seeding (None: it was there)."""
    url = sqlalchemy_url(server, DATABASE)
    found = Seeded.from_marker(await seeded_marker(server, DATABASE))
    if (
        not reseed
        and found is not None
        and found.video_path.is_file()
        and found.video_path.stat().st_size == found.video_size
    ):
        await upgrade(url, find_migrations_dir())
        # Earlier runs left their dead row versions (PostgreSQL's autovacuum may be off, as on
        # CI's server): the one-student scenario rewrites one enrollment and one progress row
        # thousands of times a run, and every later run paid for the versions left behind.
        connection = await asyncpg.connect(f"{server}/{DATABASE}")
        try:
            await connection.execute("VACUUM ANALYZE")
        finally:
            await connection.close()
        return url, found, None
    started = time.perf_counter()
    admin = await asyncpg.connect(f"{server}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()
    await upgrade(url, find_migrations_dir())
    if VAR_DIR.exists():
        shutil.rmtree(VAR_DIR)
    VAR_DIR.mkdir(parents=True)
    seeded = await seed(seed_settings(url))
    connection = await asyncpg.connect(f"{server}/{DATABASE}")
    try:
        # The seed's emails (a welcome to each student) are not the load being measured.
        await connection.execute(
            "UPDATE outbox_deliveries SET status = 'done', done_at = now() WHERE status <> 'done'"
        )
        await connection.execute("VACUUM ANALYZE")
        marker = seeded.marker().replace("'", "''")
        await connection.execute(f"COMMENT ON DATABASE \"{DATABASE}\" IS '{marker}'")
    finally:
        await connection.close()
    return url, seeded, time.perf_counter() - started


def lesson_text(section: int, lesson: int) -> str:
    """About 3 KB of markdown."""
    sentence = (
        "A replicated log keeps every node's state machine in step, so the order of commands "
        "matters more than their timing, and a leader only answers once a majority has them. "
    )
    paragraphs = [f"Part {section + 1}.{lesson + 1}, paragraph {n + 1}. " + sentence * 4
                  for n in range(5)]  # fmt: skip
    return f"# Reading {section + 1}.{lesson + 1}\n\n" + "\n\n".join(paragraphs)


async def seed(settings: Settings) -> Seeded:
    """Through the use cases the API calls, as the tutor, a manager and the student would."""
    # Cheap hashes for the many students: they only ever use minted access tokens.
    hasher = Argon2PasswordHasher(time_cost=1, memory_cost_kib=64)
    container = bootstrap(settings, broker=build_broker(None), overrides={"hasher": hasher})
    try:
        actors = await _accounts(container)
        tutor, manager, student = actors[TUTOR], actors[MANAGER], actors[STUDENT]
        catalog = container.catalog
        details = CourseChanges(
            subtitle="Consensus, replication and failure, with hands-on labs",
            description="Logs, leaders, quorums and the failures they survive. " * 20,
            level=Level.INTERMEDIATE,
            free=True,
            tags=("distributed-systems", "raft", "hands-on"),
            learning_outcomes=("Explain how Raft elects a leader", "Reason about quorums"),
            requirements=("Some programming experience",),
        )
        course = await catalog.create_course(
            tutor, NewCourse("Distributed Systems in Practice", details)
        )
        lesson_ids: dict[tuple[int, int], UUID] = {}
        for s in range(SECTIONS):
            section = await catalog.add_section(tutor, course.id, f"Part {s + 1}")
            for n, kind in enumerate(SECTION_KINDS):
                lesson = await catalog.add_lesson(
                    tutor,
                    section.id,
                    NewLesson(
                        kind=kind,
                        title=f"{kind.value.title()} {s + 1}.{n + 1}",
                        duration_seconds={LessonKind.VIDEO: 600, LessonKind.TEXT: 300}.get(kind, 0),
                        is_free_preview=(s, n) == (0, 0),
                        text=lesson_text(s, n) if kind is LessonKind.TEXT else None,
                        video_url=f"https://videos.bench.elearn.test/{s}/{n}.mp4"
                        if kind is LessonKind.VIDEO and (s, n) != UPLOADED
                        else None,
                    ),
                )
                lesson_ids[s, n] = lesson.id
                if kind is LessonKind.QUIZ:
                    await container.learning.set_quiz(tutor, lesson.id, DEMO_QUIZ)
        video = video_bytes()
        await catalog.set_lesson_file(
            tutor, lesson_ids[UPLOADED], Upload(_chunks(video), filename="lecture.mp4")
        )
        await catalog.submit_course(tutor, course.id)
        approved = await catalog.approve_course(manager, course.id)
        if approved.status is not CourseStatus.PUBLISHED:
            await catalog.publish_course(manager, course.id)
        await container.learning.enroll(student, course.id)
        # The student is through the first section (its videos and texts).
        for n, kind in enumerate(SECTION_KINDS):
            if kind in (LessonKind.VIDEO, LessonKind.TEXT):
                report = ProgressReport(completed=True, seconds_spent=300)
                await container.learning.record_progress(student, lesson_ids[0, n], report)
        students = []
        for n in range(STUDENTS):
            email = f"student-{n:04d}@bench-learning.elearn.test"
            command = CreateAccount(email, PASSWORD, f"Student {n}", Role.STUDENT)
            user_id = await container.identity.create_account(Actor.system(), command)
            learner = Actor(user_id=user_id, role=Role.STUDENT, email_verified=True)
            await container.learning.enroll(learner, course.id)
            students.append(str(user_id))
        async with container.uow(read_only=True) as uow:
            stored = await uow.courses.get(course.id)
            assert stored is not None
            file = stored.lesson(lesson_ids[UPLOADED]).file
            assert file is not None and file.size == len(video)
        return Seeded(
            course_id=str(course.id),
            video_lesson_id=str(lesson_ids[UPLOADED]),
            text_lesson_id=str(lesson_ids[MEASURED_TEXT]),
            video_key=file.key,
            video_size=file.size,
            lessons=len(lesson_ids),
            students=students,
        )
    finally:
        await container.dispose()


async def _accounts(container: Container) -> dict[str, Actor]:
    """Verified accounts (as `tests/.../identity/helpers.py::seed_accounts` makes them); the
    tutor approved."""
    roles = {TUTOR: Role.TUTOR, MANAGER: Role.MANAGER, STUDENT: Role.STUDENT}
    ids = {}
    for email, role in roles.items():
        command = CreateAccount(email, PASSWORD, email.split("@")[0].title(), role)
        ids[email] = await container.identity.create_account(Actor.system(), command)
    async with container.uow() as uow:
        user = await uow.users.get_by_email(EmailAddress(TUTOR), for_update=True)
        assert user is not None
        user.approve_as_tutor(container.clock.now())
        await uow.commit()
    return {
        email: Actor(user_id=ids[email], role=role, email_verified=True)
        for email, role in roles.items()
    }


async def _chunks(data: bytes, size: int = MiB) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


# ---- the requests ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    path: str
    connections: int
    method: str = "GET"
    body: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    response_bytes: int | None = None  # the media's, for MB/s
    tokens: tuple[str, ...] = ()  # when given, request n is sent with token n % len(tokens)

    def lua(self, token: str) -> str:
        if self.tokens:
            return self._rotating_lua()
        lines = [
            f"wrk.method = {_lua_string(self.method)}",
            f'wrk.headers["Authorization"] = {_lua_string("Bearer " + token)}',
        ]
        for name, value in self.headers:
            lines.append(f"wrk.headers[{_lua_string(name)}] = {_lua_string(value)}")
        if self.body is not None:
            lines.append(f"wrk.body = {_lua_string(self.body)}")
        return "\n".join(lines) + "\n"

    def _rotating_lua(self) -> str:
        headers = "".join(
            f"headers[{_lua_string(name)}] = {_lua_string(value)}\n" for name, value in self.headers
        )
        return (
            f"local TOKENS = {{}}\n"
            f"for t in string.gmatch({_lua_string(','.join(self.tokens))}, '[^,]+') do "
            "TOKENS[#TOKENS + 1] = t end\n"
            "local n = 0\n"
            "function init(args) n = math.random(#TOKENS) end\n"
            "function request()\n"
            "  n = n + 1\n"
            "  local headers = {}\n"
            f"  {headers}"
            '  headers["Authorization"] = "Bearer " .. TOKENS[(n % #TOKENS) + 1]\n'
            f"  return wrk.format({_lua_string(self.method)}, {_lua_string(self.path)}, headers, "
            f"{'nil' if self.body is None else _lua_string(self.body)})\n"
            "end\n"
        )


def mint_tokens(user_ids: list[str]) -> tuple[str, ...]:
    """Access tokens as login issues them, signed with the server's secret."""
    settings = Settings(jwt_secret=JWT_SECRET)
    jwt = JwtAccessTokens(
        JWT_SECRET,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl_seconds=TOKEN_SECONDS,
    )
    now = datetime.now(UTC)
    return tuple(
        jwt.issue(UUID(user_id), Role.STUDENT, now, session_id=uuid4()).token
        for user_id in user_ids
    )


def _lua_string(text: str) -> str:
    if not text.isascii() or not text.isprintable():
        raise ValueError(f"not for a Lua literal: {text!r}")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def targets(args: argparse.Namespace, seeded: Seeded, media_path: str) -> dict[str, Target]:
    first, last = RANGE
    return {
        "lesson": Target(f"{LESSONS}/{seeded.video_lesson_id}", args.connections),
        "progress": Target(
            f"{LESSONS}/{seeded.text_lesson_id}/progress",
            args.connections,
            method="PUT",
            body=PROGRESS_BODY,
            headers=(("Content-Type", "application/json"),),
        ),
        "progress many": Target(
            f"{LESSONS}/{seeded.text_lesson_id}/progress",
            args.connections,
            method="PUT",
            body=PROGRESS_BODY,
            headers=(("Content-Type", "application/json"),),
            tokens=mint_tokens(seeded.students),
        ),
        "media range": Target(
            media_path,
            args.connections,
            headers=(("Range", f"bytes={first}-{last}"),),
            response_bytes=last - first + 1,
        ),
        "media whole": Target(media_path, args.file_connections, response_bytes=seeded.video_size),
    }


def sign_in(base_url: str) -> str:
    response = httpx.post(
        base_url + LOGIN, json={"email": STUDENT, "password": PASSWORD}, timeout=30
    )
    if response.status_code != 200:
        raise RuntimeError(f"POST {LOGIN}: {response.status_code} {response.text[:300]}")
    body: dict[str, Any] = response.json()
    return str(body["access_token"])


def media_path(base_url: str, token: str, seeded: Seeded) -> str:
    """A fresh signed URL of the video, from the lesson."""
    response = httpx.get(
        f"{base_url}{LESSONS}/{seeded.video_lesson_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    if response.status_code != 200:
        raise RuntimeError(f"GET lesson: {response.status_code} {response.text[:300]}")
    media = response.json().get("media") or {}
    if not str(media.get("url", "")).startswith("/api/v1/media/"):
        raise RuntimeError(f"the lesson has no media URL: {response.text[:300]}")
    return str(media["url"])


def check(base_url: str, token: str, seeded: Seeded, paths: dict[str, Target]) -> list[str]:
    """Each scenario answered once as it should, with what it answered; problems otherwise."""
    problems: list[str] = []
    video = video_bytes()
    first, last = RANGE
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=auth, timeout=60) as client:
        lesson = client.get(paths["lesson"].path)
        if lesson.status_code != 200:
            problems.append(f"lesson: {lesson.status_code} {lesson.text[:300]}")
        else:
            media = lesson.json().get("media") or {}
            print(
                f"  lesson answer {len(lesson.content):,} bytes, media size {media.get('size')}, "
                f"link valid until {media.get('expires_at')}"
            )
        progress = client.put(
            paths["progress"].path,
            content=PROGRESS_BODY,
            headers={"Content-Type": "application/json"},
        )
        if progress.status_code != 200:
            problems.append(f"progress: {progress.status_code} {progress.text[:300]}")
        else:
            print(f"  progress answer {progress.text[:160]}")
        ranged = client.get(paths["media range"].path, headers={"Range": f"bytes={first}-{last}"})
        content_range = ranged.headers.get("content-range")
        if (
            ranged.status_code != 206
            or content_range != f"bytes {first}-{last}/{seeded.video_size}"
            or ranged.content != video[first : last + 1]
        ):
            problems.append(
                f"media range: {ranged.status_code}, Content-Range {content_range}, "
                f"{len(ranged.content)} bytes (expected 206 and {last - first + 1} bytes)"
            )
        whole = client.get(paths["media whole"].path)
        if (
            whole.status_code != 200
            or hashlib.sha256(whole.content).digest() != hashlib.sha256(video).digest()
        ):
            problems.append(
                f"media whole: {whole.status_code}, {len(whole.content)} bytes "
                f"(expected 200 and the {len(video)} bytes seeded)"
            )
    return problems


# ---- the load --------------------------------------------------------------------------------
def run_wrk(
    url: str,
    script: Path,
    *,
    seconds: float,
    connections: int,
    threads: int,
    cpu: int,
    server_pid: int,
) -> Run:
    """`catalog_load.wrk`, with a Lua script."""
    args = [
        "taskset", "-c", str(cpu), "wrk", f"-t{threads}", f"-c{connections}",
        f"-d{seconds:g}s", "--latency", "--timeout", f"{WRK_TIMEOUT:g}s", "-s", str(script), url,
    ]  # fmt: skip
    meter = CpuMeter(server_pid)
    done = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 60, check=False)
    cpu_use = meter.stop()
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return Run(*parse_wrk(done.stdout), *cpu_use)


def write_env_file() -> None:
    lines = [f"{name}={value}" for name, value in SERVER_ENV_FILE.items()]
    (VAR_DIR / ".env").write_text("\n".join(lines) + "\n")


def measure(args: argparse.Namespace, work: Path) -> tuple[dict[str, Result], list[str], int]:
    """Results by scenario, problems, and the video's size."""
    print(f"== database {DATABASE}, files in {VAR_DIR}")
    url, seeded, seeded_in = asyncio.run(ensure_seeded(args.server, reseed=args.reseed))
    print("  seeded in " + (f"{seeded_in:.1f} s" if seeded_in else "an earlier run"))
    print(
        f"  course {seeded.course_id}: {seeded.lessons} lessons in {SECTIONS} sections; "
        f"video lesson {seeded.video_lesson_id} ({seeded.video_size:,} bytes), "
        f"text lesson {seeded.text_lesson_id}"
    )
    write_env_file()
    log = Path(args.server_log or work / "server.log")
    server = start_server(
        url, cpu=args.server_cpu, pool_size=args.pool_size, var_dir=VAR_DIR, log=log,
        cache_seconds=0.0,
    )  # fmt: skip
    results: dict[str, Result] = {}
    try:
        check_connection_budget(args.server, args.pool_size)
        token = sign_in(server.base_url)
        paths = targets(args, seeded, media_path(server.base_url, token, seeded))
        problems = check(server.base_url, token, seeded, paths)
        for problem in problems:
            print(f"  ! {problem}")
        loop = " ".join(uvicorn_fast_path()) or "(asyncio, h11)"
        print(
            f"  uvicorn {loop}, pid {server.process.pid} on CPU {args.server_cpu}; "
            f"wrk on CPU {args.load_cpu}"
        )
        if not problems:
            run_rounds(args, server, token, seeded, work, results, problems)
        errors = sum(r.total("not_2xx") + r.total("socket_errors") for r in results.values())
        if errors or problems:
            kept = f"kept in {log}" if args.server_log else "keep it with --server-log PATH"
            print(f"  server log, last lines, shortened ({kept}):")
            for line in server.log_excerpt(10).splitlines():
                print(f"    {line if len(line) <= 300 else line[:297] + '...'}")
    finally:
        server.stop()
    return results, problems, seeded.video_size


def run_rounds(
    args: argparse.Namespace,
    server: Server,
    token: str,
    seeded: Seeded,
    work: Path,
    results: dict[str, Result],
    problems: list[str],
) -> None:
    aftermath = Aftermath(server, args.server, problems, logged=len(logged_errors(server.log)))
    for round_number in range(args.rounds):
        for name in args.scenarios:
            # A fresh media link each time: a long run must not outlive it.
            fresh = media_path(server.base_url, token, seeded) if name.startswith("media") else ""
            target = targets(args, seeded, fresh)[name]
            script = work / f"{name.replace(' ', '_')}.lua"
            script.write_text(target.lua(token))
            load: Callable[..., Run] = functools.partial(
                run_wrk,
                server.base_url + target.path,
                script,
                connections=target.connections,
                threads=args.threads,
                cpu=args.load_cpu,
                server_pid=server.process.pid,
            )
            if args.warmup > 0:
                warmup = load(seconds=args.warmup)
                aftermath.settle(f"{name} warm-up")
                if warmup.not_2xx or warmup.socket_errors or not warmup.requests:
                    aftermath.problem(
                        f"{name}: warm-up had {warmup.requests} responses, {warmup.not_2xx} of "
                        f"them errors, and {warmup.socket_errors} socket errors"
                    )
            run = load(seconds=args.duration)
            aftermath.settle(name)
            results.setdefault(name, Result()).runs.append(run)
            if not run.requests:
                aftermath.problem(f"{name}: no response at all within {args.duration:g} s")
            rate = (
                f"{run.rps * target.response_bytes / MB:8.1f} MB/s" if target.response_bytes else ""
            )
            print(
                f"  round {round_number + 1}/{args.rounds} {name:11} {run.rps:8.0f} req/s  "
                f"p50 {run.p50 * 1000:7.1f} ms  p99 {run.p99 * 1000:7.1f} ms  "
                f"errors {run.not_2xx + run.socket_errors}  {rate}".rstrip()
            )
            if server.process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{server.log_excerpt()}")


async def _busy_backends(server: str) -> int:
    """The app's PostgreSQL sessions still working (running, waiting or in a transaction); on a
    server shared with other work that has every connection slot taken, 1 (asked again)."""
    try:
        connection = await asyncpg.connect(f"{server}/postgres")
    except asyncpg.TooManyConnectionsError:
        return 1
    try:
        busy: int = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND state <> 'idle'",
            DATABASE,
        )
        return busy
    finally:
        await connection.close()


def logged_errors(log: Path) -> list[str]:
    """The server log's errors, each as the last line of its exception (or its message)."""
    found = []
    for line in log.read_text(errors="replace").splitlines() if log.exists() else []:
        try:
            record = json.loads(line)
        except ValueError:
            if line.startswith(("ERROR", "CRITICAL")):
                found.append(line)
            continue
        if isinstance(record, dict) and record.get("level") in ("error", "critical"):
            lines = str(record.get("exception") or record.get("message")).strip().splitlines()
            found.append(lines[-1] if lines else "?")
    return found


@dataclass
class Aftermath:
    """What a wrk run left: requests still running (they go on after wrk stops, and would load
    the next run; waited for here) and errors the server logged (a request that failed after
    wrk stopped is in no wrk figure)."""

    server: Server
    database_server: str
    problems: list[str]
    logged: int = 0

    def settle(self, what: str) -> None:
        started = time.monotonic()
        while (busy := asyncio.run(_busy_backends(self.database_server))) and (
            time.monotonic() - started < DRAIN
        ):
            time.sleep(0.1)
        waited = time.monotonic() - started
        if busy:
            self.problem(f"{what}: {busy} database sessions still busy {DRAIN:g} s after wrk")
        elif waited > WRK_TIMEOUT:
            self.problem(
                f"{what}: the server was busy for {waited:.1f} s after wrk stopped (requests "
                f"outlived wrk's {WRK_TIMEOUT:g} s timeout)"
            )
        elif waited >= 1:
            print(f"  ({what}: the server was busy for {waited:.1f} s after wrk stopped)")
        errors = logged_errors(self.server.log)
        new = errors[self.logged :]
        self.logged = len(errors)
        # wrk drops the connections of requests still queued when it stops: the server logs
        # each body it can then no longer read as an error, wrk's doing, not a failure (as
        # billing_load.py counts them).
        dropped = [text for text in new if DISCONNECTED in text]
        if dropped:
            print(f"  ({what}: {len(dropped)} 'client disconnected' errors logged after wrk)")
        failures = [text for text in new if DISCONNECTED not in text]
        if failures:
            kinds = Counter(failures).most_common(3)
            self.problem(
                f"{what}: the server logged {len(failures)} errors: "
                + "; ".join(f"{n} x {text[:160]}" for text, n in kinds)
            )

    def problem(self, text: str) -> None:
        self.problems.append(text)
        print(f"  ! {text}")


def check_connection_budget(server: str, pool_size: int) -> None:
    """Warns when the app's pool (pool_size plus as many again in overflow, as
    `create_engine` makes it) may ask PostgreSQL for more connections than it has free."""

    async def figures() -> tuple[int, int]:
        connection = await asyncpg.connect(f"{server}/postgres")
        try:
            limit = int(await connection.fetchval("SHOW max_connections"))
            reserved = int(await connection.fetchval("SHOW superuser_reserved_connections"))
            used = int(await connection.fetchval("SELECT count(*) FROM pg_stat_activity"))
            return limit - reserved, used
        finally:
            await connection.close()

    available, used = asyncio.run(figures())
    if 2 * pool_size > available - used:
        print(
            f"  WARN  the app's pool may open up to {2 * pool_size} connections; PostgreSQL has "
            f"{available - used} free ({available} in all, {used} in use): a scenario that "
            "holds them all gets 'too many clients' errors"
        )


# ---- the report ------------------------------------------------------------------------------
def print_table(args: argparse.Namespace, results: dict[str, Result], video_size: int) -> None:
    sizes = {"media range": RANGE[1] - RANGE[0] + 1, "media whole": video_size}
    connections = {name: args.connections for name in SCENARIOS} | {
        "media whole": args.file_connections
    }
    print(
        f"\n  {'scenario':11} {'conns':>5} {'req/s':>8} {'MB/s':>7} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'non-2xx':>8} {'sock err':>8} {'srv CPU':>8} {'pg CPU':>7} {'wrk CPU':>8} "
        f"{'other CPU':>9}"
    )
    for name in args.scenarios:
        if name not in results:
            print(f"  {name:11} not measured")
            continue
        r = results[name]
        rate = f"{r.median('rps') * sizes[name] / MB:7.1f}" if name in sizes else f"{'-':>7}"
        print(
            f"  {name:11} {connections[name]:5d} {r.median('rps'):8.0f} {rate} "
            f"{r.median('p50') * 1000:8.1f} {r.median('p99') * 1000:8.1f} "
            f"{r.total('not_2xx'):8d} {r.total('socket_errors'):8d} "
            f"{r.median('server_cpu'):8.2f} {r.median('postgres_cpu'):7.2f} "
            f"{r.median('wrk_cpu'):8.2f} {r.median('other_cpu'):9.2f}"
        )
    other = max((r.median("other_cpu") for r in results.values()), default=0.0)
    if other > OTHER_CPU_WARNING:
        print(
            f"  WARN  other processes used up to {other:.2f} CPUs during the runs: the machine "
            "was not quiet, these figures understate the app (run again when it is idle)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before each run")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved; medians reported")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--file-connections", type=int, default=8, help="for the whole-file reads")
    parser.add_argument("--threads", type=int, default=2, help="of wrk")
    parser.add_argument("--pool-size", type=int, default=64, help="ELEARN_DATABASE_POOL_SIZE")
    parser.add_argument("--server-cpu", type=int, default=0, help="the server is pinned to it")
    parser.add_argument("--load-cpu", type=int, default=1, help="wrk is pinned to it")
    parser.add_argument("--reseed", action="store_true", help="seed even when already seeded")
    parser.add_argument("--server", default=DEFAULT_SERVER, help="PostgreSQL, no database")
    parser.add_argument("--server-log", default="", help="keep the server's log at this path")
    parser.add_argument(
        "--scenarios",
        type=lambda text: [name.strip() for name in text.split(",")],
        default=SCENARIOS,
        help=f"comma-separated, of: {', '.join(SCENARIOS)} (default: all)",
    )
    args = parser.parse_args()
    if unknown := set(args.scenarios) - set(SCENARIOS):
        parser.error(f"no such scenario: {', '.join(sorted(unknown))}")
    if not 1 <= args.duration <= 600 or not 0 <= args.warmup <= 60 or not 1 <= args.rounds <= 20:
        parser.error("--duration is 1 to 600 s, --warmup 0 to 60 s, --rounds 1 to 20")
    if args.threads > min(args.connections, args.file_connections):
        parser.error("wrk needs at least as many connections as threads")
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed")
    with tempfile.TemporaryDirectory(prefix="elearn-bench-learning-") as tmp:
        results, problems, video_size = measure(args, Path(tmp))
    print(
        f"\nwrk -t{args.threads} -c{args.connections} (whole file: -c{args.file_connections}), "
        f"{args.duration:g} s per run after {args.warmup:g} s of warm-up, {args.rounds} "
        f"round(s), medians; {os.cpu_count()} CPUs"
    )
    print_table(args, results, video_size)
    errors = sum(r.total("not_2xx") + r.total("socket_errors") for r in results.values())
    missing = [name for name in args.scenarios if name not in results]
    failed = bool(errors or problems or missing)
    print(
        f"\n{'FAIL' if failed else 'PASS'}: {errors} error responses or socket errors, "
        f"{len(problems)} problems, {len(missing)} scenarios not measured"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
