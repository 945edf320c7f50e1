"""Issue 15, findings 7 and 8 in the domain: co-instructors by invitation only, and a published
course's changes staged in a revision that leaves the live course untouched until approved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from elearn.domain.catalog.co_instructors import (
    AlreadyAnInstructor,
    AlreadyInvited,
    CannotInviteOwner,
    CoInstructorInvitation,
    CoInstructorInvited,
    InvitationNotPending,
    InvitationStatus,
    TooManyCoInstructors,
    check_invitation,
)
from elearn.domain.catalog.course import (
    CONTENT_FIELDS,
    MAX_CO_INSTRUCTORS,
    Course,
    CourseAction,
    CourseIncomplete,
    CourseRevisionApplied,
    CourseStatus,
    Lesson,
    LessonKind,
    Section,
)
from elearn.domain.catalog.revision import (
    OUTLINE,
    CourseRevision,
    RevisionEmpty,
    RevisionLocked,
    RevisionOutdated,
    RevisionStatus,
    changed_fields,
    price_takes_effect_at_once,
    working_copy,
)
from elearn.domain.shared.errors import IllegalTransition
from elearn.domain.shared.money import Money

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OWNER = UUID(int=1)
STAFF = UUID(int=2)
LESSON = UUID(int=10)


def published(**fields: object) -> Course:
    course = Course(
        id=UUID(int=100),
        owner_id=OWNER,
        title="Python",
        slug="python",
        created_at=T0,
        updated_at=T0,
        description="Learn it.",
        is_free=not fields.get("price"),
        status=CourseStatus.PUBLISHED,
        first_published_at=T0,
        published_at=T0,
        sections=[
            Section(
                id=UUID(int=20),
                title="Basics",
                lessons=[Lesson(id=LESSON, kind=LessonKind.TEXT, title="Hello", text="# Hi")],
            )
        ],
        **fields,  # type: ignore[arg-type]
    )
    return course


# ---- invitations -----------------------------------------------------------------------------
ids = st.uuids()


@given(
    co=st.sets(ids, max_size=MAX_CO_INSTRUCTORS),
    pending=st.sets(ids, max_size=MAX_CO_INSTRUCTORS),
    invitee=ids,
)
def test_an_invitation_never_lets_a_course_exceed_its_co_instructors(
    co: set[UUID], pending: set[UUID], invitee: UUID
) -> None:
    try:
        check_invitation(
            owner_id=OWNER, co_instructor_ids=co, pending_invitee_ids=pending, invitee_id=invitee
        )
    except (AlreadyAnInstructor, AlreadyInvited, TooManyCoInstructors):
        assert invitee in co or invitee in pending or len(co | pending) >= MAX_CO_INSTRUCTORS
    else:
        assert invitee not in co and invitee not in pending and invitee != OWNER
        assert len(co | pending | {invitee}) <= MAX_CO_INSTRUCTORS


def test_the_owner_cannot_invite_themselves() -> None:
    with pytest.raises(CannotInviteOwner):
        check_invitation(
            owner_id=OWNER, co_instructor_ids=(), pending_invitee_ids=(), invitee_id=OWNER
        )


def new_invitation() -> CoInstructorInvitation:
    return CoInstructorInvitation.issue(
        id=uuid4(), course_id=UUID(int=100), invitee_id=uuid4(), invited_by=OWNER, now=T0,
        event_id=uuid4(),
    )  # fmt: skip


def test_issuing_an_invitation_records_the_event_the_email_follows() -> None:
    invitation = new_invitation()
    [event] = invitation.pull_events()
    assert isinstance(event, CoInstructorInvited)
    assert (event.invitee_id, event.invitation_id) == (invitation.invitee_id, invitation.id)
    assert invitation.status is InvitationStatus.PENDING


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        ("accept", InvitationStatus.ACCEPTED),
        ("decline", InvitationStatus.DECLINED),
        ("withdraw", InvitationStatus.WITHDRAWN),
    ],
)
def test_an_invitation_is_answered_once(answer: str, status: InvitationStatus) -> None:
    invitation = new_invitation()
    getattr(invitation, answer)(T0 + timedelta(hours=1))
    assert (invitation.status, invitation.responded_at) == (status, T0 + timedelta(hours=1))
    for again in ("accept", "decline", "withdraw"):
        with pytest.raises(InvitationNotPending):
            getattr(invitation, again)(T0 + timedelta(hours=2))
    assert invitation.status is status


def test_a_co_instructor_joins_and_leaves() -> None:
    course = published()
    tutor = uuid4()
    course.add_co_instructor(tutor)
    assert course.is_instructor(tutor)
    assert course.remove_co_instructor(tutor) is True
    assert not course.is_instructor(tutor)
    assert course.remove_co_instructor(tutor) is False


# ---- revisions -------------------------------------------------------------------------------
def test_a_working_copy_changes_nothing_and_shares_nothing_with_the_live_course() -> None:
    live = published()
    copy = working_copy(live)
    assert changed_fields(live, copy) == []

    copy.lesson(LESSON).text = "# Swapped"
    copy.rename("Python, revised", None)
    assert changed_fields(live, copy) == ["title", OUTLINE]
    assert live.lesson(LESSON).text == "# Hi" and live.title == "Python"


CHANGES = {
    "title": lambda c: c.rename("Other", None),
    "subtitle": lambda c: c.set_subtitle("New"),
    "description": lambda c: c.set_description("New words."),
    "tags": lambda c: c.set_tags(["rust"]),
    "requirements": lambda c: c.set_requirements(["A laptop"]),
    "is_free": lambda c: c.make_free(),
    "sections": lambda c: c.add_section(Section(id=uuid4(), title="More")),
}


@given(st.sets(st.sampled_from(sorted(CHANGES)), min_size=1))
def test_every_staged_change_is_named_and_only_those(changes: set[str]) -> None:
    live = published(price=Money(4900, "USD"))
    copy = working_copy(live)
    for name in sorted(changes):
        CHANGES[name](copy)
    expected = set(changes) | ({"price"} if "is_free" in changes else set())
    assert set(changed_fields(live, copy)) == expected


def test_approval_applies_the_copy_in_one_move_and_the_course_stays_published() -> None:
    live = published(price=Money(4900, "USD"))
    revision = CourseRevision.start(live, T0)
    revision.begin_edit(T0)
    revision.content.make_free()
    revision.content.lesson(LESSON).text = "# Better"
    revision.submit(live, T0)
    assert live.is_free is False and live.lesson(LESSON).text == "# Hi"

    revision.approve(live, STAFF, T0 + timedelta(hours=1), uuid4())

    assert (live.status, live.is_free, live.price) == (CourseStatus.PUBLISHED, True, None)
    assert live.lesson(LESSON).text == "# Better"
    assert live.history[-1].action is CourseAction.APPLY_REVISION
    [event] = live.pull_events()
    assert isinstance(event, CourseRevisionApplied)
    assert changed_fields(live, revision.content) == []
    # Later edits of the copy no longer reach the live course.
    revision.content.lesson(LESSON).text = "# After"
    assert live.lesson(LESSON).text == "# Better"


def test_a_revision_under_review_is_locked_and_a_rejected_one_becomes_a_draft_again() -> None:
    live = published()
    revision = CourseRevision.start(live, T0)
    with pytest.raises(RevisionEmpty):
        revision.submit(live, T0)
    revision.content.set_subtitle("Changed")
    revision.submit(live, T0)
    with pytest.raises(RevisionLocked):
        revision.begin_edit(T0)
    with pytest.raises(IllegalTransition):
        revision.submit(live, T0)
    revision.reject("Not yet.", T0)
    assert (revision.status, revision.rejection_reason) == (RevisionStatus.REJECTED, "Not yet.")
    with pytest.raises(IllegalTransition):
        revision.approve(live, STAFF, T0, uuid4())
    revision.begin_edit(T0)
    assert revision.status is RevisionStatus.DRAFT


def test_an_incomplete_revision_cannot_be_submitted() -> None:
    live = published()
    revision = CourseRevision.start(live, T0)
    revision.content.set_description("")
    with pytest.raises(CourseIncomplete):
        revision.submit(live, T0)


def test_a_revision_of_a_course_no_longer_published_is_not_applied() -> None:
    live = published()
    revision = CourseRevision.start(live, T0)
    revision.content.set_subtitle("Changed")
    revision.submit(live, T0)
    live.archive(OWNER, T0, uuid4())
    with pytest.raises(RevisionOutdated):
        revision.approve(live, STAFF, T0, uuid4())
    assert live.subtitle == ""
    with pytest.raises(RevisionOutdated):
        CourseRevision.start(live, T0)


@given(live_free=st.booleans(), staged_free=st.booleans(), amount=st.integers(1, 10**6))
def test_only_a_paid_course_staying_paid_takes_a_new_price_at_once(
    live_free: bool, staged_free: bool, amount: int
) -> None:
    live = published() if live_free else published(price=Money(4900, "USD"))
    staged = working_copy(live)
    if staged_free:
        staged.make_free()
    else:
        staged.set_price(Money(amount, "USD"))
    assert price_takes_effect_at_once(live=live, staged=staged) is (
        not live_free and not staged_free
    )


def test_content_fields_are_fields_of_the_course() -> None:
    course = published()
    for name in CONTENT_FIELDS:
        assert hasattr(course, name)
