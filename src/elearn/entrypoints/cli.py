"""The ``elearn`` command: serve, worker, scheduler, migrate, seed-demo, create-admin, jobs,
analytics."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from elearn.entrypoints.settings import Settings, SettingsError, load_settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        # A server's links point where it listens, unless ELEARN_PUBLIC_URL says otherwise.
        listen = (args.host, args.port) if args.run is _serve else None
        settings = load_settings(listen=listen)
    except SettingsError as error:
        print(f"elearn: configuration error: {error}", file=sys.stderr)
        return 2
    from elearn.entrypoints.logging import configure_logging

    configure_logging(settings)
    try:
        return int(args.run(settings, args) or 0)
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="elearn", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve", help="migrate, optionally seed demo data, and serve the API"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="seed demo data into an empty database")
    serve.add_argument("--no-migrate", action="store_true", help="skip `migrate` before serving")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="API processes sharing the port (more than one needs ELEARN_REDIS_URL)",
    )
    serve.set_defaults(run=_serve)

    worker = commands.add_parser("worker", help="run Dramatiq worker processes (needs Redis)")
    worker.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    worker.add_argument("--threads", type=int, default=4)
    worker.set_defaults(run=_worker)

    scheduler = commands.add_parser(
        "scheduler", help="fire periodic jobs and relay the outbox (needs Redis)"
    )
    scheduler.set_defaults(run=_scheduler)

    migrate = commands.add_parser("migrate", help="upgrade the database to the latest revision")
    migrate.add_argument("revision", nargs="?", default="head")
    migrate.set_defaults(run=_migrate)

    seed = commands.add_parser("seed-demo", help="create demo accounts (skips what exists)")
    seed.set_defaults(run=_seed_demo)

    admin = commands.add_parser(
        "create-admin",
        help="create a verified admin, or make an existing account an admin",
        description="Creates a verified admin account, or promotes the existing account with "
        "that address: it becomes an admin with a verified email, keeps its password and name, "
        "and its sessions end. Running it again changes nothing.",
    )
    admin.add_argument("--email", required=True)
    admin.add_argument(
        "--full-name", help="needed to create an account; an existing account keeps its name"
    )
    password = admin.add_mutually_exclusive_group()
    password.add_argument(
        "--password",
        help="the new account's password (visible to other local users and in shell history: "
        "prefer --password-stdin in scripts); without either option, asked for when needed",
    )
    password.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    admin.set_defaults(run=_create_admin)

    jobs = commands.add_parser("jobs", help="inspect and retry dead background jobs")
    job_commands = jobs.add_subparsers(required=True, metavar="ACTION")
    dead = job_commands.add_parser("dead", help="list jobs that failed every retry")
    dead.add_argument("--all", action="store_true", help="include jobs already retried")
    dead.set_defaults(run=_jobs_dead)
    retry = job_commands.add_parser("retry", help="send a dead job again")
    retry.add_argument("job_id", type=UUID)
    retry.set_defaults(run=_jobs_retry)
    discard = job_commands.add_parser("discard", help="forget a dead job")
    discard.add_argument("job_id", type=UUID)
    discard.set_defaults(run=_jobs_discard)

    analytics = commands.add_parser("analytics", help="keep the dashboards' rollups")
    analytics_commands = analytics.add_subparsers(required=True, metavar="ACTION")
    rebuild = analytics_commands.add_parser(
        "rebuild",
        help="recompute every rollup from a date on from the sources",
        description="Recomputes every dashboard rollup from --from (UTC) to now from the "
        "tables they summarise, replacing what was there; the rows are those the outbox "
        "handlers and the periodic job would have written. Safe while the API serves.",
    )
    rebuild.add_argument(
        "--from",
        dest="start",
        required=True,
        type=_utc_instant,
        help="a date (YYYY-MM-DD, its UTC midnight) or an RFC 3339 instant",
    )
    rebuild.set_defaults(run=_analytics_rebuild)
    return parser


def _utc_instant(value: str) -> datetime:
    instant = datetime.fromisoformat(value)
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant


def _analytics_rebuild(settings: Settings, args: argparse.Namespace) -> int:
    from elearn.entrypoints.bootstrap import bootstrap

    async def run() -> int:
        container = bootstrap(settings)
        try:
            started = time.perf_counter()
            written = await container.analytics.rebuild(args.start)
            seconds = time.perf_counter() - started
            since = args.start.isoformat()
            print(f"rebuilt analytics from {since}: {written} rows in {seconds:.1f} s")
            return 0
        finally:
            await container.dispose()

    return asyncio.run(run())


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    if args.workers < 1:
        print("elearn: --workers is at least 1", file=sys.stderr)
        return 2
    if args.workers > 1 and not settings.redis_url:
        # Without Redis, revoked sessions, rate limits, realtime and jobs live in the memory of
        # one process: a second process would accept a token the first had refused.
        print(
            "elearn: --workers above 1 needs ELEARN_REDIS_URL (processes share state there)",
            file=sys.stderr,
        )
        return 2
    if args.workers == 1:
        # Imported before the child below is forked, so the child shares it instead of
        # importing it again.
        from elearn.entrypoints.http.app import create_app
    if not args.no_migrate or args.demo:
        # In a child process: migrating and seeding load Alembic and leave memory behind that
        # the serving process would otherwise carry for its whole life.
        child = (
            multiprocessing.get_context("fork")
            if "fork" in multiprocessing.get_all_start_methods()
            else multiprocessing.get_context("spawn")
        ).Process(target=_prepare_database, args=(settings, not args.no_migrate, args.demo))
        child.start()
        child.join()
        if child.exitcode != 0:
            print("elearn: preparing the database failed; not serving", file=sys.stderr)
            return 1
    app: object = "elearn.entrypoints.http.app:create_app"
    if args.workers == 1:
        app = create_app(settings)
    else:
        # Each worker process builds its own app from the environment (the supervisor never
        # imports it); the links keep pointing where this command listens.
        os.environ.setdefault("ELEARN_PUBLIC_URL", settings.public_url)
    uvicorn.run(
        app,  # type: ignore[arg-type]
        factory=args.workers > 1,
        workers=args.workers,
        host=args.host,
        port=args.port,
        loop="auto",
        http="auto",
        proxy_headers=True,
        log_config=None,
        access_log=False,
        server_header=False,
    )
    return 0


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.redis_url:
        print(
            "elearn: the worker needs ELEARN_REDIS_URL; without Redis, `elearn serve` runs jobs "
            "in its own process",
            file=sys.stderr,
        )
        return 2
    command = [
        sys.executable, "-m", "dramatiq", "elearn.entrypoints.workers.app",
        "--processes", str(args.processes), "--threads", str(args.threads),
        "--queues", "events", "periodic",
    ]  # fmt: skip
    os.execv(sys.executable, command)  # noqa: S606 - replaces this process with Dramatiq's
    return 0  # pragma: no cover


def _scheduler(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.redis_url:
        print(
            "elearn: the scheduler needs ELEARN_REDIS_URL; without Redis, `elearn serve` "
            "schedules in its own process",
            file=sys.stderr,
        )
        return 2
    from elearn.adapters.jobs.scheduler import PeriodicScheduler
    from elearn.entrypoints.bootstrap import bootstrap

    async def run() -> None:
        container = bootstrap(settings)
        scheduler = PeriodicScheduler(
            container.sessions,
            container.broker,
            container.clock,
            list(container.periodic_jobs.values()),
        )
        try:
            await asyncio.gather(scheduler.run(), container.relay.run())
        finally:
            await container.dispose()

    asyncio.run(run())
    return 0


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from elearn.adapters.persistence.migrations import find_migrations_dir, upgrade

    asyncio.run(
        upgrade(
            settings.effective_database_url,
            find_migrations_dir(settings.migrations_dir),
            args.revision,
        )
    )
    return 0


def _prepare_database(settings: Settings, migrate: bool, demo: bool) -> None:
    if migrate:
        _migrate(settings, argparse.Namespace(revision="head"))
    if demo:
        _seed_demo(settings, argparse.Namespace())


def _seed_demo(settings: Settings, args: argparse.Namespace) -> int:
    from elearn.entrypoints.demo import seed_demo

    for line in asyncio.run(seed_demo(settings)):
        print(line)
    return 0


class _PasswordsDiffer(Exception):
    pass


def _prompt_password() -> str:
    password = getpass.getpass("password: ")
    if password != getpass.getpass("again: "):
        raise _PasswordsDiffer
    return password


def _create_admin(settings: Settings, args: argparse.Namespace) -> int:
    from elearn.application.actor import Actor
    from elearn.application.errors import ApplicationError
    from elearn.application.identity.accounts import (
        AccountOutcome,
        CreateOrPromote,
        FullNameRequired,
        PasswordRequired,
    )
    from elearn.domain.identity.roles import Role
    from elearn.domain.shared.errors import DomainError
    from elearn.entrypoints.bootstrap import bootstrap

    password: str | None = args.password
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")

    async def run() -> AccountOutcome:
        nonlocal password
        container = bootstrap(settings)
        try:
            command = CreateOrPromote(
                email=args.email, role=Role.ADMIN, password=password, full_name=args.full_name
            )
            try:
                return await container.identity.create_account.create_or_promote(
                    Actor.system(), command
                )
            except PasswordRequired:
                pass  # a new account and no password given: ask (promoting never needs one)
            password = _prompt_password()
            command = CreateOrPromote(
                email=args.email, role=Role.ADMIN, password=password, full_name=args.full_name
            )
            return await container.identity.create_account.create_or_promote(
                Actor.system(), command
            )
        finally:
            await container.dispose()

    try:
        outcome = asyncio.run(run())
    except _PasswordsDiffer:
        print("elearn: the passwords differ", file=sys.stderr)
        return 2
    except FullNameRequired as error:
        print(f"elearn: {error.message} (--full-name)", file=sys.stderr)
        return 1
    except (DomainError, ApplicationError) as error:
        print(f"elearn: {error.message}", file=sys.stderr)
        return 1
    if outcome.created:
        print(f"created admin {args.email} ({outcome.user_id})")
        return 0
    if not outcome.changed:
        print(f"{args.email} ({outcome.user_id}) is already an admin; nothing changed")
        return 0
    done = []
    if outcome.role_changed:
        assert outcome.previous_role is not None
        done.append(
            f"role {outcome.previous_role.value} -> admin, "
            f"{outcome.sessions_ended} session(s) ended"
        )
    if outcome.email_verified_now:
        done.append("email marked verified")
    if password is not None:
        done.append("the password given was not used: the account keeps its own")
    verb = "promoted" if outcome.role_changed else "updated"
    print(f"{verb} {args.email} ({outcome.user_id}): " + "; ".join(done))
    return 0


def _with_dead_jobs(settings: Settings, action: str, job_id: UUID | None = None) -> int:
    from elearn.entrypoints.bootstrap import bootstrap

    async def run() -> int:
        container = bootstrap(settings)
        try:
            store = container.dead_jobs
            if action == "list":
                return _print_dead_jobs(await store.list(include_retried=job_id is not None))
            assert job_id is not None
            if action == "retry":
                broker = container.broker if settings.redis_url else None
                try:
                    done = await store.retry(job_id, broker)
                except LookupError as error:
                    print(f"elearn: {error}", file=sys.stderr)
                    return 1
            else:
                done = await store.discard(job_id)
            if not done:
                print(f"elearn: no dead job {job_id} waiting for that", file=sys.stderr)
                return 1
            print(f"{action}: {job_id}")
            return 0
        finally:
            await container.dispose()

    return asyncio.run(run())


def _print_dead_jobs(jobs: Sequence[object]) -> int:
    if not jobs:
        print("no dead jobs")
    for job in jobs:
        retried = f" retried {job.retried_at:%Y-%m-%d %H:%M}" if job.retried_at else ""  # type: ignore[attr-defined]
        print(
            f"{job.id}  {job.failed_at:%Y-%m-%d %H:%M:%S}  {job.actor_name}{job.message['args']}"  # type: ignore[attr-defined]
            f"{retried}\n    {job.last_error}"  # type: ignore[attr-defined]
        )
    return 0


def _jobs_dead(settings: Settings, args: argparse.Namespace) -> int:
    return _with_dead_jobs(settings, "list", UUID(int=0) if args.all else None)


def _jobs_retry(settings: Settings, args: argparse.Namespace) -> int:
    return _with_dead_jobs(settings, "retry", args.job_id)


def _jobs_discard(settings: Settings, args: argparse.Namespace) -> int:
    return _with_dead_jobs(settings, "discard", args.job_id)


if __name__ == "__main__":
    sys.exit(main())
