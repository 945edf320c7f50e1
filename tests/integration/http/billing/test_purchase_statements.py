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

# The course for sale (one catalog query, its slug resolved inside it); the wallet locked, then
# the enrollment checked under its lock (its absence remembered: granting it does not look
# again); the ledger: the entry's key taken (an insert that does nothing when the key is in: no
# lookup first), its lines and the wallet's balance update (the ids of the accounts it credits,
# never locked, are known from the tutor's earlier sales); the enrollment granted with its
# progress (the outline: one catalog query, and the lessons done before); the order; the outbox
# messages (the enrollment's and the buyer's receipt) in one INSERT and their deliveries in
# another; last, the relative updates of the rows every sale of the course and tutor shares (the
# enrollment count, the tutor's pending balance): 14. Loading the course aggregate made it 29,
# locking and updating the platform's accounts 23; reading the enrollment twice, the entry's key
# and the credited accounts' ids before writing, and writing the outbox messages one by one, 18.
MOST_STATEMENTS = 14
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
        earlier = [
            await paid_course(client, tutor, manager, 1_000, title=f"Earlier Sale {n}")
            for n in (1, 2)
        ]
        course = await paid_course(client, tutor, manager, 1_500, title="Counted Statements")
        topup = await pay_by_sandbox_card(
            client, student, {"kind": "wallet_topup", "amount": 5_000}
        )
        assert topup["status"] == "succeeded", topup

        # The tutor's first sale makes their pending account and the platform's revenue
        # account; the next reads their ids, which no later sale reads again.
        for sold in earlier:
            bought = await client.post(
                f"/api/v1/courses/{sold['slug']}/purchase-with-credits", headers=student
            )
            assert bought.status_code == 201, bought.text
        await client.get("/api/v1/me/wallet", headers=student)  # warm up the connection
        with Statements(client.app.state.container.engine) as recorded:
            response = await client.post(
                f"/api/v1/courses/{course['slug']}/purchase-with-credits", headers=student
            )
        assert response.status_code == 201, response.text

    statements = await recorded.settled()
    print(f"{len(statements)} statements for a credit purchase")
    assert len(statements) <= MOST_STATEMENTS, statements
    for table in _AGGREGATE_ONLY:
        assert not [s for s in statements if f"FROM {table}" in s], (table, statements)
    course_writes = [s for s in statements if s.startswith("UPDATE courses")]
    assert len(course_writes) == 1 and "enrollment_count" in course_writes[0], course_writes
