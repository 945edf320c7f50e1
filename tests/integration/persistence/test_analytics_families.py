"""The rollups of tutoring, support, tutor decisions, quizzes (per student and per question)
and study time on the real databases: each
source row is counted in the quarter hour of its own instant (rows with no such instant, or in
another state, are not), and recounting slot by slot as the handlers do, each twice, writes
exactly what one rebuild of the whole range writes. A student's upcoming lessons are their
confirmed bookings not yet over."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from elearn.adapters.persistence.analytics_rollups import SqlaAnalyticsQueries, SqlaRollupKeeper
from elearn.adapters.persistence.database import create_engine
from elearn.adapters.persistence.models.analytics import AnalyticsQuizAnswerRow, AnalyticsRollupRow
from elearn.adapters.persistence.models.catalog import (
    CourseRow,
    CourseTransitionRow,
    LessonRow,
    SectionRow,
)
from elearn.adapters.persistence.models.identity import TutorApplicationRow, UserRow
from elearn.adapters.persistence.models.learning import QuizAttemptRow, StudyTimeRow
from elearn.adapters.persistence.models.support import SupportTicketRow
from elearn.adapters.persistence.models.tutoring import BookingRow
from elearn.domain.analytics.durations import duration_bin
from elearn.domain.analytics.metrics import Family
from elearn.domain.analytics.series import slot_of

T0 = datetime(2026, 3, 28, 23, 50, tzinfo=UTC)
FAMILIES = (
    Family.TUTORING,
    Family.SUPPORT,
    Family.IDENTITY,
    Family.QUIZZES,
    Family.CATALOG,
    Family.STUDY,
)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _booking(tutor: UUID, student: UUID, n: int, status: str, **times: Any) -> BookingRow:
    starts = at(24 * 60 * (n + 1))  # a tutor's lessons never overlap (PostgreSQL checks)
    return BookingRow(
        tutor_id=tutor,
        student_id=student,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        blocks_until=starts + timedelta(hours=1),
        status=status,
        price_amount=2500,
        price_currency="USD",
        cutoff_hours=24,
        refund_percent_before=100,
        refund_percent_after=0,
        buffer_minutes=0,
        held_until=at(0),
        **times,
    )


def _ticket(**times: Any) -> SupportTicketRow:
    return SupportTicketRow(
        customer_id=uuid4(),
        subject="help",
        category=times.pop("category", "billing"),
        priority="normal",
        priority_rank=2,
        status="open",
        activity_at=at(0),
        first_response_due=at(60),
        resolution_due=at(600),
        **times,
    )


async def _seed(session: AsyncSession) -> tuple[UUID, UUID]:
    tutor, student = uuid4(), uuid4()
    for user, role in ((tutor, "tutor"), (student, "student")):
        session.add(
            UserRow(
                id=user,
                email=f"{user.hex}@x.test",
                full_name=role,
                role=role,
                password_hash="x",
                created_at=at(-20),
            )
        )
    await session.flush()
    course, section, lesson = uuid4(), uuid4(), uuid4()
    session.add(
        CourseRow(
            id=course,
            owner_id=tutor,
            slug=course.hex,
            title="C",
            language="en",
            level="beginner",
            status="published",
        )
    )
    await session.flush()
    session.add(SectionRow(id=section, course_id=course, position=0, title="S"))
    await session.flush()
    session.add(
        LessonRow(
            id=lesson, course_id=course, section_id=section, position=0, kind="quiz", title="Q"
        )
    )
    await session.flush()
    # Submitted, rejected three hours later, revised, submitted again and approved in half an
    # hour, then published (not a review decision).
    for minutes, action, before, after in (
        (-200, "submit", "draft", "pending"),
        (-20, "reject", "pending", "rejected"),
        (-10, "revise", "rejected", "draft"),
        (0, "submit", "draft", "pending"),
        (30, "approve", "pending", "approved"),
        (35, "publish", "approved", "published"),
    ):
        session.add(
            CourseTransitionRow(
                course_id=course,
                at=at(minutes),
                actor_id=tutor,
                action=action,
                from_status=before,
                to_status=after,
            )
        )
    session.add_all(
        [
            _booking(tutor, student, 0, "confirmed", confirmed_at=at(5)),
            _booking(
                tutor, student, 1, "cancelled_by_student", confirmed_at=at(5), ended_at=at(10)
            ),
            _booking(tutor, student, 2, "cancelled_by_tutor", confirmed_at=at(20), ended_at=at(25)),
            # Expired holds were never confirmed and are not cancellations; a hold is neither.
            _booking(tutor, student, 3, "expired", ended_at=at(10)),
            _booking(tutor, student, 4, "held"),
            _ticket(opened_at=at(0)),
            _ticket(
                opened_at=at(9),
                category="technical",
                first_response_breached_at=at(15),
                resolution_breached_at=at(40),
            ),
            TutorApplicationRow(
                user_id=tutor,
                headline="h",
                cv_key="c",
                certificate_key="c",
                status="approved",
                submitted_at=at(-100),
                decided_at=at(1),
            ),
            TutorApplicationRow(
                user_id=student,
                headline="h",
                cv_key="c",
                certificate_key="c",
                status="rejected",
                submitted_at=at(-100),
                decided_at=at(14),
            ),
            TutorApplicationRow(
                user_id=student,
                headline="h",
                cv_key="c",
                certificate_key="c",
                status="pending",
                submitted_at=at(2),
            ),
        ]
    )
    for number, (score, maximum, submitted) in enumerate(
        (("7/2", 4, at(3)), ("3", 3, at(4)), ("1/3", 1, at(16)), (None, 4, None))
    ):
        session.add(
            QuizAttemptRow(
                lesson_id=lesson,
                course_id=course,
                user_id=student,
                number=number,
                seed=1,
                status="submitted" if score else "in_progress",
                started_at=at(0),
                submitted_at=submitted,
                score=score,
                max_score=maximum,
            )
        )
    for attempt, submitted, outcomes in (
        (uuid4(), at(3), {"q1": True, "q2": False}),
        (uuid4(), at(4), {"q1": False, "q2": False}),
        (uuid4(), at(16), {"q1": True, "a-question-id-of-sixty-four-characters-" + "x" * 25: True}),
    ):
        session.add_all(
            AnalyticsQuizAnswerRow(
                attempt_id=attempt,
                question_id=question,
                course_id=course,
                lesson_id=lesson,
                submitted_at=submitted,
                correct=correct,
            )
            for question, correct in outcomes.items()
        )
    # Seconds progress reports added, per quarter hour of UTC (their own quarter hours).
    session.add_all(
        StudyTimeRow(user_id=student, quarter_hour=quarter, seconds=seconds)
        for quarter, seconds in ((at(-5), 120), (at(10), 900), (at(25), 45))
    )
    await session.commit()
    return tutor, student, lesson


async def _rows(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[Any, ...]]:
    r = AnalyticsRollupRow
    async with sessions() as session:
        found = await session.execute(
            select(r.metric, r.dimension, r.currency, r.slot, r.value).order_by(
                r.metric, r.dimension, r.slot
            )
        )
        return [tuple(row) for row in found]


async def _walk(url: str) -> None:
    engine = create_engine(url, pool_size=2)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    keeper = SqlaRollupKeeper(sessions)
    try:
        async with sessions() as session:
            tutor, student, lesson = await _seed(session)
        first, end = slot_of(at(-30)), slot_of(at(60))
        for slot in [*range(first, end), *range(first, end)]:
            await keeper.recompute(FAMILIES, slot, slot + 1)
        incremental = await _rows(sessions)
        await keeper.recompute(FAMILIES, first - 96, end + 96)
        assert await _rows(sessions) == incremental

        def s(minutes: int) -> int:
            return slot_of(at(minutes))

        t, u = tutor.hex, student.hex

        def took(minutes: int) -> str:
            return str(duration_bin(minutes * 60))

        q1, q2, long = (
            f"{lesson.hex}:{q}"
            for q in ("q1", "q2", "a-question-id-of-sixty-four-characters-" + "x" * 25)
        )
        expected = sorted(
            [
                ("course_review_time", took(180), "", s(-20), 1),
                ("course_review_time", took(30), "", s(30), 1),
                ("tutor_decision_time", took(101), "", s(1), 1),
                ("tutor_decision_time", took(114), "", s(14), 1),
                ("quiz_item_answered", long, "", s(16), 1),
                ("quiz_item_answered", q1, "", s(3), 2),
                ("quiz_item_answered", q1, "", s(16), 1),
                ("quiz_item_answered", q2, "", s(3), 2),
                ("quiz_item_correct", long, "", s(16), 1),
                ("quiz_item_correct", q1, "", s(3), 1),
                ("quiz_item_correct", q1, "", s(16), 1),
                ("study_seconds", u, "", s(-5), 120),
                ("study_seconds", u, "", s(10), 900),
                ("study_seconds", u, "", s(25), 45),
                ("bookings_cancelled_by_student", t, "", s(10), 1),
                ("bookings_cancelled_by_tutor", t, "", s(25), 1),
                ("bookings_confirmed", t, "", s(5), 2),
                ("bookings_confirmed", t, "", s(20), 1),
                # 7/2 of 4 is 875 ‰, 3 of 3 is 1000 ‰, then 1/3 of 1 is 333 ‰.
                ("quiz_score_permille", u, "", s(3), 1875),
                ("quiz_score_permille", u, "", s(16), 333),
                ("quiz_submissions", u, "", s(3), 2),
                ("quiz_submissions", u, "", s(16), 1),
                ("signups", "student", "", s(-20), 1),
                ("signups", "tutor", "", s(-20), 1),
                ("sla_breaches", "first_response", "", s(15), 1),
                ("sla_breaches", "resolution", "", s(40), 1),
                ("tickets_opened", "billing", "", s(0), 1),
                ("tickets_opened", "technical", "", s(9), 1),
                ("tutor_decisions", "approved", "", s(1), 1),
                ("tutor_decisions", "rejected", "", s(14), 1),
            ]
        )
        assert incremental == expected

        # The student's next lessons: the confirmed one only (cancelled, expired, held are not).
        learner = SqlaAnalyticsQueries(sessions).learner
        (lesson,) = (await learner(student, at(0))).upcoming_lessons
        assert (lesson.tutor_id, lesson.starts_at) == (tutor, at(24 * 60))
        # Once it is over it is not upcoming.
        assert (await learner(student, at(25 * 60))).upcoming_lessons == []
    finally:
        async with sessions() as session:
            for model in (
                AnalyticsRollupRow,
                AnalyticsQuizAnswerRow,
                StudyTimeRow,
                QuizAttemptRow,
                CourseTransitionRow,
                LessonRow,
                SectionRow,
                CourseRow,
                TutorApplicationRow,
                SupportTicketRow,
                BookingRow,
                UserRow,
            ):
                await session.execute(delete(model))
            await session.commit()
        await engine.dispose()


def test_each_family_counts_its_sources_and_recounting_equals_rebuilding(
    database_url: str,
) -> None:
    asyncio.run(_walk(database_url))
