"""Billing-route throughput and latency under a real HTTP load tool: reads, and writes that move
money, each write request a distinct real purchase or capture.

1. seeds a template database ``elearn_bench_billing_seed`` (unless it already holds this seed;
   ``--reseed`` forces it), then copies it to ``elearn_bench_billing`` for the run
   (``CREATE DATABASE … TEMPLATE``: a second or two), since the write scenarios use up what was
   seeded. The seed, with the project's migrations, then:

   - accounts through the app's use case (``create_account``; passwords hashed with a cheap
     argon2 setting, nobody signs in with them): an admin, a manager, ``--tutors`` approved
     tutors, a ``reader`` and a ``topup`` student, ``--buyers`` students who buy with credits,
     ``--card-buyers`` students who pay by card and ``--history-students`` more;
   - ``--courses`` paid, published courses through the catalog use cases (one section, one text
     lesson; 19.99, 29.99 or 49.99 USD; owned by the tutors in turn);
   - a ledger history of ``--entries`` journal entries, made with the domain's own postings and
     the in-memory ``Ledger`` (which refuses unbalanced entries and wallets going negative) and
     copied into ``ledger_accounts``, ``journal_entries`` and ``journal_lines`` with COPY, running
     balances included: card top-ups, card and credit sales, earnings cleared, withdrawals held
     and paid out, over about 1,000 accounts (every student's wallet, three accounts per tutor,
     the platform's). Every buyer holds enough credits to buy every course once; the reader
     holds exactly 250.00 USD;
   - ``--orders`` pending card orders, as checkout leaves them (the sandbox gateway's session
     and URL), alternately a course (card buyer ``j % card-buyers``, course ``j % courses``: no
     pair twice) and a wallet top-up;
   - the seed's outbox deliveries marked done (the server would otherwise send ~1,000 welcome
     emails while being measured), then VACUUM ANALYZE;
2. waits until the machine is quiet: while the 1-minute load average (``/proc/loadavg``) is
   above ``--quiet-load`` (1.0), sleeps 20 s; after ``--quiet-wait`` seconds (25 minutes) it
   measures anyway and says so;
3. serves the app like `catalog_load.py` does, as ``--processes`` API processes (2 by default:
   ``uvicorn --workers 2``, whose supervisor opens the port once and both processes accept on
   that one socket), pinned to ``--server-cpus`` (``--server-cpu``, CPU 0, when not given),
   each with a pool of ``--pool-size`` (32) connections; sandbox payments; with a ``.env`` in
   ``<tmp>/elearn-bench-billing`` giving a JWT secret, the key the sandbox's checkout links are
   signed with (the seed signs the pending orders' links with it), and a one-day access token
   lifetime; access tokens are minted with that secret
   (``JwtAccessTokens``, as login would) rather than by logging in several hundred students;
4. checks each scenario once (exact status and body shape), then loads it with ``wrk`` pinned
   to CPU 1 (2 threads, 64 connections, keep-alive, loopback; a Lua script builds each request
   and counts the statuses): a warm-up, then ``--duration`` seconds measured; ``--rounds N``
   runs the scenarios N times in turn and reports medians. The scenarios:

   - ``wallet``: ``GET /api/v1/me/wallet`` as the reader (200, ``[{"amount", "currency"}]``);
   - ``trial balance``: ``GET /api/v1/admin/ledger/trial-balance`` as the admin (200; checked
     before the load: ``balanced`` is true, every total is 0, one row per ledger account, each
     balance equal to the sum of the account's lines);
   - ``topup checkout``: ``POST /api/v1/checkout`` ``{"item": {"kind": "wallet_topup",
     "amount": 1000}}`` as the topup student (201 ``{order_id, checkout_url}``; an order per
     request, the sandbox checkout opened);
   - ``credit purchase``: ``POST /api/v1/courses/{id}/purchase-with-credits`` (201 ``{order_id,
     course_id, amount: {amount, currency}, status: "succeeded"}``); request ``n`` is buyer
     ``n % buyers``
     buying course ``n % courses`` (the two counts are coprime, so the ``buyers x courses``
     pairs are all distinct and consecutive requests differ in both): every request a real
     purchase (ledger entry and enrollment), until the pairs run out;
   - ``webhook capture``: the sandbox's ``POST /sandbox/checkout/{order_id}/succeed?token=…``
     (200, the page saying ``succeeded``; no credentials but the signed link, as a webhook)
     over the pending orders in turn: each request captures a different order (provider
     event stored, ledger entry, then the enrollment or the wallet credit, in one
     transaction), the path a Stripe webhook takes.

   Pairs and orders are used up across warm-ups, runs and rounds, never twice. When they run
   out the script asks for an order or course that does not exist (404, counted as errors and
   as ``exhausted``). During each measured run ``pg_stat_activity`` is sampled every 100 ms for
   what the app's active sessions wait on (a lock, I/O, or nothing: ``running``). After each
   wrk run the script waits (up to a minute) until the app's database sessions are idle, and
   reports errors the server logged.
5. after the runs: the books must still balance (trial balance over HTTP, and every running
   balance equal to the sum of its lines, in SQL); the credit orders and captured card orders
   in the database are counted against the 201s and 200s wrk saw (requests still running when
   wrk stopped finish afterwards, so the database may hold a few more, never fewer), and no
   (buyer, course) pair may have been bought twice.

Reported per scenario: requests/s, p50 and p99 latency (wrk's ``--latency``), responses with
the expected status and with any other, socket errors, requests sent after the pairs or orders
ran out, the CPU used meanwhile by the server, PostgreSQL, wrk and everything else (in CPUs,
`catalog_load.py`'s meter), and the commonest waits of the app's PostgreSQL sessions. The exit
status is 1 when any response was an error, a socket failed, the pairs or orders ran out, a
check failed or the books did not balance. The books, after the load: the trial balance shows
every account at the sum of its lines and sums to zero; every stored balance of a person's
account (wallets, tutor balances) equals the sum of its lines (the platform's accounts keep none:
theirs is derived). Usage (from the project root):

    .venv/bin/python benchmarks/billing_load.py [--duration 10] [--rounds 1] [--warmup 2]
        [--connections 64] [--buyers 300] [--courses 61] [--card-buyers 200] [--entries 20000]
        [--orders 15000] [--quiet-load 1.0] [--quiet-wait 1500] [--reseed] [--server-log PATH]
        [--processes 2] [--server-cpus LIST] [--pool-size 32] [--jobs-threads N] [--scenarios a,b]

Issue 19's sales figures (purchases and captures, 64 connections, two API processes), on a quiet
machine; the API processes may use both cores, as PostgreSQL and wrk do:

    .venv/bin/python benchmarks/billing_load.py --scenarios "credit purchase,webhook capture" \
        --processes 2 --server-cpus 0,1 --duration 15 --rounds 3

Each sale fans out to ~7 outbox deliveries, run by the API process's in-process worker with
``ELEARN_JOBS_IN_PROCESS_THREADS`` (default 2) at once: with 2 they fall behind the sales and are
finished after wrk stops ("busy for N s after wrk stopped"); ``--jobs-threads 16`` lets them
keep up (and batch their done marks), at the price of their CPU during the run.

Loopback only; stops the server by itself. Needs wrk and taskset, and a PostgreSQL server at
``--server`` (default postgresql://postgres@127.0.0.1:5432) where it may create databases.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

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
from learning_load import check_connection_budget, logged_errors

from elearn.adapters.jobs.broker import build_broker
from elearn.adapters.passwords import Argon2PasswordHasher
from elearn.adapters.payments.sandbox import HmacSandboxCheckoutLinks, SandboxPaymentGateway
from elearn.adapters.persistence.billing_repositories import account_key
from elearn.adapters.persistence.migrations import find_migrations_dir, upgrade
from elearn.adapters.security.jwt_tokens import JwtAccessTokens
from elearn.adapters.system import SystemClock
from elearn.application.actor import Actor
from elearn.application.billing.ports import CheckoutRequest
from elearn.application.catalog.authoring import CourseChanges, NewCourse, NewLesson
from elearn.application.identity.accounts import CreateAccount
from elearn.domain.billing import postings
from elearn.domain.billing.fees import FeeSplit
from elearn.domain.billing.ledger import AccountKind, EntryKind, JournalEntry, Ledger, Line
from elearn.domain.billing.order import ItemKind, Order, PaymentMethod
from elearn.domain.catalog.course import CourseStatus, LessonKind, Level
from elearn.domain.identity.email import EmailAddress
from elearn.domain.identity.roles import Role
from elearn.domain.shared.money import Money
from elearn.entrypoints.bootstrap import Container, bootstrap
from elearn.entrypoints.settings import Settings

DATABASE = "elearn_bench_billing"
TEMPLATE = "elearn_bench_billing_seed"
VAR_DIR = Path(tempfile.gettempdir()) / "elearn-bench-billing"
SEED_FORMAT = 2  # bump when what is seeded changes, so old templates are seeded again
MARKER = "billing_seed "
DOMAIN = "bench-billing.elearn.test"
PASSWORD = "bench-password-2026"
JWT_SECRET = "billing-bench-jwt-secret-not-for-production-0000"
TOKEN_SECONDS = 86_400
CURRENCY = "USD"
PRICES = (1999, 2999, 4999)
READER_CREDITS = 25_000
MAX_TOPUP = 100_000  # minor units: the default ELEARN_MAXIMUM_TOPUP of 1,000 USD
PLATFORM_BPS = 1_500  # the default ELEARN_PLATFORM_FEE_BPS
NOBODY = "00000000-0000-0000-0000-000000000000"  # asked for once the pairs or orders run out

WALLET = "/api/v1/me/wallet"
TRIAL_BALANCE = "/api/v1/admin/ledger/trial-balance"
CHECKOUT = "/api/v1/checkout"
PURCHASE = "/api/v1/courses/%s/purchase-with-credits"
CAPTURE = "/sandbox/checkout/%s/succeed?token=%s"
TOPUP_BODY = '{"item": {"kind": "wallet_topup", "amount": 1000}}'
SCENARIOS = ["wallet", "trial balance", "topup checkout", "credit purchase", "webhook capture"]
WRK_TIMEOUT = 10.0  # seconds: a response later than that is a socket error (timeout)
DRAIN = 60.0  # seconds to wait at most for the server to finish after wrk
DISCONNECTED = "client disconnected prematurely"
WAIT_SAMPLE_SECONDS = 0.1
# Settings the server reads from the .env in its working directory (start_server gives it only
# a fixed set of ELEARN_* variables; the environment's win over the file's).
SERVER_ENV_FILE = {
    "ELEARN_JWT_SECRET": JWT_SECRET,
    "ELEARN_JWT_ACCESS_TTL_SECONDS": str(TOKEN_SECONDS),
    "ELEARN_PAYMENTS_BACKEND": "sandbox",
    # The key the sandbox checkout's links are signed with, as the seed signed them (one
    # generated in the var directory would refuse the seeded orders' links).
    "ELEARN_MEDIA_SIGNING_KEY": JWT_SECRET,
}


async def connect(dsn: str) -> asyncpg.Connection:
    """A connection, waiting a little while PostgreSQL has none free (the machine's PostgreSQL
    may be shared with other work that holds many)."""
    for _ in range(60):
        try:
            return await asyncpg.connect(dsn)
        except asyncpg.TooManyConnectionsError:
            await asyncio.sleep(0.5)
    return await asyncpg.connect(dsn)


# ---- the seed --------------------------------------------------------------------------------
@dataclass(frozen=True)
class SeedSpec:
    tutors: int = 40
    buyers: int = 300
    card_buyers: int = 200
    history_students: int = 400
    courses: int = 61
    entries: int = 20_000
    orders: int = 15_000
    format: int = SEED_FORMAT

    def marker(self) -> str:
        return MARKER + json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_marker(cls, marker: str | None) -> SeedSpec | None:
        if not marker or not marker.startswith(MARKER):
            return None
        try:
            return cls(**json.loads(marker[len(MARKER) :]))
        except (ValueError, TypeError):
            return None


def email(kind: str, n: int | None = None) -> str:
    return f"{kind}@{DOMAIN}" if n is None else f"{kind}-{n:04d}@{DOMAIN}"


def seed_settings(url: str) -> Settings:
    return Settings(
        database_url=url,
        var_dir=str(VAR_DIR),
        log_level="WARNING",
        catalog_cache_seconds=0,
        jwt_secret=JWT_SECRET,
        jwt_access_ttl_seconds=TOKEN_SECONDS,
        payments_backend="sandbox",
    )


async def ensure_template(server: str, spec: SeedSpec, *, reseed: bool) -> float | None:
    """Seeds the template unless it holds ``spec`` already; the seconds spent, or None."""
    url = sqlalchemy_url(server, TEMPLATE)
    if not reseed and SeedSpec.from_marker(await seeded_marker(server, TEMPLATE)) == spec:
        return None
    started = time.perf_counter()
    await _recreate(server, TEMPLATE)
    await upgrade(url, find_migrations_dir())
    if VAR_DIR.exists():
        shutil.rmtree(VAR_DIR)
    VAR_DIR.mkdir(parents=True)
    await seed(seed_settings(url), server, spec)
    connection = await connect(f"{server}/{TEMPLATE}")
    try:
        await connection.execute("VACUUM ANALYZE")
        marker = spec.marker().replace("'", "''")
        await connection.execute(f"COMMENT ON DATABASE \"{TEMPLATE}\" IS '{marker}'")
    finally:
        await connection.close()
    return time.perf_counter() - started


async def _recreate(server: str, database: str, template: str | None = None) -> None:
    assert "bench" in database
    admin = await connect(f"{server}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        copy = f' TEMPLATE "{template}"' if template else ""
        await admin.execute(f'CREATE DATABASE "{database}"{copy}')
    finally:
        await admin.close()


async def clone(server: str) -> str:
    """A fresh copy of the template for this run; its SQLAlchemy URL."""
    await _recreate(server, DATABASE, template=TEMPLATE)
    url = sqlalchemy_url(server, DATABASE)
    await upgrade(url, find_migrations_dir())  # a no-op unless migrations came since the seed
    return url


async def seed(settings: Settings, server: str, spec: SeedSpec) -> None:
    # Cheap hashes: the accounts are only ever used with minted access tokens.
    hasher = Argon2PasswordHasher(time_cost=1, memory_cost_kib=64)
    container = bootstrap(settings, broker=build_broker(None), overrides={"hasher": hasher})
    try:
        people = await _accounts(container, spec)
        print(f"  {len(people):,} accounts")
        courses = await _courses(container, spec, people)
        print(f"  {len(courses)} paid courses published")
    finally:
        await container.dispose()
    connection = await connect(f"{server}/{TEMPLATE}")
    try:
        accounts, entries = await _ledger(connection, spec, people, courses)
        print(f"  ledger: {entries:,} journal entries over {accounts:,} accounts")
        orders = await _pending_orders(connection, spec, people, courses, settings.public_url)
        print(f"  {orders:,} pending card orders")
        await connection.execute(
            "UPDATE outbox_deliveries SET status = 'done', done_at = now() WHERE status <> 'done'"
        )
    finally:
        await connection.close()


async def _gather_bounded(coroutines: list[Any], limit: int = 8) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(coroutine: Any) -> Any:
        async with gate:
            return await coroutine

    return list(await asyncio.gather(*(one(c) for c in coroutines)))


async def _accounts(container: Container, spec: SeedSpec) -> dict[str, Actor]:
    roles = {email("admin"): Role.ADMIN, email("manager"): Role.MANAGER}
    roles |= {email("tutor", n): Role.TUTOR for n in range(spec.tutors)}
    roles |= {email("reader"): Role.STUDENT, email("topup"): Role.STUDENT}
    for kind, count in (
        ("buyer", spec.buyers),
        ("card", spec.card_buyers),
        ("student", spec.history_students),
    ):
        roles |= {email(kind, n): Role.STUDENT for n in range(count)}

    async def create(address: str, role: Role) -> UUID:
        name = address.split("@")[0].replace("-", " ").title()
        return await container.identity.create_account(
            Actor.system(), CreateAccount(address, PASSWORD, name, role)
        )

    ids = await _gather_bounded([create(address, role) for address, role in roles.items()])
    async with container.uow() as uow:
        for n in range(spec.tutors):
            user = await uow.users.get_by_email(EmailAddress(email("tutor", n)), for_update=True)
            assert user is not None
            user.approve_as_tutor(container.clock.now())
        await uow.commit()
    return {
        address: Actor(user_id=user_id, role=role, email_verified=True)
        for (address, role), user_id in zip(roles.items(), ids, strict=True)
    }


@dataclass(frozen=True)
class SeededCourse:
    id: UUID
    owner_id: UUID
    price: int


async def _courses(
    container: Container, spec: SeedSpec, people: dict[str, Actor]
) -> list[SeededCourse]:
    catalog = container.catalog
    manager = people[email("manager")]

    async def publish(n: int) -> SeededCourse:
        tutor = people[email("tutor", n % spec.tutors)]
        price = Money(PRICES[n % len(PRICES)], CURRENCY)
        details = CourseChanges(
            subtitle="Ledgers, payments and reconciliation",
            description="What a double-entry ledger keeps, and why it balances. " * 10,
            level=Level.INTERMEDIATE,
            free=False,
            price=price,
            tags=("finance", "accounting"),
        )
        course = await catalog.create_course(
            tutor, NewCourse(f"Billing Bench Course {n:03d}", details)
        )
        section = await catalog.add_section(tutor, course.id, "Basics")
        await catalog.add_lesson(
            tutor,
            section.id,
            NewLesson(kind=LessonKind.TEXT, title="Debits and credits", duration_seconds=300,
                      text="# Debits and credits\n\nEvery entry sums to zero."),
        )  # fmt: skip
        await catalog.submit_course(tutor, course.id)
        approved = await catalog.approve_course(manager, course.id)
        if approved.status is not CourseStatus.PUBLISHED:
            await catalog.publish_course(manager, course.id)
        assert tutor.user_id is not None
        return SeededCourse(course.id, tutor.user_id, price.amount)

    # One at a time: courses share tags, whose rows concurrent publications would race for.
    return [await publish(n) for n in range(spec.courses)]


def history(
    spec: SeedSpec, people: dict[str, Actor], courses: list[SeededCourse]
) -> tuple[Ledger, list[JournalEntry]]:
    """``spec.entries`` entries, each checked by the domain's ``Ledger`` as it is recorded:
    first every student's top-ups (the buyers' enough for every course), then a year of card
    and credit sales, earnings cleared, withdrawals held and paid out."""
    rng = random.Random(2026)
    fees = FeeSplit(PLATFORM_BPS)
    ledger = Ledger()
    entries: list[JournalEntry] = []
    start = datetime.now(UTC) - timedelta(days=365)
    step = timedelta(days=364) / spec.entries

    def record(kind: EntryKind, lines: tuple[Line, ...]) -> None:
        n = len(entries)
        entry = JournalEntry(
            id=uuid.uuid4(),
            key=f"bench:history:{n}",
            kind=kind,
            lines=lines,
            posted_at=start + step * n,
            memo="seeded history",
        )
        entries.append(ledger.record(entry))

    def uid(address: str) -> UUID:
        user_id = people[address].user_id
        assert user_id is not None
        return user_id

    reader = uid(email("reader"))
    buyers = [uid(email("buyer", n)) for n in range(spec.buyers)]
    others = [uid(email("card", n)) for n in range(spec.card_buyers)]
    others += [uid(email("student", n)) for n in range(spec.history_students)]
    tutors = [uid(email("tutor", n)) for n in range(spec.tutors)]
    everyone = buyers + others
    # What the buyers' wallets must still hold once the history is written.
    reserved = dict.fromkeys(buyers, sum(course.price for course in courses))

    record(EntryKind.WALLET_TOPUP, postings.topup(reader, Money(READER_CREDITS, CURRENCY)))
    for buyer in buyers:
        left = reserved[buyer] + rng.randrange(0, 20_000)
        while left > 0:
            amount = min(left, MAX_TOPUP)
            record(EntryKind.WALLET_TOPUP, postings.topup(buyer, Money(amount, CURRENCY)))
            left -= amount
    for student in others:
        amount = rng.choice((2_000, 5_000, 10_000, 25_000))
        record(EntryKind.WALLET_TOPUP, postings.topup(student, Money(amount, CURRENCY)))

    def balance(kind: AccountKind, owner: UUID) -> int:
        return ledger.balance(postings.tutor_account(kind, owner, CURRENCY))

    events = ["card", "credit", "topup", "release", "hold", "payout"]
    weights = [40, 22, 18, 12, 5, 3]
    while len(entries) < spec.entries:
        event = rng.choices(events, weights)[0]
        student = rng.choice(everyone)
        course = rng.choice(courses)
        tutor = rng.choice(tutors)
        if event == "card":
            split = fees.split(Money(course.price, CURRENCY))
            lines = postings.sale(postings.clearing(CURRENCY), split, course.owner_id)
            record(EntryKind.CARD_PAYMENT, lines)
        elif event == "credit":
            wallet = postings.wallet(student, CURRENCY)
            if ledger.balance(wallet) - reserved.get(student, 0) >= course.price:
                split = fees.split(Money(course.price, CURRENCY))
                record(EntryKind.CREDIT_PURCHASE, postings.sale(wallet, split, course.owner_id))
        elif event == "topup":
            amount = Money(rng.choice((1_000, 2_000, 5_000, 10_000)), CURRENCY)
            record(EntryKind.WALLET_TOPUP, postings.topup(student, amount))
        elif event == "release" and (pending := balance(AccountKind.TUTOR_PENDING, tutor)) > 0:
            amount = Money(min(pending, rng.randrange(1_000, 20_000)), CURRENCY)
            lines = postings.move(
                tutor, amount, AccountKind.TUTOR_PENDING, AccountKind.TUTOR_AVAILABLE
            )
            record(EntryKind.EARNINGS_RELEASE, lines)
        elif event == "hold" and (available := balance(AccountKind.TUTOR_AVAILABLE, tutor)) > 0:
            amount = Money(available, CURRENCY)
            lines = postings.move(
                tutor, amount, AccountKind.TUTOR_AVAILABLE, AccountKind.TUTOR_HOLD
            )
            record(EntryKind.WITHDRAWAL_HOLD, lines)
        elif event == "payout" and (held := balance(AccountKind.TUTOR_HOLD, tutor)) > 0:
            record(EntryKind.PAYOUT, postings.payout(tutor, Money(held, CURRENCY)))
    assert all(total == 0 for total in ledger.trial_balance().values())
    return ledger, entries


async def _ledger(
    connection: asyncpg.Connection,
    spec: SeedSpec,
    people: dict[str, Actor],
    courses: list[SeededCourse],
) -> tuple[int, int]:
    ledger, entries = history(spec, people, courses)
    now = datetime.now(UTC)
    account_ids = {account: uuid.uuid4() for account in ledger.balances}
    await connection.copy_records_to_table(
        "ledger_accounts",
        columns=["id", "key", "kind", "currency", "owner_id", "balance", "created_at",
                 "updated_at"],
        records=[
            (account_ids[account], account_key(account), account.kind.value, account.currency,
             account.owner_id, balance, now, now)
            for account, balance in ledger.balances.items()
        ],
    )  # fmt: skip
    await connection.copy_records_to_table(
        "journal_entries",
        columns=["id", "key", "kind", "posted_at", "memo", "reference_id", "created_at",
                 "updated_at"],
        records=[
            (entry.id, entry.key, entry.kind.value, entry.posted_at, entry.memo,
             entry.reference_id, entry.posted_at, entry.posted_at)
            for entry in entries
        ],
    )  # fmt: skip
    await connection.copy_records_to_table(
        "journal_lines",
        columns=["id", "entry_id", "account_id", "amount", "posted_at", "created_at",
                 "updated_at"],
        records=[
            (uuid.uuid4(), entry.id, account_ids[line.account], line.amount, entry.posted_at,
             entry.posted_at, entry.posted_at)
            for entry in entries
            for line in entry.lines
        ],
    )  # fmt: skip
    return len(account_ids), len(entries)


async def _pending_orders(
    connection: asyncpg.Connection,
    spec: SeedSpec,
    people: dict[str, Actor],
    courses: list[SeededCourse],
    public_url: str,
) -> int:
    """Card orders as checkout leaves them: pending, the sandbox session opened."""
    rng = random.Random(7)
    # Signed as the server signs them (its media signing key is set to the JWT secret), so the
    # sandbox's buttons accept the link's token for 24 h after the orders were made.
    gateway = SandboxPaymentGateway(public_url, HmacSandboxCheckoutLinks(JWT_SECRET, SystemClock()))
    card_buyers = [people[email("card", n)].user_id for n in range(spec.card_buyers)]
    created = datetime.now(UTC) - timedelta(hours=1)
    rows = []
    for n in range(spec.orders):
        j = n // 2
        buyer = card_buyers[j % len(card_buyers)]
        assert buyer is not None
        if n % 2 == 0:
            course = courses[j % len(courses)]
            order = Order(
                id=uuid.uuid4(), buyer_id=buyer, kind=ItemKind.COURSE, method=PaymentMethod.CARD,
                amount=Money(course.price, CURRENCY), created_at=created, platform_bps=PLATFORM_BPS,
                course_id=course.id, payee_id=course.owner_id,
            )  # fmt: skip
        else:
            order = Order(
                id=uuid.uuid4(), buyer_id=buyer, kind=ItemKind.WALLET_TOPUP,
                method=PaymentMethod.CARD, amount=Money(rng.randrange(100, MAX_TOPUP), CURRENCY),
                created_at=created, platform_bps=PLATFORM_BPS,
            )  # fmt: skip
        session = await gateway.create_checkout(
            CheckoutRequest(order.id, order.amount, "bench", "", "", "")
        )
        order.checkout_opened(session.session_id, session.url)
        at = created + timedelta(milliseconds=n)  # the order they are used in
        rows.append(
            (order.id, order.buyer_id, order.kind.value, order.method.value, order.amount.amount,
             order.amount.currency, order.platform_bps, order.course_id, order.payee_id,
             order.status.value, order.provider_session_id, order.checkout_url, 0, at, at)
        )  # fmt: skip
    await connection.copy_records_to_table(
        "orders",
        columns=["id", "buyer_id", "kind", "method", "amount", "currency", "platform_bps",
                 "course_id", "payee_id", "status", "provider_session_id", "checkout_url",
                 "refunded_amount", "created_at", "updated_at"],
        records=rows,
    )  # fmt: skip
    return len(rows)


# ---- who and what the run uses, read back from its copy ---------------------------------------
@dataclass
class Cast:
    admin: UUID
    reader: UUID
    topup: UUID
    buyers: list[UUID]
    card_buyers: list[UUID]
    courses: list[tuple[UUID, int]]  # id and price, in seeding order
    # id, buyer, kind and signed link token of the pending orders, in order
    orders: list[tuple[UUID, UUID, str, str]]
    accounts: int
    entries: int
    lines: int


async def read_cast(server: str) -> Cast:
    connection = await connect(f"{server}/{DATABASE}")
    try:
        users = {
            row["email"]: row["id"]
            for row in await connection.fetch(
                "SELECT id, email FROM users WHERE email LIKE $1", f"%@{DOMAIN}"
            )
        }

        def numbered(kind: str) -> list[UUID]:
            found = sorted(address for address in users if address.startswith(f"{kind}-"))
            return [users[address] for address in found]

        courses = await connection.fetch(
            "SELECT id, price_amount FROM courses WHERE title LIKE 'Billing Bench Course %' "
            "AND status = 'published' ORDER BY title"
        )
        orders = await connection.fetch(
            "SELECT id, buyer_id, kind, checkout_url FROM orders WHERE status = 'pending' "
            "AND method = 'card' ORDER BY created_at, id"
        )
        counts = [
            int(await connection.fetchval(f"SELECT count(*) FROM {table}"))
            for table in ("ledger_accounts", "journal_entries", "journal_lines")
        ]
    finally:
        await connection.close()
    return Cast(
        admin=users[email("admin")],
        reader=users[email("reader")],
        topup=users[email("topup")],
        buyers=numbered("buyer"),
        card_buyers=numbered("card"),
        courses=[(row["id"], int(row["price_amount"])) for row in courses],
        orders=[
            (row["id"], row["buyer_id"], row["kind"], row["checkout_url"].rsplit("token=", 1)[1])
            for row in orders
        ],
        accounts=counts[0],
        entries=counts[1],
        lines=counts[2],
    )


class Tokens:
    """Access tokens as login issues them, signed with the server's secret."""

    def __init__(self) -> None:
        settings = Settings(jwt_secret=JWT_SECRET)
        self._jwt = JwtAccessTokens(
            JWT_SECRET,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl_seconds=TOKEN_SECONDS,
        )

    def __call__(self, user_id: UUID, role: Role = Role.STUDENT) -> str:
        # A session of its own per token: only ended sessions are looked up (a deny-list).
        return self._jwt.issue(user_id, role, datetime.now(UTC), session_id=uuid.uuid4()).token


# ---- the scenarios ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Scenario:
    """``mode``: ``static`` (one request again and again), ``pairs`` (request n is token
    ``n % len(tokens)`` with key ``n % len(keys)``) or ``list`` (request n is key n)."""

    name: str
    method: str
    path: str  # %s stands for the key
    expected: int
    mode: str = "static"
    body: str | None = None
    tokens: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()

    @property
    def supply(self) -> int | None:
        """How many distinct requests it has; None when unlimited."""
        if self.mode == "pairs":
            return len(self.tokens) * len(self.keys)
        if self.mode == "list":
            return len(self.keys)
        return None

    def lua(self, *, first: int, threads: int) -> str:
        count = -1 if self.supply is None else max(self.supply - first, 0)
        constants = [
            f"local METHOD = {lua_string(self.method)}",
            f"local PATH = {lua_string(self.path)}",
            f"local BODY = {'nil' if self.body is None else lua_string(self.body)}",
            f"local MODE = {lua_string(self.mode)}",
            f"local FIRST, COUNT, THREADS = {first}, {count}, {threads}",
            f"local TOKENS = {lua_string(','.join(self.tokens))}",
            f"local KEYS = {lua_string(','.join(self.keys))}",
            f"local NOBODY = {lua_string(NOBODY)}",
        ]
        return (
            f"-- {self.name}: written by benchmarks/billing_load.py\n"
            + "\n".join(constants)
            + LUA_BODY
        )


LUA_BODY = r"""

local function split(text)
  local items = {}
  for item in string.gmatch(text, "[^,]+") do items[#items + 1] = item end
  return items
end

local function build(token, key)
  local headers = {}
  if token then headers["Authorization"] = "Bearer " .. token end
  if BODY and BODY ~= "" then headers["Content-Type"] = "application/json" end
  local path = PATH
  if key then path = string.format(PATH, key) end
  return wrk.format(METHOD, path, headers, BODY)
end

local threads, next_id = {}, 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  threads[#threads + 1] = thread
end

function init(args)
  tokens, keys = split(TOKENS), split(KEYS)
  issued, exhausted, counts = 0, 0, {}
  if MODE == "static" then fixed = build(tokens[1], nil) end
end

function request()
  if MODE == "static" then
    issued = issued + 1
    return fixed
  end
  -- Thread t sends FIRST + t, FIRST + t + THREADS, ...: no two requests share a pair or order.
  local k = thread_id + issued * THREADS
  issued = issued + 1
  if k >= COUNT then
    exhausted = exhausted + 1
    return build(tokens[1], NOBODY)
  end
  local n = FIRST + k
  if MODE == "pairs" then return build(tokens[n % #tokens + 1], keys[n % #keys + 1]) end
  return build(tokens[1], keys[n + 1])
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local used, over, totals = 0, 0, {}
  for _, thread in ipairs(threads) do
    local sent = thread:get("issued")
    if sent > 0 then
      used = math.max(used, thread:get("thread_id") + (sent - 1) * THREADS + 1)
    end
    over = over + thread:get("exhausted")
    for status, n in pairs(thread:get("counts")) do totals[status] = (totals[status] or 0) + n end
  end
  if COUNT >= 0 then used = math.min(used, COUNT) end
  io.write(string.format("BENCH used %d exhausted %d\n", used, over))
  for status, n in pairs(totals) do io.write(string.format("BENCH status %d %d\n", status, n)) end
end
"""


def lua_string(text: str) -> str:
    if not text.isascii() or not text.isprintable():
        raise ValueError(f"not for a Lua literal: {text[:40]!r}")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def scenarios(cast: Cast, tokens: Tokens) -> dict[str, Scenario]:
    return {
        "wallet": Scenario("wallet", "GET", WALLET, 200, tokens=(tokens(cast.reader),)),
        "trial balance": Scenario(
            "trial balance", "GET", TRIAL_BALANCE, 200, tokens=(tokens(cast.admin, Role.ADMIN),)
        ),
        "topup checkout": Scenario(
            "topup checkout",
            "POST",
            CHECKOUT,
            201,
            body=TOPUP_BODY,
            tokens=(tokens(cast.topup),),
        ),
        "credit purchase": Scenario(
            "credit purchase",
            "POST",
            PURCHASE,
            201,
            mode="pairs",
            body="",
            tokens=tuple(tokens(buyer) for buyer in cast.buyers),
            keys=tuple(str(course_id) for course_id, _ in cast.courses),
        ),
        "webhook capture": Scenario(
            "webhook capture",
            "POST",
            "/sandbox/checkout/%s",
            200,
            mode="list",
            body="",
            keys=tuple(
                f"{order_id}/succeed?token={token}" for order_id, _, _, token in cast.orders
            ),
        ),
    }


# ---- the checks before the load --------------------------------------------------------------
def check(
    base_url: str, server: str, cast: Cast, tokens: Tokens, cursors: dict[str, int]
) -> list[str]:
    """Each scenario answered once as it should; the pair and orders used are skipped later."""
    problems: list[str] = []

    def auth(user_id: UUID, role: Role = Role.STUDENT) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens(user_id, role)}"}

    def expect(name: str, response: httpx.Response, status: int) -> Any:
        if response.status_code != status:
            problems.append(f"{name}: {response.status_code} {response.text[:300]}")
            return None
        print(f"  {name:15} {response.status_code} {response.text[:150]}")
        return response.json() if "json" in response.headers.get("content-type", "") else None

    with httpx.Client(base_url=base_url, timeout=60) as client:
        wallet = expect("wallet", client.get(WALLET, headers=auth(cast.reader)), 200)
        if wallet is not None and wallet.get("items") != [money(READER_CREDITS)]:
            problems.append(f"wallet: {wallet} (expected {READER_CREDITS} {CURRENCY})")

        trial = expect(
            "trial balance", client.get(TRIAL_BALANCE, headers=auth(cast.admin, Role.ADMIN)), 200
        )
        if trial is not None:
            problems += trial_problems(trial, asyncio.run(running_balances(server)))

        started = expect(
            "topup checkout",
            client.post(CHECKOUT, content=TOPUP_BODY, headers=auth(cast.topup) | JSON),
            201,
        )
        if started is not None:
            order_id = started.get("order_id")
            if set(started) != {
                "order_id",
                "checkout_url",
            } or f"/sandbox/checkout/{order_id}?" not in str(started.get("checkout_url")):
                problems.append(f"topup checkout: unexpected answer {started}")
            else:
                order = client.get(f"/api/v1/me/orders/{order_id}", headers=auth(cast.topup))
                shown = order.json() if order.status_code == 200 else {}
                if (shown.get("status"), shown.get("amount")) != ("pending", money(1000)):
                    problems.append(f"topup checkout: the order is {order.text[:300]}")

        buyer, (course_id, price) = cast.buyers[0], cast.courses[0]
        bought = expect(
            "credit purchase",
            client.post(PURCHASE % course_id, headers=auth(buyer)),
            201,
        )
        cursors["credit purchase"] = 1
        if bought is not None and (
            set(bought) != {"order_id", "course_id", "amount", "status"}
            or (bought["course_id"], bought["amount"], bought["status"])
            != (str(course_id), money(price), "succeeded")
        ):
            problems.append(f"credit purchase: unexpected answer {bought}")

        for order_id, buyer_id, kind, token in cast.orders[:2]:  # a course, then a top-up
            page = client.post(CAPTURE % (order_id, token))
            if page.status_code != 200 or "Status: <strong>succeeded</strong>" not in page.text:
                problems.append(f"webhook capture: {page.status_code} {page.text[:300]}")
                continue
            order = client.get(f"/api/v1/me/orders/{order_id}", headers=auth(buyer_id)).json()
            print(f"  webhook capture 200 {kind} order now {order.get('status')}")
            if order.get("status") != "succeeded" or not order.get("paid_at"):
                problems.append(f"webhook capture: the {kind} order is {order}")
        cursors["webhook capture"] = 2
    return problems


JSON = {"Content-Type": "application/json"}


def money(amount: int) -> dict[str, Any]:
    """The API's one shape for money."""
    return {"amount": amount, "currency": CURRENCY}


def trial_problems(trial: dict[str, Any], running: dict[tuple[str, str | None], int]) -> list[str]:
    """What is wrong with a trial balance answer, given the accounts' running balances."""
    problems = []
    if set(trial) != {"accounts", "totals", "balanced"} or trial["balanced"] is not True:
        problems.append(f"trial balance: not balanced or not its shape: {str(trial)[:300]}")
    elif trial["totals"] != [{"total": money(0), "balanced": True}]:
        problems.append(f"trial balance: totals {trial['totals']}")
    shown = {(a["kind"], a["owner_id"]): a["balance"]["amount"] for a in trial.get("accounts", [])}
    if len(trial.get("accounts", [])) != len(running):
        problems.append(
            f"trial balance: {len(trial.get('accounts', []))} accounts shown, {len(running)} in "
            "the ledger"
        )
    differing = [key for key, balance in running.items() if shown.get(key) != balance]
    if differing:
        problems.append(
            f"trial balance: {len(differing)} accounts differ from their running balance, "
            f"e.g. {differing[0]}"
        )
    return problems


async def running_balances(server: str) -> dict[tuple[str, str | None], int]:
    connection = await connect(f"{server}/{DATABASE}")
    try:
        # The sum of each account's lines: what the trial balance must show for every account,
        # the platform's (whose balance is derived, not stored) as much as the people's.
        rows = await connection.fetch(
            "SELECT a.kind, a.owner_id, coalesce((SELECT sum(l.amount) FROM journal_lines l "
            "WHERE l.account_id = a.id), 0) AS balance FROM ledger_accounts a"
        )
    finally:
        await connection.close()
    return {
        (row["kind"], str(row["owner_id"]) if row["owner_id"] else None): int(row["balance"])
        for row in rows
    }


# ---- the load --------------------------------------------------------------------------------
@dataclass
class Tally:
    """What wrk's Lua script counted in one run."""

    statuses: Counter[int] = field(default_factory=Counter)
    used: int = 0
    exhausted: int = 0


def parse_tally(output: str) -> Tally:
    tally = Tally()
    for line in output.splitlines():
        if match := re.fullmatch(r"BENCH used (\d+) exhausted (\d+)", line.strip()):
            tally.used, tally.exhausted = int(match.group(1)), int(match.group(2))
        elif match := re.fullmatch(r"BENCH status (\d+) (\d+)", line.strip()):
            tally.statuses[int(match.group(1))] += int(match.group(2))
    return tally


class WaitSampler:
    """Samples what the app's active PostgreSQL sessions wait on, every 100 ms, in a thread."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.samples = 0
        self.waits: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._poll()), daemon=True)

    def __enter__(self) -> WaitSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    async def _poll(self) -> None:
        connection = await connect(f"{self.server}/postgres")
        try:
            while not self._stop.is_set():
                rows = await connection.fetch(
                    "SELECT coalesce(wait_event_type || ':' || wait_event, 'running') AS wait "
                    "FROM pg_stat_activity WHERE datname = $1 AND state = 'active' "
                    "AND pid <> pg_backend_pid()",
                    DATABASE,
                )
                self.samples += 1
                self.waits.update(row["wait"] for row in rows)
                await asyncio.sleep(WAIT_SAMPLE_SECONDS)
        finally:
            await connection.close()

    def summary(self, top: int = 3) -> str:
        if not self.samples:
            return "-"
        total = sum(self.waits.values())
        active = total / self.samples
        parts = [f"{wait} {n / total:.0%}" for wait, n in self.waits.most_common(top)]
        return f"{active:.1f} active: " + ", ".join(parts) if parts else "0 active"


@dataclass
class Measured:
    expected: int
    result: Result = field(default_factory=Result)
    statuses: Counter[int] = field(default_factory=Counter)
    exhausted: int = 0
    waits: list[str] = field(default_factory=list)


def run_wrk(
    url: str, script: Path, *, seconds: float, args: argparse.Namespace, server_pid: int
) -> tuple[Run, Tally]:
    """`catalog_load.wrk`, with a Lua script whose counts are read back."""
    command = [
        "taskset", "-c", str(args.load_cpu), "wrk", f"-t{args.threads}", f"-c{args.connections}",
        f"-d{seconds:g}s", "--latency", "--timeout", f"{WRK_TIMEOUT:g}s", "-s", str(script), url,
    ]  # fmt: skip
    meter = CpuMeter(server_pid)
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    cpu_use = meter.stop()
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return Run(*parse_wrk(done.stdout), *cpu_use), parse_tally(done.stdout)


async def _busy_backends(server: str) -> int:
    connection = await connect(f"{server}/postgres")
    try:
        busy: int = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND state <> 'idle'",
            DATABASE,
        )
        return busy
    finally:
        await connection.close()


@dataclass
class Aftermath:
    """Waits for requests still running after wrk stopped (they would load the next run), and
    notes errors the server logged."""

    server: Server
    database_server: str
    problems: list[str]
    logged: int = 0
    dropped: int = 0

    def settle(self, what: str) -> None:
        started = time.monotonic()
        while (busy := asyncio.run(_busy_backends(self.database_server))) and (
            time.monotonic() - started < DRAIN
        ):
            time.sleep(0.1)
        waited = time.monotonic() - started
        if busy:
            self.problem(f"{what}: {busy} database sessions still busy {DRAIN:g} s after wrk")
        elif waited >= 1:
            print(f"  ({what}: the server was busy for {waited:.1f} s after wrk stopped)")
        errors = logged_errors(self.server.log)
        new = errors[self.logged :]
        self.logged = len(errors)
        # wrk drops the connections of requests still queued when it stops: the server logs
        # each body it can then no longer read as an error, which is wrk's doing, not a failure.
        dropped = [text for text in new if DISCONNECTED in text]
        if dropped:
            self.dropped += len(dropped)
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


def run_rounds(
    args: argparse.Namespace,
    server: Server,
    plan: dict[str, Scenario],
    cursors: dict[str, int],
    work: Path,
    problems: list[str],
) -> tuple[dict[str, Measured], Counter[str], int]:
    """Measurements by scenario, every 2xx counted by scenario (warm-ups included), and how
    many 'client disconnected' errors the server logged."""
    measured: dict[str, Measured] = {}
    succeeded: Counter[str] = Counter()
    aftermath = Aftermath(server, args.server, problems, logged=len(logged_errors(server.log)))
    for round_number in range(args.rounds):
        for name in args.scenarios:
            scenario = plan[name]
            script = work / f"{name.replace(' ', '_')}.lua"
            phases = [("warm-up", args.warmup)] if args.warmup > 0 else []
            for phase, seconds in [*phases, ("run", args.duration)]:
                script.write_text(scenario.lua(first=cursors.get(name, 0), threads=args.threads))
                with WaitSampler(args.server) as sampler:
                    run, tally = run_wrk(
                        server.base_url + (scenario.path if scenario.mode == "static" else "/"),
                        script,
                        seconds=seconds,
                        args=args,
                        server_pid=server.process.pid,
                    )
                aftermath.settle(f"{name} {phase}")
                cursors[name] = cursors.get(name, 0) + tally.used
                succeeded[name] += tally.statuses[scenario.expected]
                unexpected = {s: n for s, n in tally.statuses.items() if s != scenario.expected}
                if phase != "run" and not run.requests:
                    print(f"  ({name} warm-up: no response within {seconds:g} s)")
                elif unexpected or run.socket_errors or not run.requests or tally.exhausted:
                    aftermath.problem(
                        f"{name} {phase}: {run.requests} responses, statuses other than "
                        f"{scenario.expected}: {unexpected or 'none'}, {run.socket_errors} "
                        f"socket errors, {tally.exhausted} requests after the supply ran out"
                    )
                if phase != "run":
                    continue
                entry = measured.setdefault(name, Measured(scenario.expected))
                entry.result.runs.append(run)
                entry.statuses += tally.statuses
                entry.exhausted += tally.exhausted
                entry.waits.append(sampler.summary())
                left = scenario.supply - cursors[name] if scenario.supply is not None else None
                print(
                    f"  round {round_number + 1}/{args.rounds} {name:15} {run.rps:8.0f} req/s  "
                    f"p50 {run.p50 * 1000:7.1f} ms  p99 {run.p99 * 1000:7.1f} ms  "
                    f"{scenario.expected}: {tally.statuses[scenario.expected]}  "
                    f"errors {run.not_2xx + run.socket_errors}"
                    + (f"  ({left:,} left)" if left is not None else "")
                )
                print(f"    pg waits: {sampler.summary()}")
                if server.process.poll() is not None:
                    raise RuntimeError(f"the server exited:\n{server.log_excerpt()}")
    return measured, succeeded, aftermath.dropped


# ---- after the load --------------------------------------------------------------------------
def reconcile(
    base_url: str, server: str, cast: Cast, tokens: Tokens, succeeded: Counter[str]
) -> list[str]:
    """The books still balance, and the database holds what the 2xx answers said was done."""
    problems: list[str] = []
    with httpx.Client(base_url=base_url, timeout=120) as client:
        response = client.get(
            TRIAL_BALANCE, headers={"Authorization": f"Bearer {tokens(cast.admin, Role.ADMIN)}"}
        )
    if response.status_code != 200:
        return [f"trial balance after the load: {response.status_code} {response.text[:300]}"]
    problems += [
        f"after the load, {text}"
        for text in trial_problems(response.json(), asyncio.run(running_balances(server)))
    ]

    async def counts() -> dict[str, int]:
        connection = await connect(f"{server}/{DATABASE}")
        try:
            queries = {
                "credit orders": "SELECT count(*) FROM orders WHERE method = 'credits' "
                "AND status = 'succeeded'",
                "captured seeded orders": "SELECT count(*) FROM orders WHERE method = 'card' "
                "AND status = 'succeeded'",
                "pairs bought twice": "SELECT count(*) FROM (SELECT 1 FROM orders "
                "WHERE kind = 'course' AND status = 'succeeded' "
                "GROUP BY buyer_id, course_id HAVING count(*) > 1) AS twice",
                # People's accounts keep a stored balance (locked and checked against going
                # below zero); it must equal their lines. The platform's are derived.
                "stored balances off their lines": "SELECT count(*) FROM ledger_accounts a "
                "WHERE a.kind NOT IN ('provider_clearing', 'platform_revenue', 'payouts') "
                "AND a.balance <> (SELECT coalesce(sum(l.amount), 0) FROM journal_lines l "
                "WHERE l.account_id = a.id)",
                "journal entries": "SELECT count(*) FROM journal_entries",
                "enrollments": "SELECT count(*) FROM enrollments",
            }
            return {name: int(await connection.fetchval(sql)) for name, sql in queries.items()}
        finally:
            await connection.close()

    found = asyncio.run(counts())
    credit_answers = succeeded["credit purchase"] + 1  # and the check's
    capture_answers = succeeded["webhook capture"] + 2  # and the check's two
    print(
        f"  credit purchases: {credit_answers:,} answered 201, {found['credit orders']:,} in the "
        f"database; captures: {capture_answers:,} answered 200, "
        f"{found['captured seeded orders']:,} captured orders in the database"
    )
    print(
        f"  journal entries now {found['journal entries']:,} (seeded {cast.entries:,}); "
        f"enrollments {found['enrollments']:,}"
    )
    if found["credit orders"] < credit_answers:
        problems.append(
            f"{credit_answers} purchases answered 201 but {found['credit orders']} are stored"
        )
    if found["captured seeded orders"] < capture_answers:
        problems.append(
            f"{capture_answers} captures answered 200 but "
            f"{found['captured seeded orders']} orders are paid"
        )
    for name in ("pairs bought twice", "stored balances off their lines"):
        if found[name]:
            problems.append(f"{name}: {found[name]}")
    return problems


# ---- quiet machine ---------------------------------------------------------------------------
def wait_until_quiet(limit: float, give_up: float) -> str:
    """Sleeps 20 s at a time while the 1-minute load average is above ``limit``."""
    started = time.monotonic()
    while True:
        load = float(Path("/proc/loadavg").read_text().split()[0])
        waited = time.monotonic() - started
        if load <= limit:
            return f"load average {load:.2f} after waiting {waited:.0f} s"
        if waited >= give_up:
            return (
                f"GAVE UP waiting after {waited:.0f} s: load average still {load:.2f} "
                f"(> {limit:g}); measured anyway"
            )
        print(f"  load average {load:.2f} > {limit:g}: waiting ({waited:.0f} s so far)")
        time.sleep(20)


# ---- the report ------------------------------------------------------------------------------
def print_table(args: argparse.Namespace, measured: dict[str, Measured]) -> None:
    print(
        f"\n  {'scenario':15} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'expected':>9} "
        f"{'other':>6} {'sock err':>8} {'exhaust':>7} {'srv CPU':>8} {'pg CPU':>7} "
        f"{'wrk CPU':>8} {'other CPU':>9}"
    )
    for name in SCENARIOS:
        if name not in measured:
            print(f"  {name:15} not measured")
            continue
        m = measured[name]
        r = m.result
        expected = m.expected
        other = sum(n for status, n in m.statuses.items() if status != expected)
        print(
            f"  {name:15} {r.median('rps'):8.0f} {r.median('p50') * 1000:8.1f} "
            f"{r.median('p99') * 1000:8.1f} {m.statuses[expected]:9d} {other:6d} "
            f"{r.total('socket_errors'):8d} {m.exhausted:7d} {r.median('server_cpu'):8.2f} "
            f"{r.median('postgres_cpu'):7.2f} {r.median('wrk_cpu'):8.2f} "
            f"{r.median('other_cpu'):9.2f}"
        )
    print("\n  what the app's PostgreSQL sessions were doing (sampled every 100 ms):")
    for name in SCENARIOS:
        if name in measured:
            print(f"  {name:15} {' | '.join(measured[name].waits)}")
    other_cpu = max((m.result.median("other_cpu") for m in measured.values()), default=0.0)
    if other_cpu > OTHER_CPU_WARNING:
        print(
            f"  WARN  other processes used up to {other_cpu:.2f} CPUs during the runs: the "
            "machine was not quiet, these figures understate the app (run again when it is idle)"
        )


def measure(
    args: argparse.Namespace, spec: SeedSpec, work: Path
) -> tuple[dict[str, Measured], list[str]]:
    print(f"== template {TEMPLATE}, run database {DATABASE}, files in {VAR_DIR}")
    seeded_in = asyncio.run(ensure_template(args.server, spec, reseed=args.reseed))
    print("  seeded in " + (f"{seeded_in:.1f} s" if seeded_in else "an earlier run"))
    started = time.perf_counter()
    asyncio.run(clone(args.server))
    cast = asyncio.run(read_cast(args.server))
    print(
        f"  copied in {time.perf_counter() - started:.1f} s: {cast.accounts:,} ledger accounts, "
        f"{cast.entries:,} journal entries, {cast.lines:,} lines; {len(cast.buyers)} buyers x "
        f"{len(cast.courses)} courses = {len(cast.buyers) * len(cast.courses):,} purchases; "
        f"{len(cast.orders):,} pending orders"
    )
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    lines = [f"{name}={value}" for name, value in SERVER_ENV_FILE.items()]
    if args.jobs_threads is not None:
        lines.append(f"ELEARN_JOBS_IN_PROCESS_THREADS={args.jobs_threads}")
    (VAR_DIR / ".env").write_text("\n".join(lines) + "\n")
    quiet = wait_until_quiet(args.quiet_load, args.quiet_wait)
    print(f"  machine: {quiet}")
    log = Path(args.server_log or work / "server.log")
    server = start_server(
        sqlalchemy_url(args.server, DATABASE), cpu=args.server_cpu, pool_size=args.pool_size,
        var_dir=VAR_DIR, log=log, cache_seconds=0.0, workers=args.processes,
        cpus=args.server_cpus or None,
    )  # fmt: skip
    problems: list[str] = [quiet] if quiet.startswith("GAVE UP") else []
    measured: dict[str, Measured] = {}
    try:
        check_connection_budget(args.server, args.pool_size * args.processes)
        tokens = Tokens()
        cursors: dict[str, int] = {}
        checked = check(server.base_url, args.server, cast, tokens, cursors)
        for problem in problems + checked:
            print(f"  ! {problem}")
        loop = " ".join(uvicorn_fast_path()) or "(asyncio, h11)"
        print(
            f"  uvicorn {loop}, {args.processes} API process(es) under pid {server.process.pid} "
            f"on CPU {args.server_cpus or args.server_cpu}, pool {args.pool_size} each; "
            f"wrk on CPU {args.load_cpu}"
        )
        problems += checked
        if not checked:  # a busy machine is said in the report, and measured all the same
            plan = scenarios(cast, tokens)
            measured, succeeded, dropped = run_rounds(args, server, plan, cursors, work, problems)
            if dropped:
                print(
                    f"  the server logged {dropped} 'client disconnected' errors in all, for "
                    "requests still queued when wrk stopped (not counted as failures)"
                )
            problems += reconcile(server.base_url, args.server, cast, tokens, succeeded)
        if problems:
            kept = f"kept in {log}" if args.server_log else "keep it with --server-log PATH"
            print(f"  server log, last lines, shortened ({kept}):")
            for line in server.log_excerpt(10).splitlines():
                print(f"    {line if len(line) <= 300 else line[:297] + '...'}")
    finally:
        server.stop()
    return measured, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before each run")
    parser.add_argument("--rounds", type=int, default=1, help="scenarios in turn; medians")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="of wrk")
    parser.add_argument(
        "--pool-size", type=int, default=32, help="ELEARN_DATABASE_POOL_SIZE, per API process"
    )
    parser.add_argument(
        "--processes", type=int, default=2, help="API processes sharing the port (uvicorn)"
    )
    parser.add_argument(
        "--jobs-threads",
        type=int,
        default=None,
        help="ELEARN_JOBS_IN_PROCESS_THREADS, per API process (the outbox deliveries at once); "
        "the server's default when not given",
    )
    parser.add_argument(
        "--server-cpus",
        default="",
        help="CPUs the API processes may use (taskset list, e.g. 0,1); --server-cpu when not given",
    )
    parser.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help="which to run, comma-separated"
    )
    parser.add_argument("--server-cpu", type=int, default=0, help="the server is pinned to it")
    parser.add_argument("--load-cpu", type=int, default=1, help="wrk is pinned to it")
    defaults = SeedSpec()
    for option in ("tutors", "buyers", "card_buyers", "history_students", "courses", "entries",
                   "orders"):  # fmt: skip
        parser.add_argument(
            "--" + option.replace("_", "-"), type=int, default=getattr(defaults, option)
        )
    parser.add_argument("--quiet-load", type=float, default=1.0, help="1-minute load average")
    parser.add_argument("--quiet-wait", type=float, default=1500.0, help="seconds at most")
    parser.add_argument("--reseed", action="store_true", help="seed even when already seeded")
    parser.add_argument("--server", default=DEFAULT_SERVER, help="PostgreSQL, no database")
    parser.add_argument("--server-log", default="", help="keep the server's log at this path")
    args = parser.parse_args()
    args.scenarios = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    if not args.scenarios or set(args.scenarios) - set(SCENARIOS):
        parser.error(f"--scenarios: some of {', '.join(SCENARIOS)}")
    if not 1 <= args.processes <= 16:
        parser.error("--processes is 1 to 16")
    if not 1 <= args.duration <= 600 or not 0 <= args.warmup <= 60 or not 1 <= args.rounds <= 20:
        parser.error("--duration is 1 to 600 s, --warmup 0 to 60 s, --rounds 1 to 20")
    if args.threads > args.connections:
        parser.error("wrk needs at least as many connections as threads")
    spec = SeedSpec(
        tutors=args.tutors, buyers=args.buyers, card_buyers=args.card_buyers,
        history_students=args.history_students, courses=args.courses, entries=args.entries,
        orders=args.orders,
    )  # fmt: skip
    if min(spec.tutors, spec.buyers, spec.card_buyers, spec.courses, spec.orders) < 1:
        parser.error("every count is at least 1")
    for who in ("buyers", "card_buyers"):
        if math.gcd(getattr(spec, who), spec.courses) != 1:
            parser.error(f"--{who.replace('_', '-')} and --courses must be coprime (no pair twice)")
    if spec.orders // 2 > spec.card_buyers * spec.courses:
        parser.error("--orders: more course orders than (card buyer, course) pairs")
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed")
    with tempfile.TemporaryDirectory(prefix="elearn-bench-billing-") as tmp:
        measured, problems = measure(args, spec, Path(tmp))
    print(
        f"\nwrk -t{args.threads} -c{args.connections}, {args.duration:g} s per run after "
        f"{args.warmup:g} s of warm-up, {args.rounds} round(s), medians; {os.cpu_count()} CPUs"
    )
    print_table(args, measured)
    errors = sum(
        m.result.total("not_2xx") + m.result.total("socket_errors") + m.exhausted
        for m in measured.values()
    )
    missing = [name for name in args.scenarios if name not in measured]
    failed = bool(errors or problems or missing)
    print(
        f"\n{'FAIL' if failed else 'PASS'}: {errors} error responses, socket errors or requests "
        f"past the supply, {len(problems)} problems, {len(missing)} scenarios not measured"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
