"""Tutoring under load: a tutor's free slots for two weeks, and students racing for the same slots.

1. seeds a template database ``elearn_bench_tutoring_seed`` through the app's own use cases
   (unless it holds this seed already; ``--reseed`` forces it): ``--tutors`` (50) approved
   tutors at 40.00 USD an hour, each teaching every day 09:00-17:00 UTC in lessons of 30 or 60
   minutes, and ``--students`` (500) students with verified email addresses (cheap password
   hashes: nobody signs in, access tokens are minted with the server's secret as login would);
   each run copies it to ``elearn_bench_tutoring`` (``CREATE DATABASE … TEMPLATE``), since the
   holds use slots up;
2. serves the app like `catalog_load.py` does (uvicorn, one worker, pinned to CPU 0, pool of
   ``--pool-size`` (64) connections) with a ``.env`` giving the JWT secret;
3. ``slots``: ``GET /api/v1/tutors/{id}/slots?from=…&to=…&duration=60`` over the next two
   weeks (from tomorrow 00:00 UTC, 14 days), request ``n`` asking for tutor ``n % tutors``,
   loaded with ``wrk`` pinned to CPU 1 (2 threads, ``--connections`` (64), keep-alive): a
   warm-up, then ``--duration`` seconds measured; checked once before the load (200 with at
   least one free start; 406 starts for the seeded hours);
4. ``holds``: every student sends one ``POST /api/v1/bookings`` at once (an asyncio client with
   ``--connections`` connections, so 500 attempts queue on 64 sockets like wrk's would): tutor
   ``s % tutors``, at one of ``--slots-per-tutor`` (2) 60-minute starts a week ahead, so each
   slot has ``students / (tutors * slots-per-tutor)`` (5) contenders. Latency is counted from
   the moment a request has its socket until its answer. Afterwards the database is checked:
   exactly one held booking per slot, the winners' answers (201) the bookings stored, every
   other answer 409 ``slot-taken``, no two active bookings of one tutor overlapping, and no
   answer 5xx.

Reported: requests/s, p50/p99 and errors of ``slots`` (with the server's and PostgreSQL's CPU),
and for ``holds`` the wall time, attempts/s, p50/p99, answers by status, winners per slot. Exit
status 1 on any error, 5xx, slot with other than one winner, or overlap. The machine may be
loaded by other work: the CPU columns say how much of it the run had.

A quiet machine (from the project root; seeding takes a minute or two once):

    .venv/bin/python benchmarks/tutoring_load.py [--duration 10] [--warmup 2] [--rounds 1]
        [--tutors 50] [--students 500] [--slots-per-tutor 2] [--connections 64] [--reseed]

Loopback only; stops the server by itself. Needs wrk and taskset, and a PostgreSQL server at
``--server`` (default postgresql://postgres@127.0.0.1:5432) where it may create databases.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from uuid import UUID, uuid4

import asyncpg
import httpx
from catalog_load import CpuMeter, Result, Run, parse_wrk, start_server, uvicorn_fast_path
from catalog_seed import DEFAULT_SERVER, seeded_marker, sqlalchemy_url

from elearn.adapters.jobs.broker import build_broker
from elearn.adapters.passwords import Argon2PasswordHasher
from elearn.adapters.persistence.migrations import find_migrations_dir, upgrade
from elearn.adapters.security.jwt_tokens import JwtAccessTokens
from elearn.application.actor import Actor
from elearn.application.identity.account import TutorProfileChanges, UpdateAccount
from elearn.application.identity.accounts import CreateAccount
from elearn.domain.identity.email import EmailAddress
from elearn.domain.identity.roles import Role
from elearn.domain.shared.money import Money
from elearn.domain.tutoring.availability import Availability, WeeklyWindow
from elearn.entrypoints.bootstrap import bootstrap
from elearn.entrypoints.settings import Settings

DATABASE = "elearn_bench_tutoring"
TEMPLATE = "elearn_bench_tutoring_seed"
VAR_DIR = Path(tempfile.gettempdir()) / "elearn-bench-tutoring"
SEED_FORMAT = 1
MARKER = "tutoring_seed "
DOMAIN = "bench-tutoring.elearn.test"
PASSWORD = "bench-password-2026"
JWT_SECRET = "tutoring-bench-jwt-secret-not-for-production-00"
TOKEN_SECONDS = 86_400
WORKING_HOURS = Availability(
    time_zone="UTC",
    windows=tuple(WeeklyWindow(day, 9 * 60, 17 * 60) for day in range(7)),
    durations=(30, 60),
)
SLOTS = "/api/v1/tutors/%s/slots"
BOOKINGS = "/api/v1/bookings"
WRK_TIMEOUT = 10.0
ACTIVE = ("held", "pending_payment", "confirmed")


@dataclass(frozen=True)
class Seeded:
    tutors: list[str]
    students: list[str]
    format: int = SEED_FORMAT

    def marker(self) -> str:
        return MARKER + json.dumps(asdict(self))

    @classmethod
    def from_marker(cls, marker: str | None) -> Seeded | None:
        if not marker or not marker.startswith(MARKER):
            return None
        try:
            seeded = cls(**json.loads(marker[len(MARKER) :]))
        except (ValueError, TypeError):
            return None
        return seeded if seeded.format == SEED_FORMAT else None


def settings_for(url: str) -> Settings:
    return Settings(
        database_url=url,
        var_dir=str(VAR_DIR),
        log_level="WARNING",
        jwt_secret=JWT_SECRET,
        jwt_access_ttl_seconds=TOKEN_SECONDS,
    )


async def _recreate(server: str, name: str, template: str | None = None) -> None:
    admin = await asyncpg.connect(f"{server}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        source = f' TEMPLATE "{template}"' if template else ""
        await admin.execute(f'CREATE DATABASE "{name}"{source}')
    finally:
        await admin.close()


async def ensure_template(server: str, tutors: int, students: int, *, reseed: bool) -> Seeded:
    found = Seeded.from_marker(await seeded_marker(server, TEMPLATE))
    if (
        not reseed
        and found is not None
        and (len(found.tutors), len(found.students)) == (tutors, students)
    ):
        return found
    started = time.perf_counter()
    await _recreate(server, TEMPLATE)
    url = sqlalchemy_url(server, TEMPLATE)
    await upgrade(url, find_migrations_dir())
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    hasher = Argon2PasswordHasher(time_cost=1, memory_cost_kib=64)
    container = bootstrap(
        settings_for(url), broker=build_broker(None), overrides={"hasher": hasher}
    )
    identity = container.identity
    try:
        tutor_ids, student_ids = [], []
        for n in range(tutors):
            email = f"tutor-{n:03d}@{DOMAIN}"
            command = CreateAccount(email, PASSWORD, f"Tutor {n}", Role.TUTOR)
            user_id = await identity.create_account(Actor.system(), command)
            async with container.uow() as uow:
                user = await uow.users.get_by_email(EmailAddress(email), for_update=True)
                assert user is not None
                user.verify_email(container.clock.now())
                user.approve_as_tutor(container.clock.now())
                await uow.commit()
            tutor = Actor(user_id=user_id, role=Role.TUTOR, email_verified=True)
            changes = TutorProfileChanges(hourly_rate=Money(4000, "USD"), time_zone="UTC")
            await identity.update_account(tutor, UpdateAccount(tutor=changes))
            await container.tutoring.set_availability(tutor, WORKING_HOURS)
            tutor_ids.append(str(user_id))
        for n in range(students):
            command = CreateAccount(f"student-{n:04d}@{DOMAIN}", PASSWORD, f"S {n}", Role.STUDENT)
            student_ids.append(str(await identity.create_account(Actor.system(), command)))
    finally:
        await container.dispose()
    seeded = Seeded(tutor_ids, student_ids)
    connection = await asyncpg.connect(f"{server}/{TEMPLATE}")
    try:
        # Verified addresses (holding a lesson needs one); the welcome emails are not the load.
        await connection.execute("UPDATE users SET email_verified_at = now()")
        await connection.execute(
            "UPDATE outbox_deliveries SET status = 'done', done_at = now() WHERE status <> 'done'"
        )
        await connection.execute("VACUUM ANALYZE")
        marker = seeded.marker().replace("'", "''")
        await connection.execute(f"COMMENT ON DATABASE \"{TEMPLATE}\" IS '{marker}'")
    finally:
        await connection.close()
    print(f"  seeded the template in {time.perf_counter() - started:.1f} s")
    return seeded


def mint_tokens(ids: list[str]) -> list[str]:
    settings = Settings(jwt_secret=JWT_SECRET)
    jwt = JwtAccessTokens(
        JWT_SECRET,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl_seconds=TOKEN_SECONDS,
    )
    now = datetime.now(UTC)
    return [jwt.issue(UUID(i), Role.STUDENT, now, session_id=uuid4()).token for i in ids]


# ---- slots -----------------------------------------------------------------------------------
def two_weeks() -> tuple[str, str]:
    start = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), clock_time(), UTC)
    end = start + timedelta(days=14)
    return start.strftime("%Y-%m-%dT%H:%M:%SZ"), end.strftime("%Y-%m-%dT%H:%M:%SZ")


def slots_query() -> str:
    start, end = two_weeks()
    return f"?from={start}&to={end}&duration=60"


SLOTS_LUA = r"""
local TUTORS = {}
for item in string.gmatch(TUTOR_LIST, "[^,]+") do TUTORS[#TUTORS + 1] = item end
local n = 0
function init(args) n = math.random(#TUTORS) end
function request()
  n = n + 1
  local path = string.format(PATH, TUTORS[(n % #TUTORS) + 1]) .. QUERY
  return wrk.format("GET", path)
end
"""


def run_slots(base_url: str, tutors: list[str], args: argparse.Namespace, work: Path,
              server_pid: int, seconds: float) -> Run:  # fmt: skip
    script = work / "slots.lua"
    script.write_text(
        f'local TUTOR_LIST = "{",".join(tutors)}"\nlocal PATH = "{SLOTS}"\n'
        f'local QUERY = "{slots_query()}"\n' + SLOTS_LUA
    )
    command = [
        "taskset", "-c", str(args.load_cpu), "wrk", f"-t{args.threads}", f"-c{args.connections}",
        f"-d{seconds:g}s", "--latency", "--timeout", f"{WRK_TIMEOUT:g}s", "-s", str(script),
        base_url,
    ]  # fmt: skip
    meter = CpuMeter(server_pid)
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    cpu = meter.stop()
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return Run(*parse_wrk(done.stdout), *cpu)


def check_slots(base_url: str, tutor: str) -> list[str]:
    answer = httpx.get(base_url + SLOTS % tutor + slots_query(), timeout=30)
    if answer.status_code != 200:
        return [f"slots: {answer.status_code} {answer.text[:300]}"]
    starts = answer.json().get("starts", [])
    print(f"  slots answer: {len(starts)} starts in two weeks, {len(answer.content):,} bytes")
    return [] if starts else ["slots: no free start at all"]


# ---- holds -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Attempt:
    tutor: str
    starts_at: str
    status: int
    code: str | None
    seconds: float


def hold_starts(slots_per_tutor: int) -> list[str]:
    """60-minute starts a week ahead, from 10:00 UTC, one after the other."""
    day = datetime.now(UTC).date() + timedelta(days=7)
    first = datetime.combine(day, clock_time(10), UTC)
    return [
        (first + timedelta(hours=k)).strftime("%Y-%m-%dT%H:%M:%SZ") for k in range(slots_per_tutor)
    ]


async def race(base_url: str, seeded: Seeded, tokens: list[str], args: argparse.Namespace
               ) -> tuple[list[Attempt], float]:  # fmt: skip
    starts = hold_starts(args.slots_per_tutor)
    tutors = seeded.tutors
    limits = httpx.Limits(
        max_connections=args.connections, max_keepalive_connections=args.connections
    )
    sockets = asyncio.Semaphore(args.connections)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:

        async def attempt(n: int) -> Attempt:
            tutor = tutors[n % len(tutors)]
            starts_at = starts[(n // len(tutors)) % len(starts)]
            body = {"tutor_id": tutor, "starts_at": starts_at, "duration_minutes": 60}
            async with sockets:
                began = time.perf_counter()
                answer = await client.post(
                    BOOKINGS, json=body, headers={"Authorization": f"Bearer {tokens[n]}"}
                )
                seconds = time.perf_counter() - began
            code = None
            if answer.status_code >= 400:
                try:
                    code = str(answer.json().get("code") or answer.json().get("type"))
                except ValueError:
                    code = answer.text[:80]
            return Attempt(tutor, starts_at, answer.status_code, code, seconds)

        # Connections opened before the race, so the race measures holds, not TCP handshakes.
        await asyncio.gather(*(client.get("/health/live") for _ in range(args.connections)))
        began = time.perf_counter()
        attempts = await asyncio.gather(*(attempt(n) for n in range(len(tokens))))
        return list(attempts), time.perf_counter() - began


async def verify_holds(server: str, attempts: list[Attempt]) -> tuple[list[str], Counter[int]]:
    """Problems found in the answers and the database; the winners per slot (a histogram)."""
    problems = []
    winners = Counter((a.tutor, a.starts_at) for a in attempts if a.status == 201)
    slots = {(a.tutor, a.starts_at) for a in attempts}
    per_slot = Counter(winners.get(slot, 0) for slot in slots)
    if set(per_slot) != {1}:
        problems.append(f"winners per slot (winners: slots) {dict(per_slot)}, expected all 1")
    five = [a for a in attempts if a.status >= 500]
    if five:
        problems.append(f"{len(five)} answers 5xx")
    odd = Counter((a.status, a.code) for a in attempts if a.status not in (201, 409))
    odd_409 = Counter(a.code for a in attempts if a.status == 409 and a.code != "slot-taken")
    if odd or odd_409:
        problems.append(f"unexpected answers {dict(odd)} {dict(odd_409)}")
    connection = await asyncpg.connect(f"{server}/{DATABASE}")
    try:
        stored = await connection.fetch(
            "SELECT tutor_id::text AS tutor, starts_at FROM bookings WHERE status = ANY($1)",
            list(ACTIVE),
        )
        overlaps = await connection.fetchval(
            "SELECT count(*) FROM bookings a JOIN bookings b ON a.tutor_id = b.tutor_id "
            "AND a.id < b.id AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at "
            "WHERE a.status = ANY($1) AND b.status = ANY($1)",
            list(ACTIVE),
        )
    finally:
        await connection.close()
    held = Counter((r["tutor"], r["starts_at"].strftime("%Y-%m-%dT%H:%M:%SZ")) for r in stored)
    if held != winners:
        problems.append(f"bookings stored {sum(held.values())} differ from the 201 answers")
    if overlaps:
        problems.append(f"{overlaps} pairs of active bookings of one tutor overlap")
    return problems, per_slot


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


async def _busy(server: str) -> int:
    try:
        connection = await asyncpg.connect(f"{server}/postgres")
    except asyncpg.TooManyConnectionsError:  # a server shared with other work: ask again
        return 1
    try:
        return int(
            await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND state <> 'idle'",
                DATABASE,
            )
        )
    finally:
        await connection.close()


def settle(server: str) -> None:
    deadline = time.monotonic() + 60
    while asyncio.run(_busy(server)) and time.monotonic() < deadline:
        time.sleep(0.1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=1, help="of slots; medians reported")
    parser.add_argument("--tutors", type=int, default=50)
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--slots-per-tutor", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pool-size", type=int, default=64)
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--load-cpu", type=int, default=1)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--server-log", default="")
    args = parser.parse_args()
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed")
    print(f"== template {TEMPLATE}, run in {DATABASE}")
    seeded = asyncio.run(
        ensure_template(args.server, args.tutors, args.students, reseed=args.reseed)
    )
    asyncio.run(_recreate(args.server, DATABASE, TEMPLATE))
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    (VAR_DIR / ".env").write_text(
        f"ELEARN_JWT_SECRET={JWT_SECRET}\nELEARN_JWT_ACCESS_TTL_SECONDS={TOKEN_SECONDS}\n"
    )
    tokens = mint_tokens(seeded.students)
    problems: list[str] = []
    slots = Result()
    with tempfile.TemporaryDirectory(prefix="elearn-bench-tutoring-") as tmp:
        work = Path(tmp)
        log = Path(args.server_log or work / "server.log")
        server = start_server(
            sqlalchemy_url(args.server, DATABASE), cpu=args.server_cpu, pool_size=args.pool_size,
            var_dir=VAR_DIR, log=log, cache_seconds=0.0,
        )  # fmt: skip
        try:
            pid = server.process.pid
            loop = " ".join(uvicorn_fast_path()) or "(asyncio, h11)"
            print(f"  uvicorn {loop}, pid {pid} on CPU {args.server_cpu}; load on {args.load_cpu}")
            problems += check_slots(server.base_url, seeded.tutors[0])
            for round_number in range(args.rounds if not problems else 0):
                if args.warmup:
                    run_slots(server.base_url, seeded.tutors, args, work, pid, args.warmup)
                    settle(args.server)
                run = run_slots(server.base_url, seeded.tutors, args, work, pid, args.duration)
                settle(args.server)
                slots.runs.append(run)
                print(
                    f"  round {round_number + 1}/{args.rounds} slots {run.rps:8.0f} req/s  "
                    f"p50 {run.p50 * 1000:7.1f} ms  p99 {run.p99 * 1000:7.1f} ms  "
                    f"errors {run.not_2xx + run.socket_errors}"
                )
            meter = CpuMeter(pid)
            attempts, wall = asyncio.run(race(server.base_url, seeded, tokens, args))
            cpu = meter.stop()
            settle(args.server)
            found, per_slot = asyncio.run(verify_holds(args.server, attempts))
            problems += found
        finally:
            server.stop()
    latencies = [a.seconds for a in attempts]
    statuses = Counter(a.status for a in attempts)
    print(f"\nwrk -t{args.threads} -c{args.connections}, {args.duration:g} s per run; "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    if slots.runs:
        print(
            f"  slots (two weeks)  {slots.median('rps'):8.0f} req/s  "
            f"p50 {slots.median('p50') * 1000:7.1f} ms  p99 {slots.median('p99') * 1000:7.1f} ms"
            f"  errors {slots.total('not_2xx') + slots.total('socket_errors')}  srv CPU "
            f"{slots.median('server_cpu'):.2f}  pg CPU {slots.median('postgres_cpu'):.2f}  "
            f"other CPU {slots.median('other_cpu'):.2f}"
        )
    print(
        f"  holds: {len(attempts)} attempts on {len(per_slot and seeded.tutors)} tutors x "
        f"{args.slots_per_tutor} slots in {wall:.2f} s ({len(attempts) / wall:.0f}/s), "
        f"p50 {statistics.median(latencies) * 1000:.1f} ms, p99 "
        f"{percentile(latencies, 0.99) * 1000:.1f} ms; answers {dict(sorted(statuses.items()))}; "
        f"winners per slot {dict(per_slot)}; srv CPU {cpu[0]:.2f}, pg CPU {cpu[1]:.2f}, "
        f"other CPU {cpu[3]:.2f}"
    )
    errors = slots.total("not_2xx") + slots.total("socket_errors")
    for problem in problems:
        print(f"  ! {problem}")
    failed = bool(problems or errors)
    print(f"\n{'FAIL' if failed else 'PASS'}: {errors} slot errors, {len(problems)} problems")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
