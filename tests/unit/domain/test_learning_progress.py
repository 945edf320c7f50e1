"""Lesson and course progress: the rounded-down share of required lessons completed, video
completion at 90% of the duration, and progress reports that replace the position, add up the
study time, keep the first completion time and change nothing when refused."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elearn.domain.learning.progress import (
    MAX_SECONDS_SPENT_PER_UPDATE,
    VIDEO_COMPLETION_PERCENT,
    CompletedBy,
    CompletionNotReportable,
    InvalidProgress,
    LessonProgress,
    LessonRequirement,
    course_progress,
    position_completes,
    study_quarter_hour,
)
from elearn.domain.shared.errors import RuleViolation

T0 = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
A, B, C, D, GONE = (UUID(int=n) for n in range(1, 6))
DAY = 24 * 3600


def required(*ids: UUID) -> list[LessonRequirement]:
    return [LessonRequirement(lesson_id, required=True) for lesson_id in ids]


def optional(*ids: UUID) -> list[LessonRequirement]:
    return [LessonRequirement(lesson_id, required=False) for lesson_id in ids]


def progress(**values: Any) -> LessonProgress:
    values.setdefault("lesson_id", A)
    return LessonProgress(user_id=UUID(int=100), course_id=UUID(int=200), **values)


def snapshot(lesson: LessonProgress) -> dict[str, Any]:
    return dataclasses.asdict(lesson)


# ---- course_progress: examples ---------------------------------------------------------------
def test_no_lessons_is_zero_percent() -> None:
    assert course_progress([], []) == 0
    assert course_progress([], [A]) == 0


def test_only_required_lessons_count() -> None:
    lessons = [*required(A, B), *optional(C, D)]

    assert course_progress(lessons, [C, D]) == 0
    assert course_progress(lessons, [A, C, D]) == 50
    assert course_progress(lessons, [A, B]) == 100


def test_a_course_without_required_lessons_counts_all_of_them() -> None:
    assert course_progress(optional(A, B, C, D), [A]) == 25
    assert course_progress(optional(A, B), [A, B]) == 100


def test_progress_rounds_down() -> None:
    assert course_progress(required(A, B, C), [A, B]) == 66
    many = required(*(UUID(int=n) for n in range(1000, 2000)))
    assert course_progress(many, [lesson.lesson_id for lesson in many[:-1]]) == 99  # 99.9%
    assert course_progress(many, [many[0].lesson_id]) == 0  # 0.1%


def test_completions_of_deleted_lessons_are_ignored() -> None:
    assert course_progress(required(A, B), [A, GONE]) == 50
    assert course_progress(required(A), [GONE]) == 0


def test_duplicates_count_once() -> None:
    assert course_progress([*required(A, B), *required(A)], [A, A]) == 50


# ---- course_progress: properties -------------------------------------------------------------
pool = [UUID(int=n) for n in range(1, 16)]
lesson_lists = st.lists(
    st.builds(LessonRequirement, st.sampled_from(pool), st.booleans()),
    max_size=15,
    unique_by=lambda lesson: lesson.lesson_id,
)
unknown = st.lists(st.integers(100, 120).map(lambda n: UUID(int=n)), max_size=5)


def counted(lessons: list[LessonRequirement]) -> set[UUID]:
    ids = {lesson.lesson_id for lesson in lessons if lesson.required}
    return ids or {lesson.lesson_id for lesson in lessons}


@given(lesson_lists, st.sets(st.sampled_from(pool)))
@settings(deadline=None, max_examples=200)
def test_progress_is_a_percentage_that_reaches_100_only_when_all_required_are_done(
    lessons: list[LessonRequirement], completed: set[UUID]
) -> None:
    percent = course_progress(lessons, completed)

    assert 0 <= percent <= 100
    assert (percent == 100) == (bool(lessons) and counted(lessons) <= completed)


@given(lesson_lists, st.sets(st.sampled_from(pool)), st.sets(st.sampled_from(pool)))
@settings(deadline=None, max_examples=200)
def test_completing_more_lessons_never_lowers_progress(
    lessons: list[LessonRequirement], completed: set[UUID], more: set[UUID]
) -> None:
    assert course_progress(lessons, completed) <= course_progress(lessons, completed | more)


@given(lesson_lists, st.sets(st.sampled_from(pool)), unknown)
@settings(deadline=None, max_examples=200)
def test_unknown_lessons_do_not_change_progress(
    lessons: list[LessonRequirement], completed: set[UUID], extra: list[UUID]
) -> None:
    assert course_progress(lessons, [*completed, *extra]) == course_progress(lessons, completed)


@given(lesson_lists, st.sets(st.sampled_from(pool)))
@settings(deadline=None, max_examples=200)
def test_progress_is_the_rounded_down_share(
    lessons: list[LessonRequirement], completed: set[UUID]
) -> None:
    percent = course_progress(lessons, completed)
    if not lessons:
        assert percent == 0
        return
    share = Fraction(len(counted(lessons) & completed), len(counted(lessons))) * 100

    assert percent <= share < percent + 1


# ---- position_completes ----------------------------------------------------------------------
def test_a_video_completes_at_exactly_90_percent() -> None:
    assert VIDEO_COMPLETION_PERCENT == 90
    assert position_completes(90, 100)
    assert not position_completes(89, 100)
    assert position_completes(100, 100)
    # 8999/10000 = 89.99%, 9000/10000 = 90%
    assert not position_completes(8999, 10_000)
    assert position_completes(9000, 10_000)
    # 90% of 7 s is 6.3 s: 6 s is not enough.
    assert not position_completes(6, 7)
    assert position_completes(7, 7)


def test_a_video_without_duration_never_completes_by_position() -> None:
    assert not position_completes(0, 0)
    assert not position_completes(DAY, 0)
    assert not position_completes(10, -5)


@given(st.integers(0, 10 * DAY), st.integers(1, 10 * DAY))
@settings(deadline=None, max_examples=200)
def test_position_completes_exactly_at_the_threshold(position: int, duration: int) -> None:
    assert position_completes(position, duration) == (
        Fraction(position, duration) >= Fraction(VIDEO_COMPLETION_PERCENT, 100)
    )


# ---- LessonProgress.record: examples ---------------------------------------------------------
def test_a_new_lesson_progress_is_not_complete() -> None:
    lesson = progress()

    assert not lesson.completed
    assert (lesson.position_seconds, lesson.seconds_spent, lesson.updated_at) == (0, 0, None)


def test_seconds_spent_add_up_and_the_position_is_replaced() -> None:
    lesson = progress()

    lesson.record(
        now=T0,
        is_video=True,
        duration_seconds=600,
        position_seconds=300,
        seconds_spent=60,
        active_since=T0 - timedelta(minutes=5),
    )
    lesson.record(
        now=T0 + timedelta(minutes=1),
        is_video=True,
        duration_seconds=600,
        position_seconds=100,  # sought backwards
        seconds_spent=45,
        active_since=T0,
    )

    assert lesson.position_seconds == 100
    assert lesson.seconds_spent == 105
    assert lesson.updated_at == T0 + timedelta(minutes=1)
    assert not lesson.completed


def test_omitted_values_are_left_alone() -> None:
    lesson = progress(position_seconds=200, seconds_spent=30)

    assert not lesson.record(now=T0, is_video=True, duration_seconds=600)

    assert (lesson.position_seconds, lesson.seconds_spent) == (200, 30)
    assert lesson.updated_at == T0


def test_reaching_90_percent_of_a_video_completes_it() -> None:
    lesson = progress()

    assert not lesson.record(now=T0, is_video=True, duration_seconds=600, position_seconds=539)
    assert lesson.record(now=T0, is_video=True, duration_seconds=600, position_seconds=540)

    assert lesson.completed_at == T0


def test_the_position_does_not_complete_a_lesson_that_is_not_a_video() -> None:
    lesson = progress()

    assert not lesson.record(now=T0, is_video=False, duration_seconds=600, position_seconds=600)
    assert not lesson.completed


def test_the_position_does_not_complete_a_video_without_duration() -> None:
    lesson = progress()

    assert not lesson.record(now=T0, is_video=True, duration_seconds=0, position_seconds=DAY)
    assert not lesson.completed
    assert lesson.position_seconds == DAY


def test_marking_complete_keeps_the_first_completion_time() -> None:
    lesson = progress()

    assert lesson.record(now=T0, is_video=False, duration_seconds=0, completed=True)
    assert not lesson.record(
        now=T0 + timedelta(hours=1), is_video=False, duration_seconds=0, completed=True
    )
    assert not lesson.record(
        now=T0 + timedelta(hours=2), is_video=True, duration_seconds=100, position_seconds=100
    )

    assert lesson.completed_at == T0
    assert lesson.updated_at == T0 + timedelta(hours=2)


def test_un_marking_clears_the_completion_and_a_new_one_is_newly_complete() -> None:
    lesson = progress(completed_at=T0)

    assert not lesson.record(
        now=T0 + timedelta(hours=1), is_video=False, duration_seconds=0, completed=False
    )
    assert not lesson.completed

    later = T0 + timedelta(hours=2)
    assert lesson.record(now=later, is_video=False, duration_seconds=0, completed=True)
    assert lesson.completed_at == later


def test_an_explicit_not_complete_wins_over_the_position_in_the_same_report() -> None:
    lesson = progress(completed_at=T0)

    assert not lesson.record(
        now=T0, is_video=True, duration_seconds=100, position_seconds=95, completed=False
    )

    assert not lesson.completed
    assert lesson.position_seconds == 95


@pytest.mark.parametrize(
    ("duration", "values"),
    [
        (600, {"position_seconds": -1}),
        (600, {"position_seconds": 601}),
        (0, {"position_seconds": DAY + 1}),
        (-1, {"position_seconds": DAY + 1}),
        (600, {"seconds_spent": -1}),
        (600, {"seconds_spent": MAX_SECONDS_SPENT_PER_UPDATE + 1}),
        (600, {"position_seconds": 600, "seconds_spent": MAX_SECONDS_SPENT_PER_UPDATE + 1}),
        (600, {"position_seconds": 601, "seconds_spent": 10, "completed": True}),
    ],
)
def test_out_of_range_values_are_refused_and_change_nothing(
    duration: int, values: dict[str, Any]
) -> None:
    lesson = progress(position_seconds=10, seconds_spent=20)
    before = snapshot(lesson)

    with pytest.raises(InvalidProgress) as refused:
        lesson.record(now=T0, is_video=True, duration_seconds=duration, **values)

    assert snapshot(lesson) == before
    assert refused.value.code == "invalid-progress"
    assert isinstance(refused.value, RuleViolation)


def test_the_limits_themselves_are_accepted() -> None:
    lesson = progress()

    lesson.record(
        now=T0,
        is_video=False,
        duration_seconds=600,
        position_seconds=600,
        seconds_spent=MAX_SECONDS_SPENT_PER_UPDATE,
        active_since=T0 - timedelta(days=1),
    )
    lesson.record(now=T0, is_video=False, duration_seconds=0, position_seconds=DAY, seconds_spent=0)

    assert (lesson.position_seconds, lesson.seconds_spent) == (DAY, MAX_SECONDS_SPENT_PER_UPDATE)


# ---- LessonProgress.record: properties -------------------------------------------------------
reports = st.fixed_dictionaries(
    {
        "is_video": st.booleans(),
        "duration_seconds": st.sampled_from([0, 1, 7, 100, 600, DAY]),
    },
    optional={
        "completed": st.booleans(),
        "position_seconds": st.integers(-5, DAY + 5),
        "seconds_spent": st.integers(-5, MAX_SECONDS_SPENT_PER_UPDATE + 5),
    },
)


@given(st.lists(reports, max_size=20))
@settings(deadline=None, max_examples=200)
def test_reports_follow_the_rules(reports: list[dict[str, Any]]) -> None:
    lesson = progress()
    # A model of what the reports should leave behind, written independently of record().
    position, spent, completed_at = 0, 0, None

    for n, report in enumerate(reports):
        now = T0 + timedelta(minutes=n)
        before = snapshot(lesson)
        duration = report["duration_seconds"]
        new_position = report.get("position_seconds")
        new_spent = report.get("seconds_spent")
        limit = duration or DAY
        valid = (new_position is None or 0 <= new_position <= limit) and (
            new_spent is None or 0 <= new_spent <= MAX_SECONDS_SPENT_PER_UPDATE
        )

        if not valid:
            with pytest.raises(InvalidProgress):
                lesson.record(now=now, active_since=T0 - timedelta(days=1), **report)
            assert snapshot(lesson) == before
            continue

        # Active long enough before each report for all it claims to count.
        newly = lesson.record(now=now, active_since=now - timedelta(hours=2), **report)

        was_complete = completed_at is not None
        position = position if new_position is None else new_position
        spent += new_spent or 0
        reached = (
            report["is_video"]
            and new_position is not None
            and duration > 0
            and new_position * 10 >= duration * 9
        )
        if report.get("completed") is False:
            completed_at = None
        elif (report.get("completed") or reached) and completed_at is None:
            completed_at = now

        assert (lesson.position_seconds, lesson.seconds_spent) == (position, spent)
        assert lesson.completed_at == completed_at
        assert lesson.completed == (completed_at is not None)
        assert lesson.updated_at == now
        assert newly == (not was_complete and completed_at is not None)


# ---- study time the server observed (issue 15, finding 11) -----------------------------------
def test_an_hour_claimed_twice_a_second_apart_counts_one_second() -> None:
    lesson = progress()

    lesson.record(now=T0, is_video=False, duration_seconds=0, seconds_spent=3600, active_since=T0)
    lesson.record(
        now=T0 + timedelta(seconds=1),
        is_video=False,
        duration_seconds=0,
        seconds_spent=3600,
        active_since=T0,
    )

    assert lesson.seconds_spent == 1


def test_without_earlier_activity_nothing_is_credited() -> None:
    lesson = progress()
    lesson.record(now=T0, is_video=False, duration_seconds=0, seconds_spent=600)
    assert lesson.seconds_spent == 0
    assert lesson.updated_at == T0


def test_activity_reported_later_than_now_credits_nothing() -> None:
    # Another report's clock may be ahead by a hair; never a negative credit.
    lesson = progress(seconds_spent=7)
    lesson.record(
        now=T0,
        is_video=False,
        duration_seconds=0,
        seconds_spent=30,
        active_since=T0 + timedelta(seconds=3),
    )
    assert lesson.seconds_spent == 7


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=2 * MAX_SECONDS_SPENT_PER_UPDATE),  # gap, s
            st.integers(min_value=0, max_value=MAX_SECONDS_SPENT_PER_UPDATE),  # claimed
            st.sampled_from([A, B, C]),  # which lesson: the bound is per student
        ),
        min_size=1,
        max_size=30,
    ),
    st.integers(min_value=0, max_value=DAY),  # since enrolling, before the first report
)
@settings(deadline=None, max_examples=300)
def test_credited_study_time_never_exceeds_the_wall_clock_time_between_reports(
    reports: list[tuple[int, int, UUID]], before_first: int
) -> None:
    lessons = {lesson_id: progress(lesson_id=lesson_id) for lesson_id in (A, B, C)}
    last_activity = T0 - timedelta(seconds=before_first)  # enrolled then
    now = T0
    first_report = None
    for gap, claimed, lesson_id in reports:
        now += timedelta(seconds=gap)
        first_report = first_report or now
        lessons[lesson_id].record(
            now=now,
            is_video=False,
            duration_seconds=0,
            seconds_spent=claimed,
            active_since=last_activity,
        )
        last_activity = now

    total = sum(lesson.seconds_spent for lesson in lessons.values())
    elapsed = (now - first_report).total_seconds() if first_report else 0
    assert total <= elapsed + MAX_SECONDS_SPENT_PER_UPDATE
    assert total <= sum(claimed for _, claimed, _ in reports)


@pytest.mark.parametrize("completes_by", list(CompletedBy))
@pytest.mark.parametrize("completed", [True, False])
def test_a_lesson_completed_by_what_the_student_does_refuses_being_marked(
    completes_by: CompletedBy, completed: bool
) -> None:
    lesson = progress()
    before = snapshot(lesson)

    with pytest.raises(CompletionNotReportable) as refused:
        lesson.record(
            now=T0,
            is_video=False,
            duration_seconds=0,
            completed=completed,
            completes_by=completes_by,
        )

    assert snapshot(lesson) == before
    assert completes_by.value in str(refused.value)
    assert refused.value.code == "completion-not-reportable"
    # Time and position are still recorded for such lessons.
    lesson.record(
        now=T0,
        is_video=False,
        duration_seconds=0,
        seconds_spent=5,
        active_since=T0 - timedelta(seconds=5),
        completes_by=completes_by,
    )
    assert lesson.seconds_spent == 5 and not lesson.completed


@pytest.mark.parametrize(
    ("now", "quarter"),
    [
        (
            datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=UTC),
            datetime(2026, 3, 29, 0, 45, tzinfo=UTC),
        ),
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
        (datetime(2026, 3, 29, 1, 14, 59, tzinfo=UTC), datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
        # Kathmandu, UTC+05:45: its 06:00 is 00:15 UTC.
        (
            datetime(2026, 3, 29, 6, 0, tzinfo=ZoneInfo("Asia/Kathmandu")),
            datetime(2026, 3, 29, 0, 15, tzinfo=UTC),
        ),
    ],
)
def test_study_time_is_kept_in_the_quarter_hour_of_utc_a_report_arrived_in(
    now: datetime, quarter: datetime
) -> None:
    kept = study_quarter_hour(now)
    assert kept == quarter and kept.utcoffset() == timedelta(0)
