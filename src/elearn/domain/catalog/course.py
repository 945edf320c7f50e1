"""The course aggregate: its details, its outline of sections and lessons, and the review
workflow.

A course is one consistency boundary with its sections and lessons, so reordering the outline,
the derived lesson count and duration, and the preview lesson always agree with each other.

Review workflow::

    DRAFT ──submit──▶ PENDING ──approve──▶ APPROVED ──publish──▶ PUBLISHED ──archive──▶ ARCHIVED
      ▲                  │                                          │
      │               reject                                    unpublish
      │                  ▼                                          │
      └──(any edit)── REJECTED                      DRAFT ◀─────────┘

A published course stays live while its instructors change it: their changes wait in a
revision (``revision.py``) that staff review like a course, and approving it applies it here in
one move (``apply_revision``, published → published).

Every move is a method that refuses what the diagram does not show, records who made it, when
and why in the course's history, and records a domain event.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from elearn.domain.shared.errors import Conflict, Forbidden, IllegalTransition, RuleViolation
from elearn.domain.shared.events import DomainEvent, RecordsEvents
from elearn.domain.shared.money import Money

MAX_TITLE = 120
MAX_SUBTITLE = 200
MAX_DESCRIPTION = 20_000
MAX_LIST_ITEMS = 20  # learning outcomes, requirements
MAX_LIST_ITEM = 200
MAX_TAGS = 10
MAX_TAG = 30
MAX_CO_INSTRUCTORS = 10
MAX_PREREQUISITES = 10
MAX_SECTIONS = 100
MAX_LESSONS = 1000
MAX_SECTION_TITLE = 200
MAX_LESSON_TITLE = 200
MAX_LESSON_TEXT = 100_000
MAX_LESSON_SECONDS = 24 * 3600
MAX_PRICE_MINOR_UNITS = 100_000_000
MAX_REASON = 2000
_TAG = re.compile(r"[a-z0-9]+(?:[-+#.][a-z0-9+#]+)*[+#]?")


# ---- errors ----------------------------------------------------------------------------------
class InvalidCourse(RuleViolation):
    code = "invalid-course"


class CourseIncomplete(RuleViolation):
    code = "course-incomplete"

    def __init__(self, missing: Sequence[str]) -> None:
        super().__init__("the course is not ready for review: " + "; ".join(missing))
        self.missing = tuple(missing)


class CourseLocked(Conflict):
    """Under review (pending or approved) or archived: the content cannot change now."""

    code = "course-locked"


class CourseNotDeletable(Conflict):
    code = "course-not-deletable"


class SlugTaken(Conflict):
    code = "slug-taken"


class NotAnInstructor(Forbidden):
    code = "not-an-instructor"


class UnknownOutlineItem(RuleViolation):
    code = "unknown-outline-item"


class InvalidOutline(RuleViolation):
    code = "invalid-outline"


# ---- value types -----------------------------------------------------------------------------
class CourseStatus(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class CourseAction(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    PUBLISH = "publish"
    ARCHIVE = "archive"
    UNPUBLISH = "unpublish"
    REVISE = "revise"  # the implicit move of a rejected course back to draft when edited
    APPLY_REVISION = "apply_revision"  # a reviewed revision replaces the published content


# The whole state machine: (state, action) → the state it leads to. Nothing else is legal.
TRANSITIONS: dict[tuple[CourseStatus, CourseAction], CourseStatus] = {
    (CourseStatus.DRAFT, CourseAction.SUBMIT): CourseStatus.PENDING,
    (CourseStatus.PENDING, CourseAction.APPROVE): CourseStatus.APPROVED,
    (CourseStatus.PENDING, CourseAction.REJECT): CourseStatus.REJECTED,
    (CourseStatus.APPROVED, CourseAction.PUBLISH): CourseStatus.PUBLISHED,
    (CourseStatus.PUBLISHED, CourseAction.ARCHIVE): CourseStatus.ARCHIVED,
    (CourseStatus.PUBLISHED, CourseAction.UNPUBLISH): CourseStatus.DRAFT,
    (CourseStatus.REJECTED, CourseAction.REVISE): CourseStatus.DRAFT,
    (CourseStatus.PUBLISHED, CourseAction.APPLY_REVISION): CourseStatus.PUBLISHED,
}

# Instructors change content in these states; a rejected course becomes a draft again by it.
# A published course stays live while its instructors change it, through a revision (see
# ``changes_need_review``); under review the reviewer must see what they approve, and an
# archived course is closed.
EDITABLE_STATES = frozenset({CourseStatus.DRAFT, CourseStatus.REJECTED, CourseStatus.PUBLISHED})


class Level(StrEnum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"
    ALL = "all"


class LessonKind(StrEnum):
    VIDEO = "video"
    TEXT = "text"
    PDF = "pdf"
    SLIDES = "slides"
    QUIZ = "quiz"
    ASSIGNMENT = "assignment"
    RESOURCE = "resource"


# Which kinds carry which content. Quiz and assignment bodies belong to the learning context.
FILE_KINDS = frozenset({LessonKind.VIDEO, LessonKind.PDF, LessonKind.SLIDES, LessonKind.RESOURCE})
TEXT_KINDS = frozenset({LessonKind.TEXT})
VIDEO_URL_KINDS = frozenset({LessonKind.VIDEO})


@dataclasses.dataclass(frozen=True, slots=True)
class LessonFile:
    key: str
    filename: str
    content_type: str
    size: int


@dataclasses.dataclass(frozen=True, slots=True)
class CourseTransition:
    at: datetime
    actor_id: UUID
    action: CourseAction
    from_status: CourseStatus
    to_status: CourseStatus
    reason: str | None = None


# ---- events ----------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, kw_only=True)
class CourseStatusChanged(DomainEvent):
    """A move in the review workflow. Each action has its own event type, so a handler
    subscribes to exactly the moves it cares about."""

    event_type: ClassVar[str] = "catalog.course_status_changed"
    course_id: UUID
    actor_id: UUID
    from_status: CourseStatus
    to_status: CourseStatus
    reason: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class CourseSubmitted(CourseStatusChanged):
    event_type = "catalog.course_submitted"


@dataclasses.dataclass(frozen=True, kw_only=True)
class CourseApproved(CourseStatusChanged):
    event_type = "catalog.course_approved"


@dataclasses.dataclass(frozen=True, kw_only=True)
class CourseRejected(CourseStatusChanged):
    event_type = "catalog.course_rejected"


@dataclasses.dataclass(frozen=True, kw_only=True)
class CoursePublished(CourseStatusChanged):
    event_type = "catalog.course_published"


@dataclasses.dataclass(frozen=True, kw_only=True)
class CourseArchived(CourseStatusChanged):
    event_type = "catalog.course_archived"


@dataclasses.dataclass(frozen=True, kw_only=True)
class CourseUnpublished(CourseStatusChanged):
    event_type = "catalog.course_unpublished"


@dataclasses.dataclass(frozen=True, kw_only=True)
class CourseRevised(CourseStatusChanged):
    event_type = "catalog.course_revised"


@dataclasses.dataclass(frozen=True, kw_only=True)
class CourseRevisionApplied(CourseStatusChanged):
    event_type = "catalog.course_revision_applied"


_EVENTS: dict[CourseAction, type[CourseStatusChanged]] = {
    CourseAction.SUBMIT: CourseSubmitted,
    CourseAction.APPROVE: CourseApproved,
    CourseAction.REJECT: CourseRejected,
    CourseAction.PUBLISH: CoursePublished,
    CourseAction.ARCHIVE: CourseArchived,
    CourseAction.UNPUBLISH: CourseUnpublished,
    CourseAction.REVISE: CourseRevised,
    CourseAction.APPLY_REVISION: CourseRevisionApplied,
}

# What a revision may change: the content students see. Who teaches (invitations), the review
# state, the counters and the history are not content.
CONTENT_FIELDS = (
    "title",
    "slug",
    "subtitle",
    "description",
    "language",
    "level",
    "price",
    "is_free",
    "category_id",
    "tags",
    "learning_outcomes",
    "requirements",
    "prerequisite_ids",
    "thumbnail_key",
    "preview_lesson_id",
)


# ---- field rules -----------------------------------------------------------------------------
def _text(value: str, field: str, *, maximum: int, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        raise InvalidCourse(f"the {field} cannot be empty")
    if len(value) > maximum:
        raise InvalidCourse(f"the {field} is at most {maximum} characters")
    return value


def course_title(title: str) -> str:
    return _text(" ".join(title.split()), "title", maximum=MAX_TITLE)


def text_list(items: Iterable[str], field: str) -> tuple[str, ...]:
    cleaned = tuple(_text(item, field, maximum=MAX_LIST_ITEM) for item in items)
    if len(cleaned) > MAX_LIST_ITEMS:
        raise InvalidCourse(f"at most {MAX_LIST_ITEMS} {field}s")
    return cleaned


def course_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Tags are lowercase words such as ``python``, ``machine-learning``, ``c++`` or ``c#``;
    duplicates collapse, order is kept."""
    if isinstance(tags, str):
        raise InvalidCourse("tags are a list of words, not one string")
    seen: dict[str, None] = {}
    for tag in tags:
        normal = "-".join(tag.strip().lower().split())
        if not 0 < len(normal) <= MAX_TAG or not _TAG.fullmatch(normal):
            raise InvalidCourse(
                f"{tag!r} is not a tag: lowercase letters, digits and - + # ., "
                f"at most {MAX_TAG} characters"
            )
        seen[normal] = None
    if len(seen) > MAX_TAGS:
        raise InvalidCourse(f"a course has at most {MAX_TAGS} tags")
    return tuple(seen)


def course_price(price: Money) -> Money:
    if not 0 < price.amount <= MAX_PRICE_MINOR_UNITS:
        raise InvalidCourse(
            "a price is a positive amount in minor units (a free course is marked free), "
            f"at most {MAX_PRICE_MINOR_UNITS}"
        )
    return price


# ---- the outline -----------------------------------------------------------------------------
@dataclasses.dataclass(kw_only=True, eq=False)
class Lesson:
    id: UUID
    kind: LessonKind
    title: str
    duration_seconds: int = 0
    is_free_preview: bool = False
    # A required lesson counts towards course progress; optional extras do not.
    is_required: bool = True
    text: str | None = None
    video_url: str | None = None
    file: LessonFile | None = None

    def __post_init__(self) -> None:
        self.title = _text(" ".join(self.title.split()), "lesson title", maximum=MAX_LESSON_TITLE)
        if isinstance(self.duration_seconds, bool) or not (
            0 <= self.duration_seconds <= MAX_LESSON_SECONDS
        ):
            raise InvalidCourse(f"a lesson lasts 0 to {MAX_LESSON_SECONDS} seconds")
        if self.text is not None:
            if self.kind not in TEXT_KINDS:
                raise InvalidCourse(f"a {self.kind} lesson has no text body")
            if len(self.text) > MAX_LESSON_TEXT:
                raise InvalidCourse(f"a lesson's text is at most {MAX_LESSON_TEXT} characters")
        if self.video_url is not None and self.kind not in VIDEO_URL_KINDS:
            raise InvalidCourse(f"a {self.kind} lesson has no video URL")
        if self.file is not None and self.kind not in FILE_KINDS:
            raise InvalidCourse(f"a {self.kind} lesson has no file")
        if self.file is not None and self.video_url is not None:
            raise InvalidCourse("a video lesson has either an uploaded file or a video URL")

    @property
    def has_content(self) -> bool:
        return bool(self.text) or self.video_url is not None or self.file is not None


@dataclasses.dataclass(kw_only=True, eq=False)
class Section:
    id: UUID
    title: str
    lessons: list[Lesson] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        self.title = _text(" ".join(self.title.split()), "section title", maximum=MAX_SECTION_TITLE)


@dataclasses.dataclass(frozen=True, slots=True)
class OutlineSection:
    """One section of a requested order: the section, then its lessons in order."""

    section_id: UUID
    lesson_ids: tuple[UUID, ...]


def reordered(sections: Sequence[Section], order: Sequence[OutlineSection]) -> list[Section]:
    """The sections and lessons in the requested order. The order must name every section and
    every lesson of the course exactly once; lessons may move between sections."""
    by_section = {section.id: section for section in sections}
    by_lesson = {lesson.id: lesson for section in sections for lesson in section.lessons}
    named_sections = [item.section_id for item in order]
    named_lessons = [lesson_id for item in order for lesson_id in item.lesson_ids]
    unknown = [i for i in named_sections if i not in by_section] + [
        i for i in named_lessons if i not in by_lesson
    ]
    if unknown:
        raise UnknownOutlineItem(
            "the outline names sections or lessons this course does not have: "
            + ", ".join(str(i) for i in unknown[:5])
        )
    if len(set(named_sections)) != len(named_sections) or set(named_sections) != set(by_section):
        raise InvalidOutline("the outline must name every section of the course exactly once")
    if len(set(named_lessons)) != len(named_lessons) or set(named_lessons) != set(by_lesson):
        raise InvalidOutline("the outline must name every lesson of the course exactly once")
    result: list[Section] = []
    for item in order:
        section = by_section[item.section_id]
        section.lessons = [by_lesson[lesson_id] for lesson_id in item.lesson_ids]
        result.append(section)
    return result


# ---- the aggregate ---------------------------------------------------------------------------
@dataclasses.dataclass(kw_only=True, eq=False)
class Course(RecordsEvents):
    id: UUID
    owner_id: UUID
    title: str
    slug: str
    created_at: datetime
    updated_at: datetime
    subtitle: str = ""
    description: str = ""
    language: str = "en"
    level: Level = Level.ALL
    # Exactly one of: a price, free, or neither yet (a draft that has not decided).
    price: Money | None = None
    is_free: bool = False
    category_id: UUID | None = None
    tags: tuple[str, ...] = ()
    learning_outcomes: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()
    prerequisite_ids: tuple[UUID, ...] = ()
    co_instructor_ids: tuple[UUID, ...] = ()
    thumbnail_key: str | None = None
    preview_lesson_id: UUID | None = None
    status: CourseStatus = CourseStatus.DRAFT
    sections: list[Section] = dataclasses.field(default_factory=list)
    history: list[CourseTransition] = dataclasses.field(default_factory=list)
    submitted_at: datetime | None = None
    published_at: datetime | None = None
    first_published_at: datetime | None = None
    rejection_reason: str | None = None
    # Kept by the learning context in the same transaction as the enrollment or review that
    # changes them; the catalog only reads them.
    enrollment_count: int = 0
    rating_count: int = 0
    rating_average: float | None = None

    def __post_init__(self) -> None:
        if self.price is not None and self.is_free:
            raise InvalidCourse("a course is either free or has a price")

    # ---- who --------------------------------------------------------------------------------
    @property
    def instructor_ids(self) -> tuple[UUID, ...]:
        return (self.owner_id, *self.co_instructor_ids)

    def is_instructor(self, user_id: UUID | None) -> bool:
        return user_id is not None and user_id in self.instructor_ids

    def require_instructor(self, user_id: UUID | None) -> None:
        if not self.is_instructor(user_id):
            raise NotAnInstructor("only the course's instructors may change it")

    def require_owner(self, user_id: UUID | None) -> None:
        if user_id != self.owner_id:
            raise NotAnInstructor("only the course's owner may do this")

    # ---- derived ----------------------------------------------------------------------------
    @property
    def lessons(self) -> list[Lesson]:
        return [lesson for section in self.sections for lesson in section.lessons]

    @property
    def lesson_count(self) -> int:
        return sum(len(section.lessons) for section in self.sections)

    @property
    def duration_seconds(self) -> int:
        return sum(lesson.duration_seconds for lesson in self.lessons)

    @property
    def slug_is_frozen(self) -> bool:
        """Once published, links to the course are out in the world: its slug no longer
        follows the title."""
        return self.first_published_at is not None

    @property
    def changes_need_review(self) -> bool:
        """Students are buying and learning from a published course: its content changes
        through a reviewed revision, never in place."""
        return self.status is CourseStatus.PUBLISHED

    @property
    def is_deletable(self) -> bool:
        return self.status is CourseStatus.DRAFT and self.first_published_at is None

    def submission_gaps(self) -> list[str]:
        gaps = []
        if not self.title.strip():
            gaps.append("a title")
        if not self.description.strip():
            gaps.append("a description")
        if self.price is None and not self.is_free:
            gaps.append("a price, or marking it free")
        if not any(section.lessons for section in self.sections):
            gaps.append("at least one section with one lesson")
        return gaps

    # ---- editing ----------------------------------------------------------------------------
    def begin_edit(self, actor_id: UUID, now: datetime, event_id: UUID) -> None:
        """Every change of content passes here: it refuses locked states and turns a rejected
        course back into a draft."""
        if self.status not in EDITABLE_STATES:
            raise CourseLocked(
                f"a course that is {self.status} cannot be changed"
                + (" while it is under review" if self.status in _UNDER_REVIEW else "")
            )
        if self.status is CourseStatus.REJECTED:
            self._move(CourseAction.REVISE, actor_id, now, event_id)
        self.updated_at = now

    def rename(self, title: str, new_slug: str | None) -> None:
        """``new_slug`` is the slug the title gives, made unique by the caller; ignored once the
        slug is frozen."""
        self.title = course_title(title)
        if new_slug is not None and not self.slug_is_frozen:
            self.slug = new_slug

    def change_slug(self, slug: str) -> None:
        """An instructor's explicit new slug; the old one keeps resolving."""
        self.slug = slug

    def set_price(self, price: Money) -> None:
        self.price = course_price(price)
        self.is_free = False

    def make_free(self) -> None:
        self.price = None
        self.is_free = True

    def set_subtitle(self, subtitle: str) -> None:
        self.subtitle = _text(subtitle, "subtitle", maximum=MAX_SUBTITLE, required=False)

    def set_description(self, description: str) -> None:
        self.description = _text(
            description, "description", maximum=MAX_DESCRIPTION, required=False
        )

    def set_tags(self, tags: Iterable[str]) -> None:
        self.tags = course_tags(tags)

    def set_learning_outcomes(self, outcomes: Iterable[str]) -> None:
        self.learning_outcomes = text_list(outcomes, "learning outcome")

    def set_requirements(self, requirements: Iterable[str]) -> None:
        self.requirements = text_list(requirements, "requirement")

    def set_prerequisites(self, course_ids: Iterable[UUID]) -> None:
        """Cycles through other courses are checked by the caller with ``prerequisite_cycle``,
        which needs the rest of the graph."""
        ids = tuple(dict.fromkeys(course_ids))
        if self.id in ids:
            raise InvalidCourse("a course cannot be its own prerequisite")
        if len(ids) > MAX_PREREQUISITES:
            raise InvalidCourse(f"a course has at most {MAX_PREREQUISITES} prerequisites")
        self.prerequisite_ids = ids

    def set_co_instructors(self, user_ids: Iterable[UUID]) -> None:
        ids = tuple(dict.fromkeys(user_ids))
        if self.owner_id in ids:
            raise InvalidCourse("the owner is already an instructor of the course")
        if len(ids) > MAX_CO_INSTRUCTORS:
            raise InvalidCourse(f"a course has at most {MAX_CO_INSTRUCTORS} co-instructors")
        self.co_instructor_ids = ids

    def add_co_instructor(self, user_id: UUID) -> None:
        """An invited tutor who accepted joins; the invitation checked the room for them."""
        self.set_co_instructors((*self.co_instructor_ids, user_id))

    def remove_co_instructor(self, user_id: UUID) -> bool:
        """Whether ``user_id`` was a co-instructor (they left, or the owner removed them)."""
        if user_id not in self.co_instructor_ids:
            return False
        self.co_instructor_ids = tuple(i for i in self.co_instructor_ids if i != user_id)
        return True

    def set_preview_lesson(self, lesson_id: UUID | None) -> None:
        """The lesson a course page plays first; it becomes a free preview. Free previews are a
        flag of each lesson: choosing another preview lesson leaves earlier ones free."""
        if lesson_id is not None:
            self.lesson(lesson_id).is_free_preview = True
        self.preview_lesson_id = lesson_id

    # ---- outline ----------------------------------------------------------------------------
    def section(self, section_id: UUID) -> Section:
        for section in self.sections:
            if section.id == section_id:
                return section
        raise UnknownOutlineItem("the course has no such section")

    def lesson(self, lesson_id: UUID) -> Lesson:
        for lesson in self.lessons:
            if lesson.id == lesson_id:
                return lesson
        raise UnknownOutlineItem("the course has no such lesson")

    def add_section(self, section: Section, *, position: int | None = None) -> None:
        if len(self.sections) >= MAX_SECTIONS:
            raise InvalidCourse(f"a course has at most {MAX_SECTIONS} sections")
        if self.lesson_count + len(section.lessons) > MAX_LESSONS:
            raise InvalidCourse(f"a course has at most {MAX_LESSONS} lessons")
        self._require_new_ids(section.id, *(lesson.id for lesson in section.lessons))
        self.sections.insert(_position(position, len(self.sections)), section)

    def remove_section(self, section_id: UUID) -> Section:
        section = self.section(section_id)
        self.sections.remove(section)
        if self.preview_lesson_id in {lesson.id for lesson in section.lessons}:
            self.preview_lesson_id = None
        return section

    def add_lesson(self, section_id: UUID, lesson: Lesson, *, position: int | None = None) -> None:
        if self.lesson_count >= MAX_LESSONS:
            raise InvalidCourse(f"a course has at most {MAX_LESSONS} lessons")
        self._require_new_ids(lesson.id)
        section = self.section(section_id)
        section.lessons.insert(_position(position, len(section.lessons)), lesson)

    def _require_new_ids(self, *ids: UUID) -> None:
        known = {section.id for section in self.sections} | {lesson.id for lesson in self.lessons}
        if len(set(ids)) != len(ids) or known.intersection(ids):
            raise InvalidOutline("an outline item with that id is already in the course")

    def section_of(self, lesson_id: UUID) -> Section:
        for section in self.sections:
            if any(lesson.id == lesson_id for lesson in section.lessons):
                return section
        raise UnknownOutlineItem("the course has no such lesson")

    def remove_lesson(self, lesson_id: UUID) -> Lesson:
        section = self.section_of(lesson_id)
        lesson = self.lesson(lesson_id)
        section.lessons.remove(lesson)
        if self.preview_lesson_id == lesson_id:
            self.preview_lesson_id = None
        return lesson

    def reorder(self, order: Sequence[OutlineSection]) -> None:
        self.sections = reordered(self.sections, order)

    # ---- workflow ---------------------------------------------------------------------------
    def submit(self, actor_id: UUID, now: datetime, event_id: UUID) -> None:
        self._require_legal(CourseAction.SUBMIT)
        gaps = self.submission_gaps()
        if gaps:
            raise CourseIncomplete(gaps)
        self.submitted_at = now
        self.rejection_reason = None
        self._move(CourseAction.SUBMIT, actor_id, now, event_id)

    def approve(self, actor_id: UUID, now: datetime, event_id: UUID) -> None:
        self._move(CourseAction.APPROVE, actor_id, now, event_id)

    def reject(self, actor_id: UUID, now: datetime, event_id: UUID, reason: str) -> None:
        self._require_legal(CourseAction.REJECT)
        reason = _text(reason, "reason", maximum=MAX_REASON)
        self.rejection_reason = reason
        self._move(CourseAction.REJECT, actor_id, now, event_id, reason)

    def publish(self, actor_id: UUID, now: datetime, event_id: UUID) -> None:
        self._move(CourseAction.PUBLISH, actor_id, now, event_id)
        self.published_at = now
        if self.first_published_at is None:
            self.first_published_at = now

    def archive(
        self, actor_id: UUID, now: datetime, event_id: UUID, reason: str | None = None
    ) -> None:
        self._move(CourseAction.ARCHIVE, actor_id, now, event_id, _optional_reason(reason))

    def unpublish(
        self, actor_id: UUID, now: datetime, event_id: UUID, reason: str | None = None
    ) -> None:
        self._move(CourseAction.UNPUBLISH, actor_id, now, event_id, _optional_reason(reason))
        self.published_at = None

    def apply_revision(self, staged: Course, actor_id: UUID, now: datetime, event_id: UUID) -> None:
        """Replaces the content with the reviewed ``staged`` copy in one move; the course
        stays published throughout."""
        self._require_legal(CourseAction.APPLY_REVISION)
        if staged.id != self.id:
            raise InvalidCourse("a revision applies to its own course only")
        for name in CONTENT_FIELDS:
            setattr(self, name, getattr(staged, name))
        self.sections = copied_sections(staged.sections)
        self._move(CourseAction.APPLY_REVISION, actor_id, now, event_id)

    def _require_legal(self, action: CourseAction) -> CourseStatus:
        target = TRANSITIONS.get((self.status, action))
        if target is None:
            raise IllegalTransition("course", self.status.value, action.value)
        return target

    def _move(
        self,
        action: CourseAction,
        actor_id: UUID,
        now: datetime,
        event_id: UUID,
        reason: str | None = None,
    ) -> None:
        target = self._require_legal(action)
        previous = self.status
        self.status = target
        self.updated_at = now
        self.history.append(CourseTransition(now, actor_id, action, previous, target, reason))
        self.record(
            _EVENTS[action](
                event_id=event_id,
                occurred_at=now,
                course_id=self.id,
                actor_id=actor_id,
                from_status=previous,
                to_status=target,
                reason=reason,
            )
        )


_UNDER_REVIEW = frozenset({CourseStatus.PENDING, CourseStatus.APPROVED})


def copied_sections(sections: Sequence[Section]) -> list[Section]:
    """Sections and lessons that share nothing mutable with ``sections``."""
    return [
        Section(
            id=section.id,
            title=section.title,
            lessons=[dataclasses.replace(lesson) for lesson in section.lessons],
        )
        for section in sections
    ]


def _position(position: int | None, length: int) -> int:
    if position is None:
        return length
    if not 0 <= position <= length:
        raise InvalidOutline(f"a position is from 0 to {length}")
    return position


def _optional_reason(reason: str | None) -> str | None:
    if reason is None:
        return None
    return _text(reason, "reason", maximum=MAX_REASON, required=False) or None


def course_visible(
    status: CourseStatus, *, is_instructor: bool, is_staff: bool, is_enrolled: bool
) -> bool:
    """Who may see a course at all. Everyone sees published courses; an enrolled student keeps
    seeing an archived one; instructors see theirs and staff see every course in every state.
    Whoever may not see a course is told it does not exist."""
    if is_staff or is_instructor or status is CourseStatus.PUBLISHED:
        return True
    return is_enrolled and status is CourseStatus.ARCHIVED


def lesson_content_visible(lesson: Lesson, *, is_instructor: bool, is_staff: bool) -> bool:
    """The outline shows a lesson's content only for free previews; the course's instructors
    and staff see all of it. Enrolled students get content lesson by lesson, from learning."""
    return lesson.is_free_preview or is_instructor or is_staff
