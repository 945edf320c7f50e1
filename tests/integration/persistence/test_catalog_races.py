"""Concurrent catalog changes on the real databases: two instructors who each make their course
require the other's at the same moment cannot both succeed (the prerequisite graph is locked
while checked), and two drafts with the same title get different slugs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID

import pytest
from tests.conftest import make_settings
from tests.support.catalog import approve_tutors
from tests.support.identity import seed_accounts

from elearn.adapters.jobs.broker import build_broker
from elearn.application.actor import Actor
from elearn.application.catalog.authoring import CourseChanges, NewCourse, NewLesson
from elearn.domain.catalog.course import LessonKind
from elearn.domain.catalog.prerequisites import PrerequisiteCycle
from elearn.domain.identity.roles import Role
from elearn.entrypoints.bootstrap import Container, bootstrap


@pytest.fixture
async def container(tmp_path: Path, database_url: str) -> AsyncIterator[Container]:
    settings = make_settings(tmp_path, database_url, database_pool_size=4)
    await seed_accounts(
        settings,
        ("one@race.test", Role.TUTOR),
        ("two@race.test", Role.TUTOR),
        ("boss@race.test", Role.MANAGER),
    )
    await approve_tutors(settings, "one@race.test", "two@race.test")
    built = bootstrap(settings, broker=build_broker(None))
    try:
        yield built
    finally:
        await built.dispose()


async def actor_of(container: Container, email: str) -> Actor:
    from elearn.domain.identity.email import EmailAddress

    async with container.uow() as uow:
        user = await uow.users.get_by_email(EmailAddress(email))
    assert user is not None
    return Actor(user_id=user.id, role=user.role, email_verified=True)


async def published(container: Container, tutor: Actor, manager: Actor, title: str) -> str:
    catalog = container.catalog
    course = await catalog.create_course(
        tutor, NewCourse(title, CourseChanges(description="About it.", free=True))
    )
    section = await catalog.add_section(tutor, course.id, "Start")
    await catalog.add_lesson(tutor, section.id, NewLesson(kind=LessonKind.TEXT, title="One"))
    await catalog.submit_course(tutor, course.id)
    await catalog.approve_course(manager, course.id)
    await catalog.publish_course(manager, course.id)
    return str(course.id)


async def test_two_courses_made_to_require_each_other_at_once_leave_no_cycle(
    container: Container,
) -> None:
    one = await actor_of(container, "one@race.test")
    two = await actor_of(container, "two@race.test")
    manager = await actor_of(container, "boss@race.test")
    first = await published(container, one, manager, "First")
    second = await published(container, two, manager, "Second")

    # Published courses stage the change; the cycle is refused when staff apply them at once.
    await container.catalog.update_course(
        one, first, CourseChanges(prerequisite_ids=[UUID(second)])
    )
    await container.catalog.update_course(
        two, second, CourseChanges(prerequisite_ids=[UUID(first)])
    )
    await container.catalog.submit_revision(one, first)
    await container.catalog.submit_revision(two, second)

    outcomes = await asyncio.gather(
        container.catalog.approve_revision(manager, first),
        container.catalog.approve_revision(manager, second),
        return_exceptions=True,
    )

    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(refused) == 1 and isinstance(refused[0], PrerequisiteCycle), outcomes
    details = [await container.catalog.get_course(manager, key) for key in (first, second)]
    assert sorted(len(d.prerequisites) for d in details) == [0, 1]


async def test_drafts_created_at_once_with_one_title_get_different_slugs(
    container: Container,
) -> None:
    tutor = await actor_of(container, "one@race.test")
    made = await asyncio.gather(
        *(container.catalog.create_course(tutor, NewCourse("Same Title")) for _ in range(4)),
        return_exceptions=True,
    )
    slugs = [m.slug for m in made if not isinstance(m, BaseException)]
    # A lost race on a slug is a conflict to retry, never a duplicate or a server error.
    assert len(slugs) == len(set(slugs))
    assert all(
        getattr(m, "code", None) == "slug-taken" for m in made if isinstance(m, BaseException)
    )
    assert "same-title" in slugs
