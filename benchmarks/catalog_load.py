"""Catalog throughput and latency under a real HTTP load tool, at one or more catalog sizes.

For each ``--courses`` size (several sizes are run one after the other and compared):

1. seeds the database ``elearn_bench_<courses>`` with `catalog_seed.py` (500 tutors, 30
   categories, 200,000 enrollments and 50,000 reviews as course counters; see its docstring),
   unless it already holds exactly that (``--reseed`` forces it);
2. serves the app with uvicorn, one worker (uvloop, httptools, no access log, log level
   WARNING), pinned to CPU 0 with ``taskset``, from that database with a pool of 64 connections;
3. finds the URLs: the first catalog page (``GET /api/v1/courses?limit=20``, newest first), the
   page reached by following ``next_cursor`` 50 times, a text search (``q=kubernetes``, about
   1 % of courses match), a filtered list (beginner, English, at most 50 USD, most popular first)
   and the detail of the first page's first course (``GET /api/v1/courses/{slug}``); the first
   page, the deep page and the detail also as a seeded tutor signed in (``Authorization:
   Bearer``, signed in afresh before each run: a signed-in answer is never cached, and the
   course page authenticates every request);
4. loads each URL in turn with ``wrk`` pinned to CPU 1 (2 threads, 64 connections, keep-alive,
   on loopback): a short warm-up, then ``--duration`` seconds measured. With ``--rounds N`` the
   scenarios are interleaved N times and the medians reported.

Reported per scenario: requests/s, p50 and p99 latency (wrk's ``--latency``), responses that
were not 2xx or 3xx and socket errors (any of either is an error; the server's log is then
shown), and the CPU used meanwhile by the server, PostgreSQL, wrk and everything else on the
machine (in CPUs: 1.00 is one core busy; PostgreSQL is not pinned and shares both cores; when
other processes took a noticeable share, a WARN line says the figures are suspect), and the
server's CPU milliseconds per request (its CPU over its requests: the figure that depends least
on how busy the machine is, to compare builds and to set beside other systems'). Then the
targets of the issue: the first page at least 1,500 requests/s with p99 under 100 ms; the deep
page and the detail within 20 % of the first page's throughput; and, when two sizes are given,
the first page, deep page and detail throughput at the larger within 25 % of the smaller (p99
of both is shown). The exit status is 1 when a target is missed. Usage (from the project root):

    .venv/bin/python benchmarks/catalog_load.py [--courses 10000 [100000]] [--duration 10]
        [--rounds 1] [--warmup 2] [--connections 64] [--reseed] [--server-log PATH]
        [--database-prefix elearn_bench]

Loopback only; stops the server by itself. Needs wrk and taskset, and a PostgreSQL server at
``--server`` (default postgresql://postgres@127.0.0.1:5432) where it may create databases.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
from catalog_seed import DEFAULT_SERVER, TUTOR_PASSWORD, SeedSpec, ensure_seeded

BIN = Path(sys.executable).parent
LIVE = "/health/live"
COURSES = "/api/v1/courses"
PAGE = 20
CURSOR_STEPS = 50
SEARCH = {"q": "kubernetes"}
FILTER = {"level": "beginner", "language": "en", "price_max": "5000", "sort": "popular"}
SCENARIOS = [
    "first page", "deep page", "search", "filtered", "detail",
    "first page signed in", "deep page signed in", "detail signed in",
]  # fmt: skip
SIGNED_IN = {"first page signed in", "deep page signed in", "detail signed in"}
LOGIN = "/api/v1/auth/login"
READER = "tutor-001@bench.elearn.test"  # a seeded tutor, reading a course that may be another's
TARGET_FIRST_RPS = 1500.0
TARGET_FIRST_P99 = 0.100
TARGET_SAME_AS_FIRST = 0.80  # deep page and detail: at least this share of the first page
TARGET_SCALING = 0.75  # throughput at the larger catalog: at least this share of the smaller
OTHER_CPU_WARNING = 0.15  # CPUs used by unrelated processes above which the figures are suspect


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- the server ------------------------------------------------------------------------------
@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def log_excerpt(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        return "\n".join(text[-lines:]) or "(the server log is empty)"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def uvicorn_fast_path() -> list[str]:
    """uvloop and httptools when installed (uvicorn[standard]); uvicorn's own otherwise."""
    probe = subprocess.run(
        [sys.executable, "-c", "import uvloop, httptools"], capture_output=True, check=False
    )
    return ["--loop", "uvloop", "--http", "httptools"] if probe.returncode == 0 else []


def start_server(
    database_url: str,
    *,
    cpu: int,
    pool_size: int,
    var_dir: Path,
    log: Path,
    cache_seconds: float,
    workers: int = 1,
    cpus: str | None = None,
) -> Server:
    """``workers`` API processes (uvicorn's own supervisor: they share one listening socket)
    pinned to ``cpus`` (``"0"``, ``"0,1"``; ``cpu`` when not given)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ELEARN_")}
    env |= {
        "ELEARN_DATABASE_URL": database_url,
        "ELEARN_DATABASE_POOL_SIZE": str(pool_size),
        "ELEARN_LOG_LEVEL": "WARNING",
        "ELEARN_VAR_DIR": str(var_dir),
        "ELEARN_CATALOG_CACHE_SECONDS": str(cache_seconds),
    }
    args = [
        "taskset", "-c", cpus or str(cpu), str(BIN / "uvicorn"), "--factory",
        "elearn.entrypoints.http.app:create_app", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--no-access-log", "--no-server-header",
        "--log-level", "warning",
        *uvicorn_fast_path(),
    ]  # fmt: skip
    # Run from the scratch directory: no developer's .env file is read.
    with log.open("wb") as out:
        process = subprocess.Popen(args, env=env, cwd=var_dir, stdout=out, stderr=subprocess.STDOUT)
    server = Server(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 60 * workers  # a loaded machine starts several slowly
    while True:
        try:
            if httpx.get(server.base_url + LIVE, timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"the server exited before answering:\n{server.log_excerpt()}")
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(
                f"the server did not answer within {60 * workers} s:\n{server.log_excerpt()}"
            )
        time.sleep(0.05)


def discover(base_url: str) -> tuple[dict[str, str], list[str]]:
    """The scenarios' paths, each checked to answer 200; and what went wrong with the rest."""
    paths: dict[str, str] = {}
    problems: list[str] = []
    first = f"{COURSES}?limit={PAGE}"
    with httpx.Client(base_url=base_url, timeout=30) as client:

        def fetch(path: str) -> dict[str, object] | None:
            response = client.get(path)
            if response.status_code != 200:
                problems.append(f"GET {path}: {response.status_code} {response.text[:300]}")
                return None
            body: dict[str, object] = response.json()
            return body

        page = fetch(first)
        if page is None:
            return paths, problems
        paths["first page"] = first
        items: list[dict[str, object]] = page.get("items", [])  # type: ignore[assignment]
        cursor = page.get("next_cursor")
        deep = None
        for step in range(CURSOR_STEPS):
            if not cursor:
                problems.append(f"deep page: no next_cursor after {step} steps")
                break
            deep = f"{COURSES}?limit={PAGE}&cursor={quote(str(cursor), safe='')}"
            following = fetch(deep)
            if following is None:
                deep = None
                break
            cursor = following.get("next_cursor")
        if deep is not None:
            paths["deep page"] = deep
        for name, params in (("search", SEARCH), ("filtered", FILTER)):
            path = f"{COURSES}?{urlencode({**params, 'limit': PAGE})}"
            found = fetch(path)
            if found is not None:
                if not found.get("items"):
                    problems.append(f"{name}: {path} found nothing (still measured)")
                paths[name] = path
        if items:
            detail = f"{COURSES}/{items[0]['slug']}"
            if fetch(detail) is not None:
                paths["detail"] = detail
        else:
            problems.append("detail: the first page is empty")
        headers = sign_in(base_url)
        for name in SCENARIOS:
            anonymous = name.removesuffix(" signed in")
            if name not in SIGNED_IN or anonymous not in paths:
                continue
            signed_in = client.get(paths[anonymous], headers=headers)
            if signed_in.status_code == 200:
                paths[name] = paths[anonymous]
            else:
                problems.append(f"{name}: {signed_in.status_code} {signed_in.text[:300]}")
    return paths, problems


def sign_in(base_url: str, email: str = READER, password: str = TUTOR_PASSWORD) -> dict[str, str]:
    """The Authorization header of a fresh sign-in."""
    response = httpx.post(base_url + LOGIN, json={"email": email, "password": password}, timeout=30)
    if response.status_code != 200:
        raise RuntimeError(f"POST {LOGIN} as {email}: {response.status_code} {response.text[:300]}")
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


# ---- the load --------------------------------------------------------------------------------
@dataclass
class Run:
    rps: float
    p50: float
    p99: float
    requests: int
    not_2xx: int
    socket_errors: int
    server_cpu: float
    postgres_cpu: float
    wrk_cpu: float
    other_cpu: float

    @property
    def server_ms_per_request(self) -> float:
        """The server's CPU per request: far less sensitive to a busy machine than req/s."""
        return self.server_cpu / self.rps * 1000 if self.rps else 0.0


@dataclass
class Result:
    runs: list[Run] = field(default_factory=list)

    def median(self, name: str) -> float:
        return statistics.median(getattr(run, name) for run in self.runs)

    def total(self, name: str) -> int:
        return sum(getattr(run, name) for run in self.runs)


_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _seconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> tuple[float, float, float, int, int, int]:
    """requests/s, p50 and p99 in seconds, requests, non-2xx/3xx responses, socket errors."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    requests = re.search(r"(\d+) requests in", output)
    if not (rps and p50 and p99 and requests):
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    not_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return (
        float(rps.group(1)),
        _seconds(p50.group(1)),
        _seconds(p99.group(1)),
        int(requests.group(1)),
        int(not_2xx.group(1)) if not_2xx else 0,
        sum(int(n) for n in sockets.groups()) if sockets else 0,
    )


def _with_children(pid: int) -> list[int]:
    """The process and its children (the API processes under uvicorn's supervisor)."""
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            pids += [int(child) for child in task.read_text().split()]
        except OSError:
            continue
    return pids


def _cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended meanwhile
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().startswith("postgres"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _children_cpu_seconds() -> float:
    """Of the children this process has waited for (wrk, once it is done)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _machine_busy_seconds() -> float:
    """CPU time spent on anything but idling, summed over every CPU."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU used during a run, in CPUs (1.00 is one core busy all along): by the server, by
    PostgreSQL, by wrk, and by everything else on the machine (which should be about 0)."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.postgres = _postgres_pids()
        self.start = self._sample()

    def _sample(self) -> tuple[float, float, float, float, float]:
        return (
            time.perf_counter(),
            _cpu_seconds(_with_children(self.server_pid)),
            _cpu_seconds(self.postgres),
            _children_cpu_seconds(),
            _machine_busy_seconds(),
        )

    def stop(self) -> tuple[float, float, float, float]:
        end = self._sample()
        wall, server, postgres, wrk, busy = (b - a for a, b in zip(self.start, end, strict=True))
        other = max(0.0, busy - server - postgres - wrk)
        return server / wall, postgres / wall, wrk / wall, other / wall


def wrk(
    url: str,
    *,
    seconds: float,
    connections: int,
    threads: int,
    cpu: int,
    server_pid: int,
    headers: dict[str, str] | None = None,
) -> Run:
    sent = [arg for name, value in (headers or {}).items() for arg in ("-H", f"{name}: {value}")]
    args = [
        "taskset", "-c", str(cpu), "wrk", f"-t{threads}", f"-c{connections}",
        f"-d{seconds:g}s", "--latency", "--timeout", "10s", *sent, url,
    ]  # fmt: skip
    meter = CpuMeter(server_pid)
    done = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 60, check=False)
    cpu_use = meter.stop()
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return Run(*parse_wrk(done.stdout), *cpu_use)


@dataclass
class SizeReport:
    courses: int
    seeded_in: float | None
    results: dict[str, Result]
    problems: list[str]


def measure_size(args: argparse.Namespace, courses: int) -> SizeReport:
    spec = SeedSpec(courses=courses)
    database = f"{args.database_prefix}_{courses}"
    print(f"== {courses:,} courses: database {database}")
    url, seeded_in = asyncio.run(
        ensure_seeded(spec, server=args.server, database=database, reseed=args.reseed)
    )
    print("  seeded in " + (f"{seeded_in:.1f} s" if seeded_in else "an earlier run"))
    results: dict[str, Result] = {}
    with tempfile.TemporaryDirectory(prefix="elearn-bench-") as tmp:
        log = Path(args.server_log or Path(tmp) / "server.log")
        server = start_server(
            url,
            cpu=args.server_cpu,
            pool_size=args.pool_size,
            var_dir=Path(tmp),
            log=log,
            cache_seconds=args.cache_seconds,
        )
        try:
            paths, problems = discover(server.base_url)
            for problem in problems:
                print(f"  ! {problem}")
            loop = " ".join(uvicorn_fast_path()) or "(asyncio, h11)"
            print(
                f"  uvicorn {loop}, pid {server.process.pid} on CPU {args.server_cpu}; "
                f"wrk on CPU {args.load_cpu}"
            )
            for name, path in paths.items():
                print(f"  {name:20} {path if len(path) < 90 else path[:87] + '...'}")
            load = functools.partial(
                wrk,
                connections=args.connections,
                threads=args.threads,
                cpu=args.load_cpu,
                server_pid=server.process.pid,
            )
            for round_number in range(args.rounds):
                for name in SCENARIOS:
                    if name not in paths:
                        continue
                    target = server.base_url + paths[name]
                    headers = sign_in(server.base_url) if name in SIGNED_IN else None
                    if args.warmup > 0:
                        warmup = load(target, seconds=args.warmup, headers=headers)
                        if warmup.not_2xx or warmup.socket_errors:
                            problems.append(
                                f"{name}: warm-up had {warmup.not_2xx} non-2xx responses and "
                                f"{warmup.socket_errors} socket errors"
                            )
                            print(f"  ! {problems[-1]}")
                    run = load(target, seconds=args.duration, headers=headers)
                    results.setdefault(name, Result()).runs.append(run)
                    print(
                        f"  round {round_number + 1}/{args.rounds} {name:20} "
                        f"{run.rps:8.0f} req/s  p50 {run.p50 * 1000:6.1f} ms  "
                        f"p99 {run.p99 * 1000:6.1f} ms  errors {run.not_2xx + run.socket_errors}  "
                        f"server {run.server_ms_per_request:.3f} ms CPU"
                    )
                    if server.process.poll() is not None:
                        raise RuntimeError(f"the server exited:\n{server.log_excerpt()}")
            errors = sum(r.total("not_2xx") + r.total("socket_errors") for r in results.values())
            if errors or problems:
                print(f"  server log (last lines of {log}):")
                print("    " + server.log_excerpt().replace("\n", "\n    "))
        finally:
            server.stop()
    return SizeReport(courses, seeded_in, results, problems)


# ---- the report ------------------------------------------------------------------------------
def print_table(report: SizeReport) -> list[tuple[str, bool]]:
    results = report.results
    print(f"\n{report.courses:,} courses")
    print(
        f"  {'scenario':20} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs first':>9} "
        f"{'non-2xx':>8} {'sock err':>8} {'srv CPU':>8} {'pg CPU':>7} {'wrk CPU':>8} "
        f"{'other CPU':>9} {'srv ms/req':>10}"
    )
    first = results.get("first page")
    for name in SCENARIOS:
        if name not in results:
            print(f"  {name:20} not measured")
            continue
        r = results[name]
        ratio = f"{r.median('rps') / first.median('rps'):.2f}" if first else "-"
        print(
            f"  {name:20} {r.median('rps'):8.0f} {r.median('p50') * 1000:8.1f} "
            f"{r.median('p99') * 1000:8.1f} {ratio:>9} {r.total('not_2xx'):8d} "
            f"{r.total('socket_errors'):8d} {r.median('server_cpu'):8.2f} "
            f"{r.median('postgres_cpu'):7.2f} {r.median('wrk_cpu'):8.2f} "
            f"{r.median('other_cpu'):9.2f} {r.median('server_ms_per_request'):10.3f}"
        )
    checks: list[tuple[str, bool]] = []
    errors = sum(r.total("not_2xx") + r.total("socket_errors") for r in results.values())
    checks.append((f"no error responses or socket errors ({errors})", errors == 0))
    every = len(SCENARIOS)
    checks.append((f"every scenario answered 200 ({len(results)}/{every})", len(results) == every))
    if first:
        rps, p99 = first.median("rps"), first.median("p99")
        checks.append(
            (f"first page >= {TARGET_FIRST_RPS:g} req/s ({rps:.0f})", rps >= TARGET_FIRST_RPS)
        )
        checks.append(
            (f"first page p99 < {TARGET_FIRST_P99 * 1000:g} ms ({p99 * 1000:.1f} ms)",
             p99 < TARGET_FIRST_P99)
        )  # fmt: skip
        for name in ("deep page", "detail", "detail signed in"):
            if name in results:
                share = results[name].median("rps") / rps
                checks.append(
                    (f"{name} within 20 % of the first page ({share:.2f})",
                     share >= TARGET_SAME_AS_FIRST)
                )  # fmt: skip
    for text, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    other = max((r.median("other_cpu") for r in results.values()), default=0.0)
    if other > OTHER_CPU_WARNING:
        print(
            f"  WARN  other processes used up to {other:.2f} CPUs during the runs: the machine "
            "was not quiet, these figures understate the app (run again when it is idle)"
        )
    return checks


def print_scaling(small: SizeReport, large: SizeReport) -> list[tuple[str, bool]]:
    print(f"\n{large.courses:,} courses against {small.courses:,}")
    checks = []
    for name in ("first page", "deep page", "detail", "detail signed in", "search", "filtered"):
        if name not in small.results or name not in large.results:
            continue
        a, b = small.results[name], large.results[name]
        share = b.median("rps") / a.median("rps")
        print(
            f"  {name:20} {a.median('rps'):8.0f} -> {b.median('rps'):8.0f} req/s ({share:.2f}), "
            f"p99 {a.median('p99') * 1000:.1f} -> {b.median('p99') * 1000:.1f} ms"
        )
        if name in ("first page", "deep page", "detail"):
            checks.append((f"{name} throughput within 25 % ({share:.2f})", share >= TARGET_SCALING))
    for text, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    return checks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--courses", type=int, nargs="+", default=[10_000], help="sizes to run")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before each run")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved; medians reported")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="of wrk")
    parser.add_argument("--pool-size", type=int, default=64, help="ELEARN_DATABASE_POOL_SIZE")
    parser.add_argument("--server-cpu", type=int, default=0, help="the server is pinned to it")
    parser.add_argument("--load-cpu", type=int, default=1, help="wrk is pinned to it")
    parser.add_argument("--reseed", action="store_true", help="seed even when already seeded")
    parser.add_argument(
        "--cache-seconds",
        type=float,
        default=0.0,
        help="ELEARN_CATALOG_CACHE_SECONDS (0: every request queries the database)",
    )
    parser.add_argument("--server", default=DEFAULT_SERVER, help="PostgreSQL, no database")
    parser.add_argument("--server-log", default="", help="keep the server's log at this path")
    parser.add_argument(
        "--database-prefix", default="elearn_bench", help="databases are <prefix>_<courses>"
    )
    args = parser.parse_args()
    if not 1 <= args.duration <= 600 or not 0 <= args.warmup <= 60 or not 1 <= args.rounds <= 20:
        parser.error("--duration is 1 to 600 s, --warmup 0 to 60 s, --rounds 1 to 20")
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed")
    reports = [measure_size(args, courses) for courses in args.courses]
    print(
        f"\nwrk -t{args.threads} -c{args.connections}, {args.duration:g} s per run after "
        f"{args.warmup:g} s of warm-up, {args.rounds} round(s), medians; {os.cpu_count()} CPUs"
    )
    checks = [check for report in reports for check in print_table(report)]
    if len(reports) >= 2:
        ordered = sorted(reports, key=lambda r: r.courses)
        checks += print_scaling(ordered[0], ordered[-1])
    failed = [text for text, ok in checks if not ok]
    print(
        f"\n{'FAIL' if failed else 'PASS'}: {len(checks) - len(failed)}/{len(checks)} targets met"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
