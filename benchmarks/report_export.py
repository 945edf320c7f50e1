"""A 1,000,000-row payments report exported as CSV by the background job (issue 18): how long
it takes and the worker's peak resident memory (the issue asks for under 200 MiB).

It seeds a disposable PostgreSQL database (its name must contain "bench") with ``--rows`` card
payments spread over thirty days, loaded with COPY, then runs the report job in a process of
its own, as a worker would: the container is bootstrapped on the database, an admin asks for
the payments report of the whole period and ``BuildReport`` streams the rows (a server-side
cursor, ``yield_per``) into the CSV and stores it. That process reports its peak RSS
(``getrusage``: the high-water mark, not a sample), its RSS once bootstrapped, the job's
duration and the file's size, and checks the CSV's total against the sum in the database.
Usage:

    .venv/bin/python benchmarks/report_export.py [--rows 1000000] [--reseed]
        [--database elearn_bench_reports] [--server postgresql://postgres@127.0.0.1:5432]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432"
START = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 30
CHUNK = 50_000
LIMIT_MIB = 200


def _url(server: str, database: str, driver: str = "postgresql") -> str:
    return f"{server.replace('postgresql', driver, 1)}/{database}"


async def seed(server: str, database: str, rows: int, reseed: bool) -> None:
    from elearn.adapters.persistence.migrations import find_migrations_dir, upgrade

    marker = f"report_export rows={rows}"
    admin = await asyncpg.connect(_url(server, "postgres"))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if exists and not reseed:
            comment = await admin.fetchval(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname=$1",
                database,
            )
            if comment == marker:
                print(f"{database}: already seeded ({marker})", file=sys.stderr)
                return
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()
    await upgrade(_url(server, database, "postgresql+asyncpg"), find_migrations_dir())
    connection = await asyncpg.connect(_url(server, database))
    try:
        rng = random.Random(18)
        buyers = [uuid.uuid4() for _ in range(5_000)]
        columns = (
            "id", "buyer_id", "kind", "method", "amount", "currency", "platform_bps", "status",
            "paid_at", "refunded_amount", "provider_payment_id", "created_at", "updated_at",
        )  # fmt: skip
        started = time.perf_counter()
        for offset in range(0, rows, CHUNK):
            records = []
            for _ in range(min(CHUNK, rows - offset)):
                at = START + timedelta(seconds=rng.randrange(DAYS * 86_400))
                records.append(
                    (
                        uuid.uuid4(),
                        rng.choice(buyers),
                        "course",
                        "card",
                        rng.randrange(500, 20_000),
                        "USD",
                        1500,
                        "succeeded",
                        at,
                        0,
                        f"pi_{uuid.uuid4().hex[:24]}",
                        at,
                        at,
                    )
                )
            await connection.copy_records_to_table("orders", records=records, columns=columns)
        await connection.execute("VACUUM ANALYZE orders")
        await connection.execute(f"COMMENT ON DATABASE \"{database}\" IS '{marker}'")
        print(f"seeded {rows} payments in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    finally:
        await connection.close()


def _rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def work(server: str, database: str) -> dict[str, object]:
    """The worker's side: one payments report of the seeded period, built as the job does."""
    from sqlalchemy import text

    from elearn.adapters.jobs.broker import build_broker
    from elearn.application.actor import Actor
    from elearn.application.reporting.ports import DownloadGrant
    from elearn.application.reporting.reports import ReportRequest
    from elearn.domain.identity.roles import Role
    from elearn.domain.reporting.reports import ReportFormat, ReportKind
    from elearn.entrypoints.bootstrap import bootstrap
    from elearn.entrypoints.settings import Settings

    var_dir = Path(tempfile.mkdtemp(prefix="report-bench-"))
    settings = Settings(
        env="test",
        var_dir=str(var_dir),
        database_url=_url(server, database, "postgresql+asyncpg"),
        database_pool_size=5,
        log_level="WARNING",
        jwt_secret="bench-only-jwt-secret-" + "0" * 24,
        media_signing_key="bench-only-media-signing-key-" + "0" * 16,
    )
    container = bootstrap(settings, broker=build_broker(None))
    try:
        admin = Actor(user_id=uuid.uuid4(), role=Role.ADMIN, email_verified=True)
        reporting = container.reporting
        request = ReportRequest(
            ReportKind.PAYMENTS, ReportFormat.CSV, START, START + timedelta(days=DAYS), {}
        )
        queued = await reporting.request_report(admin, request)
        bootstrapped_mib = _rss_mib()
        started = time.perf_counter()
        await reporting.build_report.build(queued.id)
        seconds = time.perf_counter() - started
        view = await reporting.get_report(admin, queued.id)
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        async with container.sessions() as session:
            expected = int(
                await session.scalar(text("SELECT coalesce(sum(amount), 0) FROM orders")) or 0
            )
        assert admin.user_id is not None
        expires = int((datetime.now(UTC) + timedelta(minutes=1)).timestamp())
        grant = DownloadGrant(admin.user_id, queued.id, datetime.fromtimestamp(expires, UTC))
        signature = reporting.deps.links.sign(grant)
        report = await reporting.open_report_file(
            admin, queued.id, expires=expires, signature=signature
        )
        total = 0
        lines = 0
        tail = b""
        async for chunk in container.storage.read(report.key):
            data = tail + chunk
            *complete, tail = data.split(b"\r\n")
            for line in complete:
                lines += 1
                if lines > 1:
                    total += int(line.rsplit(b",", 2)[1])
        return {
            "status": view.status.value,
            "rows": view.row_count,
            "csv_lines_read_back": lines - 1,
            "csv_bytes": view.size,
            "csv_total_equals_database_sum": total == expected,
            "seconds": round(seconds, 1),
            "rows_per_second": round((view.row_count or 0) / seconds),
            "rss_after_bootstrap_mib": round(bootstrapped_mib, 1),
            "peak_rss_mib": round(peak_mib, 1),
            "under_limit": peak_mib < LIMIT_MIB,
        }
    finally:
        await container.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database", default="elearn_bench_reports")
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if "bench" not in args.database:
        parser.error("the database's name must contain 'bench' (it is dropped and made again)")
    if args.worker:
        print(json.dumps(asyncio.run(work(args.server, args.database))))
        return
    asyncio.run(seed(args.server, args.database, args.rows, args.reseed))
    # The job in a fresh process, so its peak RSS is the job's and not the seeding's.
    worker = subprocess.run(
        [sys.executable, __file__, "--worker", "--database", args.database,
         "--server", args.server],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    result = json.loads(worker.stdout.strip().splitlines()[-1])
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
