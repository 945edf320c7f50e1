"""Enrollments: a student is in from ``start``, completes the first time progress reaches 100%
with the required quizzes passed (and stays completed), loses access when revoked and gets it
back, with the progress and any completion they had, when granted again. Self-service
enrollment checks its conditions in order, and only an active, self-made enrollment may be left.
Every refused operation raises an error with a stable code, changes nothing and records nothing.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from elearn.domain.learning.enrollment import (
    LEARNING_STATUSES,
    AlreadyEnrolled,
    CannotLeave,
    CourseNotOpen,
    EmailNotVerified,
    Enrollment,
    EnrollmentCompleted,
    EnrollmentRevoked,
    EnrollmentSource,
    EnrollmentStarted,
    EnrollmentStatus,
    InstructorCannotEnroll,
    NotEnrolled,
    PrerequisitesMissing,
    check_self_enrollment,
    completes,
)
from elearn.domain.shared.errors import (
    Conflict,
    DomainError,
    Forbidden,
    IllegalTransition,
    RuleViolation,
)

T0 = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)
ENROLLMENT_ID = UUID(int=1)
USER_ID = UUID(int=2)
COURSE_ID = UUID(int=3)
EVENT_ID = UUID(int=4)
LESSON_A = UUID(int=10)
LESSON_B = UUID(int=11)

S = EnrollmentStatus
SRC = EnrollmentSource


# ---- builders --------------------------------------------------------------------------------
def started(source: EnrollmentSource = SRC.SELF, *, now: datetime = T0) -> Enrollment:
    """A fresh enrollment, its EnrollmentStarted already taken."""
    enrollment = Enrollment.start(
        enrollment_id=ENROLLMENT_ID,
        user_id=USER_ID,
        course_id=COURSE_ID,
        source=source,
        now=now,
        event_id=EVENT_ID,
    )
    enrollment.pull_events()
    return enrollment


def activity(
    enrollment: Enrollment,
    percent: int,
    *,
    passed: bool = True,
    lesson_id: UUID | None = LESSON_A,
    now: datetime = T0,
    event_id: UUID = EVENT_ID,
) -> bool:
    return enrollment.record_activity(
        lesson_id=lesson_id,
        progress_percent=percent,
        required_quizzes_passed=passed,
        now=now,
        event_id=event_id,
    )


def reach(status: EnrollmentStatus, source: EnrollmentSource = SRC.SELF) -> Enrollment:
    """An enrollment taken to ``status`` through its own operations, events taken."""
    enrollment = started(source)
    if status is S.COMPLETED:
        assert activity(enrollment, 100, now=T0 + timedelta(hours=1))
    elif status is S.REVOKED:
        activity(enrollment, 40, now=T0 + timedelta(hours=1))
        enrollment.revoke(now=T0 + timedelta(hours=2), event_id=EVENT_ID)
    enrollment.pull_events()
    assert enrollment.status is status
    return enrollment


def snapshot(enrollment: Enrollment) -> dict[str, Any]:
    return dataclasses.asdict(enrollment)


def assert_refused(
    enrollment: Enrollment,
    call: Callable[[], object],
    error: type[DomainError],
    code: str,
) -> DomainError:
    """``call`` raises ``error`` with ``code`` and leaves no trace on ``enrollment``."""
    before = snapshot(enrollment)
    with pytest.raises(error) as caught:
        call()
    assert caught.value.code == code
    assert snapshot(enrollment) == before
    assert enrollment.pull_events() == []
    return caught.value


# ---- the vocabulary --------------------------------------------------------------------------
def test_statuses_and_sources_have_stable_values() -> None:
    assert {s.value for s in EnrollmentStatus} == {"active", "completed", "revoked"}
    assert {s.value for s in EnrollmentSource} == {"self", "purchase", "grant"}


def test_active_and_completed_enrollments_learn_and_revoked_ones_do_not() -> None:
    assert frozenset({S.ACTIVE, S.COMPLETED}) == LEARNING_STATUSES


def test_event_types_are_stable_and_distinct() -> None:
    assert EnrollmentStarted.event_type == "learning.enrollment_started"
    assert EnrollmentCompleted.event_type == "learning.enrollment_completed"
    assert EnrollmentRevoked.event_type == "learning.enrollment_revoked"


@pytest.mark.parametrize(
    ("error", "base", "code"),
    [
        (AlreadyEnrolled, Conflict, "already-enrolled"),
        (NotEnrolled, Forbidden, "not-enrolled"),
        (EmailNotVerified, Forbidden, "email-not-verified"),
        (CourseNotOpen, RuleViolation, "course-not-open"),
        (InstructorCannotEnroll, RuleViolation, "instructor-cannot-enroll"),
        (CannotLeave, Conflict, "cannot-leave"),
    ],
)
def test_errors_have_stable_codes_and_kinds(
    error: type[DomainError], base: type[DomainError], code: str
) -> None:
    assert issubclass(error, base)
    assert error.code == code
    assert error("x").code == code


def test_missing_prerequisites_error_names_them() -> None:
    missing = [UUID(int=7), UUID(int=8)]
    error = PrerequisitesMissing(missing)

    assert isinstance(error, RuleViolation)
    assert error.code == "prerequisites-missing"
    assert error.missing == (UUID(int=7), UUID(int=8))
    assert error.message == "complete the course's prerequisites first"


# ---- check_self_enrollment -------------------------------------------------------------------
def test_a_verified_student_enrolls_in_a_published_course_without_missing_prerequisites() -> None:
    check_self_enrollment(
        email_verified=True, course_published=True, is_instructor=False, missing_prerequisites=[]
    )
    check_self_enrollment(
        email_verified=True, course_published=True, is_instructor=False, missing_prerequisites=()
    )


@pytest.mark.parametrize(
    ("verified", "published", "instructor", "missing", "error"),
    [
        (False, True, False, [], EmailNotVerified),
        (True, False, False, [], CourseNotOpen),
        (True, True, True, [], InstructorCannotEnroll),
        (True, True, False, [UUID(int=9)], PrerequisitesMissing),
    ],
)
def test_each_self_enrollment_condition_is_refused_on_its_own(
    verified: bool, published: bool, instructor: bool, missing: list[UUID], error: type
) -> None:
    with pytest.raises(error):
        check_self_enrollment(
            email_verified=verified,
            course_published=published,
            is_instructor=instructor,
            missing_prerequisites=missing,
        )


@pytest.mark.parametrize(
    ("verified", "published", "instructor", "has_missing"),
    list(itertools.product([False, True], repeat=4)),
)
def test_self_enrollment_reports_the_first_broken_condition_in_order(
    verified: bool, published: bool, instructor: bool, has_missing: bool
) -> None:
    """Email, then the course being open, then being its instructor, then prerequisites."""
    missing = [UUID(int=9), UUID(int=10)] if has_missing else []
    expected: type[DomainError] | None = None
    if not verified:
        expected = EmailNotVerified
    elif not published:
        expected = CourseNotOpen
    elif instructor:
        expected = InstructorCannotEnroll
    elif has_missing:
        expected = PrerequisitesMissing

    def check() -> None:
        check_self_enrollment(
            email_verified=verified,
            course_published=published,
            is_instructor=instructor,
            missing_prerequisites=missing,
        )

    if expected is None:
        check()
        return
    with pytest.raises(DomainError) as caught:
        check()
    assert type(caught.value) is expected
    if isinstance(caught.value, PrerequisitesMissing):
        assert caught.value.missing == tuple(missing)


# ---- completes -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("percent", "passed", "expected"),
    [
        (99, True, False),
        (100, True, True),
        (101, True, True),
        (100, False, False),
        (0, True, False),
        (0, False, False),
    ],
)
def test_completes_at_100_percent_with_the_quizzes_passed(
    percent: int, passed: bool, expected: bool
) -> None:
    assert completes(progress_percent=percent, required_quizzes_passed=passed) is expected


@given(st.integers(-1000, 1000), st.booleans())
def test_completes_is_exactly_full_progress_and_passed_quizzes(percent: int, passed: bool) -> None:
    assert completes(progress_percent=percent, required_quizzes_passed=passed) is (
        percent >= 100 and passed
    )


# ---- start -----------------------------------------------------------------------------------
@pytest.mark.parametrize("source", list(EnrollmentSource))
def test_start_makes_an_active_enrollment_and_records_that_it_started(
    source: EnrollmentSource,
) -> None:
    enrollment = Enrollment.start(
        enrollment_id=ENROLLMENT_ID,
        user_id=USER_ID,
        course_id=COURSE_ID,
        source=source,
        now=T0,
        event_id=EVENT_ID,
    )

    assert enrollment.id == ENROLLMENT_ID
    assert enrollment.user_id == USER_ID
    assert enrollment.course_id == COURSE_ID
    assert enrollment.source is source
    assert enrollment.enrolled_at == T0
    assert enrollment.status is S.ACTIVE
    assert enrollment.progress_percent == 0
    assert enrollment.last_lesson_id is None
    assert enrollment.last_activity_at is None
    assert enrollment.completed_at is None
    assert enrollment.revoked_at is None
    assert enrollment.gives_access
    assert enrollment.counts_as_enrolled
    assert enrollment.pull_events() == [
        EnrollmentStarted(
            event_id=EVENT_ID,
            occurred_at=T0,
            enrollment_id=ENROLLMENT_ID,
            course_id=COURSE_ID,
            user_id=USER_ID,
            source=source,
        )
    ]
    assert enrollment.pull_events() == []


@pytest.mark.parametrize(
    ("status", "access"), [(S.ACTIVE, True), (S.COMPLETED, True), (S.REVOKED, False)]
)
def test_access_and_counting_follow_the_status(status: EnrollmentStatus, access: bool) -> None:
    enrollment = reach(status)

    assert enrollment.gives_access is access
    assert enrollment.counts_as_enrolled is access
    if access:
        enrollment.require_access()
    else:
        assert_refused(enrollment, enrollment.require_access, NotEnrolled, "not-enrolled")


# ---- record_activity -------------------------------------------------------------------------
def test_activity_below_100_percent_keeps_the_enrollment_active() -> None:
    enrollment = started()
    later = T0 + timedelta(minutes=5)

    assert activity(enrollment, 99, lesson_id=LESSON_B, now=later) is False

    assert enrollment.status is S.ACTIVE
    assert enrollment.progress_percent == 99
    assert enrollment.last_lesson_id == LESSON_B
    assert enrollment.last_activity_at == later
    assert enrollment.completed_at is None
    assert enrollment.pull_events() == []


def test_reaching_100_percent_with_the_quizzes_passed_completes_and_records_it() -> None:
    enrollment = started()
    later = T0 + timedelta(days=3)
    event_id = uuid4()

    assert activity(enrollment, 100, now=later, event_id=event_id) is True

    assert enrollment.status is S.COMPLETED
    assert enrollment.progress_percent == 100
    assert enrollment.completed_at == later
    assert enrollment.last_activity_at == later
    assert enrollment.gives_access
    assert enrollment.pull_events() == [
        EnrollmentCompleted(
            event_id=event_id,
            occurred_at=later,
            enrollment_id=ENROLLMENT_ID,
            course_id=COURSE_ID,
            user_id=USER_ID,
        )
    ]


def test_100_percent_without_the_required_quizzes_passed_does_not_complete() -> None:
    enrollment = started()

    assert activity(enrollment, 100, passed=False) is False

    assert enrollment.status is S.ACTIVE
    assert enrollment.progress_percent == 100
    assert enrollment.completed_at is None
    assert enrollment.pull_events() == []


def test_passing_the_quizzes_later_completes_at_that_moment() -> None:
    enrollment = started()
    activity(enrollment, 100, passed=False, now=T0 + timedelta(hours=1))
    passed_at = T0 + timedelta(hours=2)

    assert activity(enrollment, 100, passed=True, lesson_id=None, now=passed_at) is True

    assert enrollment.completed_at == passed_at
    assert enrollment.last_lesson_id == LESSON_A


@pytest.mark.parametrize(
    ("reported", "kept"),
    [(-1000, 0), (-1, 0), (0, 0), (1, 1), (50, 50), (99, 99), (100, 100), (101, 100), (10**6, 100)],
)
def test_progress_is_clamped_to_0_to_100(reported: int, kept: int) -> None:
    enrollment = started()

    completed = activity(enrollment, reported)

    assert enrollment.progress_percent == kept
    assert completed is (kept == 100)


def test_a_report_without_a_lesson_keeps_the_last_lesson() -> None:
    enrollment = started()
    activity(enrollment, 10, lesson_id=LESSON_A, now=T0)
    later = T0 + timedelta(minutes=1)

    activity(enrollment, 20, lesson_id=None, now=later)

    assert enrollment.last_lesson_id == LESSON_A
    assert enrollment.last_activity_at == later
    assert enrollment.progress_percent == 20


def test_a_completed_enrollment_stays_completed_when_the_course_grows() -> None:
    enrollment = reach(S.COMPLETED)
    completed_at = enrollment.completed_at
    later = T0 + timedelta(days=30)

    assert activity(enrollment, 60, passed=False, lesson_id=LESSON_B, now=later) is False

    assert enrollment.status is S.COMPLETED
    assert enrollment.completed_at == completed_at
    assert enrollment.progress_percent == 60
    assert enrollment.last_lesson_id == LESSON_B
    assert enrollment.last_activity_at == later
    assert enrollment.pull_events() == []


def test_reaching_100_again_does_not_complete_a_completed_enrollment_twice() -> None:
    enrollment = reach(S.COMPLETED)
    completed_at = enrollment.completed_at
    activity(enrollment, 80, now=T0 + timedelta(days=1))

    assert activity(enrollment, 100, now=T0 + timedelta(days=2)) is False

    assert enrollment.completed_at == completed_at
    assert enrollment.pull_events() == []


def test_a_revoked_enrollment_refuses_activity_and_keeps_its_progress() -> None:
    enrollment = reach(S.REVOKED)

    error = assert_refused(
        enrollment,
        lambda: activity(enrollment, 100, lesson_id=LESSON_B, now=T0 + timedelta(days=1)),
        NotEnrolled,
        "not-enrolled",
    )
    assert isinstance(error, Forbidden)
    assert enrollment.progress_percent == 40


# ---- revoke ----------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [S.ACTIVE, S.COMPLETED])
@pytest.mark.parametrize("reason", [None, "refund", ""])
def test_revoking_a_live_enrollment_records_why(
    status: EnrollmentStatus, reason: str | None
) -> None:
    enrollment = reach(status)
    before = snapshot(enrollment)
    later = T0 + timedelta(days=5)
    event_id = uuid4()

    enrollment.revoke(now=later, event_id=event_id, reason=reason)

    assert enrollment.status is S.REVOKED
    assert enrollment.revoked_at == later
    assert not enrollment.gives_access
    assert not enrollment.counts_as_enrolled
    # what the student had is kept for a later grant
    assert enrollment.progress_percent == before["progress_percent"]
    assert enrollment.completed_at == before["completed_at"]
    assert enrollment.last_lesson_id == before["last_lesson_id"]
    assert enrollment.enrolled_at == before["enrolled_at"]
    assert enrollment.pull_events() == [
        EnrollmentRevoked(
            event_id=event_id,
            occurred_at=later,
            enrollment_id=ENROLLMENT_ID,
            course_id=COURSE_ID,
            user_id=USER_ID,
            reason=reason,
        )
    ]


def test_revoke_without_a_reason_records_none() -> None:
    enrollment = started()

    enrollment.revoke(now=T0, event_id=EVENT_ID)

    [revoked] = enrollment.pull_events()
    assert isinstance(revoked, EnrollmentRevoked)
    assert revoked.reason is None


def test_revoking_a_revoked_enrollment_is_an_illegal_transition() -> None:
    enrollment = reach(S.REVOKED)

    error = assert_refused(
        enrollment,
        lambda: enrollment.revoke(now=T0 + timedelta(days=9), event_id=uuid4(), reason="again"),
        IllegalTransition,
        "illegal-transition",
    )
    assert isinstance(error, IllegalTransition)
    assert (error.machine, error.current, error.action) == ("enrollment", "revoked", "revoke")
    assert isinstance(error, Conflict)


# ---- regrant ---------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [S.ACTIVE, S.COMPLETED])
@pytest.mark.parametrize("source", list(EnrollmentSource))
def test_granting_a_live_enrollment_again_is_a_duplicate(
    status: EnrollmentStatus, source: EnrollmentSource
) -> None:
    enrollment = reach(status)

    assert_refused(
        enrollment,
        lambda: enrollment.regrant(source=source, now=T0 + timedelta(days=9), event_id=uuid4()),
        AlreadyEnrolled,
        "already-enrolled",
    )


@pytest.mark.parametrize("source", list(EnrollmentSource))
def test_regrant_makes_a_revoked_enrollment_active_with_its_progress(
    source: EnrollmentSource,
) -> None:
    enrollment = reach(S.REVOKED)
    later = T0 + timedelta(days=10)
    event_id = uuid4()

    enrollment.regrant(source=source, now=later, event_id=event_id)

    assert enrollment.status is S.ACTIVE
    assert enrollment.source is source
    assert enrollment.enrolled_at == later
    assert enrollment.revoked_at is None
    assert enrollment.completed_at is None
    assert enrollment.progress_percent == 40
    assert enrollment.last_lesson_id == LESSON_A
    assert enrollment.gives_access
    assert enrollment.pull_events() == [
        EnrollmentStarted(
            event_id=event_id,
            occurred_at=later,
            enrollment_id=ENROLLMENT_ID,
            course_id=COURSE_ID,
            user_id=USER_ID,
            source=source,
        )
    ]


def test_regrant_of_a_once_completed_enrollment_comes_back_completed() -> None:
    enrollment = reach(S.COMPLETED)
    completed_at = enrollment.completed_at
    enrollment.revoke(now=T0 + timedelta(days=2), event_id=uuid4(), reason="refund")
    enrollment.pull_events()
    later = T0 + timedelta(days=3)

    enrollment.regrant(source=SRC.GRANT, now=later, event_id=EVENT_ID)

    assert enrollment.status is S.COMPLETED
    assert enrollment.completed_at == completed_at
    assert enrollment.revoked_at is None
    # no second completion: the certificate was earned once
    events = enrollment.pull_events()
    assert [type(e) for e in events] == [EnrollmentStarted]
    assert activity(enrollment, 100, now=later) is False
    assert enrollment.pull_events() == []


def test_a_regranted_enrollment_completes_when_it_reaches_the_end() -> None:
    enrollment = reach(S.REVOKED)
    enrollment.regrant(source=SRC.PURCHASE, now=T0 + timedelta(days=1), event_id=uuid4())
    enrollment.pull_events()

    assert activity(enrollment, 100, now=T0 + timedelta(days=2)) is True
    assert enrollment.status is S.COMPLETED


# ---- check_can_leave -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "status"), list(itertools.product(EnrollmentSource, EnrollmentStatus))
)
def test_only_an_active_self_made_enrollment_may_be_left(
    source: EnrollmentSource, status: EnrollmentStatus
) -> None:
    enrollment = reach(status, source)

    if source is SRC.SELF and status is S.ACTIVE:
        enrollment.check_can_leave()
        return
    error = assert_refused(enrollment, enrollment.check_can_leave, CannotLeave, "cannot-leave")
    if source is not SRC.SELF:
        assert "refund" in error.message
    else:
        assert status.value in error.message


def test_a_self_made_enrollment_granted_again_by_purchase_can_no_longer_be_left() -> None:
    enrollment = reach(S.REVOKED, SRC.SELF)
    enrollment.regrant(source=SRC.PURCHASE, now=T0 + timedelta(days=1), event_id=uuid4())

    with pytest.raises(CannotLeave):
        enrollment.check_can_leave()


# ---- any sequence of operations --------------------------------------------------------------
PERCENTS = st.one_of(st.integers(-20, 130), st.sampled_from([0, 99, 100, 101]), st.just(100))


class EnrollmentMachine(RuleBasedStateMachine):
    """Activity reports, revocations and grants in any order. The model: an enrollment completes
    exactly once, the first time a report brings it to 100% with the required quizzes passed;
    a revoked enrollment refuses activity and revoking; a live one refuses a grant; a grant
    brings back completed what was once completed. Each successful operation records exactly its
    event, each refused one nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.source = SRC.SELF
        self.enrollment = Enrollment.start(
            enrollment_id=ENROLLMENT_ID,
            user_id=USER_ID,
            course_id=COURSE_ID,
            source=self.source,
            now=self.now,
            event_id=EVENT_ID,
        )
        assert [type(e) for e in self.enrollment.pull_events()] == [EnrollmentStarted]
        self.revoked = False
        self.completed_at: datetime | None = None
        self.progress = 0
        self.last_lesson: UUID | None = None
        self.last_activity: datetime | None = None
        self.completions = 0

    def _tick(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now

    @property
    def expected_status(self) -> EnrollmentStatus:
        if self.revoked:
            return S.REVOKED
        return S.COMPLETED if self.completed_at is not None else S.ACTIVE

    @rule(
        percent=PERCENTS,
        passed=st.booleans(),
        lesson=st.sampled_from([None, LESSON_A, LESSON_B]),
    )
    def report_activity(self, percent: int, passed: bool, lesson: UUID | None) -> None:
        now, event_id = self._tick(), uuid4()
        if self.revoked:
            assert_refused(
                self.enrollment,
                lambda: activity(
                    self.enrollment,
                    percent,
                    passed=passed,
                    lesson_id=lesson,
                    now=now,
                    event_id=event_id,
                ),
                NotEnrolled,
                "not-enrolled",
            )
            return
        result = activity(
            self.enrollment, percent, passed=passed, lesson_id=lesson, now=now, event_id=event_id
        )
        self.progress = max(0, min(100, percent))
        self.last_activity = now
        if lesson is not None:
            self.last_lesson = lesson
        should_complete = self.completed_at is None and self.progress == 100 and passed
        assert result is should_complete
        events = self.enrollment.pull_events()
        if should_complete:
            event("completed")
            self.completed_at = now
            self.completions += 1
            assert events == [
                EnrollmentCompleted(
                    event_id=event_id,
                    occurred_at=now,
                    enrollment_id=ENROLLMENT_ID,
                    course_id=COURSE_ID,
                    user_id=USER_ID,
                )
            ]
        else:
            assert events == []

    @rule(reason=st.sampled_from([None, "refund", "chargeback"]))
    def revoke(self, reason: str | None) -> None:
        now, event_id = self._tick(), uuid4()
        if self.revoked:
            assert_refused(
                self.enrollment,
                lambda: self.enrollment.revoke(now=now, event_id=event_id, reason=reason),
                IllegalTransition,
                "illegal-transition",
            )
            return
        self.enrollment.revoke(now=now, event_id=event_id, reason=reason)
        self.revoked = True
        assert self.enrollment.revoked_at == now
        assert self.enrollment.pull_events() == [
            EnrollmentRevoked(
                event_id=event_id,
                occurred_at=now,
                enrollment_id=ENROLLMENT_ID,
                course_id=COURSE_ID,
                user_id=USER_ID,
                reason=reason,
            )
        ]

    @rule(source=st.sampled_from(list(EnrollmentSource)))
    def regrant(self, source: EnrollmentSource) -> None:
        now, event_id = self._tick(), uuid4()
        if not self.revoked:
            assert_refused(
                self.enrollment,
                lambda: self.enrollment.regrant(source=source, now=now, event_id=event_id),
                AlreadyEnrolled,
                "already-enrolled",
            )
            return
        self.enrollment.regrant(source=source, now=now, event_id=event_id)
        if self.completed_at is not None:
            event("regranted completed")
        self.revoked = False
        self.source = source
        assert self.enrollment.enrolled_at == now
        assert self.enrollment.pull_events() == [
            EnrollmentStarted(
                event_id=event_id,
                occurred_at=now,
                enrollment_id=ENROLLMENT_ID,
                course_id=COURSE_ID,
                user_id=USER_ID,
                source=source,
            )
        ]

    @rule()
    def try_to_leave(self) -> None:
        if self.source is SRC.SELF and self.expected_status is S.ACTIVE:
            self.enrollment.check_can_leave()
        else:
            assert_refused(
                self.enrollment, self.enrollment.check_can_leave, CannotLeave, "cannot-leave"
            )

    @invariant()
    def the_status_follows_the_model(self) -> None:
        assert self.enrollment.status is self.expected_status
        assert self.enrollment.gives_access is (not self.revoked)
        assert self.enrollment.counts_as_enrolled is (not self.revoked)

    @invariant()
    def the_fields_follow_the_model(self) -> None:
        assert self.enrollment.source is self.source
        assert self.enrollment.completed_at == self.completed_at
        assert self.enrollment.progress_percent == self.progress
        assert 0 <= self.enrollment.progress_percent <= 100
        assert self.enrollment.last_lesson_id == self.last_lesson
        assert self.enrollment.last_activity_at == self.last_activity
        assert (self.enrollment.revoked_at is not None) is self.revoked

    @invariant()
    def it_completes_at_most_once(self) -> None:
        assert self.completions <= 1
        assert self.enrollment.pull_events() == []


TestEnrollmentMachine = EnrollmentMachine.TestCase
TestEnrollmentMachine.settings = settings(max_examples=100, stateful_step_count=25, deadline=None)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(PERCENTS, st.booleans()), max_size=20))
def test_activity_completes_exactly_at_the_first_full_report_with_quizzes_passed(
    reports: list[tuple[int, bool]],
) -> None:
    enrollment = started()
    first = next(
        (i for i, (percent, passed) in enumerate(reports) if percent >= 100 and passed), None
    )

    results = [
        activity(enrollment, percent, passed=passed, now=T0 + timedelta(minutes=i))
        for i, (percent, passed) in enumerate(reports)
    ]

    assert results == [i == first for i in range(len(reports))]
    completions = [e for e in enrollment.pull_events() if isinstance(e, EnrollmentCompleted)]
    if first is None:
        assert enrollment.status is S.ACTIVE
        assert enrollment.completed_at is None
        assert completions == []
    else:
        assert enrollment.status is S.COMPLETED
        assert enrollment.completed_at == T0 + timedelta(minutes=first)
        assert [e.occurred_at for e in completions] == [enrollment.completed_at]
    if reports:
        assert enrollment.progress_percent == max(0, min(100, reports[-1][0]))
