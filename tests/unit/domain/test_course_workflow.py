"""The course review workflow: the course accepts exactly the moves of its TRANSITIONS table,
records each in its history and as an event, and refuses everything else without a trace."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from elearn.domain.catalog.course import (
    EDITABLE_STATES,
    MAX_REASON,
    TRANSITIONS,
    Course,
    CourseAction,
    CourseApproved,
    CourseArchived,
    CourseIncomplete,
    CourseLocked,
    CoursePublished,
    CourseRejected,
    CourseRevised,
    CourseRevisionApplied,
    CourseStatus,
    CourseStatusChanged,
    CourseSubmitted,
    CourseTransition,
    CourseUnpublished,
    InvalidCourse,
    Lesson,
    LessonKind,
    Section,
)
from elearn.domain.shared.errors import Conflict, IllegalTransition
from elearn.domain.shared.money import Money

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
COURSE_ID = UUID(int=1)
OWNER_ID = UUID(int=2)
REVIEWER_ID = UUID(int=3)
EVENT_ID = UUID(int=4)

S = CourseStatus
A = CourseAction

# The review workflow as drawn in the module's docstring.
DIAGRAM = {
    (S.DRAFT, A.SUBMIT): S.PENDING,
    (S.PENDING, A.APPROVE): S.APPROVED,
    (S.PENDING, A.REJECT): S.REJECTED,
    (S.APPROVED, A.PUBLISH): S.PUBLISHED,
    (S.PUBLISHED, A.ARCHIVE): S.ARCHIVED,
    (S.PUBLISHED, A.UNPUBLISH): S.DRAFT,
    (S.REJECTED, A.REVISE): S.DRAFT,
    (S.PUBLISHED, A.APPLY_REVISION): S.PUBLISHED,
}

EVENT_CLASSES: dict[CourseAction, type[CourseStatusChanged]] = {
    A.SUBMIT: CourseSubmitted,
    A.APPROVE: CourseApproved,
    A.REJECT: CourseRejected,
    A.PUBLISH: CoursePublished,
    A.ARCHIVE: CourseArchived,
    A.UNPUBLISH: CourseUnpublished,
    A.REVISE: CourseRevised,
    A.APPLY_REVISION: CourseRevisionApplied,
}

EVENT_TYPES = {
    A.SUBMIT: "catalog.course_submitted",
    A.APPROVE: "catalog.course_approved",
    A.REJECT: "catalog.course_rejected",
    A.PUBLISH: "catalog.course_published",
    A.ARCHIVE: "catalog.course_archived",
    A.UNPUBLISH: "catalog.course_unpublished",
    A.REVISE: "catalog.course_revised",
    A.APPLY_REVISION: "catalog.course_revision_applied",
}

# The actions a caller invokes directly; REVISE only happens through begin_edit.
DIRECT_ACTIONS = [A.SUBMIT, A.APPROVE, A.REJECT, A.PUBLISH, A.ARCHIVE, A.UNPUBLISH]


def lesson(**overrides: Any) -> Lesson:
    values: dict[str, Any] = {
        "id": uuid4(),
        "kind": LessonKind.TEXT,
        "title": "Hello",
        "text": "Hi.",
    }
    values.update(overrides)
    return Lesson(**values)


def course(*, complete: bool = True, **overrides: Any) -> Course:
    """A course that is ready for review unless ``complete`` is False."""
    values: dict[str, Any] = {
        "id": COURSE_ID,
        "owner_id": OWNER_ID,
        "title": "Python for beginners",
        "slug": "python-for-beginners",
        "created_at": T0,
        "updated_at": T0,
    }
    if complete:
        values["description"] = "Learn Python from scratch."
        values["price"] = Money(4999, "USD")
        values["sections"] = [Section(id=uuid4(), title="Basics", lessons=[lesson()])]
    values.update(overrides)
    return Course(**values)


def act(
    target: Course,
    action: CourseAction,
    *,
    actor_id: UUID = REVIEWER_ID,
    now: datetime = T0,
    event_id: UUID = EVENT_ID,
    reason: str = "needs more exercises",
) -> None:
    """Ask the course for one direct workflow action, with a reason where it takes one."""
    if action is A.SUBMIT:
        target.submit(actor_id, now, event_id)
    elif action is A.APPROVE:
        target.approve(actor_id, now, event_id)
    elif action is A.REJECT:
        target.reject(actor_id, now, event_id, reason)
    elif action is A.PUBLISH:
        target.publish(actor_id, now, event_id)
    elif action is A.ARCHIVE:
        target.archive(actor_id, now, event_id, reason)
    elif action is A.UNPUBLISH:
        target.unpublish(actor_id, now, event_id, reason)
    else:  # pragma: no cover - REVISE is reached through begin_edit
        raise AssertionError(action)


def state_of(target: Course) -> dict[str, object]:
    """Everything a workflow move may change."""
    return {
        "status": target.status,
        "history": list(target.history),
        "updated_at": target.updated_at,
        "submitted_at": target.submitted_at,
        "published_at": target.published_at,
        "first_published_at": target.first_published_at,
        "rejection_reason": target.rejection_reason,
        "slug": target.slug,
        "title": target.title,
    }


def reach(status: CourseStatus) -> Course:
    """A complete course taken to ``status`` through the workflow itself."""
    paths: dict[CourseStatus, list[CourseAction]] = {
        S.DRAFT: [],
        S.PENDING: [A.SUBMIT],
        S.APPROVED: [A.SUBMIT, A.APPROVE],
        S.REJECTED: [A.SUBMIT, A.REJECT],
        S.PUBLISHED: [A.SUBMIT, A.APPROVE, A.PUBLISH],
        S.ARCHIVED: [A.SUBMIT, A.APPROVE, A.PUBLISH, A.ARCHIVE],
    }
    target = course()
    for step, action in enumerate(paths[status]):
        act(target, action, now=T0 + timedelta(minutes=step))
    target.pull_events()
    assert target.status is status
    return target


# ---- the table -------------------------------------------------------------------------------
def test_the_transition_table_is_the_documented_diagram() -> None:
    assert TRANSITIONS == DIAGRAM


def test_the_editable_states_are_draft_rejected_and_published() -> None:
    assert EDITABLE_STATES == {S.DRAFT, S.REJECTED, S.PUBLISHED}


def test_every_action_has_its_own_event_type() -> None:
    assert {action: cls.event_type for action, cls in EVENT_CLASSES.items()} == EVENT_TYPES
    assert len(set(EVENT_TYPES.values())) == len(EVENT_TYPES)


@pytest.mark.parametrize(
    ("status", "action"), list(itertools.product(CourseStatus, DIRECT_ACTIONS))
)
def test_each_direct_action_in_each_state_follows_the_table(
    status: CourseStatus, action: CourseAction
) -> None:
    target = course(status=status)
    before = state_of(target)
    later = T0 + timedelta(hours=1)

    if (status, action) in TRANSITIONS:
        act(target, action, now=later)
        assert target.status is TRANSITIONS[status, action]
        assert len(target.history) == 1
        [event] = target.pull_events()
        assert type(event) is EVENT_CLASSES[action]
    else:
        with pytest.raises(IllegalTransition) as caught:
            act(target, action, now=later)
        assert caught.value.machine == "course"
        assert caught.value.current == status.value
        assert caught.value.action == action.value
        assert caught.value.code == "illegal-transition"
        assert isinstance(caught.value, Conflict)
        assert state_of(target) == before
        assert target.pull_events() == []


@pytest.mark.parametrize("status", list(CourseStatus))
def test_begin_edit_in_each_state_follows_the_editable_states(status: CourseStatus) -> None:
    target = course(status=status)
    before = state_of(target)
    later = T0 + timedelta(hours=1)

    if status in EDITABLE_STATES:
        target.begin_edit(OWNER_ID, later, EVENT_ID)
        assert target.status is TRANSITIONS.get((status, A.REVISE), status)
        assert target.updated_at == later
    else:
        with pytest.raises(CourseLocked):
            target.begin_edit(OWNER_ID, later, EVENT_ID)
        assert state_of(target) == before
        assert target.pull_events() == []


# ---- any sequence of moves -------------------------------------------------------------------
class CourseWorkflowMachine(RuleBasedStateMachine):
    """Any sequence of workflow actions and edits on a complete course: each succeeds iff the
    table allows it from the current state, lands on the table's target, and leaves exactly one
    history entry and one event; an illegal one raises and changes nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.course = course()
        self.expected = S.DRAFT
        self.now = T0
        self.moves = 0
        self.published_before = False

    def _tick(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now

    def _attempt(
        self, action: CourseAction, call: Callable[[datetime, UUID], None], reason: str | None
    ) -> None:
        now, event_id = self._tick(), uuid4()
        before = state_of(self.course)
        target = TRANSITIONS.get((self.expected, action))
        if target is None:
            with pytest.raises(IllegalTransition) as caught:
                call(now, event_id)
            assert caught.value.current == self.expected.value
            assert caught.value.action == action.value
            assert state_of(self.course) == before
            assert self.course.pull_events() == []
            return
        call(now, event_id)
        assert self.course.status is target
        assert self.course.updated_at == now
        assert self.course.history[:-1] == before["history"]
        assert self.course.history[-1] == CourseTransition(
            now, REVIEWER_ID, action, self.expected, target, reason
        )
        assert self.course.pull_events() == [
            EVENT_CLASSES[action](
                event_id=event_id,
                occurred_at=now,
                course_id=COURSE_ID,
                actor_id=REVIEWER_ID,
                from_status=self.expected,
                to_status=target,
                reason=reason,
            )
        ]
        self.expected = target
        self.moves += 1

    @rule(action=st.sampled_from([A.SUBMIT, A.APPROVE, A.PUBLISH]))
    def move_without_reason(self, action: CourseAction) -> None:
        self._attempt(
            action, lambda now, eid: act(self.course, action, now=now, event_id=eid), None
        )
        if self.course.status is S.PUBLISHED:
            self.published_before = True

    @rule(reason=st.sampled_from(["too short", "  no exercises  ", "broken video\n"]))
    def reject(self, reason: str) -> None:
        self._attempt(
            A.REJECT,
            lambda now, eid: self.course.reject(REVIEWER_ID, now, eid, reason),
            reason.strip(),
        )

    @rule(
        action=st.sampled_from([A.ARCHIVE, A.UNPUBLISH]),
        reason=st.sampled_from([None, "", "   ", "outdated", " moving to v2 "]),
    )
    def move_with_optional_reason(self, action: CourseAction, reason: str | None) -> None:
        method = self.course.archive if action is A.ARCHIVE else self.course.unpublish
        expected_reason = (reason or "").strip() or None
        self._attempt(
            action, lambda now, eid: method(REVIEWER_ID, now, eid, reason), expected_reason
        )

    @rule()
    def edit(self) -> None:
        now, event_id = self._tick(), uuid4()
        before = state_of(self.course)
        if self.expected not in EDITABLE_STATES:
            with pytest.raises(CourseLocked):
                self.course.begin_edit(OWNER_ID, now, event_id)
            assert state_of(self.course) == before
            assert self.course.pull_events() == []
            return
        self.course.begin_edit(OWNER_ID, now, event_id)
        assert self.course.updated_at == now
        if self.expected is S.REJECTED:
            assert self.course.status is S.DRAFT
            assert self.course.history[-1] == CourseTransition(
                now, OWNER_ID, A.REVISE, S.REJECTED, S.DRAFT
            )
            assert self.course.pull_events() == [
                CourseRevised(
                    event_id=event_id,
                    occurred_at=now,
                    course_id=COURSE_ID,
                    actor_id=OWNER_ID,
                    from_status=S.REJECTED,
                    to_status=S.DRAFT,
                )
            ]
            self.expected = S.DRAFT
            self.moves += 1
        else:
            assert self.course.status is self.expected
            assert self.course.history == before["history"]
            assert self.course.pull_events() == []

    @invariant()
    def the_course_is_where_the_table_says(self) -> None:
        event(f"reached {self.expected}")
        assert self.course.status is self.expected
        assert len(self.course.history) == self.moves

    @invariant()
    def the_history_is_a_chain_of_legal_moves(self) -> None:
        status = S.DRAFT
        for entry in self.course.history:
            assert entry.from_status is status
            assert TRANSITIONS[status, entry.action] is entry.to_status
            status = entry.to_status

    @invariant()
    def published_at_is_set_exactly_while_live_or_archived(self) -> None:
        live = self.expected in {S.PUBLISHED, S.ARCHIVED}
        assert (self.course.published_at is not None) is live
        assert (self.course.first_published_at is not None) is self.published_before


TestCourseWorkflowMachine = CourseWorkflowMachine.TestCase
TestCourseWorkflowMachine.settings = settings(
    max_examples=200, stateful_step_count=25, deadline=None
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([*DIRECT_ACTIONS, "edit"]), max_size=30))
def test_a_sequence_of_actions_ends_where_the_table_leads(
    actions: list[CourseAction | str],
) -> None:
    target = course()
    expected = S.DRAFT
    for step, action in enumerate(actions):
        now = T0 + timedelta(minutes=step)
        if action == "edit":
            if expected in EDITABLE_STATES:
                target.begin_edit(OWNER_ID, now, uuid4())
                expected = TRANSITIONS.get((expected, A.REVISE), expected)
            else:
                with pytest.raises(CourseLocked):
                    target.begin_edit(OWNER_ID, now, uuid4())
            continue
        assert isinstance(action, CourseAction)
        legal = TRANSITIONS.get((expected, action))
        if legal is None:
            with pytest.raises(IllegalTransition):
                act(target, action, now=now)
        else:
            act(target, action, now=now)
            expected = legal
        assert target.status is expected
    assert [e.to_status for e in target.pull_events()] == [h.to_status for h in target.history]


# ---- submitting --------------------------------------------------------------------------------
def test_an_empty_course_is_told_everything_it_lacks() -> None:
    target = course(complete=False)

    with pytest.raises(CourseIncomplete) as caught:
        target.submit(OWNER_ID, T0, EVENT_ID)

    assert caught.value.missing == (
        "a description",
        "a price, or marking it free",
        "at least one section with one lesson",
    )
    assert caught.value.code == "course-incomplete"


@pytest.mark.parametrize(
    ("overrides", "missing"),
    [
        ({"title": "   "}, "a title"),
        ({"description": ""}, "a description"),
        ({"description": " \n\t "}, "a description"),
        ({"price": None}, "a price, or marking it free"),
        ({"sections": []}, "at least one section with one lesson"),
        (
            {"sections": [Section(id=UUID(int=9), title="Empty")]},
            "at least one section with one lesson",
        ),
    ],
)
def test_an_incomplete_course_cannot_be_submitted(
    overrides: dict[str, object], missing: str
) -> None:
    target = course(**overrides)
    before = state_of(target)

    with pytest.raises(CourseIncomplete) as caught:
        target.submit(OWNER_ID, T0 + timedelta(hours=1), EVENT_ID)

    assert caught.value.missing == (missing,)
    assert missing in caught.value.message
    assert state_of(target) == before
    assert target.pull_events() == []


def test_a_free_course_needs_no_price() -> None:
    target = course(price=None, is_free=True)

    target.submit(OWNER_ID, T0, EVENT_ID)

    assert target.status is S.PENDING


def test_an_incomplete_course_outside_draft_is_refused_as_an_illegal_move() -> None:
    target = course(complete=False, status=S.PENDING)

    with pytest.raises(IllegalTransition):
        target.submit(OWNER_ID, T0, EVENT_ID)


def test_submit_records_when_and_forgets_an_earlier_rejection() -> None:
    target = reach(S.REJECTED)
    target.begin_edit(OWNER_ID, T0 + timedelta(hours=1), uuid4())
    assert target.rejection_reason == "needs more exercises"  # kept for the instructor to read

    target.submit(OWNER_ID, T0 + timedelta(hours=2), EVENT_ID)

    assert target.submitted_at == T0 + timedelta(hours=2)
    assert target.rejection_reason is None


def test_a_rejected_course_must_be_edited_before_it_is_submitted_again() -> None:
    target = reach(S.REJECTED)

    with pytest.raises(IllegalTransition):
        target.submit(OWNER_ID, T0 + timedelta(hours=1), EVENT_ID)


# ---- every move is recorded ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "action", "reason", "recorded_reason"),
    [
        (S.DRAFT, A.SUBMIT, None, None),
        (S.PENDING, A.APPROVE, None, None),
        (S.PENDING, A.REJECT, "  needs more exercises ", "needs more exercises"),
        (S.APPROVED, A.PUBLISH, None, None),
        (S.PUBLISHED, A.ARCHIVE, "outdated", "outdated"),
        (S.PUBLISHED, A.ARCHIVE, None, None),
        (S.PUBLISHED, A.ARCHIVE, "   ", None),
        (S.PUBLISHED, A.UNPUBLISH, " legal hold ", "legal hold"),
        (S.PUBLISHED, A.UNPUBLISH, None, None),
    ],
)
def test_each_move_appends_a_transition_and_records_its_own_event(
    status: CourseStatus,
    action: CourseAction,
    reason: str | None,
    recorded_reason: str | None,
) -> None:
    target = reach(status)
    at = T0 + timedelta(days=1)
    actor = uuid4()
    history_before = list(target.history)

    if action is A.REJECT:
        assert reason is not None
        target.reject(actor, at, EVENT_ID, reason)
    elif action is A.ARCHIVE:
        target.archive(actor, at, EVENT_ID, reason)
    elif action is A.UNPUBLISH:
        target.unpublish(actor, at, EVENT_ID, reason)
    else:
        act(target, action, actor_id=actor, now=at)

    destination = TRANSITIONS[status, action]
    assert target.history == [
        *history_before,
        CourseTransition(at, actor, action, status, destination, recorded_reason),
    ]
    [event] = target.pull_events()
    assert type(event) is EVENT_CLASSES[action]
    assert event == EVENT_CLASSES[action](
        event_id=EVENT_ID,
        occurred_at=at,
        course_id=COURSE_ID,
        actor_id=actor,
        from_status=status,
        to_status=destination,
        reason=recorded_reason,
    )
    assert event.event_type == EVENT_TYPES[action]
    assert target.updated_at == at


def test_a_rejection_carries_its_reason_on_the_course_and_the_event() -> None:
    target = reach(S.PENDING)

    target.reject(REVIEWER_ID, T0, EVENT_ID, "the videos have no sound")

    assert target.rejection_reason == "the videos have no sound"
    [event] = target.pull_events()
    assert isinstance(event, CourseRejected)
    assert event.reason == "the videos have no sound"


@pytest.mark.parametrize("reason", ["", " ", "\n\t "])
def test_a_rejection_needs_a_reason(reason: str) -> None:
    target = reach(S.PENDING)
    before = state_of(target)

    with pytest.raises(InvalidCourse):
        target.reject(REVIEWER_ID, T0 + timedelta(hours=1), EVENT_ID, reason)

    assert state_of(target) == before
    assert target.pull_events() == []


def test_a_rejection_reason_has_a_length_limit() -> None:
    target = reach(S.PENDING)

    target.reject(REVIEWER_ID, T0, EVENT_ID, "x" * MAX_REASON)
    assert target.rejection_reason == "x" * MAX_REASON

    other = reach(S.PENDING)
    with pytest.raises(InvalidCourse):
        other.reject(REVIEWER_ID, T0, EVENT_ID, "x" * (MAX_REASON + 1))
    assert other.status is S.PENDING


def test_an_optional_reason_has_a_length_limit_too() -> None:
    target = reach(S.PUBLISHED)

    with pytest.raises(InvalidCourse):
        target.archive(REVIEWER_ID, T0, EVENT_ID, "x" * (MAX_REASON + 1))

    assert target.status is S.PUBLISHED


# ---- publishing ----------------------------------------------------------------------------
def test_publishing_sets_published_at_and_first_published_at() -> None:
    target = reach(S.APPROVED)
    at = T0 + timedelta(days=1)

    target.publish(REVIEWER_ID, at, EVENT_ID)

    assert target.published_at == at
    assert target.first_published_at == at


def test_unpublishing_clears_published_at_but_not_first_published_at() -> None:
    target = reach(S.PUBLISHED)
    first = target.first_published_at

    target.unpublish(REVIEWER_ID, T0 + timedelta(days=1), EVENT_ID)

    assert target.status is S.DRAFT
    assert target.published_at is None
    assert target.first_published_at == first


def test_republishing_keeps_the_first_publication_date() -> None:
    target = reach(S.PUBLISHED)
    first = target.first_published_at
    assert first is not None
    again = T0 + timedelta(days=30)

    target.unpublish(REVIEWER_ID, T0 + timedelta(days=10), uuid4())
    target.submit(OWNER_ID, T0 + timedelta(days=20), uuid4())
    target.approve(REVIEWER_ID, T0 + timedelta(days=25), uuid4())
    target.publish(REVIEWER_ID, again, uuid4())

    assert target.published_at == again
    assert target.first_published_at == first
    assert [h.action for h in target.history] == [
        A.SUBMIT,
        A.APPROVE,
        A.PUBLISH,
        A.UNPUBLISH,
        A.SUBMIT,
        A.APPROVE,
        A.PUBLISH,
    ]


def test_archiving_keeps_the_publication_dates() -> None:
    target = reach(S.PUBLISHED)
    published = target.published_at

    target.archive(REVIEWER_ID, T0 + timedelta(days=1), EVENT_ID)

    assert target.published_at == published
    assert target.first_published_at == published


# ---- editing ---------------------------------------------------------------------------------
def test_editing_a_rejected_course_makes_it_a_draft_again() -> None:
    target = reach(S.REJECTED)
    at = T0 + timedelta(days=1)

    target.begin_edit(OWNER_ID, at, EVENT_ID)

    assert target.status is S.DRAFT
    assert target.updated_at == at
    assert target.history[-1] == CourseTransition(at, OWNER_ID, A.REVISE, S.REJECTED, S.DRAFT)
    assert target.pull_events() == [
        CourseRevised(
            event_id=EVENT_ID,
            occurred_at=at,
            course_id=COURSE_ID,
            actor_id=OWNER_ID,
            from_status=S.REJECTED,
            to_status=S.DRAFT,
        )
    ]


@pytest.mark.parametrize("status", [S.DRAFT, S.PUBLISHED])
def test_editing_a_draft_or_a_live_course_keeps_its_status_and_records_nothing(
    status: CourseStatus,
) -> None:
    target = reach(status)
    history = list(target.history)
    at = T0 + timedelta(days=1)

    target.begin_edit(OWNER_ID, at, EVENT_ID)

    assert target.status is status
    assert target.updated_at == at
    assert target.history == history
    assert target.pull_events() == []


@pytest.mark.parametrize("status", [S.PENDING, S.APPROVED, S.ARCHIVED])
def test_a_course_under_review_or_archived_is_locked(status: CourseStatus) -> None:
    target = reach(status)
    before = state_of(target)

    with pytest.raises(CourseLocked) as caught:
        target.begin_edit(OWNER_ID, T0 + timedelta(days=1), EVENT_ID)

    assert caught.value.code == "course-locked"
    assert isinstance(caught.value, Conflict)
    assert str(status) in caught.value.message
    assert ("under review" in caught.value.message) is (status is not S.ARCHIVED)
    assert state_of(target) == before
    assert target.pull_events() == []


# ---- the slug --------------------------------------------------------------------------------
def test_the_slug_follows_the_title_until_first_published() -> None:
    target = course()

    target.rename("  Python   for  experts ", "python-for-experts")

    assert target.title == "Python for experts"
    assert target.slug == "python-for-experts"
    assert not target.slug_is_frozen


def test_rename_without_a_new_slug_keeps_the_slug() -> None:
    target = course()

    target.rename("Python for experts", None)

    assert target.slug == "python-for-beginners"


def test_the_slug_is_frozen_once_published() -> None:
    target = reach(S.PUBLISHED)

    target.rename("Python for experts", "python-for-experts")

    assert target.title == "Python for experts"
    assert target.slug == "python-for-beginners"
    assert target.slug_is_frozen


def test_the_slug_stays_frozen_after_unpublishing() -> None:
    target = reach(S.PUBLISHED)
    target.unpublish(REVIEWER_ID, T0 + timedelta(days=1), EVENT_ID)

    target.rename("Python for experts", "python-for-experts")

    assert target.slug == "python-for-beginners"


@pytest.mark.parametrize("status", [S.PENDING, S.APPROVED, S.REJECTED])
def test_the_slug_is_not_frozen_before_the_first_publication(status: CourseStatus) -> None:
    assert not reach(status).slug_is_frozen


def test_an_explicit_slug_change_is_allowed_after_publication() -> None:
    target = reach(S.PUBLISHED)

    target.change_slug("python-3-basics")

    assert target.slug == "python-3-basics"


@given(st.text(max_size=300))
@settings(max_examples=100)
def test_a_renamed_title_is_trimmed_or_refused(title: str) -> None:
    target = course()
    try:
        target.rename(title, "new-slug")
    except InvalidCourse:
        assert target.title == "Python for beginners"
        assert target.slug == "python-for-beginners"
    else:
        assert target.title == " ".join(title.split())
        assert 0 < len(target.title) <= 120
        assert target.slug == "new-slug"


# ---- deleting ----------------------------------------------------------------------------------
def test_a_never_published_draft_is_deletable() -> None:
    assert reach(S.DRAFT).is_deletable


@pytest.mark.parametrize("status", [S.PENDING, S.APPROVED, S.REJECTED, S.PUBLISHED, S.ARCHIVED])
def test_a_course_past_draft_is_not_deletable(status: CourseStatus) -> None:
    assert not reach(status).is_deletable


def test_a_draft_that_was_once_published_is_not_deletable() -> None:
    target = reach(S.PUBLISHED)
    target.unpublish(REVIEWER_ID, T0 + timedelta(days=1), EVENT_ID)

    assert target.status is S.DRAFT
    assert not target.is_deletable


def test_a_revised_draft_that_was_never_published_is_deletable() -> None:
    target = reach(S.REJECTED)
    target.begin_edit(OWNER_ID, T0 + timedelta(days=1), EVENT_ID)

    assert target.is_deletable
