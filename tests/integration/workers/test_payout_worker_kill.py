"""A payout worker process killed after the provider sent the money and before the payout was
committed, then restarted: the withdrawal ends paid, once.

The provider in the worker (killable_payout_worker.py) has forgotten idempotency keys, as Stripe
has when a message is redelivered days later: calling ``transfer`` again would pay again, so
only looking up the earlier attempt's transfer keeps the tutor from being paid twice.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import dramatiq
import httpx
import pytest
from sqlalchemy import select
from tests.conftest import make_settings
from tests.support.apps import app_for
from tests.support.billing import (
    balance_of,
    books_balance,
    paid_course,
    pay_by_sandbox_card,
)
from tests.support.catalog import headers_of, seed_people

from elearn.adapters.jobs.broker import EVENTS_QUEUE, build_broker
from elearn.adapters.persistence.models.billing import JournalEntryRow, WithdrawalRow
from elearn.adapters.persistence.models.jobs import OutboxDeliveryRow
from elearn.entrypoints.bootstrap import Container, bootstrap
from elearn.entrypoints.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[3]
PAY_OUT = "billing.pay_out_withdrawal"
WITHDRAWN = 4000  # of the tutor's 4165 share of a 49.00 course


@pytest.fixture
def payout_settings(tmp_path: Path, database_url: str) -> Settings:
    """The API side's settings. Earnings clear at once, so the tutor can withdraw without moving
    a clock the worker process would not share. No Redis here: the API reaches the broker through
    the container's broker, and sign-in rate limits kept in the shared Redis (under a fixed
    prefix) would outlive the test and refuse the next run's logins."""
    return make_settings(tmp_path, database_url, earnings_clearing_days=0)


@pytest.fixture
def payout_broker(redis_url: str, broker_namespace: str) -> Iterator[dramatiq.Broker]:
    broker = build_broker(redis_url, namespace=broker_namespace)
    yield broker
    broker.flush_all()
    broker.close()


# PostgreSQL only: row locks and two processes on one database are what production runs.
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_payout_worker_killed_after_paying_pays_once_when_restarted(
    payout_settings: Settings,
    payout_broker: dramatiq.Broker,
    redis_url: str,
    broker_namespace: str,
    tmp_path: Path,
) -> None:
    settings = payout_settings
    markers = tmp_path / "markers"
    markers.mkdir()
    transfers_dir = markers / "transfers"
    await seed_people(settings)
    container = bootstrap(settings, broker=payout_broker)
    # The API process runs no jobs here (a worker process does) and no relay task: the test
    # decides when the approval reaches the broker.
    app = app_for(settings, container=container, run_background=False)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ELEARN_")},
        "ELEARN_ENV": "test",
        "ELEARN_DATABASE_URL": settings.database_url,
        "ELEARN_REDIS_URL": redis_url,
        "ELEARN_VAR_DIR": settings.var_dir,
        "ELEARN_LOG_FORMAT": "console",
        "TEST_MARKERS_DIR": str(markers),
        "TEST_BROKER_NAMESPACE": broker_namespace,
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    log = (tmp_path / "worker.log").open("ab")

    def start_worker() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "dramatiq", "tests.integration.workers.killable_payout_worker",
             "--processes", "1", "--threads", "1", "--queues", EVENTS_QUEUE],
            cwd=PROJECT_ROOT, env=env, start_new_session=True,
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def sent_transfers() -> list[dict[str, Any]]:
        return [json.loads(path.read_text()) for path in sorted(transfers_dir.glob("*.json"))]

    workers: list[subprocess.Popen[bytes]] = []
    try:
        async with (
            app.lifespan(),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver.local"
            ) as client,
        ):
            withdrawal_id, tutor_id = await approved_withdrawal(client, container)
            admin = await headers_of(client, "admin")
            assert await container.relay.relay_once() >= 1

            # 1. The first worker sends the money and is killed before it records the payout.
            workers.append(start_worker())
            await eventually(lambda: _true((markers / "transferred-1").exists()), timeout=30)
            os.killpg(workers[0].pid, signal.SIGKILL)
            workers[0].wait()
            row = await withdrawal_row(container, withdrawal_id)
            assert (row.status, row.payout_attempts, row.transfer_id) == ("approved", 1, None)
            [sent] = sent_transfers()
            assert (sent["group"], sent["amount"]) == (f"payout:{withdrawal_id}", WITHDRAWN)
            assert await delivery_status(container) == "dispatched", "left to be redelivered"
            assert await payout_entries(container, withdrawal_id) == []

            # 2. A new worker gets the message again (the broker sees the dead worker's
            # heartbeat stop), finds the transfer already made and records it.
            workers.append(start_worker())
            await eventually(lambda: _done(container), timeout=30)
            row = await withdrawal_row(container, withdrawal_id)

            assert sent_transfers() == [sent], "paid once"
            assert not (markers / "transferred-2").exists(), "the provider was not asked again"
            assert len(list(markers.glob("looked-*"))) == 2, "each attempt looked first"
            assert (row.status, row.transfer_id, row.payout_attempts) == (
                "paid",
                sent["id"],
                2,
            )
            [entry] = await payout_entries(container, withdrawal_id)
            assert entry.memo == sent["id"]
            trial = await books_balance(client, admin)  # sums to zero
            assert balance_of(trial, "payouts", None) == WITHDRAWN
            assert balance_of(trial, "tutor_hold", tutor_id) == 0
            assert balance_of(trial, "tutor_available", tutor_id) == 4165 - WITHDRAWN
    finally:
        for worker in workers:
            stop(worker)
        log.close()
        await container.dispose()


async def approved_withdrawal(client: Any, container: Container) -> tuple[UUID, str]:
    """A tutor with cleared earnings asks to withdraw; an admin approves. (id, tutor id)."""
    tutor, manager, student, admin = [
        await headers_of(client, name) for name in ("tutor", "manager", "student", "admin")
    ]
    tutor_id = (await client.get("/api/v1/me", headers=tutor)).json()["id"]
    course = await paid_course(client, tutor, manager, 4900)
    order = await pay_by_sandbox_card(
        client, student, {"kind": "course", "course_id": course["id"]}
    )
    assert order["status"] == "succeeded", order
    assert await container.billing.release_cleared_earnings() == 1
    response = await client.post("/api/v1/me/payout-account", headers=tutor)
    assert response.status_code == 200, response.text
    response = await client.post(
        "/api/v1/me/withdrawals", json={"amount": WITHDRAWN}, headers=tutor
    )
    assert response.status_code == 201, response.text
    withdrawal_id = response.json()["id"]
    response = await client.post(
        f"/api/v1/admin/withdrawals/{withdrawal_id}/approve", headers=admin
    )
    assert response.status_code == 200, response.text
    return UUID(withdrawal_id), str(tutor_id)


async def withdrawal_row(container: Container, withdrawal_id: UUID) -> WithdrawalRow:
    async with container.sessions() as session:
        row = await session.get(WithdrawalRow, withdrawal_id)
    assert row is not None
    return row


async def payout_entries(container: Container, withdrawal_id: UUID) -> list[JournalEntryRow]:
    async with container.sessions() as session:
        query = select(JournalEntryRow).where(
            JournalEntryRow.kind == "payout", JournalEntryRow.reference_id == withdrawal_id
        )
        return list((await session.scalars(query)).all())


async def delivery_status(container: Container) -> str | None:
    async with container.sessions() as session:
        return await session.scalar(
            select(OutboxDeliveryRow.status).where(OutboxDeliveryRow.handler == PAY_OUT)
        )


async def _done(container: Container) -> bool:
    return await delivery_status(container) == "done"


async def eventually(check: Callable[[], Awaitable[bool]], *, timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def _true(value: bool) -> bool:
    return value


def stop(worker: subprocess.Popen[bytes]) -> None:
    """Dramatiq's main process forwards SIGTERM to its workers and stops gracefully."""
    if worker.poll() is not None:
        return
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
