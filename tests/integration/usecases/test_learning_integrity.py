"""Learning integrity as the use cases keep it (issue 15, finding 11): study time is what the
server saw pass, not what a client claims, and quiz and assignment lessons are completed by
passing and handing in, never by a progress report."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest
from tests.integration.usecases.world import World

from elearn.application.catalog.authoring import NewLesson
from elearn.application.learning.lessons import ProgressReport
from elearn.domain.catalog.course import LessonKind
from elearn.domain.learning.assignment import Assignment
from elearn.domain.learning.quiz import Question, QuestionKind, Quiz
from elearn.domain.shared.errors import RuleViolation

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
