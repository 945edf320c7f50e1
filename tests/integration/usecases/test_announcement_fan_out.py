"""An announcement to a course of 5,000 students, on SQLite and PostgreSQL: told in batches of
their own transactions; a fan-out killed in the middle of a batch and then run again by two
workers at once still ends with exactly one notification per student, and one live event and
email each."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select
from tests.fakes import FixedClock
from tests.integration.usecases.world import (
    APPROVED_TUTORS,
    PEOPLE,
    World,
    actor_for,
    email_of,
)
from tests.support.catalog import approve_tutors
from tests.support.identity import seed_accounts

from elearn.adapters.jobs.broker import build_broker
from elearn.adapters.persistence.models.identity import UserRow
from elearn.adapters.persistence.models.jobs import OutboxMessageRow
from elearn.adapters.persistence.models.learning import EnrollmentRow
from elearn.adapters.persistence.models.notifications import AnnouncementRow, NotificationRow
from elearn.application.communication.announcements import NewAnnouncement
from elearn.domain.communication.announcements import AnnouncementPosted
from elearn.domain.communication.notifications import NotificationCreated
from elearn.entrypoints.bootstrap import bootstrap
from elearn.entrypoints.settings import Settings

STUDENTS = 5_000


@pytest.fixture
async def world(settings: Settings) -> AsyncIterator[World]:
    ids = await seed_accounts(settings, *((email_of(name), role) for name, role in PEOPLE))
    await approve_tutors(settings, *(email_of(name) for name in APPROVED_TUTORS))
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    container = bootstrap(settings, broker=build_broker(None), overrides={"clock": clock})
    actors = {
        name: actor_for(user_id, role) for (name, role), user_id in zip(PEOPLE, ids, strict=True)
    }
    try:
        yield World(container=container, clock=clock, **actors)
    finally:
        await container.dispose()


async def enrol_many(world: World, course_id: uuid.UUID, count: int) -> None:
    """``count`` students enrolled in the course, written straight into the tables (making them
    through the use cases would take minutes and tests nothing of the fan-out)."""
    now = world.clock.now()
    people = [uuid.uuid4() for _ in range(count)]
    async with world.container.sessions() as session:
        await session.execute(
            insert(UserRow),
            [
                {
                    "id": person,
                    "email": f"learner{n}@fanout.test",
                    "full_name": f"Learner {n}",
                    "role": "student",
                    "password_hash": "-",
                    "status": "active",
                    "created_at": now,
                    "updated_at": now,
                }
                for n, person in enumerate(people)
            ],
        )
        await session.execute(
            insert(EnrollmentRow),
            [
                {
                    "id": uuid.uuid4(),
                    "user_id": person,
                    "course_id": course_id,
                    "source": "self",
                    "status": "active",
                    "enrolled_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for person in people
            ],
        )
        await session.commit()


async def counted(world: World, announcement_id: uuid.UUID) -> tuple[int, int, int]:
    """Notifications of the announcement, their NotificationCreated events, and the count the
    announcement keeps."""
    async with world.container.sessions() as session:
        notifications = await session.scalar(
            select(func.count())
            .select_from(NotificationRow)
            .where(NotificationRow.source_key == f"announcement:{announcement_id}")
        )
        created = await session.scalar(
            select(func.count())
            .select_from(OutboxMessageRow)
            .where(OutboxMessageRow.event_type == NotificationCreated.event_type)
        )
        kept = await session.scalar(
            select(AnnouncementRow.recipients).where(AnnouncementRow.id == announcement_id)
        )
    return int(notifications or 0), int(created or 0), int(kept or 0)


async def test_an_announcement_reaches_5000_students_once_though_its_fan_out_died_midway(
    world: World,
) -> None:
    course, _ = await world.published_course()
    await enrol_many(world, course.id, STUDENTS)
    notifications = world.container.notifications
    posted = await notifications.announce(
        world.tutor, str(course.id), NewAnnouncement("Week 2", "The quiz opens on Monday.")
    )
    event = AnnouncementPosted(
        event_id=uuid.uuid4(),
        occurred_at=world.clock.now(),
        announcement_id=posted.id,
        course_id=course.id,
    )
    fan_out = notifications.fan_out_announcement
    batch = notifications.deps.policy.announcement_batch
    assert STUDENTS > 4 * batch  # the fan-out really is cut into transactions

    # Two batches committed, then the worker dies in the middle of the third (half the time
    # the second one took).
    assert not await fan_out.next_batch(posted.id)
    started = asyncio.get_running_loop().time()
    assert not await fan_out.next_batch(posted.id)
    took = asyncio.get_running_loop().time() - started
    assert (await counted(world, posted.id))[0] == 2 * batch
    dying = asyncio.create_task(fan_out.next_batch(posted.id))
    await asyncio.sleep(took / 2)
    dying.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await dying
    # A batch commits whole or not at all (a cancellation landing while the commit is under
    # way may still find it done).
    assert (await counted(world, posted.id))[0] in (2 * batch, 3 * batch)

    # The job is delivered again, to two workers at once: they take turns and go on.
    await asyncio.gather(fan_out(event), fan_out(event))
    assert await counted(world, posted.id) == (STUDENTS, STUDENTS, STUDENTS)
    await fan_out(event)  # a late redelivery finds the fan-out done
    assert await counted(world, posted.id) == (STUDENTS, STUDENTS, STUDENTS)

    (listed,) = (await notifications.course_announcements(world.tutor, str(course.id))).items
    assert (listed.id, listed.title) == (posted.id, "Week 2")
