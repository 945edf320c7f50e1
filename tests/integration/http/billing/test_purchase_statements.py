"""Billing reads the catalog by one narrow query, not by loading the course aggregate: buying a
course with credits takes a bounded number of SQL statements, none of them reading the course's
sections, tags, prerequisites or history, nor touching the course row beyond its
enrollment count (on SQLite and PostgreSQL)."""

from __future__ import annotations

from tests.support.apps import app_for
from tests.support.billing import paid_course, pay_by_sandbox_card
from tests.support.catalog import headers_of, seed_people
from tests.support.statements import Statements

from elearn.entrypoints.settings import Settings

# The actor's account (authentication); the course for sale (one catalog query, its slug resolved
# inside it); the enrollment checked before and after the wallet's lock; the ledger's accounts,
# entry, lines and balances; the enrollment granted with its progress (the outline: one catalog
# query) and the course's enrollment count; the order and the outbox messages (the enrollment's
# and the buyer's receipt). Loading the course aggregate instead made it 29 (and bumped the
# course's updated_at on every sale).
MOST_STATEMENTS = 23
# Tables of the course aggregate that selling a course has no business reading.
_AGGREGATE_ONLY = (
    "course_sections",
    "course_tags",
    "course_prerequisites",
    "course_transitions",
)


async def test_buying_a_course_with_credits_reads_the_catalog_by_narrow_queries(
    settings: Settings,
) -> None:
    from litestar.testing import AsyncTestClient

    # No outbox relay nor scheduler: every statement seen is the request's own.
    app = app_for(settings, run_background=False)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        await seed_people(settings)
        tutor = await headers_of(client, "tutor")
        manager = await headers_of(client, "manager")
        student = await headers_of(client, "student")
        course = await paid_course(client, tutor, manager, 1_500, title="Counted Statements")
        topup = await pay_by_sandbox_card(
            client, student, {"kind": "wallet_topup", "amount": 5_000}
        )
        assert topup["status"] == "succeeded", topup

        await client.get("/api/v1/me/wallet", headers=student)  # warm up the connection
        with Statements(client.app.state.container.engine) as recorded:
            response = await client.post(
                f"/api/v1/courses/{course['slug']}/purchase-with-credits", headers=student
            )
        assert response.status_code == 201, response.text

    statements = recorded.sent
    print(f"{len(statements)} statements for a credit purchase")
    assert len(statements) <= MOST_STATEMENTS, statements
    for table in _AGGREGATE_ONLY:
        assert not [s for s in statements if f"FROM {table}" in s], (table, statements)
    course_writes = [s for s in statements if s.startswith("UPDATE courses")]
    assert len(course_writes) == 1 and "enrollment_count" in course_writes[0], course_writes
