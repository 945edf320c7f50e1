"""The mixed workload of issue 19, signed in throughout: 70 % catalog and course pages, 15 %
lesson opens, 10 % progress reports, 4 % purchases with credits and 1 % lesson holds, with one
and with two API processes, on PostgreSQL.

1. seeds one database (``--database``, default ``elearn_bench_mixed``; its name must contain
   "bench") with the other benchmarks' own seeds, in turn: `tutoring_load.py`'s tutors (open
   9:00 to 17:00 UTC every day) and students, `billing_load.py`'s buyers with credits and its
   61 paid courses (and its ledger history and pending orders), and `learning_load.py`'s course
   of 50 lessons with 1,001 enrolled students; every access token is minted with one secret, as
   login issues them. ``--reseed`` seeds again; otherwise a database holding this seed is used
   as it is, its next purchases and holds after those of earlier runs (written down in the
   database's comment; ``--reseed`` when long runs have used up the 18,300 buyer x course pairs
   or the 2,240 slots);
2. for each ``--workers`` count, serves the app like `catalog_load.py` (uvicorn, uvloop and
   httptools, pool ``--pool-size`` per process; one process pinned to CPU 0, two sharing CPUs 0
   and 1), with holds per tutor and per student raised to 100 (the defaults, 2 and 3, would
   refuse most holds of a run);
3. checks the read classes answer 200 once, then loads the mix with one ``wrk`` (pinned to
   ``--load-cpu``; ``--connections`` threads of one connection each, keep-alive, loopback): each
   request's class is drawn by the mix's weights, so the requests are in the mix's proportions
   whatever each class costs, and each class is timed on its own (a connection's response is
   its last request's; the monotonic clock through LuaJIT's FFI). A warm-up of the same mix
   comes first. The classes:

   - ``catalog page``: ``GET /api/v1/courses?limit=20`` (35 %);
   - ``course page``: ``GET /api/v1/courses/{id}`` of a paid course (35 %);
   - ``lesson open``: ``GET /api/v1/lessons/{id}`` of the learning course's video lesson, as
     its enrolled student (15 %);
   - ``progress``: ``PUT /api/v1/lessons/{id}/progress`` by the 1,000 enrolled students in turn
     (10 %);
   - ``purchase``: ``POST /api/v1/courses/{id}/purchase-with-credits``, a distinct buyer x
     course pair each time (4 %);
   - ``booking``: ``POST /api/v1/bookings``, a one-hour hold of a distinct tutor x slot each
     time, by the students in turn (1 %).

Reported per class and in total: requests/s, share of the requests, p50 and p99 latency and
answers of 400 or more; socket errors; and the CPU used by the server, PostgreSQL, wrk
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
from catalog_load import CpuMeter, parse_wrk, start_server
from catalog_seed import DEFAULT_SERVER, check_name, seeded_marker, sqlalchemy_url

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


async def ensure_seeded(server: str, database: str, *, reseed: bool) -> Cast:
    check_name(database)
    _one_secret_and_one_place()
    # The other seeds write to their own databases by these names: here, to this one.
    tutoring_load.TEMPLATE = billing_load.TEMPLATE = billing_load.DATABASE = database
    marker = await seeded_marker(server, database)
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
        marker = await seeded_marker(server, database)
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


@dataclass(frozen=True)
class Class:
    """One class of requests. Its n-th request (counting from ``first``) is sent with token
    ``n % len(tokens)`` and, when there are keys, key ``n % len(keys)`` put for the ``%s`` of
    the path or the body: distinct pairs while n stays below the product of two coprime counts
    (purchases), distinct keys below their count (holds)."""

    name: str
    method: str
    path: str
    tokens: tuple[str, ...]
    keys: tuple[str, ...] = ()
    body: str | None = None
    first: int = 0


async def next_requests(server: str, database: str) -> dict[str, int]:
    """Where the next run's purchases and holds begin: after every one an earlier run sent
    (kept in the database's comment, beside the seed)."""
    marker = await seeded_marker(server, database)
    assert marker is not None and marker.startswith(MARKER)
    stored: dict[str, int] = json.loads(marker[len(MARKER) :]).get("next", {})
    return {"purchase": stored.get("purchase", 0), "booking": stored.get("booking", 0)}


async def remember_next_requests(server: str, database: str, sent: dict[str, int]) -> None:
    marker = await seeded_marker(server, database)
    assert marker is not None and marker.startswith(MARKER)
    stored = json.loads(marker[len(MARKER) :])
    stored["next"] = {**stored.get("next", {}), **sent}
    comment = f"{MARKER} {json.dumps(stored)}".replace("'", "''")
    connection = await asyncpg.connect(f"{server}/postgres")
    try:
        await connection.execute(f"COMMENT ON DATABASE \"{database}\" IS '{comment}'")
    finally:
        await connection.close()


def classes(cast: Cast, used: dict[str, int]) -> dict[str, Class]:
    tokens = billing_load.Tokens()
    reader = (tokens(UUID(cast.learner)),)
    learning = cast.learning
    course_id = cast.billing.courses[0][0]
    purchase = billing_load.scenarios(cast.billing, tokens)["credit purchase"]
    holds = tuple(
        json.dumps({"tutor_id": tutor, "starts_at": start, "duration_minutes": 60})
        for start in slot_starts()
        for tutor in cast.tutors
    )
    lessons = learning_load.LESSONS
    found = [
        Class("catalog page", "GET", "/api/v1/courses?limit=20", reader),
        Class("course page", "GET", f"/api/v1/courses/{course_id}", reader),
        Class("lesson open", "GET", f"{lessons}/{learning.video_lesson_id}", reader),
        Class(
            "progress",
            "PUT",
            f"{lessons}/{learning.text_lesson_id}/progress",
            learning_load.mint_tokens(learning.students),
            body=learning_load.PROGRESS_BODY,
        ),
        Class(
            "purchase",
            "POST",
            billing_load.PURCHASE,
            purchase.tokens,
            keys=purchase.keys,
            body="",
            first=used["purchase"],
        ),
        Class(
            "booking",
            "POST",
            tutoring_load.BOOKINGS,
            tuple(tokens(UUID(student)) for student in cast.students),
            keys=holds,
            body="%s",
            first=used["booking"],
        ),
    ]
    return {each.name: each for each in found}


def mix_lua(found: dict[str, Class], threads: int) -> str:
    """One wrk script for the whole mix: each request's class is drawn by the mix's weights;
    with one connection per thread, a thread's response is its last request's, so each class
    has its own latencies (timed with the monotonic clock through LuaJIT's FFI)."""

    def strings(values: list[str]) -> str:
        return "{" + ", ".join(billing_load.lua_string(v) for v in values) + "}"

    def plain(values: list[str]) -> str:
        return "{" + ", ".join(values) + "}"

    names = list(MIX)
    cumulative, total = [], 0.0
    for name in names:
        total += MIX[name]
        cumulative.append(f"{total:.6f}")
    each = [found[name] for name in names]
    return (
        f"local THREADS = {threads}\n"
        f"local NAMES = {strings(names)}\n"
        f"local CUMULATIVE = {plain(cumulative)}\n"
        f"local METHODS = {strings([c.method for c in each])}\n"
        f"local PATHS = {strings([c.path for c in each])}\n"
        f"local BODIES = {strings([c.body or '' for c in each])}\n"
        f"local HAS_BODY = {plain(['true' if c.body is not None else 'false' for c in each])}\n"
        f"local FIRSTS = {plain([str(c.first) for c in each])}\n"
        f"local TOKENS = {strings(['|'.join(c.tokens) for c in each])}\n"
        f"local KEYS = {strings(['|'.join(c.keys) for c in each])}\n" + MIX_LUA_BODY
    )


MIX_LUA_BODY = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } mix_timespec;
int clock_gettime(int clock, mix_timespec *now);
]]
local clock = ffi.new("mix_timespec")
local function now_us()
  ffi.C.clock_gettime(1, clock)  -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) * 1000000 + tonumber(clock.tv_nsec) / 1000
end

local function split(text)
  local items = {}
  for item in string.gmatch(text, "[^|]+") do items[#items + 1] = item end
  return items
end

local threads, next_id = {}, 0
function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  threads[#threads + 1] = thread
end

-- wrk copies flat tables between threads, not nested ones: a class's latencies are the global
-- "latencies_<class>", its answers of 400 or more errors[class].
function init(args)
  math.randomseed(os.time() * 1000 + thread_id)
  tokens, keys, issued, lat, errors = {}, {}, {}, {}, {}
  for c = 1, #NAMES do
    tokens[c], keys[c] = split(TOKENS[c]), split(KEYS[c])
    issued[c], errors[c] = 0, 0
    lat[c] = {}
    _G["latencies_" .. c] = lat[c]
  end
end

function request()
  local draw, c = math.random(), #NAMES
  for i = 1, #CUMULATIVE do
    if draw < CUMULATIVE[i] then c = i; break end
  end
  -- Thread t sends its class's requests t, t + THREADS, ...: no two threads share an n.
  local n = FIRSTS[c] + thread_id + issued[c] * THREADS
  issued[c] = issued[c] + 1
  local headers = {}
  headers["Authorization"] = "Bearer " .. tokens[c][n % #tokens[c] + 1]
  local path, body = PATHS[c], nil
  if HAS_BODY[c] then
    body = BODIES[c]
    if body ~= "" then headers["Content-Type"] = "application/json" end
  end
  if #keys[c] > 0 then
    local key = keys[c][n % #keys[c] + 1]
    if string.find(path, "%s", 1, true) then path = string.format(path, key)
    else body = string.format(body, key) end
  end
  current, started = c, now_us()
  return wrk.format(METHODS[c], path, headers, body)
end

function response(status, headers, body)
  local times = lat[current]
  times[#times + 1] = now_us() - started
  if status >= 400 then errors[current] = errors[current] + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("MIXTIME|%d|%d\n", summary.duration, summary.requests))
  -- The first n no thread has used, per class: where the next run's distinct requests begin.
  for c = 1, #NAMES do
    local next_n = FIRSTS[c]
    for _, thread in ipairs(threads) do
      local sent = thread:get("issued")[c]
      if sent > 0 then
        next_n = math.max(next_n, FIRSTS[c] + thread:get("thread_id") + sent * THREADS)
      end
    end
    io.write(string.format("MIXNEXT|%s|%d\n", NAMES[c], next_n))
  end
  for c = 1, #NAMES do
    local times, failed = {}, 0
    for _, thread in ipairs(threads) do
      for _, t in ipairs(thread:get("latencies_" .. c)) do times[#times + 1] = t end
      failed = failed + thread:get("errors")[c]
    end
    table.sort(times)
    local function at(share)
      if #times == 0 then return 0 end
      return times[math.max(1, math.ceil(share * #times))]
    end
    io.write(string.format("MIX|%s|%d|%d|%d|%d\n", NAMES[c], #times, at(0.5), at(0.99), failed))
  end
end
"""


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
@dataclass(frozen=True)
class Measured:
    name: str
    requests: int
    rps: float
    p50: float
    p99: float
    errors: int


def run_mix(
    base_url: str, found: dict[str, Class], args: argparse.Namespace, work: Path, pid: int,
    *, seconds: float,
) -> tuple[list[Measured], int, tuple[float, float, float, float]]:  # fmt: skip
    """Per class, and the socket errors of the whole run; where the next run's purchases and
    holds begin is written down in the database before this returns."""
    script = work / "mix.lua"
    script.write_text(mix_lua(found, args.connections))
    command = [
        "taskset", "-c", str(args.load_cpu), "wrk", f"-t{args.connections}",
        f"-c{args.connections}", f"-d{seconds:g}s", "--latency", "--timeout", "10s",
        "-s", str(script), base_url + "/",
    ]  # fmt: skip
    meter = CpuMeter(pid)
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 120, check=False
    )
    cpu = meter.stop()
    if done.returncode != 0 or "MIXTIME|" not in done.stdout:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    duration = 1.0
    measured = []
    sent = {}
    for line in done.stdout.splitlines():
        fields = line.split("|")
        if fields[0] == "MIXNEXT" and fields[1] in ("purchase", "booking"):
            sent[fields[1]] = int(fields[2])
        if fields[0] == "MIXTIME":
            duration = int(fields[1]) / 1e6
        elif fields[0] == "MIX":
            count, p50, p99, errors = map(int, fields[2:])
            measured.append(
                Measured(fields[1], count, count / duration, p50 / 1e6, p99 / 1e6, errors)
            )
    asyncio.run(remember_next_requests(args.server, args.database, sent))
    socket_errors = parse_wrk(done.stdout)[5]
    return measured, socket_errors, cpu


def report(
    workers: int, measured: list[Measured], socket_errors: int,
    cpu: tuple[float, float, float, float],
) -> int:  # fmt: skip
    requests = sum(m.requests for m in measured) or 1
    print(f"\n{workers} API process(es)")
    print(
        f"  {'class':13} {'req/s':>8} {'share':>6} {'mix':>5} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'errors':>7}"
    )
    for m in measured:
        print(
            f"  {m.name:13} {m.rps:8.0f} {m.requests / requests:6.1%} {MIX[m.name]:5.0%} "
            f"{m.p50 * 1000:8.1f} {m.p99 * 1000:8.1f} {m.errors:7d}"
        )
    print(f"  {'all':13} {sum(m.rps for m in measured):8.0f}   socket errors {socket_errors}")
    server, postgres, load, other = cpu
    print(f"  CPUs used: server {server:.2f}, PostgreSQL {postgres:.2f}, wrk {load:.2f}, "
          f"other {other:.2f}")  # fmt: skip
    return sum(m.errors for m in measured) + socket_errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], choices=[1, 2])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of the mix before")
    parser.add_argument("--connections", type=int, default=64, help="wrk threads, one each")
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
        found = classes(cast, asyncio.run(next_requests(args.server, args.database)))
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
                # Waits out the requests still running after wrk stops and notes what the
                # server logged (`billing_load.py`'s, on this database).
                aftermath = billing_load.Aftermath(server, args.server, problems)
                pid = server.process.pid
                if args.warmup > 0:
                    run_mix(server.base_url, found, args, work, pid, seconds=args.warmup)
                    aftermath.settle("warm-up")
                    found = classes(cast, asyncio.run(next_requests(args.server, args.database)))
                measured, socket_errors, cpu = run_mix(
                    server.base_url, found, args, work, pid, seconds=args.duration
                )
                aftermath.settle("the mix")
                errors += report(workers, measured, socket_errors, cpu)
                unbalanced = books_balance(server.base_url, args.server, cast)
                for problem in unbalanced:
                    print(f"  ! after the load, {problem}")
                print(f"  books: {'balanced' if not unbalanced else 'NOT balanced'}")
                errors += len(unbalanced) + len(problems)
            finally:
                server.stop()
    print(f"\n{'FAIL' if errors else 'PASS'}: {errors} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
