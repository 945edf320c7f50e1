"""What catalog use cases need: repositories of the write side, read-side queries shaped like
the API's answers, and the settings that shape the workflow."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from elearn.application.paging import Page
from elearn.application.ports import Transaction
from elearn.domain.catalog.category import Category
from elearn.domain.catalog.co_instructors import CoInstructorInvitation, InvitationStatus
from elearn.domain.catalog.course import (
    Course,
    CourseStatus,
    Lesson,
    LessonKind,
    Level,
    course_visible,
)
from elearn.domain.catalog.revision import CourseRevision, RevisionStatus
from elearn.domain.shared.money import Money


# ---- narrow views other contexts read --------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CourseFacts:
    """What another context needs of a course to decide who may do what in it."""

    id: UUID
    owner_id: UUID
    instructor_ids: tuple[UUID, ...]  # the owner first
    status: CourseStatus
    title: str
    is_free: bool
    prerequisite_ids: tuple[UUID, ...]

    @classmethod
    def of(cls, course: Course) -> CourseFacts:
        return cls(
            id=course.id,
            owner_id=course.owner_id,
            instructor_ids=course.instructor_ids,
            status=course.status,
            title=course.title,
            is_free=course.is_free,
            prerequisite_ids=course.prerequisite_ids,
        )

    @property
    def is_published(self) -> bool:
        return self.status is CourseStatus.PUBLISHED

    def is_instructor(self, user_id: UUID | None) -> bool:
        return user_id is not None and user_id in self.instructor_ids

    def visible_to(self, user_id: UUID | None, *, is_staff: bool, is_enrolled: bool) -> bool:
        return course_visible(
            self.status,
            is_instructor=self.is_instructor(user_id),
            is_staff=is_staff,
            is_enrolled=is_enrolled,
        )


@dataclass(frozen=True, slots=True)
class LessonInCourse:
    """One lesson, with where it sits and the facts of its course."""

    course: CourseFacts
    section_id: UUID
    lesson: Lesson

    @classmethod
    def of(cls, course: Course, lesson_id: UUID) -> LessonInCourse:
        return cls(
            CourseFacts.of(course), course.section_of(lesson_id).id, course.lesson(lesson_id)
        )


@dataclass(frozen=True, slots=True)
class OutlineEntry:
    """A lesson's place in its course's progress: whether it counts."""

    id: UUID
    is_required: bool


# ---- write side ------------------------------------------------------------------------------
class CourseRepository(Protocol):
    async def add(self, course: Course) -> None: ...

    async def get(self, course_id: UUID, *, for_update: bool = False) -> Course | None: ...

    async def get_by_lesson(
        self, lesson_id: UUID, *, for_update: bool = False
    ) -> Course | None: ...

    async def get_by_section(
        self, section_id: UUID, *, for_update: bool = False
    ) -> Course | None: ...

    async def id_for_slug(self, slug: str) -> UUID | None:
        """The course a current or former slug names."""
        ...

    async def for_sale(self, course_key: UUID | str) -> CourseForSale | None:
        """What selling the course named by an id (or a current or former slug) needs, in one
        query, never the whole aggregate."""
        ...

    async def slugs_like(self, base: str, *, other_than: UUID | None = None) -> set[str]:
        """Every slug ever used that is ``base`` or ``base-<n>``, except ``other_than``'s own."""
        ...

    async def remove(self, course: Course) -> None: ...

    async def lock_prerequisite_graph(self) -> None:
        """Serialises changes to prerequisites, so two concurrent changes cannot each close
        half of a cycle."""
        ...

    async def prerequisite_graph(self, starts: tuple[UUID, ...]) -> Mapping[UUID, tuple[UUID, ...]]:
        """Every course reachable from ``starts`` along prerequisites, with its prerequisites."""
        ...

    async def statuses(self, course_ids: tuple[UUID, ...]) -> Mapping[UUID, CourseStatus]: ...

    # Narrow reads for other contexts (through ``catalog/api.py``): one query each, never the
    # whole aggregate; a course this transaction already holds is answered from memory.
    async def course_facts(self, course_id: UUID) -> CourseFacts | None: ...

    async def teaches_any(self, user_id: UUID, course_ids: Collection[UUID]) -> bool:
        """Whether the user is an instructor (owner or co-instructor) of any of the courses."""
        ...

    async def lesson_in_course(self, lesson_id: UUID) -> LessonInCourse | None: ...

    async def outline(self, course_id: UUID) -> list[OutlineEntry]:
        """The course's lessons in order, with whether each counts towards progress."""
        ...


class InvitationRepository(Protocol):
    async def add(self, invitation: CoInstructorInvitation) -> None: ...

    async def get(
        self, invitation_id: UUID, *, for_update: bool = False
    ) -> CoInstructorInvitation | None: ...

    async def pending_invitee_ids(self, course_id: UUID) -> set[UUID]: ...


class RevisionRepository(Protocol):
    """At most one revision per course, keyed by the course's id."""

    async def add(self, revision: CourseRevision) -> None: ...

    async def get(self, course_id: UUID, *, for_update: bool = False) -> CourseRevision | None: ...

    async def course_of_item(self, item_id: UUID) -> UUID | None:
        """The course whose revision holds a section or lesson of this id."""
        ...

    async def remove(self, revision: CourseRevision) -> None: ...


class CategoryRepository(Protocol):
    async def add(self, category: Category) -> None: ...

    async def get(self, category_id: UUID, *, for_update: bool = False) -> Category | None: ...

    async def slugs_like(self, base: str, *, other_than: UUID | None = None) -> set[str]: ...

    async def parents(self) -> Mapping[UUID, UUID | None]:
        """Every category's parent: the tree is small and checked whole."""
        ...

    async def is_in_use(self, category_id: UUID) -> bool:
        """Whether courses are filed under it or categories sit below it."""
        ...

    async def remove(self, category: Category) -> None: ...


# ---- read side -------------------------------------------------------------------------------
class CourseSort(StrEnum):
    RELEVANCE = "relevance"
    NEWEST = "newest"
    POPULAR = "popular"
    RATING = "rating"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"


@dataclass(frozen=True, slots=True)
class CourseFilter:
    """Filters of the public catalog; every one given must hold. Prices are minor units of
    ``currency``; a free course counts as price 0 in every currency."""

    q: str | None = None
    category: str | None = None  # id or slug; the category and every one below it
    tag: str | None = None
    level: Level | None = None
    language: str | None = None
    price_min: int | None = None
    price_max: int | None = None
    currency: str | None = None
    free: bool | None = None
    instructor_id: UUID | None = None
    rating_min: float | None = None


@dataclass(frozen=True, slots=True)
class CategoryRef:
    id: UUID
    slug: str
    name: str


@dataclass(frozen=True, slots=True)
class Person:
    id: UUID
    name: str


@dataclass(frozen=True, slots=True)
class CourseCard:
    """A course as lists show it."""

    id: UUID
    slug: str
    title: str
    subtitle: str
    price: Money | None
    is_free: bool
    level: Level
    language: str
    category: CategoryRef | None
    instructor: Person
    rating_average: float | None
    rating_count: int
    enrollment_count: int
    lesson_count: int
    duration_seconds: int
    thumbnail_url: str | None
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class OwnCourseCard:
    """A course in its instructor's list: every state, with what the review said."""

    id: UUID
    slug: str
    title: str
    status: CourseStatus
    is_owner: bool
    price: Money | None
    is_free: bool
    lesson_count: int
    duration_seconds: int
    enrollment_count: int
    rating_average: float | None
    rating_count: int
    thumbnail_url: str | None
    rejection_reason: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class LessonFileView:
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True, slots=True)
class OutlineLesson:
    id: UUID
    kind: LessonKind
    title: str
    duration_seconds: int
    is_free_preview: bool
    is_required: bool
    # Content, shown only to who may see it (see lesson_content_visible).
    text: str | None = None
    video_url: str | None = None
    file: LessonFileView | None = None
    content_hidden: bool = False


@dataclass(frozen=True, slots=True)
class OutlineSectionView:
    id: UUID
    title: str
    lessons: list[OutlineLesson]


@dataclass(frozen=True, slots=True)
class CourseRef:
    id: UUID
    slug: str
    title: str
    status: CourseStatus


@dataclass(frozen=True, slots=True)
class TransitionView:
    at: datetime
    actor_id: UUID | None  # None for the system, and for staff when an instructor is reading
    # "instructor" (a tutor), "staff" (a manager or admin) or "system" (no person).
    actor_role: str
    action: str
    from_status: CourseStatus
    to_status: CourseStatus
    reason: str | None


@dataclass(frozen=True, slots=True)
class RevisionSummary:
    """Where a published course's staged changes stand (instructors and staff only)."""

    status: RevisionStatus
    changed_fields: list[str]
    submitted_at: datetime | None
    rejection_reason: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CourseDetail:
    id: UUID
    slug: str
    title: str
    subtitle: str
    description: str
    language: str
    level: Level
    price: Money | None
    is_free: bool
    status: CourseStatus
    category: CategoryRef | None
    tags: list[str]
    learning_outcomes: list[str]
    requirements: list[str]
    instructors: list[Person]  # the owner first
    prerequisites: list[CourseRef]
    preview_lesson_id: UUID | None
    thumbnail_url: str | None
    rating_average: float | None
    rating_count: int
    enrollment_count: int
    lesson_count: int
    duration_seconds: int
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    sections: list[OutlineSectionView]
    rejection_reason: str | None = None  # instructors and staff only
    history: list[TransitionView] | None = None  # instructors and staff only
    # In the answer to an edit of a published course: the edit went to this revision, and the
    # fields above show the revision's content, not the live course.
    revision: RevisionSummary | None = None


@dataclass(frozen=True, slots=True)
class RevisionDetail:
    """A published course's staged changes: where they stand and the course as they make it."""

    status: RevisionStatus
    changed_fields: list[str]
    submitted_at: datetime | None
    rejection_reason: str | None
    created_at: datetime
    updated_at: datetime
    course: CourseDetail


@dataclass(frozen=True, slots=True)
class RevisionCard:
    """A revision in the reviewers' queue."""

    course: CourseRef
    status: RevisionStatus
    submitted_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class InvitationView:
    id: UUID
    course: CourseRef
    invitee: Person
    status: InvitationStatus
    created_at: datetime
    responded_at: datetime | None


@dataclass(frozen=True, slots=True)
class CategoryView:
    id: UUID
    slug: str
    name: str
    description: str
    icon: str | None
    parent_id: UUID | None
    course_count: int  # published courses filed directly under it


@dataclass(frozen=True, slots=True)
class TagCount:
    tag: str
    course_count: int


class CatalogQueries(Protocol):
    async def published_courses(
        self, filters: CourseFilter, sort: CourseSort, *, limit: int, cursor: str | None
    ) -> Page[CourseCard]: ...

    async def instructor_courses(
        self, user_id: UUID, status: CourseStatus | None, *, limit: int, cursor: str | None
    ) -> Page[OwnCourseCard]: ...

    async def course_detail(self, key: UUID | str) -> CourseDetail | None:
        """The course with its outline, content included, by id or by any slug it has had;
        the use case hides what the viewer may not see."""
        ...

    async def course_history(self, course_id: UUID) -> list[TransitionView]: ...

    async def course_id_for_slug(self, slug: str) -> UUID | None: ...

    async def categories(self) -> list[CategoryView]: ...

    async def tags(self, *, prefix: str | None, limit: int) -> list[TagCount]: ...

    async def invitation(self, invitation_id: UUID) -> InvitationView | None: ...

    async def revisions(
        self, status: RevisionStatus | None, *, limit: int, cursor: str | None
    ) -> Page[RevisionCard]:
        """Most recently changed first."""
        ...

    async def invitations(
        self,
        *,
        course_id: UUID | None = None,
        invitee_id: UUID | None = None,
        status: InvitationStatus | None = None,
        limit: int,
        cursor: str | None,
    ) -> Page[InvitationView]:
        """Newest first, of one course or of one invitee."""
        ...


class Enrollments(Protocol):
    """What the catalog asks of learning: whether a student is enrolled in a course (archived
    courses stay visible to them)."""

    async def is_enrolled(self, user_id: UUID, course_id: UUID) -> bool: ...


@dataclass(frozen=True, slots=True)
class CatalogPolicy:
    publish_on_approval: bool = False
    default_currency: str = "USD"


@dataclass(frozen=True, slots=True)
class CourseForSale:
    """What billing reads of a course it sells (through ``catalog/api.py``)."""

    id: UUID
    title: str
    owner_id: UUID  # who is paid for it
    instructor_ids: frozenset[UUID]  # the owner among them
    is_published: bool
    is_free: bool
    price: Money | None  # None for a free course, or one not priced yet

    def is_instructor(self, user_id: UUID) -> bool:
        return user_id in self.instructor_ids


class CatalogUnitOfWork(Transaction, Protocol):
    """The catalog context's unit of work: its own stores and nothing else."""

    courses: CourseRepository
    categories: CategoryRepository
    invitations: InvitationRepository
    revisions: RevisionRepository
