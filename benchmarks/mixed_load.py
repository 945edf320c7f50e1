"""The mixed workload of issue 19, signed in throughout: 70 % catalog and course pages, 15 %
lesson opens, 10 % progress reports, 4 % purchases with credits and 1 % lesson holds, with one
and with two API processes, on PostgreSQL.

1. seeds one database (``--database``, default ``elearn_bench_mixed``; its name must contain
   "bench") with the other benchmarks' own seeds, in turn: `tutoring_load.py`'s tutors (open
   9:00 to 17:00 UTC every day) and students, `billing_load.py`'s buyers with credits and its
   61 paid courses (and its ledger history and pending orders), and `learning_load.py`'s course
   of 50 lessons with 1,001 enrolled students; every access token is minted with one secret, as
   login issues them. ``--reseed`` seeds again; otherwise a database holding this seed is used
   as it is (the purchases and holds of an earlier run stay: run with ``--reseed`` when a long
   run has used up the buyer x course pairs or the slots);
2. for each ``--workers`` count, serves the app like `catalog_load.py` (uvicorn, uvloop and
   httptools, pool ``--pool-size`` per process; one process pinned to CPU 0, two sharing CPUs 0
   and 1), with holds per tutor and per student raised to 100 (the defaults, 2 and 3, would
   refuse most holds of a run);
3. checks each class answers as it should once, then runs one ``wrk`` per class at the same time
   (pinned to ``--load-cpu``), the ``--connections`` split between the classes in the mix's
   proportions (at least one each), after a warm-up of the read classes:

   - ``catalog page``: ``GET /api/v1/courses?limit=20`` (35 %);
   - ``course page``: ``GET /api/v1/courses/{slug}`` of a paid course (35 %);
   - ``lesson open``: ``GET /api/v1/lessons/{id}`` of the learning course's video lesson, as
     its enrolled student (15 %);
   - ``progress``: ``PUT /api/v1/lessons/{id}/progress`` by the 1,000 enrolled students in turn
     (10 %);
   - ``purchase``: ``POST /api/v1/courses/{id}/purchase-with-credits``, a distinct buyer x
     course pair each time (4 %);
   - ``booking``: ``POST /api/v1/bookings``, a one-hour hold of a distinct tutor x slot each
     time, by the students in turn (1 %).

   Each connection sends its next request when the last is answered (a closed loop), so a class
   slower than the others gets a smaller share of the requests than of the connections: the
   share each class had is printed beside its figures.

Reported per class and in total: requests/s, share of the requests, p50 and p99 latency,
responses other than 2xx/3xx and socket errors; and the CPU used by the server, PostgreSQL, wrk
and the rest (`catalog_load.py`'s meter); then whether the books balance (the trial balance is
zero and every account's balance is the sum of its lines). The exit status is 1 when any
response was an error, a check before the load failed or the books do not balance. Usage
(from the project root):

    .venv/bin/python benchmarks/mixed_load.py [--workers 1 2] [--duration 10] [--warmup 2]
        [--connections 64] [--pool-size 32] [--database elearn_bench_mixed] [--reseed]

Loopback only; stops the server by itself. Needs wrk and taskset, and a PostgreSQL server at
``--server`` (default postgresql://postgres@127.0.0.1:5432) where it may create databases.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from uuid import UUID

import asyncpg
import billing_load
import httpx
import learning_load
import tutoring_load
from catalog_load import CpuMeter, Run, parse_wrk, start_server
from catalog_seed import DEFAULT_SERVER, sqlalchemy_url

from elearn.adapters.persistence.migrations import find_migrations_dir, upgrade
from elearn.domain.identity.roles import Role

MARKER = "mixed_seed 1"
JWT_SECRET = "mixed-bench-jwt-secret-not-for-production-000000"
TOKEN_SECONDS = 86_400
VAR_DIR = Path(tempfile.gettempdir()) / "elearn-bench-mixed"
TUTORS, STUDENTS = 20, 200
SLOT_DAYS = range(2, 16)  # holds from the day after tomorrow, for two weeks
SLOT_HOURS = range(9, 17)  # within the tutors' 9:00 to 17:00 UTC
# Share of the requests the mix gives each class.
MIX = {
    "catalog page": 0.35,
    "course page": 0.35,
    "lesson open": 0.15,
    "progress": 0.10,
    "purchase": 0.04,
    "booking": 0.01,
}
WRITES = ("progress", "purchase", "booking")
EXPECTED = {"progress": 200, "purchase": 201, "booking": 201}
SERVER_ENV = {
    "ELEARN_JWT_SECRET": JWT_SECRET,
    "ELEARN_JWT_ACCESS_TTL_SECONDS": str(TOKEN_SECONDS),
    "ELEARN_UNPAID_HOLDS_PER_TUTOR": "100",
    "ELEARN_UNPAID_HOLDS_PER_STUDENT": "100",
    "ELEARN_MEDIA_URL_SECONDS": "3600",
}


# ---- the seed --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cast:
    learning: learning_load.Seeded
    learner: str  # the learning seed's own student, enrolled and through a section
    billing: billing_load.Cast
    tutors: list[str]
    students: list[str]


def _one_secret_and_one_place() -> None:
    """Every seed mints its tokens with the server's one secret and keeps its files here, not
    in the directories of the benchmarks it comes from."""
    for module in (billing_load, learning_load, tutoring_load):
        module.JWT_SECRET = JWT_SECRET  # type: ignore[attr-defined]
        module.VAR_DIR = VAR_DIR  # type: ignore[attr-defined]


async def _marker(server: str, database: str) -> str | None:
    connection = await asyncpg.connect(f"{server}/postgres")
    try:
        return await connection.fetchval(  # type: ignore[no-any-return]
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
            database,
        )
    finally:
        await connection.close()


async def ensure_seeded(server: str, database: str, *, reseed: bool) -> Cast:
    if "bench" not in database or not database.replace("_", "").isalnum():
        raise SystemExit(f"refusing to use database {database!r}: its name must contain 'bench'")
    _one_secret_and_one_place()
    # The other seeds write to their own databases by these names: here, to this one.
    tutoring_load.TEMPLATE = billing_load.TEMPLATE = billing_load.DATABASE = database
    marker = await _marker(server, database)
    if reseed or not (marker or "").startswith(MARKER):
        started = time.perf_counter()
        print(f"  seeding {database} (tutoring, billing, learning)")
        # Creates the database afresh, migrated, with the tutors and the students.
        seeded = await tutoring_load.ensure_template(server, TUTORS, STUDENTS, reseed=True)
        url = sqlalchemy_url(server, database)
        await billing_load.seed(billing_load.seed_settings(url), server, billing_load.SeedSpec())
        learning = await learning_load.seed(learning_load.seed_settings(url))
        connection = await asyncpg.connect(f"{server}/{database}")
        try:
            await connection.execute(
                "UPDATE outbox_deliveries SET status = 'done', done_at = now() "
                "WHERE status <> 'done'"
            )
            await connection.execute("VACUUM ANALYZE")
            payload = json.dumps(
                {"tutors": seeded.tutors, "students": seeded.students,
                 "learning": learning.marker()}
            )  # fmt: skip
            comment = f"{MARKER} {payload}".replace("'", "''")
            await connection.execute(f"COMMENT ON DATABASE \"{database}\" IS '{comment}'")
        finally:
            await connection.close()
        print(f"  seeded in {time.perf_counter() - started:.1f} s")
        marker = await _marker(server, database)
    else:
        await upgrade(sqlalchemy_url(server, database), find_migrations_dir())
    assert marker is not None
    stored = json.loads(marker[len(MARKER) :])
    learning = learning_load.Seeded.from_marker(stored["learning"])
    if learning is None:
        raise SystemExit("the learning seed's format changed: run again with --reseed")
    connection = await asyncpg.connect(f"{server}/{database}")
    try:
        learner = await connection.fetchval(
            "SELECT id FROM users WHERE email = $1", learning_load.STUDENT
        )
    finally:
        await connection.close()
    return Cast(
        learning=learning,
        learner=str(learner),
        billing=await billing_load.read_cast(server),
        tutors=stored["tutors"],
        students=stored["students"],
    )


# ---- the classes -----------------------------------------------------------------------------
def slot_starts() -> list[str]:
    today = datetime.now(UTC).date()
    return [
        datetime.combine(today + timedelta(days=day), clock_time(hour), UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        for day in SLOT_DAYS
        for hour in SLOT_HOURS
    ]


def booking_lua(tokens: list[str], tutors: list[str], starts: list[str], first: int) -> str:
    """Request n (from ``first`` on) holds tutor ``n % tutors`` at start ``n // tutors``, by
    student ``n % students``: no slot is asked for twice."""
    lua_string = billing_load.lua_string
    return (
        f"local FIRST = {first}\n"
        f"local TOKENS = {lua_string(','.join(tokens))}\n"
        f"local TUTORS = {lua_string(','.join(tutors))}\n"
        f"local STARTS = {lua_string(','.join(starts))}\n"
        r"""
local function split(text)
  local items = {}
  for item in string.gmatch(text, "[^,]+") do items[#items + 1] = item end
  return items
end
function init(args)
  tokens, tutors, starts, issued = split(TOKENS), split(TUTORS), split(STARTS), 0
end
function request()
  local n = FIRST + issued
  issued = issued + 1
  local tutor = tutors[n % #tutors + 1]
  local start = starts[(math.floor(n / #tutors) % #starts) + 1]
  local body = '{"tutor_id": "' .. tutor .. '", "starts_at": "' .. start
    .. '", "duration_minutes": 60}'
  local headers = {}
  headers["Authorization"] = "Bearer " .. tokens[n % #tokens + 1]
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", "/api/v1/bookings", headers, body)
end
"""
    )


@dataclass(frozen=True)
class Class:
    name: str
    path: str
    lua: str


async def writes_so_far(server: str, database: str) -> dict[str, int]:
    """Purchases with credits and holds already in the database (by earlier runs): the next
    run's pairs and slots come after theirs."""
    connection = await asyncpg.connect(f"{server}/{database}")
    try:
        purchases = await connection.fetchval(
            "SELECT count(*) FROM orders WHERE method = 'credits'"
        )
        bookings = await connection.fetchval("SELECT count(*) FROM bookings")
    finally:
        await connection.close()
    return {"purchase": int(purchases), "booking": int(bookings)}


def classes(cast: Cast, used: dict[str, int]) -> dict[str, Class]:
    tokens = billing_load.Tokens()
    reader = tokens(UUID(cast.learner))
    learning = cast.learning
    course_id = cast.billing.courses[0][0]
    progress = learning_load.Target(
        f"{learning_load.LESSONS}/{learning.text_lesson_id}/progress",
        1,
        method="PUT",
        body=learning_load.PROGRESS_BODY,
        headers=(("Content-Type", "application/json"),),
        tokens=learning_load.mint_tokens(learning.students),
    )
    purchase = billing_load.scenarios(cast.billing, tokens)["credit purchase"]
    return {
        "catalog page": Class(
            "catalog page", "/api/v1/courses?limit=20", _static_lua("GET", reader)
        ),
        "course page": Class(
            "course page", f"/api/v1/courses/{course_id}", _static_lua("GET", reader)
        ),
        "lesson open": Class(
            "lesson open",
            f"{learning_load.LESSONS}/{learning.video_lesson_id}",
            _static_lua("GET", reader),
        ),
        "progress": Class("progress", progress.path, progress.lua(reader)),
        "purchase": Class("purchase", "/", purchase.lua(first=1 + used["purchase"], threads=1)),
        "booking": Class(
            "booking",
            "/",
            booking_lua(
                [tokens(UUID(s)) for s in cast.students],
                cast.tutors,
                slot_starts(),
                first=used["booking"],
            ),
        ),
    }


def _static_lua(method: str, token: str) -> str:
    return learning_load.Target("", 1, method=method).lua(token)


def check(base_url: str, cast: Cast, found: dict[str, Class]) -> list[str]:
    """The read classes answer 200 once; the writes are checked by their own benchmarks and by
    the status counts of the run."""
    problems = []
    headers = {"Authorization": f"Bearer {billing_load.Tokens()(UUID(cast.learner))}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        for name in ("catalog page", "course page", "lesson open"):
            answer = client.get(found[name].path)
            if answer.status_code != 200:
                problems.append(f"{name}: {answer.status_code} {answer.text[:300]}")
    return problems


def books_balance(base_url: str, server: str, cast: Cast) -> list[str]:
    """After the load: the trial balance is zero and shows every account's running balance
    (`billing_load.py`'s check)."""
    admin = billing_load.Tokens()(cast.billing.admin, Role.ADMIN)
    answer = httpx.get(
        base_url + billing_load.TRIAL_BALANCE,
        headers={"Authorization": f"Bearer {admin}"},
        timeout=120,
    )
    if answer.status_code != 200:
        return [f"trial balance: {answer.status_code} {answer.text[:300]}"]
    running = asyncio.run(billing_load.running_balances(server))
    return billing_load.trial_problems(answer.json(), running)


# ---- the load --------------------------------------------------------------------------------
def connections_of(total: int) -> dict[str, int]:
    return {name: max(1, round(total * share)) for name, share in MIX.items()}


def run_mix(
    base_url: str, found: dict[str, Class], args: argparse.Namespace, work: Path, pid: int,
    *, seconds: float, names: tuple[str, ...],
) -> tuple[dict[str, Run], tuple[float, float, float, float]]:  # fmt: skip
    connections = connections_of(args.connections)
    processes = {}
    meter = CpuMeter(pid)
    for name in names:
        script = work / f"{name.replace(' ', '_')}.lua"
        script.write_text(found[name].lua)
        command = [
            "taskset", "-c", str(args.load_cpu), "wrk", "-t1", f"-c{connections[name]}",
            f"-d{seconds:g}s", "--latency", "--timeout", "10s", "-s", str(script),
            base_url + found[name].path,
        ]  # fmt: skip
        processes[name] = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    runs = {}
    for name, process in processes.items():
        output, _ = process.communicate(timeout=seconds + 60)
        if process.returncode != 0:
            raise RuntimeError(f"wrk ({name}) failed ({process.returncode}):\n{output}")
        runs[name] = Run(*parse_wrk(output), 0.0, 0.0, 0.0, 0.0)
    return runs, meter.stop()


def report(workers: int, runs: dict[str, Run], cpu: tuple[float, float, float, float]) -> int:
    total = sum(run.rps for run in runs.values())
    print(f"\n{workers} API process(es)")
    print(
        f"  {'class':13} {'req/s':>8} {'share':>6} {'mix':>5} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'non-2xx':>8} {'sock err':>8}"
    )
    errors = 0
    for name, run in runs.items():
        errors += run.not_2xx + run.socket_errors
        print(
            f"  {name:13} {run.rps:8.0f} {run.rps / total:6.1%} {MIX[name]:5.0%} "
            f"{run.p50 * 1000:8.1f} {run.p99 * 1000:8.1f} {run.not_2xx:8d} {run.socket_errors:8d}"
        )
    print(f"  {'all':13} {total:8.0f}")
    server, postgres, load, other = cpu
    print(f"  CPUs used: server {server:.2f}, PostgreSQL {postgres:.2f}, wrk {load:.2f}, "
          f"other {other:.2f}")  # fmt: skip
    return errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], choices=[1, 2])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of reads before")
    parser.add_argument("--connections", type=int, default=64, help="split by the mix")
    parser.add_argument("--pool-size", type=int, default=32, help="per API process")
    parser.add_argument("--load-cpu", type=int, default=1, help="wrk is pinned to it")
    parser.add_argument("--database", default="elearn_bench_mixed")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--server", default=DEFAULT_SERVER, help="PostgreSQL, no database")
    args = parser.parse_args()
    if not 1 <= args.duration <= 600 or not 0 <= args.warmup <= 60:
        parser.error("--duration is 1 to 600 s, --warmup 0 to 60 s")
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed")
    cast = asyncio.run(ensure_seeded(args.server, args.database, reseed=args.reseed))
    url = sqlalchemy_url(args.server, args.database)
    errors = 0
    for workers in args.workers:
        found = classes(cast, asyncio.run(writes_so_far(args.server, args.database)))
        with tempfile.TemporaryDirectory(prefix="elearn-bench-mixed-") as tmp:
            work = Path(tmp)
            (work / ".env").write_text("".join(f"{k}={v}\n" for k, v in SERVER_ENV.items()))
            server = start_server(
                url, cpu=0, pool_size=args.pool_size, var_dir=work, log=work / "server.log",
                cache_seconds=1, workers=workers, cpus="0" if workers == 1 else "0,1",
            )  # fmt: skip
            try:
                problems = check(server.base_url, cast, found)
                for problem in problems:
                    print(f"  ! {problem}")
                errors += len(problems)
                pid = server.process.pid
                reads = tuple(name for name in MIX if name not in WRITES)
                if args.warmup > 0:
                    run_mix(server.base_url, found, args, work, pid, seconds=args.warmup,
                            names=reads)  # fmt: skip
                runs, cpu = run_mix(
                    server.base_url, found, args, work, pid, seconds=args.duration,
                    names=tuple(MIX),
                )  # fmt: skip
                failed = report(workers, runs, cpu)
                unbalanced = books_balance(server.base_url, args.server, cast)
                for problem in unbalanced:
                    print(f"  ! after the load, {problem}")
                print(f"  books: {'balanced' if not unbalanced else 'NOT balanced'}")
                errors += len(unbalanced)
                if failed:
                    print("  server log (last lines):\n    " + server.log_excerpt().replace(
                        "\n", "\n    "))  # fmt: skip
                errors += failed
            finally:
                server.stop()
    print(f"\n{'FAIL' if errors else 'PASS'}: {errors} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
