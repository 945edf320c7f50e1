"""Billing under concurrency, on PostgreSQL (SQLite serialises writers, so races cannot happen
there): purchases at once never overspend a wallet, refunds at once never give back more than
was paid, an Idempotency-Key sent many times at once takes effect once, two withdrawal requests
at once leave one open, a withdrawal approved twice at once is decided once, and two workers
handed the same payout message pay it once.

The app is served on the test's own loop over ``httpx.ASGITransport`` so that gathered requests
really overlap (the ``client`` fixture runs each request to completion in its portal thread)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import func, select
from tests.conftest import empty_all_tables, make_settings, postgres_url
from tests.fakes import FixedClock
from tests.support.apps import app_for
from tests.support.billing import (
    CHECKOUT,
    balance_of,
    books_balance,
    paid_course,
    pay_by_sandbox_card,
)
from tests.support.catalog import headers_of, seed_people
from tests.support.identity import problem

from elearn.adapters.jobs.broker import build_broker
from elearn.adapters.payments.sandbox import SandboxPaymentGateway
from elearn.adapters.persistence.models.billing import (
    JournalEntryRow,
    JournalLineRow,
    LedgerAccountRow,
)
from elearn.adapters.persistence.models.jobs import OutboxMessageRow
from elearn.adapters.system import SystemClock
from elearn.domain.billing.withdrawal import WithdrawalApproved
from elearn.domain.catalog.course import Course, CourseStatus, Lesson, LessonKind, Section
from elearn.domain.shared.money import Money
from elearn.entrypoints.billing import sandbox_links
from elearn.entrypoints.bootstrap import Container, bootstrap
from elearn.entrypoints.settings import Settings

PRICE = 1_000  # 10.00 USD a course
TUTOR_SHARE = 850  # 85% at the default 15% platform fee


@pytest.fixture
def pg_settings(tmp_path: Path) -> Settings:
    """PostgreSQL only, with a pool wide enough for the crowds below."""
    url = postgres_url()
    asyncio.run(empty_all_tables(url))
    return make_settings(tmp_path, url, database_pool_size=20)


@contextlib.asynccontextmanager
async def served(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Container]]:
    """The app on this loop with no worker and no relay: nothing runs behind the test's back
    (an approved withdrawal stays unpaid until the test hands its message to a worker)."""
    container = bootstrap(settings, broker=build_broker(None))
    app = app_for(settings, container=container, run_background=False)
    try:
        async with (
            app.lifespan(),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver.local"
            ) as client,
        ):
            yield client, container
    finally:
        await container.dispose()


async def warm_up(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """Opens the pool's connections now, so that no racer is held back opening its own."""
    answers = await asyncio.gather(
        *(client.get("/api/v1/me/wallet", headers=headers) for _ in range(10))
    )
    assert all(answer.status_code == 200 for answer in answers)


async def me(client: httpx.AsyncClient, headers: dict[str, str]) -> UUID:
    response = await client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200, response.text
    return UUID(response.json()["id"])


async def paid_courses(container: Container, tutor_id: UUID, count: int) -> list[str]:
    """``count`` published courses at ``PRICE`` owned by the tutor, stored in one transaction:
    through the catalog's use cases (or seven requests each over HTTP) they cost seconds, and
    how a course gets published is not what is tested here."""
    now = container.clock.now()
    courses = [
        Course(
            id=container.ids.new_id(),
            owner_id=tutor_id,
            title=f"Course number {number}",
            slug=f"course-number-{number}",
            created_at=now,
            updated_at=now,
            description="About it.",
            price=Money(PRICE, "USD"),
            status=CourseStatus.PUBLISHED,
            published_at=now,
            first_published_at=now,
            sections=[
                Section(
                    id=container.ids.new_id(),
                    title="Start",
                    lessons=[
                        Lesson(
                            id=container.ids.new_id(),
                            kind=LessonKind.TEXT,
                            title="One",
                            text="# One",
                        )
                    ],
                )
            ],
        )
        for number in range(count)
    ]
    async with container.uow() as uow:
        for course in courses:
            await uow.courses.add(course)
        await uow.commit()
    return [str(course.id) for course in courses]


async def running_balances_match_their_lines(container: Container) -> None:
    """Every person's account's running balance (what postings lock and check) equals the sum
    of its lines: a lost update under concurrency would show here first. (The platform's own
    accounts keep no running balance: theirs is derived from their lines, issue 19.)"""
    async with container.sessions() as session:
        rows = await session.execute(
            select(
                LedgerAccountRow.key,
                LedgerAccountRow.balance,
                func.coalesce(func.sum(JournalLineRow.amount), 0),
            )
            .join(JournalLineRow, JournalLineRow.account_id == LedgerAccountRow.id, isouter=True)
            .where(
                LedgerAccountRow.kind.not_in(("provider_clearing", "platform_revenue", "payouts"))
            )
            .group_by(LedgerAccountRow.id, LedgerAccountRow.key, LedgerAccountRow.balance)
        )
        drifted = [(key, kept, int(summed)) for key, kept, summed in rows if kept != summed]
    assert drifted == []


def no_negative_balances(trial: dict[str, Any]) -> None:
    negative = [
        account
        for account in trial["accounts"]
        if (account["kind"] == "student_wallet" or account["kind"].startswith("tutor_"))
        and account["balance"]["amount"] < 0
    ]
    assert negative == []


# ---- a wallet spent from fifty places at once ------------------------------------------------
async def test_fifty_purchases_at_once_spend_the_credits_for_ten_and_no_more(
    pg_settings: Settings,
) -> None:
    await seed_people(pg_settings)
    async with served(pg_settings) as (client, container):
        tutor, admin, student = [
            await headers_of(client, name) for name in ("tutor", "admin", "student")
        ]
        tutor_id, student_id = await me(client, tutor), await me(client, student)
        courses = await paid_courses(container, tutor_id, 50)
        # Sold like any other: the catalog shows it priced, the sandbox sells it.
        response = await client.get(f"/api/v1/courses/{courses[0]}", headers=student)
        assert response.status_code == 200, response.text
        assert response.json()["price"] == {"amount": PRICE, "currency": "USD"}
        topup = await pay_by_sandbox_card(
            client, student, {"kind": "wallet_topup", "amount": 10 * PRICE}
        )
        assert topup["status"] == "succeeded"
        await warm_up(client, student)

        answers = await asyncio.gather(
            *(
                client.post(f"/api/v1/courses/{course}/purchase-with-credits", headers=student)
                for course in courses
            )
        )

        statuses = Counter(answer.status_code for answer in answers)
        assert statuses == {201: 10, 422: 40}, [a.text for a in answers if a.status_code >= 500]
        for refused in (a for a in answers if a.status_code == 422):
            problem(refused, 422, "insufficient-funds")
        bought = {a.json()["course_id"] for a in answers if a.status_code == 201}
        assert len(bought) == 10

        wallet = (await client.get("/api/v1/me/wallet", headers=student)).json()
        assert wallet == {"items": [{"amount": 0, "currency": "USD"}], "next_cursor": None}
        response = await client.get(
            "/api/v1/me/enrollments", params={"limit": 100}, headers=student
        )
        assert response.status_code == 200, response.text
        enrolled = {
            e["course"]["id"] for e in response.json()["items"] if e["source"] == "purchase"
        }
        assert enrolled == bought
        response = await client.get(
            "/api/v1/admin/orders",
            params={"buyer_id": str(student_id), "method": "credits", "limit": 100},
            headers=admin,
        )
        assert response.status_code == 200, response.text
        orders = response.json()["items"]
        assert sorted(o["status"] for o in orders) == ["succeeded"] * 10
        assert {o["course_id"] for o in orders} == bought

        trial = await books_balance(client, admin)
        no_negative_balances(trial)
        assert balance_of(trial, "student_wallet", str(student_id)) == 0
        assert balance_of(trial, "tutor_pending", str(tutor_id)) == 10 * TUTOR_SHARE
        assert balance_of(trial, "platform_revenue", None) == 10 * (PRICE - TUTOR_SHARE)
        await running_balances_match_their_lines(container)

        # Five refunds of 4.00 on one 10.00 purchase at once: two fit, three do not.
        order = orders[0]
        answers = await asyncio.gather(
            *(
                client.post(
                    f"/api/v1/admin/payments/{order['id']}/refund",
                    json={"reason": "asked twice", "amount": {"amount": 400, "currency": "USD"}},
                    headers=admin,
                )
                for _ in range(5)
            )
        )
        assert sorted(a.status_code for a in answers) == [201, 201, 422, 422, 422], [
            a.text for a in answers
        ]
        for refused in (a for a in answers if a.status_code == 422):
            problem(refused, 422, "invalid-refund")
        response = await client.get(f"/api/v1/me/orders/{order['id']}", headers=student)
        assert (response.json()["status"], response.json()["refunded"]) == (
            "partially_refunded",
            {"amount": 800, "currency": "USD"},
        )
        trial = await books_balance(client, admin)
        no_negative_balances(trial)
        assert balance_of(trial, "student_wallet", str(student_id)) == 800
        await running_balances_match_their_lines(container)


# ---- one course bought several times at once -------------------------------------------------
async def test_one_course_bought_twice_at_once_with_credits_is_paid_for_once(
    pg_settings: Settings,
) -> None:
    await seed_people(pg_settings)
    async with served(pg_settings) as (client, container):
        tutor, admin, student = [
            await headers_of(client, name) for name in ("tutor", "admin", "student")
        ]
        student_id = await me(client, student)
        [course] = await paid_courses(container, await me(client, tutor), 1)
        await pay_by_sandbox_card(client, student, {"kind": "wallet_topup", "amount": 5 * PRICE})
        await warm_up(client, student)

        answers = await asyncio.gather(
            *(
                client.post(f"/api/v1/courses/{course}/purchase-with-credits", headers=student)
                for _ in range(5)
            )
        )

        assert sorted(a.status_code for a in answers) == [201, 409, 409, 409, 409], [
            a.text for a in answers
        ]
        for refused in (a for a in answers if a.status_code == 409):
            problem(refused, 409, "already-owned")
        trial = await books_balance(client, admin)
        assert balance_of(trial, "student_wallet", str(student_id)) == 4 * PRICE


# ---- retries, doubled requests and doubled payout messages -----------------------------------
class CountingGateway(SandboxPaymentGateway):
    """The sandbox, counting its transfers. A transfer waits (a little) for a second one to
    start, so two workers that both get this far are inside the provider call together."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings.public_url, sandbox_links(settings, SystemClock()))
        self.transfer_keys: list[str] = []
        self._second_arrived = asyncio.Event()

    async def transfer(
        self, *, destination: str, amount: Money, idempotency_key: str, group: str
    ) -> str:
        self.transfer_keys.append(idempotency_key)
        if len(self.transfer_keys) > 1:
            self._second_arrived.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._second_arrived.wait(), timeout=1.0)
        return await super().transfer(
            destination=destination, amount=amount, idempotency_key=idempotency_key, group=group
        )


async def release_earnings_a_week_later(settings: Settings) -> None:
    """The clearing job, run by a scheduler whose clock is eight days on."""
    later = bootstrap(
        settings,
        broker=build_broker(None),
        overrides={"clock": FixedClock(datetime.now(UTC) + timedelta(days=8))},
    )
    try:
        assert await later.billing.release_cleared_earnings() == 1
    finally:
        await later.dispose()


async def approved_message(container: Container, withdrawal_id: str) -> WithdrawalApproved:
    async with container.sessions() as session:
        rows = (
            await session.scalars(
                select(OutboxMessageRow).where(
                    OutboxMessageRow.event_type == WithdrawalApproved.event_type
                )
            )
        ).all()
    events = [container.codec.decode(row.event_type, row.payload) for row in rows]
    mine = [e for e in events if str(e.withdrawal_id) == withdrawal_id]  # type: ignore[attr-defined]
    assert len(mine) == 1, events
    assert isinstance(mine[0], WithdrawalApproved)
    return mine[0]


async def payout_entries(container: Container, withdrawal_id: str) -> int:
    async with container.sessions() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(JournalEntryRow)
                .where(
                    JournalEntryRow.kind == "payout",
                    JournalEntryRow.reference_id == UUID(withdrawal_id),
                )
            )
            or 0
        )


async def test_doubled_requests_and_doubled_payout_messages_move_money_once(
    pg_settings: Settings,
) -> None:
    await seed_people(pg_settings)
    async with served(pg_settings) as (client, container):
        tutor, manager, admin, student = [
            await headers_of(client, name) for name in ("tutor", "manager", "admin", "student")
        ]
        tutor_id, student_id = await me(client, tutor), await me(client, student)
        # A sale of 100.00 whose 85.00 share has cleared: the tutor has 8500 to withdraw.
        course = await paid_course(client, tutor, manager, 10_000, title="Expensive")
        sale = await pay_by_sandbox_card(
            client, student, {"kind": "course", "course_id": course["id"]}
        )
        assert sale["status"] == "succeeded"
        await release_earnings_a_week_later(pg_settings)
        response = await client.post("/api/v1/me/payout-account", headers=tutor)
        assert response.status_code == 200, response.text
        await warm_up(client, tutor)

        # 1. One withdrawal asked twenty times at once with one key: one withdrawal, held once.
        keyed = {**tutor, "Idempotency-Key": "withdraw-once"}
        answers = await asyncio.gather(
            *(
                client.post("/api/v1/me/withdrawals", json={"amount": 2000}, headers=keyed)
                for _ in range(20)
            )
        )
        assert [a.status_code for a in answers] == [201] * 20, [a.text for a in answers]
        withdrawal_id = answers[0].json()["id"]
        assert {a.json()["id"] for a in answers} == {withdrawal_id}
        response = await client.get(
            "/api/v1/admin/withdrawals", params={"tutor_id": str(tutor_id)}, headers=admin
        )
        assert [w["id"] for w in response.json()["items"]] == [withdrawal_id]
        trial = await books_balance(client, admin)
        assert balance_of(trial, "tutor_hold", str(tutor_id)) == 2000
        assert balance_of(trial, "tutor_available", str(tutor_id)) == 8500 - 2000
        # The key again with another amount is refused; with the same, it answers the first.
        response = await client.post("/api/v1/me/withdrawals", json={"amount": 3000}, headers=keyed)
        problem(response, 409, "idempotency-key-reused")
        response = await client.post("/api/v1/me/withdrawals", json={"amount": 2000}, headers=keyed)
        assert (response.status_code, response.json()["id"]) == (201, withdrawal_id)

        # 2. One top-up checkout sent twenty times at once with one key: one order.
        keyed = {**student, "Idempotency-Key": "top-up-once"}
        item = {"kind": "wallet_topup", "amount": 5000}
        answers = await asyncio.gather(
            *(client.post(CHECKOUT, json={"item": item}, headers=keyed) for _ in range(20))
        )
        assert [a.status_code for a in answers] == [201] * 20, [a.text for a in answers]
        assert len({(a.json()["order_id"], a.json()["checkout_url"]) for a in answers}) == 1
        response = await client.get(
            "/api/v1/admin/orders",
            params={"buyer_id": str(student_id), "kind": "wallet_topup"},
            headers=admin,
        )
        assert [o["id"] for o in response.json()["items"]] == [answers[0].json()["order_id"]]
        response = await client.post(
            CHECKOUT, json={"item": {**item, "amount": 6000}}, headers=keyed
        )
        problem(response, 409, "idempotency-key-reused")

        # 3. Approved twice at once: one decision and one payout message. Then two workers
        # handed that message at once: paid once.
        answers = await asyncio.gather(
            *(
                client.post(f"/api/v1/admin/withdrawals/{withdrawal_id}/approve", headers=admin)
                for _ in range(2)
            )
        )
        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        event = await approved_message(container, withdrawal_id)
        gateway = CountingGateway(pg_settings)
        workers = [
            bootstrap(pg_settings, broker=build_broker(None), overrides={"gateway": gateway})
            for _ in range(2)
        ]
        try:
            for worker in workers:  # connected first, so neither starts far behind the other
                async with worker.sessions() as session:
                    await session.execute(select(1))
            await asyncio.gather(*(worker.billing.pay_out(event) for worker in workers))
        finally:
            for worker in workers:
                await worker.dispose()
        # The provider deduplicates transfers by key: a second call, if any, carried the same.
        assert 1 <= len(gateway.transfer_keys) <= 2
        assert set(gateway.transfer_keys) == {f"payout:{withdrawal_id}"}
        mine = (await client.get("/api/v1/me/withdrawals", headers=tutor)).json()["items"]
        assert [(w["id"], w["status"]) for w in mine] == [(withdrawal_id, "paid")]
        assert mine[0]["transfer_id"]
        assert await payout_entries(container, withdrawal_id) == 1
        trial = await books_balance(client, admin)
        assert balance_of(trial, "payouts", None) == 2000
        assert balance_of(trial, "tutor_hold", str(tutor_id)) == 0

        # 4. Two requests at once with no key: one is taken, the other finds it open.
        answers = await asyncio.gather(
            *(
                client.post("/api/v1/me/withdrawals", json={"amount": 1000}, headers=tutor)
                for _ in range(2)
            )
        )
        assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
        problem(next(a for a in answers if a.status_code == 409), 409, "withdrawal-open")
        trial = await books_balance(client, admin)
        no_negative_balances(trial)
        assert balance_of(trial, "tutor_hold", str(tutor_id)) == 1000
        assert balance_of(trial, "tutor_available", str(tutor_id)) == 8500 - 2000 - 1000
        await running_balances_match_their_lines(container)
