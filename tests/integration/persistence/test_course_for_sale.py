"""What billing reads of a course it sells, through the catalog's published api, on SQLite and
PostgreSQL: one SQL statement (never the course aggregate's eight), by id or any slug the
course has had, with every instructor, and a course this transaction holds answered from it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from tests.conftest import make_settings
from tests.support.identity import seed_accounts
from tests.support.statements import Statements

from elearn.adapters.jobs.broker import build_broker
from elearn.application.catalog.api import CatalogApi, CourseForSale
from elearn.domain.catalog.course import Course, CourseStatus
from elearn.domain.identity.roles import Role
from elearn.domain.shared.money import Money
from elearn.entrypoints.bootstrap import Container, bootstrap
from elearn.entrypoints.settings import Settings

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
async def tutors(settings: Settings) -> list[UUID]:
    """The owner of the courses below, and a tutor who helps teach one."""
    return await seed_accounts(
        settings, ("owner@sale.test", Role.TUTOR), ("helper@sale.test", Role.TUTOR)
    )


@pytest.fixture
async def container(settings: Settings, tutors: list[UUID]) -> AsyncIterator[Container]:
    built = bootstrap(settings, broker=build_broker(None))
    try:
        yield built
    finally:
        await built.dispose()


def course(container: Container, owner_id: UUID, slug: str, **fields: Any) -> Course:
    return Course(
        id=container.ids.new_id(),
        owner_id=owner_id,
        title=f"The {slug} course",
        slug=slug,
        created_at=NOW,
        updated_at=NOW,
        **fields,
    )


async def test_a_course_for_sale_is_read_in_one_statement_by_id_or_any_slug(
    container: Container, tutors: list[UUID]
) -> None:
    owner_id, helper_id = tutors
    priced = course(
        container,
        owner_id,
        "priced",
        price=Money(4999, "EUR"),
        status=CourseStatus.PUBLISHED,
        published_at=NOW,
        co_instructor_ids=(helper_id,),
    )
    free = course(container, owner_id, "free", is_free=True)
    async with container.uow() as uow:
        await uow.courses.add(priced)
        await uow.courses.add(free)
        await uow.commit()
    async with container.uow() as uow:
        renamed = await uow.courses.get(priced.id, for_update=True)
        assert renamed is not None
        renamed.change_slug("priced-again")
        await uow.commit()
    api = CatalogApi(container.catalog.deps)
    expected = CourseForSale(
        id=priced.id,
        title="The priced course",
        owner_id=owner_id,
        instructor_ids=frozenset({owner_id, helper_id}),
        is_published=True,
        is_free=False,
        price=Money(4999, "EUR"),
    )

    for key in (priced.id, str(priced.id), "priced-again", "priced"):
        async with container.uow(read_only=True) as uow:
            with Statements(container.engine) as statements:
                found = await api.course_for_sale(uow, key)
        assert found == expected, key
        sent = await statements.settled()
        assert len(sent) == 1, sent

    async with container.uow(read_only=True) as uow:
        answer = await api.course_for_sale(uow, free.id)
        assert answer is not None
        assert (answer.is_free, answer.price, answer.is_published) == (True, None, False)
        assert answer.instructor_ids == frozenset({owner_id})
        assert answer.is_instructor(owner_id) and not answer.is_instructor(helper_id)
        assert await api.course_for_sale(uow, container.ids.new_id()) is None
        assert await api.course_for_sale(uow, "no-such-course") is None


async def test_a_course_this_transaction_holds_is_answered_as_it_holds_it(
    container: Container, tutors: list[UUID]
) -> None:
    owner_id = tutors[0]
    draft = course(container, owner_id, "draft")
    api = CatalogApi(container.catalog.deps)
    async with container.uow() as uow:
        await uow.courses.add(draft)
        draft.set_price(Money(1500, "USD"))
        with Statements(container.engine) as statements:
            found = await api.course_for_sale(uow, "draft")
    assert await statements.settled() == []
    assert found is not None
    assert (found.id, found.price, found.is_published) == (draft.id, Money(1500, "USD"), False)
