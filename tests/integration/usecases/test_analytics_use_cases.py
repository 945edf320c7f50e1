"""Analytics' use cases called directly, with learning's: the hardest question of a course is the
one the fewest submitted attempts got right (counted once however often the event is delivered,
and rebuilt to the same rows), shown to the course's instructors and staff only; a student's
study time per local day is what their progress reports added to their lessons, never counted
twice and never negative."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from tests.integration.usecases.world import World

from elearn.adapters.persistence.models.analytics import AnalyticsRollupRow
from elearn.adapters.persistence.models.jobs import OutboxDeliveryRow
from elearn.application.analytics.dashboards import RangeQuery
from elearn.application.catalog.authoring import NewLesson
from elearn.application.errors import NotFound
from elearn.application.identity.account import StudentProfileChanges, UpdateAccount
from elearn.application.learning.lessons import ProgressReport
from elearn.domain.catalog.course import LessonKind
from elearn.domain.learning.quiz import Choice, Question, QuestionKind, Quiz

THREE_QUESTIONS = Quiz(
    questions=(
        Question(id="snake", kind=QuestionKind.TRUE_FALSE, prompt="A snake?", correct_boolean=True),
        Question(
            id="typed",
            kind=QuestionKind.TRUE_FALSE,
            prompt="Python   checks types\nat compile time?",
            correct_boolean=False,
        ),
        Question(
            id="loop",
            kind=QuestionKind.SINGLE_CHOICE,
            prompt="Which loops over a list?",
            choices=(Choice(id="for", text="for", correct=True), Choice(id="if", text="if")),
        ),
    ),
    pass_mark_percent=100,
)
QUIZ_COUNTED = "analytics.count_quiz"


async def _deliver(world: World, handler: str) -> int:
    """Every delivery of ``handler`` not done yet, through the real outbox executor."""
    async with world.container.sessions() as session:
        ids = list(
            await session.scalars(
                select(OutboxDeliveryRow.id).where(
                    OutboxDeliveryRow.handler == handler, OutboxDeliveryRow.status != "done"
                )
            )
        )
    deliveries = world.container.deliveries()
    for delivery_id in ids:
        await deliveries.deliver(delivery_id)
    return len(ids)


async def _rollups(world: World, *metrics: str) -> list[tuple[Any, ...]]:
    r = AnalyticsRollupRow
    async with world.container.sessions() as session:
        found = await session.execute(
            select(r.metric, r.dimension, r.slot, r.value)
            .where(r.metric.in_(metrics))
            .order_by(r.metric, r.dimension, r.slot)
        )
        return [tuple(row) for row in found]


async def test_the_hardest_question_is_the_one_fewest_attempts_got_right(world: World) -> None:
    learning, analytics = world.container.learning, world.container.analytics
    course, lesson_id = await world.draft_course(
        lesson=NewLesson(kind=LessonKind.QUIZ, title="Check yourself")
    )
    await learning.set_quiz(world.tutor, lesson_id, THREE_QUESTIONS)
    await world.publish(course.id)
    # Both think Python checks types; the classmate also misses the loop.
    for student, loop in ((world.student, "for"), (world.classmate, "if")):
        await learning.enroll(student, course.id)
        attempt, _ = await learning.start_attempt(student, lesson_id)
        answers = {"snake": True, "typed": True, "loop": loop}
        await learning.submit_attempt(student, attempt.id, answers)

    assert await _deliver(world, QUIZ_COUNTED) == 2
    counted = await _rollups(world, "quiz_item_answered", "quiz_item_correct")
    # Delivered again (a worker died before marking them done): nothing moves.
    async with world.container.sessions() as session:
        await session.execute(
            update(OutboxDeliveryRow)
            .where(OutboxDeliveryRow.handler == QUIZ_COUNTED)
            .values(status="pending")
        )
        await session.commit()
    assert await _deliver(world, QUIZ_COUNTED) == 2
    assert await _rollups(world, "quiz_item_answered", "quiz_item_correct") == counted
    # And the rebuild writes the same rows.
    await analytics.rebuild(world.clock.now() - timedelta(days=1))
    assert await _rollups(world, "quiz_item_answered", "quiz_item_correct") == counted

    dashboard = await analytics.instructor_dashboard(world.tutor, RangeQuery())
    hardest = dashboard.hardest_question
    assert hardest is not None
    assert (hardest.lesson_id, hardest.question_id) == (lesson_id, "typed")
    assert (hardest.answered, hardest.correct, hardest.percent_correct) == (2, 0, 0)
    assert hardest.label == "Check yourself · Q2: Python checks types at compile time?"
    assert [(q.question_id, q.percent_correct) for q in dashboard.quiz_questions] == [
        ("typed", 0),
        ("loop", 50),
        ("snake", 100),
    ]
    items = dashboard.quiz_items
    assert (items.unit, items.labels) == ("percent", [q.label for q in dashboard.quiz_questions])
    assert [(d.label, d.data) for d in items.datasets] == [("share correct", [0, 50, 100])]

    # A range before the attempts: every question at 0 and none the hardest.
    earlier = (world.clock.now() - timedelta(days=10)).date()
    before = await analytics.instructor_dashboard(world.tutor, RangeQuery(earlier, earlier))
    assert before.hardest_question is None
    assert [q.answered for q in before.quiz_questions] == [0, 0, 0]
    assert before.quiz_items.datasets[0].data == [0, 0, 0]

    # Another tutor may not look; staff may.
    with pytest.raises(NotFound):
        await analytics.instructor_dashboard(world.cotutor, RangeQuery(course_id=course.id))
    staff = await analytics.instructor_dashboard(world.manager, RangeQuery(course_id=course.id))
    assert staff.hardest_question == hardest
    assert (await analytics.instructor_dashboard(world.cotutor, RangeQuery())).quiz_questions == []


@pytest.fixture
async def studying(world: World) -> tuple[World, UUID, date]:
    """The student, in Kathmandu (UTC+05:45: their days begin at a quarter hour of UTC),
    enrolled in a course of one text lesson; and the first local day of the range to read."""
    await world.container.identity.update_account(
        world.student, UpdateAccount(student=StudentProfileChanges(time_zone="Asia/Kathmandu"))
    )
    course, lesson_id = await world.published_course()
    await world.container.learning.enroll(world.student, course.id)
    return world, lesson_id, world.clock.now().date() - timedelta(days=1)


async def _study_time(world: World, first: date) -> list[int]:
    last = world.clock.now().date() + timedelta(days=1)
    dashboard = await world.container.analytics.student_dashboard(
        world.student, RangeQuery(first, last)
    )
    (dataset,) = dashboard.study_time.datasets
    assert dashboard.study_time.unit == "seconds"
    return dataset.data


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    # (seconds the clock moves before the report, seconds the report claims)
    reports=st.lists(
        st.tuples(st.integers(0, 3 * 3600), st.integers(0, 3600)), min_size=1, max_size=6
    )
)
async def test_study_time_per_day_sums_to_what_the_reports_added(
    studying: tuple[World, UUID, date], reports: list[tuple[int, int]]
) -> None:
    world, lesson_id, first = studying
    learning, analytics = world.container.learning, world.container.analytics
    opened = await learning.get_lesson(world.student, lesson_id)
    initial = opened.progress.seconds_spent if opened.progress else 0
    days_before = await _study_time(world, first)

    cumulative = initial
    for moved, claimed in reports:
        world.clock.advance(timedelta(seconds=moved))
        view = await learning.record_progress(
            world.student, lesson_id, ProgressReport(seconds_spent=claimed)
        )
        assert view.seconds_spent >= cumulative
        cumulative = view.seconds_spent
        # What the periodic job does every minute; twice is the same as once.
        await analytics.refresh_recent()
        await analytics.refresh_recent()

    days = await _study_time(world, first)
    assert all(after >= before for before, after in zip(days_before, days, strict=False))
    assert sum(days) - sum(days_before) == cumulative - initial


async def test_a_report_that_adds_nothing_counts_nothing(
    studying: tuple[World, UUID, date],
) -> None:
    world, lesson_id, first = studying
    learning = world.container.learning
    world.clock.advance(timedelta(minutes=10))
    await learning.record_progress(world.student, lesson_id, ProgressReport(seconds_spent=300))
    # The same report again at once (a retry): no time has passed since, so nothing is added.
    again = await learning.record_progress(
        world.student, lesson_id, ProgressReport(seconds_spent=300)
    )
    await world.container.analytics.refresh_recent()
    assert again.seconds_spent == 300
    assert sum(await _study_time(world, first)) == 300
