"""The learning context's use cases called directly: enrolling, progress to completion, quiz
attempts, and who may open what."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.integration.usecases.world import World

from elearn.application.actor import Actor
from elearn.application.catalog.authoring import NewLesson
from elearn.application.errors import NotFound, PaymentRequired
from elearn.application.learning.lessons import ProgressReport
from elearn.domain.catalog.course import LessonKind
from elearn.domain.learning.enrollment import EnrollmentStatus
from elearn.domain.learning.quiz import Question, QuestionKind, Quiz
from elearn.domain.shared.errors import Conflict, Forbidden, RuleViolation

TRUE_OR_FALSE = Quiz(
    questions=(
        Question(
            id="q1", kind=QuestionKind.TRUE_FALSE, prompt="Python is a snake?", correct_boolean=True
        ),
    ),
    pass_mark_percent=100,
    max_attempts=2,
)
QUIZ_LESSON = NewLesson(kind=LessonKind.QUIZ, title="Check yourself")


async def test_a_student_enrolls_in_a_free_published_course(world: World) -> None:
    learning = world.container.learning
    course, _ = await world.published_course()

    enrollment = await learning.enroll(world.student, course.id)

    assert enrollment.course.id == course.id
    assert enrollment.status is EnrollmentStatus.ACTIVE
    assert enrollment.progress_percent == 0
    mine = await learning.my_enrollments(world.student)
    assert [e.id for e in mine.items] == [enrollment.id]
    counted = await world.container.catalog.get_course(world.student, str(course.id))
    assert counted.enrollment_count == 1


async def test_a_student_cannot_enroll_twice(world: World) -> None:
    learning = world.container.learning
    course, _ = await world.published_course()
    await learning.enroll(world.student, course.id)

    with pytest.raises(Conflict) as refused:
        await learning.enroll(world.student, course.id)
    assert refused.value.code == "already-enrolled"


async def test_a_sold_course_is_bought_not_enrolled_in(world: World) -> None:
    course = await world.paid_course(1500)

    with pytest.raises(PaymentRequired) as refused:
        await world.container.learning.enroll(world.student, course.id)
    assert refused.value.checkout_item == {"kind": "course", "course_id": str(course.id)}
    assert (await world.container.learning.my_enrollments(world.student)).items == []


async def test_a_draft_is_not_open_for_enrollment(world: World) -> None:
    draft, _ = await world.draft_course()

    with pytest.raises(NotFound) as refused:
        await world.container.learning.enroll(world.student, draft.id)
    assert refused.value.code == "course-not-found"


async def test_a_student_needs_a_verified_email_to_enroll(world: World) -> None:
    course, _ = await world.published_course()
    unverified = Actor(user_id=world.student.user_id, role=world.student.role)

    with pytest.raises(Forbidden) as refused:
        await world.container.learning.enroll(unverified, course.id)
    assert refused.value.code == "email-not-verified"


async def test_an_instructor_cannot_enroll_in_their_own_course(world: World) -> None:
    course, _ = await world.published_course()

    with pytest.raises(RuleViolation) as refused:
        await world.container.learning.enroll(world.tutor, course.id)
    assert refused.value.code == "instructor-cannot-enroll"


async def test_completing_every_lesson_completes_the_enrollment(world: World) -> None:
    learning = world.container.learning
    course, lesson_id = await world.published_course()
    await learning.enroll(world.student, course.id)

    progress = await learning.record_progress(
        world.student, lesson_id, ProgressReport(completed=True)
    )

    assert progress.completed
    assert progress.course_progress_percent == 100
    assert progress.enrollment_status is EnrollmentStatus.COMPLETED
    (enrollment,) = (await learning.my_enrollments(world.student)).items
    assert enrollment.status is EnrollmentStatus.COMPLETED
    assert enrollment.completed_at == world.clock.now()


async def test_reports_mark_each_day_they_fall_on_whether_it_was_marked_or_not(
    world: World,
) -> None:
    # A report that finds its day marked already (read under the enrollment's lock) does not
    # mark it again; the first report of the next day does.
    learning = world.container.learning
    course, lesson_id = await world.published_course()
    await learning.enroll(world.student, course.id)

    for _ in range(2):
        await learning.record_progress(world.student, lesson_id, ProgressReport(seconds_spent=5))
        world.clock.advance(timedelta(minutes=5))
    world.clock.advance(timedelta(days=1))
    await learning.record_progress(world.student, lesson_id, ProgressReport(seconds_spent=5))

    streak, _ = await learning.my_streak(world.student)
    assert (streak.current, streak.longest) == (2, 2)


async def test_only_enrolled_students_record_progress(world: World) -> None:
    _, lesson_id = await world.published_course()

    with pytest.raises(Forbidden) as refused:
        await world.container.learning.record_progress(
            world.student, lesson_id, ProgressReport(completed=True)
        )
    assert refused.value.code == "not-enrolled"


async def test_a_lesson_opens_for_enrolled_students_only(world: World) -> None:
    learning = world.container.learning
    course, lesson_id = await world.published_course()
    await learning.enroll(world.student, course.id)

    opened = await learning.get_lesson(world.student, lesson_id)

    assert opened.text == "# Hello"
    with pytest.raises(Forbidden) as refused:
        await learning.get_lesson(world.classmate, lesson_id)
    assert refused.value.code == "not-enrolled"


async def test_a_student_may_leave_a_free_course_and_come_back(world: World) -> None:
    learning = world.container.learning
    course, _ = await world.published_course()
    await learning.enroll(world.student, course.id)

    await learning.leave_course(world.student, course.id)

    assert (await learning.my_enrollments(world.student)).items == []
    again = await learning.enroll(world.student, course.id)
    assert again.status is EnrollmentStatus.ACTIVE


async def _quiz_course(world: World) -> UUID:
    course, lesson_id = await world.draft_course(lesson=QUIZ_LESSON)
    await world.container.learning.set_quiz(world.tutor, lesson_id, TRUE_OR_FALSE)
    await world.publish(course.id)
    await world.container.learning.enroll(world.student, course.id)
    return lesson_id


async def test_a_passed_quiz_completes_its_lesson(world: World) -> None:
    learning = world.container.learning
    lesson_id = await _quiz_course(world)

    attempt, started = await learning.start_attempt(world.student, lesson_id)
    graded = await learning.submit_attempt(world.student, attempt.id, {"q1": True})

    assert started
    assert graded.passed
    opened = await learning.get_lesson(world.student, lesson_id)
    assert opened.progress is not None and opened.progress.completed


async def test_a_quiz_allows_no_more_attempts_than_its_limit(world: World) -> None:
    learning = world.container.learning
    lesson_id = await _quiz_course(world)
    for _ in range(TRUE_OR_FALSE.max_attempts or 0):
        attempt, _ = await learning.start_attempt(world.student, lesson_id)
        failed = await learning.submit_attempt(world.student, attempt.id, {"q1": False})
        assert failed.passed is False

    with pytest.raises(RuleViolation) as refused:
        await learning.start_attempt(world.student, lesson_id)
    assert refused.value.code == "attempt-limit-reached"


async def test_an_open_attempt_is_handed_back_instead_of_starting_another(world: World) -> None:
    learning = world.container.learning
    lesson_id = await _quiz_course(world)

    first, _ = await learning.start_attempt(world.student, lesson_id)
    again, started = await learning.start_attempt(world.student, lesson_id)

    assert (again.id, again.number, started) == (first.id, 1, False)


async def test_a_student_cannot_submit_another_students_attempt(world: World) -> None:
    learning = world.container.learning
    lesson_id = await _quiz_course(world)
    attempt, _ = await learning.start_attempt(world.student, lesson_id)

    with pytest.raises(NotFound) as refused:
        await learning.submit_attempt(world.classmate, attempt.id, {"q1": True})
    assert refused.value.code == "attempt-not-found"


async def test_only_the_courses_instructors_set_its_quiz(world: World) -> None:
    _, lesson_id = await world.draft_course(lesson=QUIZ_LESSON)

    with pytest.raises(NotFound) as refused:
        await world.container.learning.set_quiz(world.cotutor, lesson_id, TRUE_OR_FALSE)
    assert refused.value.code == "course-not-found"


class ConnectionsInUse:
    """The most pooled connections the engine had checked out at once while open."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._pool = engine.sync_engine.pool
        self.now = self.most = 0

    def __enter__(self) -> ConnectionsInUse:
        event.listen(self._pool, "checkout", self._out)
        event.listen(self._pool, "checkin", self._in)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self._pool, "checkout", self._out)
        event.remove(self._pool, "checkin", self._in)

    def _out(self, *_: object) -> None:
        self.now += 1
        self.most = max(self.most, self.now)

    def _in(self, *_: object) -> None:
        self.now -= 1


async def test_a_report_and_an_opened_lesson_hold_one_connection_at_a_time(world: World) -> None:
    # A report holds its enrollment's lock until commit; asking the pool for a second connection
    # meanwhile would make one student's concurrent reports wait on each other for connections.
    learning = world.container.learning
    course, lesson_id = await world.published_course()
    await learning.enroll(world.student, course.id)

    with ConnectionsInUse(world.container.engine) as connections:
        await learning.record_progress(world.student, lesson_id, ProgressReport(seconds_spent=5))
        await learning.get_lesson(world.student, lesson_id)

    assert connections.most == 1
