"""What a transaction holds, on PostgreSQL (where other transactions run beside it): an account a
posting takes money from is locked as soon as it is posted, but one it only credits (every sale
of a tutor credits the same pending earnings) and a course's enrollment count are moved by
relative updates written last, so their rows stay free for other sales until the commit.
Probed with ``FOR NO KEY UPDATE NOWAIT`` from another connection while the transaction is open
(issue 19)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from tests.conftest import empty_all_tables, make_settings, postgres_url
from tests.support.catalog import approve_tutors
from tests.support.identity import seed_accounts

from elearn.adapters.jobs.broker import build_broker
from elearn.adapters.persistence.billing_repositories import account_key
from elearn.adapters.persistence.models.catalog import CourseRow
from elearn.adapters.persistence.unit_of_work import SqlaUnitOfWork
from elearn.application.actor import Actor
from elearn.application.catalog.authoring import CourseChanges, NewCourse
from elearn.domain.billing.ledger import (
    Account,
    AccountKind,
    EntryKind,
    JournalEntry,
    Line,
    balances_after,
)
from elearn.domain.identity.roles import Role
from elearn.entrypoints.bootstrap import Container, bootstrap
from elearn.entrypoints.settings import Settings

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
STUDENT, TUTOR = uuid.uuid4(), uuid.uuid4()
WALLET = Account.of(AccountKind.STUDENT_WALLET, STUDENT, "USD")
PENDING = Account.of(AccountKind.TUTOR_PENDING, TUTOR, "USD")
CLEARING = Account.platform(AccountKind.PROVIDER_CLEARING, "USD")
REVENUE = Account.platform(AccountKind.PLATFORM_REVENUE, "USD")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    url = postgres_url()
    asyncio.run(empty_all_tables(url))
    return make_settings(tmp_path, url)


@pytest.fixture
async def container(settings: Settings) -> AsyncIterator[Container]:
    built = bootstrap(settings, broker=build_broker(None))
    try:
        yield built
    finally:
        await built.dispose()


async def post(uow: SqlaUnitOfWork, key: str, *lines: Line) -> None:
    """As billing posts: the debited people's accounts read and held, the rule, the entry."""
    entry = JournalEntry(
        id=uuid.uuid4(), key=key, kind=EntryKind.CARD_PAYMENT, lines=lines, posted_at=NOW
    )
    held = [account for account in entry.debited_accounts if account.kind.never_negative]
    balances_after(entry, await uow.billing.ledger.balances(held, for_update=True))
    await uow.billing.ledger.append(entry)


async def is_free(container: Container, table: str, column: str, value: object) -> bool:
    """Whether another transaction could lock the row now to move a balance or a count, without
    waiting (a row a transaction only points lines at is share-locked for its key alone)."""
    async with container.sessions() as session, session.begin():
        try:
            await session.execute(
                text(f"SELECT 1 FROM {table} WHERE {column} = :value FOR NO KEY UPDATE NOWAIT"),
                {"value": value},
            )
        except DBAPIError as error:
            assert "could not obtain lock" in str(error)
            return False
        return True


async def stored_balances(container: Container) -> dict[Account, int]:
    async with container.uow(read_only=True) as uow:
        return await uow.billing.ledger.balances([WALLET, PENDING])


async def test_a_sale_holds_the_buyers_wallet_but_not_the_tutors_earnings_until_it_commits(
    container: Container,
) -> None:
    async with container.uow() as uow:
        await post(uow, "top-up", Line(CLEARING, -1_000), Line(WALLET, 1_000))
        await post(uow, "first-sale", Line(CLEARING, -100), Line(PENDING, 85), Line(REVENUE, 15))
        await uow.commit()

    async with container.uow() as sale:
        await post(sale, "sale", Line(WALLET, -500), Line(PENDING, 425), Line(REVENUE, 75))
        assert not await is_free(container, "ledger_accounts", "key", account_key(WALLET))
        assert await is_free(container, "ledger_accounts", "key", account_key(PENDING))
        # Another sale of the same tutor commits meanwhile, without waiting for this one.
        async with container.uow() as other:
            await post(other, "card-sale", Line(CLEARING, -200), Line(PENDING, 170),
                       Line(REVENUE, 30))  # fmt: skip
            await other.commit()
        await sale.commit()

    assert await stored_balances(container) == {WALLET: 500, PENDING: 85 + 425 + 170}


async def test_a_credit_written_at_commit_counts_when_the_same_transaction_debits_it(
    container: Container,
) -> None:
    """A sale refunded in its own transaction (a fulfilment that refused): the refund's check of
    the tutor's pending earnings sees the credit that is not written yet."""
    async with container.uow() as uow:
        await post(uow, "earlier", Line(CLEARING, -100), Line(PENDING, 85), Line(REVENUE, 15))
        await uow.commit()
    async with container.uow() as uow:
        await post(uow, "sale", Line(CLEARING, -1_000), Line(PENDING, 850), Line(REVENUE, 150))
        assert await is_free(container, "ledger_accounts", "key", account_key(PENDING))
        await post(uow, "refund", Line(PENDING, -850), Line(REVENUE, -150), Line(CLEARING, 1_000))
        assert not await is_free(container, "ledger_accounts", "key", account_key(PENDING))
        await uow.commit()

    assert (await stored_balances(container))[PENDING] == 85


async def test_an_enrollment_count_moves_at_commit_and_leaves_the_course_row_free_before(
    container: Container, settings: Settings
) -> None:
    (tutor_id,) = await seed_accounts(settings, ("counted@locks.test", Role.TUTOR))
    await approve_tutors(settings, "counted@locks.test")
    tutor = Actor(user_id=tutor_id, role=Role.TUTOR, email_verified=True)
    course = await container.catalog.create_course(
        tutor, NewCourse("Counted", CourseChanges(description="About it.", free=True))
    )

    async with container.uow() as uow:
        await uow.learning.enrollments.change_course_count(course.id, +1)
        await uow.learning.enrollments.change_course_count(course.id, +1)
        assert await is_free(container, "courses", "id", course.id)
        await uow.commit()

    async with container.sessions() as session:
        count = await session.scalar(
            select(CourseRow.enrollment_count).where(CourseRow.id == course.id)
        )
    assert count == 2
