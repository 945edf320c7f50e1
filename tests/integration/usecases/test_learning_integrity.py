"""Learning integrity as the use cases keep it (issue 15, finding 11): study time is what the
server saw pass, not what a client claims, and quiz and assignment lessons are completed by
passing and handing in, never by a progress report."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from tests.conftest import make_settings
from tests.fakes import FixedClock
from tests.integration.usecases.world import (
    APPROVED_TUTORS,
    PEOPLE,
    World,
    actor_for,
    email_of,
)
from tests.support.catalog import approve_tutors
from tests.support.identity import PDF, seed_accounts

from elearn.adapters.jobs.broker import build_broker
from elearn.adapters.storage.local import LocalFileStorage
from elearn.application.catalog.authoring import NewLesson
from elearn.application.files import Upload
from elearn.application.learning.lessons import ProgressReport
from elearn.domain.catalog.course import LessonKind
from elearn.domain.learning.assignment import Assignment, FileKind
from elearn.domain.learning.quiz import Question, QuestionKind, Quiz
from elearn.domain.shared.errors import RuleViolation
from elearn.entrypoints.bootstrap import bootstrap

HOUR = 3600
ONE_QUESTION = Quiz(
    questions=(
        Question(id="q1", kind=QuestionKind.TRUE_FALSE, prompt="Snakes?", correct_boolean=True),
    ),
    pass_mark_percent=100,
)


async def add_lesson(world: World, course_id: UUID, kind: LessonKind, title: str) -> UUID:
    catalog = world.container.catalog
    course = await catalog.get_course(world.tutor, str(course_id))
    section_id = course.sections[0].id
    added = await catalog.add_lesson(world.tutor, section_id, NewLesson(kind=kind, title=title))
    return added.id


async def spent(world: World, lesson_id: UUID, seconds: int) -> int:
    view = await world.container.learning.record_progress(
        world.student, lesson_id, ProgressReport(seconds_spent=seconds)
    )
    return view.seconds_spent


async def test_an_hour_claimed_twice_a_second_apart_counts_about_a_second(world: World) -> None:
    course, lesson_id = await world.published_course()
    await world.container.learning.enroll(world.student, course.id)

    assert await spent(world, lesson_id, HOUR) == 0  # enrolled this very second
    world.clock.advance(timedelta(seconds=1))
    assert await spent(world, lesson_id, HOUR) == 1
    world.clock.advance(timedelta(minutes=10))
    assert await spent(world, lesson_id, 30) == 31  # less than elapsed: what is claimed
    world.clock.advance(timedelta(minutes=10))
    assert await spent(world, lesson_id, HOUR) == 31 + 600


async def test_spreading_claims_over_lessons_gains_nothing(world: World) -> None:
    course, first = await world.draft_course()
    second = await add_lesson(world, course.id, LessonKind.TEXT, "Two")
    await world.publish(course.id)
    await world.container.learning.enroll(world.student, course.id)
    world.clock.advance(timedelta(minutes=5))

    assert await spent(world, first, HOUR) == 300
    world.clock.advance(timedelta(seconds=2))
    # The previous report was on another lesson, two seconds ago.
    assert await spent(world, second, HOUR) == 2


async def test_quiz_and_assignment_lessons_cannot_be_marked_done(world: World) -> None:
    learning = world.container.learning
    course, text_lesson = await world.draft_course()
    quiz_lesson = await add_lesson(world, course.id, LessonKind.QUIZ, "Check")
    homework = await add_lesson(world, course.id, LessonKind.ASSIGNMENT, "Homework")
    await learning.set_quiz(world.tutor, quiz_lesson, ONE_QUESTION)
    await learning.set_assignment(
        world.tutor, homework, Assignment(instructions="Write.", max_points=10)
    )
    await world.publish(course.id)
    await learning.enroll(world.student, course.id)

    for lesson_id, how in ((quiz_lesson, "passing the quiz"), (homework, "handing in")):
        for completed in (True, False):
            with pytest.raises(RuleViolation) as refused:
                await learning.record_progress(
                    world.student, lesson_id, ProgressReport(completed=completed)
                )
            assert refused.value.code == "completion-not-reportable"
            assert how in str(refused.value)
        world.clock.advance(timedelta(seconds=20))
        # Time in them still counts.
        assert await spent(world, lesson_id, 20) == 20

    lesson = await learning.get_lesson(world.student, quiz_lesson)
    assert lesson.progress is not None and not lesson.progress.completed
    assert lesson.progress.course_progress_percent == 0
    # The text lesson is still the student's word.
    done = await learning.record_progress(
        world.student, text_lesson, ProgressReport(completed=True)
    )
    assert done.completed and done.course_progress_percent == 33


# ---- finding 9 with object storage: a presigned URL is a bearer URL -------------------------
class PresigningStorage(LocalFileStorage):
    """Local storage that, like S3, hands out presigned URLs anyone holding them can fetch."""

    async def presigned_url(self, key: str, *, expires_in_seconds: int) -> str | None:
        return f"https://bucket.example/{key}?X-Amz-Expires={expires_in_seconds}"


@pytest.fixture
async def presigning_world(sqlite_url: str, tmp_path: Path) -> AsyncIterator[World]:
    settings = make_settings(tmp_path, sqlite_url)
    ids = await seed_accounts(settings, *((email_of(name), role) for name, role in PEOPLE))
    await approve_tutors(settings, *(email_of(name) for name in APPROVED_TUTORS))
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    storage = PresigningStorage(tmp_path / "files")
    container = bootstrap(
        settings, broker=build_broker(None), overrides={"clock": clock, "storage": storage}
    )
    actors = {
        name: actor_for(user_id, role) for (name, role), user_id in zip(PEOPLE, ids, strict=True)
    }
    try:
        yield World(container=container, clock=clock, **actors)
    finally:
        await container.dispose()


async def test_a_submitted_file_is_never_a_presigned_bearer_url(presigning_world: World) -> None:
    world = presigning_world
    learning = world.container.learning
    course, _ = await world.draft_course()
    homework = await add_lesson(world, course.id, LessonKind.ASSIGNMENT, "Homework")
    await learning.set_assignment(
        world.tutor,
        homework,
        Assignment(instructions="Write.", allowed_file_kinds=frozenset({FileKind.PDF})),
    )
    await world.publish(course.id)
    await learning.enroll(world.student, course.id)

    async def chunks() -> AsyncIterator[bytes]:
        yield PDF

    work = await learning.submit_work(
        world.student, homework, None, [Upload(chunks(), "essay.pdf")]
    )

    (file,) = work.files
    assert file.url.startswith("/api/v1/media/"), file.url  # served by the app, which checks
    assert "bucket.example" not in file.url
