"""A revision: the changes to a published course's content, staged as a working copy of the
course until staff approve them.

The live course stays published and unchanged while its instructors edit the copy; approving
applies the copy to the course in one move (``Course.apply_revision``). A course has at most
one revision at a time::

    DRAFT ──submit──▶ PENDING ──approve──▶ (applied to the course; the revision is gone)
      ▲                  │
      └──(any edit)── REJECTED ◀──reject──┘

Prices: a new positive price of a paid course is the tutor's commercial choice, applied to the
live course at once (audited; an order keeps the price it was opened at). Making a paid course
free, or a free one paid, changes who gets the course without paying: that waits for review
with the rest (see ``price_takes_effect_at_once``).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from elearn.domain.catalog.course import (
    CONTENT_FIELDS,
    MAX_REASON,
    Course,
    CourseIncomplete,
    CourseStatus,
    Lesson,
    Section,
    copied_sections,
)
from elearn.domain.shared.errors import Conflict, IllegalTransition, RuleViolation

OUTLINE = "sections"


class RevisionStatus(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    REJECTED = "rejected"


class RevisionLocked(Conflict):
    """Under review: the reviewer must see what they approve."""

    code = "revision-locked"


class RevisionEmpty(RuleViolation):
    code = "revision-empty"


class RevisionOutdated(Conflict):
    """The course left the published state since the revision was started."""

    code = "revision-outdated"


def working_copy(live: Course) -> Course:
    """A copy of ``live`` to edit: the same ids, its own sections and lessons, no history and
    no events, so nothing done to it reaches the live course."""
    return dataclasses.replace(live, sections=copied_sections(live.sections), history=[])


def _lesson_facts(lesson: Lesson) -> tuple[object, ...]:
    return tuple(getattr(lesson, field.name) for field in dataclasses.fields(lesson))


def _outline_facts(sections: list[Section]) -> tuple[object, ...]:
    return tuple(
        (section.id, section.title, tuple(_lesson_facts(lesson) for lesson in section.lessons))
        for section in sections
    )


def changed_fields(live: Course, staged: Course) -> list[str]:
    """The content fields ``staged`` changes, in ``CONTENT_FIELDS`` order, then ``sections``
    when the outline (order, titles, lessons and their content) differs."""
    changed = [name for name in CONTENT_FIELDS if getattr(live, name) != getattr(staged, name)]
    if _outline_facts(live.sections) != _outline_facts(staged.sections):
        changed.append(OUTLINE)
    return changed


def price_takes_effect_at_once(*, live: Course, staged: Course) -> bool:
    """Whether the staged price goes live now: both the course and the revision are paid, so
    only the amount (or currency) moves. Becoming free or ending free waits for review."""
    return not live.is_free and not staged.is_free and staged.price is not None


@dataclasses.dataclass(kw_only=True, eq=False)
class CourseRevision:
    course_id: UUID
    content: Course  # the working copy, with the course's id
    created_at: datetime
    updated_at: datetime
    status: RevisionStatus = RevisionStatus.DRAFT
    submitted_at: datetime | None = None
    rejection_reason: str | None = None

    @classmethod
    def start(cls, live: Course, now: datetime) -> CourseRevision:
        if not live.changes_need_review:
            raise RevisionOutdated(f"a course that is {live.status} is changed directly")
        return cls(course_id=live.id, content=working_copy(live), created_at=now, updated_at=now)

    def begin_edit(self, now: datetime) -> None:
        """Every change of the copy passes here: refused under review; a rejected revision
        becomes a draft again."""
        if self.status is RevisionStatus.PENDING:
            raise RevisionLocked("the course's changes are under review; wait for the decision")
        if self.status is RevisionStatus.REJECTED:
            self.status = RevisionStatus.DRAFT
        self.updated_at = now

    def submit(self, live: Course, now: datetime) -> None:
        if self.status is not RevisionStatus.DRAFT:
            raise IllegalTransition("revision", self.status.value, "submit")
        if not changed_fields(live, self.content):
            raise RevisionEmpty("the revision changes nothing in the course")
        gaps = self.content.submission_gaps()
        if gaps:
            raise CourseIncomplete(gaps)
        self.status = RevisionStatus.PENDING
        self.submitted_at = now
        self.rejection_reason = None
        self.updated_at = now

    def reject(self, reason: str, now: datetime) -> None:
        if self.status is not RevisionStatus.PENDING:
            raise IllegalTransition("revision", self.status.value, "reject")
        reason = reason.strip()
        if not reason or len(reason) > MAX_REASON:
            raise RuleViolation(f"a reason is 1 to {MAX_REASON} characters", code="invalid-course")
        self.status = RevisionStatus.REJECTED
        self.rejection_reason = reason
        self.updated_at = now

    def approve(self, live: Course, actor_id: UUID, now: datetime, event_id: UUID) -> None:
        """Applies the copy to the live course; the caller then removes the revision."""
        if self.status is not RevisionStatus.PENDING:
            raise IllegalTransition("revision", self.status.value, "approve")
        if live.status is not CourseStatus.PUBLISHED:
            raise RevisionOutdated(
                f"the course is {live.status} now; its changes can no longer be applied"
            )
        live.apply_revision(self.content, actor_id, now, event_id)
