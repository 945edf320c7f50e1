"""Everyone discovers courses: the published catalog with search, filters and sorts; a course
with its outline; categories and tags. Instructors list their own courses in every state.

What a viewer may see is decided here, against the course: anonymous visitors and students see
published courses (and archived ones they are enrolled in), instructors their own in every
state, staff everything. A course the viewer may not see does not exist for them (404).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.authorization import Permission
from elearn.application.catalog.deps import CatalogDeps, CourseNotFound, RevisionNotFound
from elearn.application.catalog.ports import (
    CategoryRef,
    CategoryView,
    CourseCard,
    CourseDetail,
    CourseFilter,
    CourseRef,
    CourseSort,
    CourseViewer,
    LessonFileView,
    OutlineLesson,
    OutlineSectionView,
    OwnCourseCard,
    RevisionDetail,
    RevisionSummary,
    TagCount,
)
from elearn.application.errors import FieldError, InvalidInput, InvalidParameter
from elearn.application.paging import Page, check_limit, page_of
from elearn.domain.catalog.course import (
    EDITABLE_STATES,
    MAX_TAG,
    CourseStatus,
    Lesson,
    Section,
    course_visible,
)
from elearn.domain.catalog.revision import changed_fields

MAX_QUERY_LENGTH = 200
MAX_RATING = 5.0


def _tag_form(text: str) -> str:
    """A tag as courses store it: lowercase words joined by hyphens (see course_tags)."""
    return "-".join(text.lower().split())


def _bad(parameter: str, message: str) -> InvalidParameter:
    return InvalidParameter(f"{parameter} {message}", errors=[FieldError(parameter, message)])


def _refused(parameter: str, message: str) -> InvalidInput:
    """A parameter of the documented shape that names nothing known or contradicts another:
    a matter of meaning (422), not of shape."""
    return InvalidInput(f"{parameter} {message}", errors=[FieldError(parameter, message)])


# ---- views of the outline --------------------------------------------------------------------
def lesson_view(lesson: Lesson, *, content_visible: bool) -> OutlineLesson:
    file = (
        LessonFileView(lesson.file.filename, lesson.file.content_type, lesson.file.size)
        if lesson.file
        else None
    )
    return OutlineLesson(
        id=lesson.id,
        kind=lesson.kind,
        title=lesson.title,
        duration_seconds=lesson.duration_seconds,
        is_free_preview=lesson.is_free_preview,
        is_required=lesson.is_required,
        text=lesson.text if content_visible else None,
        video_url=lesson.video_url if content_visible else None,
        file=file if content_visible else None,
        content_hidden=not content_visible,
    )


def section_view(section: Section, *, content_visible: bool) -> OutlineSectionView:
    return OutlineSectionView(
        id=section.id,
        title=section.title,
        lessons=[
            lesson_view(lesson, content_visible=content_visible) for lesson in section.lessons
        ],
    )


def _hide_content(lesson: OutlineLesson) -> OutlineLesson:
    if lesson.is_free_preview or lesson.content_hidden:
        return lesson
    # Built, not dataclasses.replace()d: this runs for every lesson of every public course page.
    return OutlineLesson(
        id=lesson.id,
        kind=lesson.kind,
        title=lesson.title,
        duration_seconds=lesson.duration_seconds,
        is_free_preview=lesson.is_free_preview,
        is_required=lesson.is_required,
        content_hidden=True,
    )


async def course_detail_for(deps: CatalogDeps, actor: Actor, key: UUID | str) -> CourseDetail:
    """The course as ``actor`` may see it, by id or by any slug it ever had."""
    detail = await deps.queries.course_detail(key)
    if detail is None:
        raise CourseNotFound()
    is_instructor = actor.user_id is not None and any(
        person.id == actor.user_id for person in detail.instructors
    )
    enrolled = (
        detail.status is CourseStatus.ARCHIVED
        and actor.user_id is not None
        and await deps.enrollments.is_enrolled(actor.user_id, detail.id)
    )
    views_any = deps.authorizer.allows(actor, Permission.VIEW_ANY_COURSE)
    if not course_visible(
        detail.status, is_instructor=is_instructor, is_staff=views_any, is_enrolled=enrolled
    ):
        raise CourseNotFound()
    if views_any:
        return dataclasses.replace(detail, history=await deps.queries.course_history(detail.id))
    if is_instructor:
        # Which member of staff reviewed a course is staff's business, not the tutor's.
        history = [
            dataclasses.replace(move, actor_id=None) if move.actor_role == "staff" else move
            for move in await deps.queries.course_history(detail.id)
        ]
        return dataclasses.replace(detail, history=history)
    return dataclasses.replace(
        detail,
        sections=[
            dataclasses.replace(section, lessons=[_hide_content(x) for x in section.lessons])
            for section in detail.sections
        ],
        # An instructor may require one of their courses still on its way to publication;
        # the public does not learn of it before it is published.
        prerequisites=[p for p in detail.prerequisites if p.status is CourseStatus.PUBLISHED],
        rejection_reason=None,
        history=None,
    )


# ---- the catalog -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class BrowseQuery:
    filters: CourseFilter = dataclasses.field(default_factory=CourseFilter)
    sort: CourseSort | None = None
    limit: int = 20
    cursor: str | None = None


class BrowseCourses:
    """Anyone searches and filters the published catalog, newest first unless asked otherwise
    (by relevance when searching; relevance without a search means popularity)."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(self, query: BrowseQuery) -> Page[CourseCard]:
        check_limit(query.limit)
        filters = self._checked(query.filters)
        sort = query.sort or (CourseSort.RELEVANCE if filters.q else CourseSort.NEWEST)
        if sort is CourseSort.RELEVANCE and not filters.q:
            sort = CourseSort.POPULAR
        return await page_of(
            self._deps.queries.published_courses(
                filters, sort, limit=query.limit, cursor=query.cursor
            )
        )

    def _checked(self, filters: CourseFilter) -> CourseFilter:
        q = " ".join((filters.q or "").split()) or None
        if q is not None and len(q) > MAX_QUERY_LENGTH:
            raise _bad("q", f"is at most {MAX_QUERY_LENGTH} characters")
        tag = (_tag_form(filters.tag) if filters.tag else None) or None
        if tag is not None and len(tag) > MAX_TAG:
            raise _refused("tag", f"is at most {MAX_TAG} characters in lower case")
        for name in ("price_min", "price_max"):
            value = getattr(filters, name)
            if value is not None and value < 0:
                raise _bad(name, "is not negative")
        if (
            filters.price_min is not None
            and filters.price_max is not None
            and filters.price_min > filters.price_max
        ):
            raise _refused("price_max", "is at least price_min")
        if filters.rating_min is not None and not 0 <= filters.rating_min <= MAX_RATING:
            raise _bad("rating_min", f"is from 0 to {MAX_RATING:g}")
        currency = filters.currency
        if currency is not None and not self._deps.reference.is_currency(currency):
            raise _refused("currency", "is not a currency in circulation")
        if currency is None and (filters.price_min is not None or filters.price_max is not None):
            currency = self._deps.policy.default_currency
        if filters.language is not None and not self._deps.reference.is_language(filters.language):
            raise _refused("language", "is not a known language code")
        return dataclasses.replace(filters, q=q, tag=tag, currency=currency)


class GetCourse:
    """A course with its outline, by id or by any slug it has had; lesson content shows only
    for free previews unless the viewer teaches the course or is staff. A signed-in viewer is
    told whether they are enrolled, how far they are, and whether they may edit it."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, id_or_slug: str) -> CourseDetail:
        key: UUID | str
        try:
            key = UUID(id_or_slug)
        except ValueError:
            key = id_or_slug
        detail = await course_detail_for(self._deps, actor, key)
        if actor.user_id is None:
            return detail
        progress = await self._deps.enrollments.progress_of(actor.user_id, detail.id)
        teaches = any(person.id == actor.user_id for person in detail.instructors)
        viewer = CourseViewer(
            enrolled=progress is not None,
            progress=progress,
            can_edit=teaches and detail.status in EDITABLE_STATES,
        )
        return dataclasses.replace(detail, viewer=viewer)


@dataclass(frozen=True, slots=True)
class MyCoursesQuery:
    status: CourseStatus | None = None
    limit: int = 20
    cursor: str | None = None


class ListMyCourses:
    """A tutor lists the courses they own or co-teach, in every state, most recently changed
    first."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, query: MyCoursesQuery) -> Page[OwnCourseCard]:
        user_id = require_signed_in(actor)
        check_limit(query.limit)
        return await page_of(
            self._deps.queries.instructor_courses(
                user_id, query.status, limit=query.limit, cursor=query.cursor
            )
        )


class ListCategories:
    """Anyone lists every category, parents before children, with how many published courses
    each holds."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(self) -> list[CategoryView]:
        return await self._deps.queries.categories()


class ListTags:
    """Anyone lists the tags of published courses, most used first, optionally those starting
    with a prefix (for autocompletion)."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(self, prefix: str | None = None, limit: int = 50) -> list[TagCount]:
        check_limit(limit)
        prefix = _tag_form(prefix) if prefix else None
        if prefix is not None and len(prefix) > MAX_TAG:
            raise _bad("prefix", f"is at most {MAX_TAG} characters")
        return await self._deps.queries.tags(prefix=prefix or None, limit=limit)


# ---- staged changes --------------------------------------------------------------------------
async def revision_detail_for(deps: CatalogDeps, actor: Actor, key: UUID | str) -> RevisionDetail:
    """A published course's staged changes, for its instructors and staff: the live detail
    with the revision's content in place of the live content."""
    course_id = await deps.course_id(key)
    user_id = require_signed_in(actor)
    async with deps.uow(read_only=True) as uow:
        live = await uow.courses.get(course_id)
        if live is None:
            raise CourseNotFound()
        if not live.is_instructor(user_id) and not deps.authorizer.allows(
            actor, Permission.VIEW_ANY_COURSE
        ):
            await deps.deny(actor, live, "only the course's instructors and staff see its changes")
        revision = await uow.revisions.get(course_id)
        if revision is None:
            raise RevisionNotFound()
        staged = revision.content
        category = None
        if staged.category_id is not None:
            found = await uow.categories.get(staged.category_id)
            category = CategoryRef(found.id, found.slug, found.name) if found else None
        prerequisites = []
        for prerequisite_id in staged.prerequisite_ids:
            other = await uow.courses.get(prerequisite_id)
            if other is not None:
                prerequisites.append(CourseRef(other.id, other.slug, other.title, other.status))
        changed = changed_fields(live, staged)
    detail = await course_detail_for(deps, actor, course_id)
    summary = RevisionSummary(
        status=revision.status,
        changed_fields=changed,
        submitted_at=revision.submitted_at,
        rejection_reason=revision.rejection_reason,
        created_at=revision.created_at,
        updated_at=revision.updated_at,
    )
    course = dataclasses.replace(
        detail,
        slug=staged.slug,
        title=staged.title,
        subtitle=staged.subtitle,
        description=staged.description,
        language=staged.language,
        level=staged.level,
        price=staged.price,
        is_free=staged.is_free,
        category=category,
        tags=list(staged.tags),
        learning_outcomes=list(staged.learning_outcomes),
        requirements=list(staged.requirements),
        prerequisites=prerequisites,
        preview_lesson_id=staged.preview_lesson_id,
        thumbnail_url=deps.image_url(staged.thumbnail_key) if staged.thumbnail_key else None,
        lesson_count=staged.lesson_count,
        duration_seconds=staged.duration_seconds,
        updated_at=revision.updated_at,
        sections=[section_view(section, content_visible=True) for section in staged.sections],
        revision=summary,
    )
    return RevisionDetail(
        status=summary.status,
        changed_fields=summary.changed_fields,
        submitted_at=summary.submitted_at,
        rejection_reason=summary.rejection_reason,
        created_at=summary.created_at,
        updated_at=summary.updated_at,
        course=course,
    )


async def edited_course_detail(
    deps: CatalogDeps, actor: Actor, course_id: UUID, *, staged: bool
) -> CourseDetail:
    """The answer to an edit: the course, or (for a published course, whose edits are staged)
    the course as its revision makes it, with where the revision stands."""
    if staged:
        return (await revision_detail_for(deps, actor, course_id)).course
    return await course_detail_for(deps, actor, course_id)


class GetRevision:
    """A course's instructors and staff read its staged changes."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, course_key: UUID | str) -> RevisionDetail:
        return await revision_detail_for(self._deps, actor, course_key)
