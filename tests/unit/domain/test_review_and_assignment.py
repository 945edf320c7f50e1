"""Reviews and assignments.

Reviews: a rating is a whole number from 1 to 5 (never a bool), texts are trimmed and limited,
the instructors reply once, staff hide and show. Assignments: the definition refuses what cannot
be graded, accepts the media types of its file kinds, and flags work handed in after (not at) the
due time; a submission takes text or up to MAX_FILES accepted files until it is graded, and a
grade is 0 to the assignment's maximum. Refused operations raise with a stable code and change
nothing."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elearn.domain.learning.assignment import (
    MAX_FEEDBACK,
    MAX_FILES,
    MAX_INSTRUCTIONS,
    MAX_POINTS,
    MAX_SUBMISSION_TEXT,
    MEDIA_TYPES_OF_KIND,
    Assignment,
    AssignmentGraded,
    FileKind,
    InvalidAssignment,
    InvalidGrade,
    InvalidSubmission,
    Submission,
    SubmissionGraded,
    SubmittedFile,
)
from elearn.domain.learning.review import (
    MAX_HIDE_REASON,
    MAX_RATING,
    MAX_REPLY_TEXT,
    MAX_REVIEW_TEXT,
    MIN_RATING,
    AlreadyReplied,
    AlreadyReviewed,
    InvalidReview,
    Review,
    review_rating,
)
from elearn.domain.shared.errors import Conflict, DomainError, RuleViolation

T0 = datetime(2025, 5, 1, 10, 0, tzinfo=UTC)
REVIEW_ID = UUID(int=1)
COURSE_ID = UUID(int=2)
USER_ID = UUID(int=3)
INSTRUCTOR_ID = UUID(int=4)
STAFF_ID = UUID(int=5)
SUBMISSION_ID = UUID(int=6)
LESSON_ID = UUID(int=7)
GRADER_ID = UUID(int=8)
EVENT_ID = UUID(int=9)


def snapshot(target: object) -> dict[str, Any]:
    return dataclasses.asdict(target)  # type: ignore[call-overload]


def assert_refused(target: object, call: Any, error: type[DomainError], code: str) -> DomainError:
    """``call`` raises ``error`` with ``code`` and leaves ``target`` (and its events) as it was."""
    before = snapshot(target)
    with pytest.raises(error) as caught:
        call()
    assert caught.value.code == code
    assert snapshot(target) == before
    pull = getattr(target, "pull_events", None)
    if pull is not None:
        assert pull() == []
    return caught.value


# ==== reviews =================================================================================
def review(**overrides: Any) -> Review:
    values: dict[str, Any] = {
        "review_id": REVIEW_ID,
        "course_id": COURSE_ID,
        "user_id": USER_ID,
        "rating": 4,
        "text": "Clear and well paced.",
        "now": T0,
    }
    values.update(overrides)
    return Review.write(**values)


def test_review_limits_and_error_codes() -> None:
    assert (MIN_RATING, MAX_RATING) == (1, 5)
    assert MAX_REVIEW_TEXT == 5000
    assert MAX_REPLY_TEXT == 5000
    assert MAX_HIDE_REASON == 1000
    assert issubclass(InvalidReview, RuleViolation)
    assert InvalidReview.code == "invalid-review"
    assert issubclass(AlreadyReviewed, Conflict)
    assert AlreadyReviewed.code == "already-reviewed"
    assert issubclass(AlreadyReplied, Conflict)
    assert AlreadyReplied.code == "already-replied"


# ---- ratings ---------------------------------------------------------------------------------
@pytest.mark.parametrize("rating", [1, 2, 3, 4, 5])
def test_ratings_from_1_to_5_are_accepted(rating: int) -> None:
    assert review_rating(rating) == rating


@pytest.mark.parametrize("rating", [-1, 0, 6, 100, True, False])
def test_ratings_outside_1_to_5_and_bools_are_refused(rating: int) -> None:
    with pytest.raises(InvalidReview) as caught:
        review_rating(rating)
    assert caught.value.code == "invalid-review"
    assert "1 to 5" in caught.value.message


@given(st.integers(-(10**6), 10**6))
def test_review_rating_accepts_exactly_1_to_5(rating: int) -> None:
    if MIN_RATING <= rating <= MAX_RATING:
        assert review_rating(rating) == rating
    else:
        with pytest.raises(InvalidReview):
            review_rating(rating)


# ---- write -----------------------------------------------------------------------------------
def test_write_makes_a_visible_review_without_a_reply() -> None:
    written = review(rating=5, text="  Great course!  \n")

    assert written.id == REVIEW_ID
    assert written.course_id == COURSE_ID
    assert written.user_id == USER_ID
    assert written.rating == 5
    assert written.text == "Great course!"
    assert written.created_at == written.updated_at == T0
    assert written.reply is None
    assert written.replied_by is None
    assert written.replied_at is None
    assert not written.hidden
    assert written.hidden_reason is None
    assert written.hidden_by is None
    assert written.counts_in_rating


@pytest.mark.parametrize("text", [None, "", "   ", "\n\t "])
def test_a_review_without_text_has_none(text: str | None) -> None:
    assert review(text=text).text is None


@pytest.mark.parametrize("rating", [0, 6, True])
def test_write_refuses_a_bad_rating(rating: int) -> None:
    with pytest.raises(InvalidReview):
        review(rating=rating)


def test_review_text_may_be_exactly_the_limit_after_trimming() -> None:
    text = "x" * MAX_REVIEW_TEXT

    assert review(text=text).text == text
    assert review(text=f"   {text}   ").text == text


def test_review_text_over_the_limit_is_refused() -> None:
    with pytest.raises(InvalidReview) as caught:
        review(text="x" * (MAX_REVIEW_TEXT + 1))
    assert caught.value.code == "invalid-review"
    assert str(MAX_REVIEW_TEXT) in caught.value.message


# ---- edit ------------------------------------------------------------------------------------
def test_edit_changes_the_rating_and_text() -> None:
    target = review()
    later = T0 + timedelta(days=1)

    target.edit(rating=2, text="  Went downhill.  ", clear_text=False, now=later)

    assert target.rating == 2
    assert target.text == "Went downhill."
    assert target.updated_at == later
    assert target.created_at == T0


def test_edit_without_a_rating_keeps_it() -> None:
    target = review(rating=3)

    target.edit(rating=None, text="new", clear_text=False, now=T0 + timedelta(hours=1))

    assert target.rating == 3
    assert target.text == "new"


def test_edit_without_text_keeps_the_text() -> None:
    target = review(text="kept")

    target.edit(rating=1, text=None, clear_text=False, now=T0 + timedelta(hours=1))

    assert target.text == "kept"
    assert target.rating == 1


def test_edit_with_nothing_only_touches_the_update_time() -> None:
    target = review()
    before = snapshot(target)
    later = T0 + timedelta(hours=1)

    target.edit(rating=None, text=None, clear_text=False, now=later)

    assert snapshot(target) == {**before, "updated_at": later}


@pytest.mark.parametrize("text", [None, "ignored", "x" * (MAX_REVIEW_TEXT + 1)])
def test_clear_text_removes_the_text_whatever_text_says(text: str | None) -> None:
    target = review(text="old")

    target.edit(rating=None, text=text, clear_text=True, now=T0 + timedelta(hours=1))

    assert target.text is None


@pytest.mark.parametrize("text", ["", "   "])
def test_editing_to_blank_text_removes_it(text: str) -> None:
    target = review(text="old")

    target.edit(rating=None, text=text, clear_text=False, now=T0 + timedelta(hours=1))

    assert target.text is None


@pytest.mark.parametrize(
    "change",
    [
        {"rating": 0, "text": "fine"},
        {"rating": 6, "text": None},
        {"rating": True, "text": None},
        {"rating": False, "text": None},
        {"rating": 5, "text": "x" * (MAX_REVIEW_TEXT + 1)},
        {"rating": None, "text": "x" * (MAX_REVIEW_TEXT + 1)},
    ],
)
def test_a_refused_edit_changes_nothing(change: dict[str, Any]) -> None:
    target = review()

    assert_refused(
        target,
        lambda: target.edit(**change, clear_text=False, now=T0 + timedelta(days=1)),
        InvalidReview,
        "invalid-review",
    )


# ---- answer ----------------------------------------------------------------------------------
def test_an_instructor_replies_once() -> None:
    target = review()
    later = T0 + timedelta(days=2)

    target.answer(instructor_id=INSTRUCTOR_ID, text="  Thanks!  ", now=later)

    assert target.reply == "Thanks!"
    assert target.replied_by == INSTRUCTOR_ID
    assert target.replied_at == later
    assert target.updated_at == T0  # the student's review itself is unchanged

    error = assert_refused(
        target,
        lambda: target.answer(instructor_id=uuid4(), text="Again", now=later),
        AlreadyReplied,
        "already-replied",
    )
    assert isinstance(error, Conflict)


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_a_blank_reply_is_refused(text: str) -> None:
    target = review()

    error = assert_refused(
        target,
        lambda: target.answer(instructor_id=INSTRUCTOR_ID, text=text, now=T0),
        InvalidReview,
        "invalid-review",
    )
    assert "empty" in error.message


def test_a_reply_may_be_exactly_the_limit_and_not_longer() -> None:
    target = review()
    assert_refused(
        target,
        lambda: target.answer(instructor_id=INSTRUCTOR_ID, text="y" * (MAX_REPLY_TEXT + 1), now=T0),
        InvalidReview,
        "invalid-review",
    )

    target.answer(instructor_id=INSTRUCTOR_ID, text=f" {'y' * MAX_REPLY_TEXT} ", now=T0)

    assert target.reply == "y" * MAX_REPLY_TEXT


def test_a_refused_reply_leaves_room_for_a_good_one() -> None:
    target = review()
    with pytest.raises(InvalidReview):
        target.answer(instructor_id=INSTRUCTOR_ID, text="  ", now=T0)

    target.answer(instructor_id=INSTRUCTOR_ID, text="ok", now=T0)

    assert target.reply == "ok"


# ---- hide and show ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reason", "kept"), [(None, None), ("", None), ("  spam  ", "spam"), ("abuse", "abuse")]
)
def test_staff_hide_a_review_from_the_rating(reason: str | None, kept: str | None) -> None:
    target = review()
    later = T0 + timedelta(days=3)

    target.hide(staff_id=STAFF_ID, reason=reason, now=later)

    assert target.hidden
    assert not target.counts_in_rating
    assert target.hidden_reason == kept
    assert target.hidden_by == STAFF_ID
    assert target.updated_at == later


def test_a_hide_reason_may_be_exactly_the_limit() -> None:
    target = review()

    target.hide(staff_id=STAFF_ID, reason="r" * MAX_HIDE_REASON, now=T0)

    assert target.hidden_reason == "r" * MAX_HIDE_REASON


def test_a_hide_with_a_reason_over_the_limit_is_refused_and_changes_nothing() -> None:
    target = review()

    assert_refused(
        target,
        lambda: target.hide(staff_id=STAFF_ID, reason="r" * (MAX_HIDE_REASON + 1), now=T0),
        InvalidReview,
        "invalid-review",
    )


def test_a_hide_with_a_reason_over_the_limit_is_refused() -> None:
    target = review()

    with pytest.raises(InvalidReview) as caught:
        target.hide(staff_id=STAFF_ID, reason="r" * (MAX_HIDE_REASON + 1), now=T0)
    assert caught.value.code == "invalid-review"
    assert target.hidden_reason is None
    assert target.hidden_by is None


def test_showing_a_hidden_review_brings_it_back_and_forgets_why() -> None:
    target = review()
    target.hide(staff_id=STAFF_ID, reason="spam", now=T0 + timedelta(days=1))
    later = T0 + timedelta(days=2)

    target.show(now=later)

    assert not target.hidden
    assert target.counts_in_rating
    assert target.hidden_reason is None
    assert target.hidden_by is None
    assert target.updated_at == later


def test_hiding_again_replaces_the_reason_and_the_staff_member() -> None:
    target = review()
    target.hide(staff_id=STAFF_ID, reason="spam", now=T0)
    other = uuid4()

    target.hide(staff_id=other, reason=None, now=T0 + timedelta(hours=1))

    assert target.hidden
    assert target.hidden_reason is None
    assert target.hidden_by == other


def test_hide_and_show_keep_the_content_and_the_reply() -> None:
    target = review()
    target.answer(instructor_id=INSTRUCTOR_ID, text="Thanks", now=T0)
    content = {k: v for k, v in snapshot(target).items() if not k.startswith("hidden")}
    content.pop("updated_at")

    target.hide(staff_id=STAFF_ID, reason="spam", now=T0 + timedelta(hours=1))
    target.show(now=T0 + timedelta(hours=2))

    after = {k: v for k, v in snapshot(target).items() if not k.startswith("hidden")}
    after.pop("updated_at")
    assert after == content


# ==== assignments =============================================================================
def assignment(**overrides: Any) -> Assignment:
    values: dict[str, Any] = {"instructions": "Write a haiku about recursion."}
    values.update(overrides)
    return Assignment(**values)


def pdf(n: int = 0, content_type: str = "application/pdf") -> SubmittedFile:
    return SubmittedFile(
        key=f"uploads/{n}.pdf", filename=f"essay-{n}.pdf", content_type=content_type, size=1000
    )


def hand_in(
    spec: Assignment,
    *,
    text: str | None = "My answer",
    files: tuple[SubmittedFile, ...] = (),
    now: datetime = T0,
) -> Submission:
    return Submission.hand_in(
        spec,
        submission_id=SUBMISSION_ID,
        lesson_id=LESSON_ID,
        course_id=COURSE_ID,
        user_id=USER_ID,
        text=text,
        files=files,
        now=now,
    )


def grade(
    submission: Submission,
    spec: Assignment,
    points: int,
    *,
    feedback: str | None = "Good",
    now: datetime = T0,
    event_id: UUID = EVENT_ID,
) -> None:
    submission.grade(
        spec, grader_id=GRADER_ID, points=points, feedback=feedback, now=now, event_id=event_id
    )


def test_assignment_limits_and_error_codes() -> None:
    assert MAX_INSTRUCTIONS == 20_000
    assert MAX_POINTS == 1000
    assert MAX_SUBMISSION_TEXT == 50_000
    assert MAX_FEEDBACK == 10_000
    assert MAX_FILES == 5
    for error, code in [
        (InvalidAssignment, "invalid-assignment"),
        (InvalidSubmission, "invalid-submission"),
        (InvalidGrade, "invalid-grade"),
    ]:
        assert issubclass(error, RuleViolation)
        assert error.code == code
    assert issubclass(SubmissionGraded, Conflict)
    assert SubmissionGraded.code == "submission-graded"
    assert AssignmentGraded.event_type == "learning.assignment_graded"


# ---- the definition --------------------------------------------------------------------------
def test_an_assignment_defaults_to_100_points_no_due_time_and_text_only() -> None:
    spec = assignment()

    assert spec.max_points == 100
    assert spec.due_at is None
    assert spec.allowed_file_kinds == frozenset()
    assert spec.allowed_media_types == frozenset()


@pytest.mark.parametrize("instructions", ["", " ", "\n\t"])
def test_instructions_must_not_be_blank(instructions: str) -> None:
    with pytest.raises(InvalidAssignment) as caught:
        assignment(instructions=instructions)
    assert caught.value.code == "invalid-assignment"


def test_instructions_may_be_exactly_the_limit_and_not_longer() -> None:
    assert len(assignment(instructions="i" * MAX_INSTRUCTIONS).instructions) == MAX_INSTRUCTIONS
    with pytest.raises(InvalidAssignment):
        assignment(instructions="i" * (MAX_INSTRUCTIONS + 1))


@pytest.mark.parametrize("points", [1, 2, 999, MAX_POINTS])
def test_max_points_from_1_to_the_limit_are_accepted(points: int) -> None:
    assert assignment(max_points=points).max_points == points


@pytest.mark.parametrize("points", [-1, 0, MAX_POINTS + 1, True, False])
def test_max_points_outside_1_to_the_limit_and_bools_are_refused(points: int) -> None:
    with pytest.raises(InvalidAssignment) as caught:
        assignment(max_points=points)
    assert caught.value.code == "invalid-assignment"


def test_a_due_time_needs_a_time_zone() -> None:
    with pytest.raises(InvalidAssignment) as caught:
        assignment(due_at=datetime(2025, 5, 1, 12, 0))
    assert caught.value.code == "invalid-assignment"
    assert assignment(due_at=T0).due_at == T0


def test_media_types_of_each_kind() -> None:
    assert set(MEDIA_TYPES_OF_KIND) == set(FileKind)
    assert {k.value for k in FileKind} == {"pdf", "image", "zip", "text"}
    assert MEDIA_TYPES_OF_KIND[FileKind.PDF] == {"application/pdf"}
    assert MEDIA_TYPES_OF_KIND[FileKind.IMAGE] == {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
    }
    assert MEDIA_TYPES_OF_KIND[FileKind.ZIP] == {"application/zip"}
    assert MEDIA_TYPES_OF_KIND[FileKind.TEXT] == {"text/plain"}


@given(st.frozensets(st.sampled_from(list(FileKind))))
def test_allowed_media_types_are_the_union_of_the_kinds(kinds: frozenset[FileKind]) -> None:
    expected: set[str] = set()
    for kind in kinds:
        expected |= MEDIA_TYPES_OF_KIND[kind]

    assert assignment(allowed_file_kinds=kinds).allowed_media_types == expected


# ---- lateness --------------------------------------------------------------------------------
def test_without_a_due_time_nothing_is_late() -> None:
    spec = assignment()

    assert not spec.is_late(datetime.max.replace(tzinfo=UTC))


def test_work_exactly_at_the_due_time_is_not_late() -> None:
    spec = assignment(due_at=T0)

    assert not spec.is_late(T0 - timedelta(microseconds=1))
    assert not spec.is_late(T0)
    assert spec.is_late(T0 + timedelta(microseconds=1))


def test_lateness_compares_instants_across_time_zones() -> None:
    spec = assignment(due_at=T0)
    plus_two = timezone(timedelta(hours=2))

    assert not spec.is_late(T0.astimezone(plus_two))
    assert spec.is_late((T0 + timedelta(seconds=1)).astimezone(plus_two))


@given(
    due=st.one_of(st.none(), st.integers(-(10**6), 10**6)),
    at=st.integers(-(10**6), 10**6),
)
def test_lateness_is_strictly_after_the_due_time(due: int | None, at: int) -> None:
    due_at = None if due is None else T0 + timedelta(seconds=due)
    when = T0 + timedelta(seconds=at)

    assert assignment(due_at=due_at).is_late(when) is (due_at is not None and when > due_at)


# ---- handing in ------------------------------------------------------------------------------
def test_hand_in_text_makes_a_first_submission_without_events() -> None:
    submission = hand_in(assignment(), text="  My haiku  ")

    assert submission.id == SUBMISSION_ID
    assert submission.lesson_id == LESSON_ID
    assert submission.course_id == COURSE_ID
    assert submission.user_id == USER_ID
    assert submission.text == "My haiku"
    assert submission.files == ()
    assert submission.submitted_at == T0
    assert submission.submission_count == 1
    assert not submission.late
    assert not submission.is_graded
    assert submission.points is None
    assert submission.feedback is None
    assert submission.graded_by is None
    assert submission.pull_events() == []


def test_hand_in_files_of_an_accepted_kind() -> None:
    spec = assignment(allowed_file_kinds=frozenset({FileKind.PDF, FileKind.IMAGE}))
    files = (pdf(0), pdf(1, "image/png"))

    submission = hand_in(spec, text=None, files=files)

    assert submission.text is None
    assert submission.files == files


@pytest.mark.parametrize("text", [None, "", "   \n"])
def test_handing_in_nothing_is_refused(text: str | None) -> None:
    with pytest.raises(InvalidSubmission) as caught:
        hand_in(assignment(), text=text, files=())
    assert caught.value.code == "invalid-submission"


def test_submission_text_may_be_exactly_the_limit_after_trimming() -> None:
    text = "s" * MAX_SUBMISSION_TEXT

    assert hand_in(assignment(), text=f"\n{text}  ").text == text
    with pytest.raises(InvalidSubmission):
        hand_in(assignment(), text=text + "s")


def test_up_to_max_files_are_accepted_and_one_more_is_refused() -> None:
    spec = assignment(allowed_file_kinds=frozenset({FileKind.PDF}))
    files = tuple(pdf(n) for n in range(MAX_FILES))

    assert hand_in(spec, text=None, files=files).files == files
    with pytest.raises(InvalidSubmission) as caught:
        hand_in(spec, text=None, files=(*files, pdf(MAX_FILES)))
    assert str(MAX_FILES) in caught.value.message


@pytest.mark.parametrize(
    ("kinds", "content_type"),
    [
        (frozenset(), "application/pdf"),
        (frozenset(), "text/plain"),
        (frozenset({FileKind.PDF}), "image/png"),
        (frozenset({FileKind.IMAGE}), "image/svg+xml"),
        (frozenset({FileKind.PDF}), "application/PDF"),
        (frozenset({FileKind.ZIP, FileKind.TEXT}), "application/x-zip-compressed"),
    ],
)
def test_files_of_a_kind_the_assignment_does_not_accept_are_refused(
    kinds: frozenset[FileKind], content_type: str
) -> None:
    spec = assignment(allowed_file_kinds=kinds)

    with pytest.raises(InvalidSubmission) as caught:
        hand_in(spec, text="also text", files=(pdf(0, content_type),))
    assert "essay-0.pdf" in caught.value.message


def test_a_refused_file_without_a_name_is_called_a_file() -> None:
    unnamed = SubmittedFile(key="k", filename=None, content_type="image/png", size=1)

    with pytest.raises(InvalidSubmission) as caught:
        hand_in(assignment(), files=(unnamed,))
    assert "a file" in caught.value.message


@pytest.mark.parametrize(
    ("offset", "late"),
    [(timedelta(seconds=-1), False), (timedelta(0), False), (timedelta(microseconds=1), True)],
)
def test_work_handed_in_after_the_due_time_is_accepted_and_flagged_late(
    offset: timedelta, late: bool
) -> None:
    submission = hand_in(assignment(due_at=T0), now=T0 + offset)

    assert submission.late is late


def test_resubmitting_replaces_the_work_and_returns_the_old_files() -> None:
    spec = assignment(due_at=T0, allowed_file_kinds=frozenset({FileKind.PDF}))
    first_files = (pdf(0), pdf(1))
    submission = hand_in(spec, text="draft", files=first_files, now=T0)
    later = T0 + timedelta(hours=1)

    replaced = submission.resubmit(spec, text=None, files=(pdf(2),), now=later)

    assert replaced == first_files
    assert submission.text is None
    assert submission.files == (pdf(2),)
    assert submission.submitted_at == later
    assert submission.late
    assert submission.submission_count == 2
    assert submission.pull_events() == []


def test_a_refused_resubmission_changes_nothing() -> None:
    spec = assignment(allowed_file_kinds=frozenset({FileKind.PDF}))
    submission = hand_in(spec, files=(pdf(0),))
    later = T0 + timedelta(hours=1)

    for text, files in [
        (None, ()),
        ("  ", ()),
        ("s" * (MAX_SUBMISSION_TEXT + 1), ()),
        (None, tuple(pdf(n) for n in range(MAX_FILES + 1))),
        ("ok", (pdf(9, "image/png"),)),
    ]:
        assert_refused(
            submission,
            lambda text=text, files=files: submission.resubmit(
                spec, text=text, files=files, now=later
            ),
            InvalidSubmission,
            "invalid-submission",
        )
    assert submission.submission_count == 1


def test_graded_work_can_no_longer_be_changed() -> None:
    spec = assignment()
    submission = hand_in(spec)
    grade(submission, spec, 50)
    submission.pull_events()

    for text in ["better", None]:  # refused as graded before the input is even looked at
        assert_refused(
            submission,
            lambda text=text: submission.resubmit(
                spec, text=text, files=(), now=T0 + timedelta(days=1)
            ),
            SubmissionGraded,
            "submission-graded",
        )


# ---- grading ---------------------------------------------------------------------------------
def test_grading_records_the_grade_and_tells_the_student() -> None:
    spec = assignment(max_points=20)
    submission = hand_in(spec)
    later = T0 + timedelta(days=1)
    event_id = uuid4()

    grade(submission, spec, 17, feedback="  Nice imagery.  ", now=later, event_id=event_id)

    assert submission.is_graded
    assert submission.points == 17
    assert submission.feedback == "Nice imagery."
    assert submission.graded_at == later
    assert submission.graded_by == GRADER_ID
    assert submission.pull_events() == [
        AssignmentGraded(
            event_id=event_id,
            occurred_at=later,
            submission_id=SUBMISSION_ID,
            lesson_id=LESSON_ID,
            course_id=COURSE_ID,
            user_id=USER_ID,
            points=17,
            max_points=20,
            feedback="Nice imagery.",
        )
    ]


@pytest.mark.parametrize("feedback", [None, "", "   "])
def test_grading_without_feedback_stores_none(feedback: str | None) -> None:
    spec = assignment()
    submission = hand_in(spec)

    grade(submission, spec, 0, feedback=feedback)

    assert submission.feedback is None
    assert submission.points == 0


def test_a_grade_may_be_corrected_and_each_grade_is_announced() -> None:
    spec = assignment(max_points=10)
    submission = hand_in(spec)
    grade(submission, spec, 4, feedback="first", now=T0, event_id=uuid4())
    later = T0 + timedelta(hours=3)

    grade(submission, spec, 9, feedback=None, now=later, event_id=EVENT_ID)

    assert (submission.points, submission.feedback, submission.graded_at) == (9, None, later)
    events = submission.pull_events()
    assert [e.points for e in events if isinstance(e, AssignmentGraded)] == [4, 9]


@pytest.mark.parametrize("points", [0, 1, 99, 100])
def test_points_from_0_to_the_maximum_are_accepted(points: int) -> None:
    spec = assignment(max_points=100)
    submission = hand_in(spec)

    grade(submission, spec, points)

    assert submission.points == points


@pytest.mark.parametrize("points", [-1, 101, 1000, True, False])
def test_points_outside_0_to_the_maximum_and_bools_are_refused(points: int) -> None:
    spec = assignment(max_points=100)
    submission = hand_in(spec)

    error = assert_refused(
        submission, lambda: grade(submission, spec, points), InvalidGrade, "invalid-grade"
    )
    assert "0 to 100" in error.message


def test_feedback_may_be_exactly_the_limit_after_trimming_and_not_longer() -> None:
    spec = assignment()
    submission = hand_in(spec)
    assert_refused(
        submission,
        lambda: grade(submission, spec, 5, feedback="f" * (MAX_FEEDBACK + 1)),
        InvalidGrade,
        "invalid-grade",
    )

    grade(submission, spec, 5, feedback=f"  {'f' * MAX_FEEDBACK}\n")

    assert submission.feedback == "f" * MAX_FEEDBACK


def test_a_refused_correction_keeps_the_earlier_grade() -> None:
    spec = assignment(max_points=10)
    submission = hand_in(spec)
    grade(submission, spec, 7, feedback="ok")
    submission.pull_events()

    assert_refused(submission, lambda: grade(submission, spec, 11), InvalidGrade, "invalid-grade")
    assert submission.points == 7


@settings(max_examples=300, deadline=None)
@given(max_points=st.integers(1, MAX_POINTS), points=st.integers(-(MAX_POINTS + 5), 2 * MAX_POINTS))
def test_grade_accepts_exactly_0_to_max_points(max_points: int, points: int) -> None:
    spec = assignment(max_points=max_points)
    submission = hand_in(spec)

    if 0 <= points <= max_points:
        grade(submission, spec, points)
        assert submission.points == points
        [graded] = submission.pull_events()
        assert isinstance(graded, AssignmentGraded)
        assert (graded.points, graded.max_points) == (points, max_points)
    else:
        assert_refused(
            submission, lambda: grade(submission, spec, points), InvalidGrade, "invalid-grade"
        )


@settings(max_examples=100, deadline=None)
@given(
    due=st.integers(-3600, 3600),
    times=st.lists(st.integers(-3600, 3600), min_size=1, max_size=6).map(sorted),
)
def test_each_hand_in_is_flagged_late_iff_after_the_due_time(due: int, times: list[int]) -> None:
    spec = assignment(due_at=T0 + timedelta(seconds=due))
    submission = hand_in(spec, now=T0 + timedelta(seconds=times[0]))
    assert submission.late is (times[0] > due)

    for count, at in enumerate(times[1:], start=2):
        submission.resubmit(spec, text=f"v{count}", files=(), now=T0 + timedelta(seconds=at))
        assert submission.late is (at > due)
        assert submission.submission_count == count
