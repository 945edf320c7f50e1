"""/api/v1 catalog routes: categories, tags, courses with their outline and review workflow,
sections, lessons, a tutor's own courses, and public course images.

Handlers only translate: bodies to commands, use case results to JSON. Who may do what is
decided by the use cases, against the course.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar
from uuid import UUID

import msgspec
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Stream

from elearn.application.catalog.authoring import (
    KEEP,
    CourseChanges,
    Keep,
    LessonChanges,
    NewCourse,
    NewLesson,
)
from elearn.application.catalog.categories import CategoryChanges
from elearn.application.catalog.discovery import BrowseQuery, MyCoursesQuery
from elearn.application.catalog.ports import (
    CategoryView,
    CourseCard,
    CourseDetail,
    CourseFilter,
    CourseSort,
    CourseStatusCounts,
    InvitationView,
    OutlineLesson,
    OutlineSectionView,
    OwnCourseCard,
    RevisionCard,
    RevisionDetail,
    StaffCourseCard,
    TagCount,
)
from elearn.application.errors import NotFound
from elearn.application.files import EXTENSION_FOR_MEDIA_TYPE, IMAGE_MEDIA_TYPES, UploadPurpose
from elearn.application.paging import Page
from elearn.domain.catalog.co_instructors import InvitationStatus
from elearn.domain.catalog.course import (
    MAX_DESCRIPTION,
    MAX_LIST_ITEM,
    MAX_LIST_ITEMS,
    MAX_PREREQUISITES,
    MAX_PRICE_MINOR_UNITS,
    MAX_REASON,
    MAX_SUBTITLE,
    MAX_TAG,
    MAX_TAGS,
    MAX_TITLE,
    CourseStatus,
    LessonKind,
    Level,
    OutlineSection,
)
from elearn.domain.catalog.revision import RevisionStatus
from elearn.entrypoints.catalog import Catalog
from elearn.entrypoints.http.analytics.sightings import note_course_view
from elearn.entrypoints.http.auth import CurrentActor, signed_in
from elearn.entrypoints.http.bodies import MoneyBody, RequestBody, upload_of
from elearn.entrypoints.http.docs import binary
from elearn.entrypoints.http.problem_codes import problems

T = TypeVar("T")

Limit = Annotated[int, QueryParameter(ge=1, le=100, description="page size")]
Cursor = Annotated[str | None, QueryParameter(max_length=300, description="from `next_cursor`")]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TITLE)]
ItemText = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_LIST_ITEM)]
Slug = Annotated[str, msgspec.Meta(min_length=1, max_length=80, examples=["python-for-beginners"])]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_REASON)]
SectionTitle = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Position = Annotated[int, msgspec.Meta(ge=0, le=1000)]


Unset = msgspec.UnsetType
UNSET = msgspec.UNSET


class CourseFields(RequestBody):
    """Every field is optional; what is left out stays as it is."""

    slug: Slug | Unset = UNSET
    subtitle: Annotated[str, msgspec.Meta(max_length=MAX_SUBTITLE)] | Unset = UNSET
    description: Annotated[str, msgspec.Meta(max_length=MAX_DESCRIPTION)] | Unset = UNSET
    language: Annotated[str, msgspec.Meta(min_length=2, max_length=35)] | Unset = UNSET
    level: Level | Unset = UNSET
    price: MoneyBody | Unset = UNSET
    free: bool | Unset = UNSET
    category_id: UUID | Unset | None = UNSET
    tags: (
        Annotated[
            list[Annotated[str, msgspec.Meta(max_length=MAX_TAG)]],
            msgspec.Meta(max_length=MAX_TAGS),
        ]
        | Unset
    ) = UNSET
    learning_outcomes: (
        Annotated[list[ItemText], msgspec.Meta(max_length=MAX_LIST_ITEMS)] | Unset
    ) = UNSET
    requirements: Annotated[list[ItemText], msgspec.Meta(max_length=MAX_LIST_ITEMS)] | Unset = UNSET
    prerequisite_ids: Annotated[list[UUID], msgspec.Meta(max_length=MAX_PREREQUISITES)] | Unset = (
        UNSET
    )
    preview_lesson_id: UUID | Unset | None = UNSET


class NewCourseBody(CourseFields, kw_only=True):
    title: Title


class CourseUpdateBody(CourseFields, kw_only=True):
    title: Title | Unset = UNSET


class RejectBody(RequestBody):
    reason: Reason


class InvitationBody(RequestBody):
    user_id: UUID  # an approved tutor


class OptionalReasonBody(RequestBody):
    reason: Reason | None = None


class SectionBody(RequestBody):
    title: SectionTitle
    position: Position | None = None


class SectionUpdateBody(RequestBody):
    title: SectionTitle


LessonTitle = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Seconds = Annotated[int, msgspec.Meta(ge=0, le=86_400)]
LessonText = Annotated[str, msgspec.Meta(max_length=100_000)]
VideoUrl = Annotated[str, msgspec.Meta(max_length=2048, examples=["https://videos.example/v/1"])]


class NewLessonBody(RequestBody):
    kind: LessonKind
    title: LessonTitle
    duration_seconds: Seconds = 0
    is_free_preview: bool = False
    is_required: bool = True
    text: LessonText | None = None
    video_url: VideoUrl | None = None
    position: Position | None = None


class LessonUpdateBody(RequestBody):
    kind: LessonKind | Unset = UNSET
    title: LessonTitle | Unset = UNSET
    duration_seconds: Seconds | Unset = UNSET
    is_free_preview: bool | Unset = UNSET
    is_required: bool | Unset = UNSET
    text: LessonText | Unset | None = UNSET
    video_url: VideoUrl | Unset | None = UNSET


class OutlineSectionBody(RequestBody):
    section_id: UUID
    lesson_ids: Annotated[list[UUID], msgspec.Meta(max_length=1000)]


class OutlineBody(RequestBody):
    sections: Annotated[list[OutlineSectionBody], msgspec.Meta(max_length=100)]


class FileForm(msgspec.Struct):
    file: UploadFile


class NewCategoryBody(RequestBody):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    slug: Slug | Unset = UNSET
    description: Annotated[str, msgspec.Meta(max_length=2000)] | Unset = UNSET
    icon: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | Unset | None = UNSET
    parent_id: UUID | Unset | None = UNSET


class CategoryUpdateBody(RequestBody):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=80)] | Unset = UNSET
    slug: Slug | Unset = UNSET
    description: Annotated[str, msgspec.Meta(max_length=2000)] | Unset = UNSET
    icon: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | Unset | None = UNSET
    parent_id: UUID | Unset | None = UNSET


def _given(value: T | msgspec.UnsetType) -> T | Keep:
    return KEEP if value is UNSET else value


def _course_changes(body: CourseFields, title: str | msgspec.UnsetType = UNSET) -> CourseChanges:
    def listed(value: list[Any] | msgspec.UnsetType) -> Any:
        return KEEP if value is UNSET else tuple(value)

    price = body.price
    return CourseChanges(
        title=_given(title),
        slug=_given(body.slug),
        subtitle=_given(body.subtitle),
        description=_given(body.description),
        language=_given(body.language),
        level=_given(body.level),
        price=KEEP if isinstance(price, msgspec.UnsetType) else price.to_money(),
        free=_given(body.free),
        category_id=_given(body.category_id),
        tags=listed(body.tags),
        learning_outcomes=listed(body.learning_outcomes),
        requirements=listed(body.requirements),
        prerequisite_ids=listed(body.prerequisite_ids),
        preview_lesson_id=_given(body.preview_lesson_id),
    )


def _category_changes(body: NewCategoryBody | CategoryUpdateBody) -> CategoryChanges:
    return CategoryChanges(
        name=_given(body.name) if isinstance(body, CategoryUpdateBody) else KEEP,
        slug=_given(body.slug),
        description=_given(body.description),
        icon=_given(body.icon),
        parent_id=_given(body.parent_id),
    )


# ---- categories and tags ---------------------------------------------------------------------
class CategoriesController(Controller):
    path = "/categories"
    tags = ["catalog"]

    @get("", operation_id="list_categories", summary="Categories", cache=True)
    async def list_categories(self, catalog: Catalog) -> Page[CategoryView]:
        """Every category, each right after its parent, with its number of published courses:
        the whole tree on one page (`next_cursor` is always null)."""
        return Page(await catalog.list_categories(), next_cursor=None)

    @problems("category-taken", "category-too-deep", "invalid-slug", "invalid-input")
    @post("", operation_id="create_category", summary="Create a category", guards=[signed_in])
    async def create_category(
        self, data: JSONBody[NewCategoryBody], actor: CurrentActor, catalog: Catalog
    ) -> CategoryView:
        """Admins only. The slug comes from the name unless given."""
        return await catalog.create_category(actor, data.name, _category_changes(data))

    @problems("category-cycle", "category-not-found", "category-taken", "invalid-input")
    @patch(
        "/{category_id:uuid}",
        operation_id="update_category",
        summary="Change a category",
        guards=[signed_in],
    )
    async def update_category(
        self,
        category_id: FromPath[UUID],
        data: JSONBody[CategoryUpdateBody],
        actor: CurrentActor,
        catalog: Catalog,
    ) -> CategoryView:
        """Admins only. A category cannot move into its own subtree."""
        return await catalog.update_category(actor, category_id, _category_changes(data))

    @problems("category-in-use", "category-not-found")
    @delete(
        "/{category_id:uuid}",
        operation_id="delete_category",
        summary="Delete a category",
        guards=[signed_in],
    )
    async def delete_category(
        self, category_id: FromPath[UUID], actor: CurrentActor, catalog: Catalog
    ) -> None:
        """Admins only; a category with courses or sub-categories answers 409."""
        await catalog.delete_category(actor, category_id)


class TagsController(Controller):
    path = "/tags"
    tags = ["catalog"]

    @get("", operation_id="list_tags", summary="Tags in use", cache=True)
    async def list_tags(
        self,
        catalog: Catalog,
        prefix: Annotated[str | None, QueryParameter(max_length=MAX_TAG)] = None,
        limit: Limit = 50,
    ) -> Page[TagCount]:
        """Tags of published courses, most used first; `prefix` narrows them for autocompletion.
        The `limit` most used are the answer (`next_cursor` is always null)."""
        return Page(await catalog.list_tags(prefix, limit), next_cursor=None)


# ---- courses ---------------------------------------------------------------------------------
class CoursesController(Controller):
    path = "/courses"
    tags = ["catalog"]

    @problems("invalid-input")
    @get("", operation_id="browse_courses", summary="Browse the catalog", cache=True)
    async def browse(
        self,
        catalog: Catalog,
        q: Annotated[str | None, QueryParameter(max_length=200, description="search words")] = None,
        category: Annotated[
            str | None,
            QueryParameter(max_length=80, description="id or slug; includes sub-categories"),
        ] = None,
        tag: Annotated[str | None, QueryParameter(max_length=MAX_TAG)] = None,
        level: Level | None = None,
        language: Annotated[str | None, QueryParameter(max_length=35)] = None,
        price_min: Annotated[
            int | None, QueryParameter(ge=0, le=MAX_PRICE_MINOR_UNITS, description="minor units")
        ] = None,
        price_max: Annotated[
            int | None, QueryParameter(ge=0, le=MAX_PRICE_MINOR_UNITS, description="minor units")
        ] = None,
        currency: Annotated[
            str | None,
            QueryParameter(pattern="^[A-Z]{3}$", description="of price_min/price_max"),
        ] = None,
        free: bool | None = None,
        instructor: UUID | None = None,
        rating_min: Annotated[float | None, QueryParameter(ge=0, le=5)] = None,
        sort: CourseSort | None = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[CourseCard]:
        """Published courses. Sorted by relevance when searching, else newest first; keyset
        pages: pass `next_cursor` back as `cursor` with the same filters and sort. A `currency`
        not in circulation, an unknown `language` or `price_max` below `price_min` answer 422
        `invalid-input`."""
        filters = CourseFilter(
            q=q,
            category=category,
            tag=tag,
            level=level,
            language=language,
            price_min=price_min,
            price_max=price_max,
            currency=currency,
            free=free,
            instructor_id=instructor,
            rating_min=rating_min,
        )
        query = BrowseQuery(filters=filters, sort=sort, limit=limit, cursor=cursor)
        return await catalog.browse_courses(query)

    @problems(
        "invalid-course",
        "not-a-tutor",
        "slug-taken",
        "tutor-application-rejected",
        "tutor-not-approved",
        "invalid-input",
        "unknown-outline-item",
        "invalid-slug",
    )
    @post("", operation_id="create_course", summary="Create a course", guards=[signed_in])
    async def create(
        self, data: JSONBody[NewCourseBody], actor: CurrentActor, catalog: Catalog
    ) -> CourseDetail:
        """An approved tutor with a verified email creates a draft; its slug comes from the
        title unless given."""
        return await catalog.create_course(
            actor, NewCourse(title=data.title, details=_course_changes(data))
        )

    @problems("course-not-found")
    @get(
        "/{course_key:str}",
        operation_id="get_course",
        summary="A course and its outline",
        cache=True,
    )
    async def detail(
        self, course_key: FromPath[str], actor: CurrentActor, catalog: Catalog, request: Request
    ) -> CourseDetail:
        """By id or by any slug the course has had. Lesson content shows only for free
        previews, except to the course's instructors and staff."""
        course = await catalog.get_course(actor, course_key)
        # Its instructors see unique viewers per day (an anonymous answer served from the
        # response cache is not counted: the cache lives for a second).
        note_course_view(request.app.state.container, course.id, actor)
        return course

    @problems(
        "course-locked",
        "course-not-found",
        "invalid-course",
        "invalid-input",
        "invalid-slug",
        "not-an-instructor",
        "prerequisite-cycle",
        "slug-taken",
        "unknown-outline-item",
    )
    @problems("revision-locked")
    @patch(
        "/{course_key:str}",
        operation_id="update_course",
        summary="Change a course",
        guards=[signed_in],
    )
    async def update(
        self,
        course_key: FromPath[str],
        data: JSONBody[CourseUpdateBody],
        actor: CurrentActor,
        catalog: Catalog,
    ) -> CourseDetail:
        """Its instructors change what they send. Refused (409) while under review or
        archived; a rejected course becomes a draft. A published course stays as it is: the
        changes go to its revision (the answer shows the course as the revision makes it, with
        `revision`), except a new positive price of a paid course, which applies to new orders
        at once (audited)."""
        return await catalog.update_course(actor, course_key, _course_changes(data, data.title))

    @problems("course-not-deletable", "course-not-found")
    @delete(
        "/{course_key:str}",
        operation_id="delete_course",
        summary="Delete a draft",
        guards=[signed_in],
    )
    async def delete_course(
        self, course_key: FromPath[str], actor: CurrentActor, catalog: Catalog
    ) -> None:
        """The owner deletes a draft that was never published; anything else answers 409."""
        await catalog.delete_course(actor, course_key)

    @problems("course-locked", "revision-locked", "course-not-found")
    @put(
        "/{course_key:str}/thumbnail",
        operation_id="set_course_thumbnail",
        summary="Replace the thumbnail",
        guards=[signed_in],
        request_max_body_size=6 * 1024 * 1024,
    )
    async def set_thumbnail(
        self,
        course_key: FromPath[str],
        data: Annotated[FileForm, Body(media_type=RequestEncodingType.MULTI_PART)],
        actor: CurrentActor,
        catalog: Catalog,
    ) -> CourseDetail:
        """A JPEG, PNG, GIF or WebP image of at most 5 MiB in the `file` field."""
        return await catalog.set_thumbnail(actor, course_key, upload_of(data.file))

    @problems(
        "course-locked", "revision-locked", "course-not-found", "invalid-course", "invalid-outline"
    )
    @post(
        "/{course_key:str}/sections",
        operation_id="add_section",
        summary="Add a section",
        guards=[signed_in],
    )
    async def add_section(
        self,
        course_key: FromPath[str],
        data: JSONBody[SectionBody],
        actor: CurrentActor,
        catalog: Catalog,
    ) -> OutlineSectionView:
        """At the end, or at `position` (0 is first)."""
        return await catalog.add_section(actor, course_key, data.title, data.position)

    @problems(
        "course-locked",
        "revision-locked",
        "course-not-found",
        "invalid-outline",
        "unknown-outline-item",
    )
    @put(
        "/{course_key:str}/outline",
        operation_id="reorder_outline",
        summary="Reorder sections and lessons",
        guards=[signed_in],
    )
    async def reorder(
        self,
        course_key: FromPath[str],
        data: JSONBody[OutlineBody],
        actor: CurrentActor,
        catalog: Catalog,
    ) -> CourseDetail:
        """Names every section and every lesson exactly once, in the new order; lessons may
        move between sections. All or nothing."""
        order = [OutlineSection(s.section_id, tuple(s.lesson_ids)) for s in data.sections]
        return await catalog.reorder_outline(actor, course_key, order)

    # ---- the review workflow ----------------------------------------------------------------
    @problems(
        "course-incomplete",
        "course-not-found",
        "illegal-transition",
        "not-a-tutor",
        "tutor-application-rejected",
        "tutor-not-approved",
    )
    @post(
        "/{course_key:str}/submit",
        operation_id="submit_course",
        summary="Submit for review",
        guards=[signed_in],
        status_code=200,
    )
    async def submit(
        self, course_key: FromPath[str], actor: CurrentActor, catalog: Catalog
    ) -> CourseDetail:
        """A draft with a title, description, price (or free) and a lesson goes to review."""
        return await catalog.submit_course(actor, course_key)

    @problems("course-not-found", "illegal-transition")
    @post(
        "/{course_key:str}/approve",
        operation_id="approve_course",
        summary="Approve a course",
        guards=[signed_in],
        status_code=200,
    )
    async def approve(
        self, course_key: FromPath[str], actor: CurrentActor, catalog: Catalog
    ) -> CourseDetail:
        """Managers and admins; a pending course becomes approved (and published, if the
        platform publishes on approval)."""
        return await catalog.approve_course(actor, course_key)

    @problems("course-not-found", "illegal-transition", "invalid-course")
    @post(
        "/{course_key:str}/reject",
        operation_id="reject_course",
        summary="Reject a course",
        guards=[signed_in],
        status_code=200,
    )
    async def reject(
        self,
        course_key: FromPath[str],
        data: JSONBody[RejectBody],
        actor: CurrentActor,
        catalog: Catalog,
    ) -> CourseDetail:
        """Managers and admins; the reason is shown to the instructors."""
        return await catalog.reject_course(actor, course_key, data.reason)

    @problems("course-not-found", "illegal-transition")
    @post(
        "/{course_key:str}/publish",
        operation_id="publish_course",
        summary="Publish a course",
        guards=[signed_in],
        status_code=200,
    )
    async def publish(
        self, course_key: FromPath[str], actor: CurrentActor, catalog: Catalog
    ) -> CourseDetail:
        """Managers and admins; an approved course enters the catalog."""
        return await catalog.publish_course(actor, course_key)

    @problems("illegal-transition", "course-not-found")
    @post(
        "/{course_key:str}/archive",
        operation_id="archive_course",
        summary="Archive a course",
        guards=[signed_in],
        status_code=200,
    )
    async def archive(
        self,
        course_key: FromPath[str],
        actor: CurrentActor,
        catalog: Catalog,
        data: JSONBody[OptionalReasonBody | None] = None,
    ) -> CourseDetail:
        """The owner or staff; no new enrollments, enrolled students keep access."""
        return await catalog.archive_course(actor, course_key, data.reason if data else None)

    @problems("illegal-transition", "course-not-found")
    @post(
        "/{course_key:str}/unpublish",
        operation_id="unpublish_course",
        summary="Unpublish a course",
        guards=[signed_in],
        status_code=200,
    )
    async def unpublish(
        self,
        course_key: FromPath[str],
        actor: CurrentActor,
        catalog: Catalog,
        data: JSONBody[OptionalReasonBody | None] = None,
    ) -> CourseDetail:
        """Managers and admins take a published course back to draft."""
        return await catalog.unpublish_course(actor, course_key, data.reason if data else None)

    # ---- staged changes of a published course -----------------------------------------------
    @problems("revision-not-found", "course-not-found")
    @get(
        "/{course_key:str}/revision",
        operation_id="get_course_revision",
        summary="A published course's staged changes",
        guards=[signed_in],
    )
    async def revision(
        self, course_key: FromPath[str], actor: CurrentActor, catalog: Catalog
    ) -> RevisionDetail:
        """Instructors and staff: what changed, where the review stands, and the course as the
        changes make it. 404 `revision-not-found` when nothing is staged."""
        return await catalog.get_revision(actor, course_key)

    @problems(
        "revision-not-found",
        "revision-empty",
        "revision-locked",
        "illegal-transition",
        "course-not-found",
    )
    @post(
        "/{course_key:str}/revision/submit",
        operation_id="submit_course_revision",
        summary="Submit staged changes for review",
        guards=[signed_in],
        status_code=200,
    )
    async def submit_revision(
        self, course_key: FromPath[str], actor: CurrentActor, catalog: Catalog
    ) -> RevisionDetail:
        """An instructor; the changes are locked (409 `revision-locked`) until staff decide."""
        return await catalog.submit_revision(actor, course_key)

    @problems(
        "revision-not-found",
        "revision-locked",
        "revision-outdated",
        "invalid-course",
        "category-not-found",
        "prerequisite-cycle",
        "course-not-found",
    )
    @problems("illegal-transition")
    @post(
        "/{course_key:str}/revision/approve",
        operation_id="approve_course_revision",
        summary="Approve staged changes",
        guards=[signed_in],
        status_code=200,
    )
    async def approve_revision(
        self, course_key: FromPath[str], actor: CurrentActor, catalog: Catalog
    ) -> CourseDetail:
        """Managers and admins; the changes replace the live content at once and the course
        stays published."""
        return await catalog.approve_revision(actor, course_key)

    @problems("revision-not-found", "revision-locked", "illegal-transition", "course-not-found")
    @post(
        "/{course_key:str}/revision/reject",
        operation_id="reject_course_revision",
        summary="Reject staged changes",
        guards=[signed_in],
        status_code=200,
    )
    async def reject_revision(
        self,
        course_key: FromPath[str],
        data: JSONBody[RejectBody],
        actor: CurrentActor,
        catalog: Catalog,
    ) -> RevisionDetail:
        """Managers and admins; the instructors read the reason, fix and resubmit."""
        return await catalog.reject_revision(actor, course_key, data.reason)

    @problems("revision-not-found", "revision-locked", "course-not-found")
    @delete(
        "/{course_key:str}/revision",
        operation_id="discard_course_revision",
        summary="Discard staged changes",
        guards=[signed_in],
    )
    async def discard_revision(
        self, course_key: FromPath[str], actor: CurrentActor, catalog: Catalog
    ) -> None:
        """An instructor throws the staged changes away, also while they are under review."""
        await catalog.discard_revision(actor, course_key)

    # ---- co-instructors -----------------------------------------------------------------------
    @problems(
        "invalid-input",
        "cannot-invite-owner",
        "co-instructor-already-invited",
        "already-an-instructor",
        "too-many-co-instructors",
        "tutor-not-found",
        "course-not-found",
    )
    @post(
        "/{course_key:str}/invitations",
        operation_id="invite_co_instructor",
        summary="Invite a co-instructor",
        guards=[signed_in],
    )
    async def invite(
        self,
        course_key: FromPath[str],
        data: JSONBody[InvitationBody],
        actor: CurrentActor,
        catalog: Catalog,
    ) -> InvitationView:
        """The owner invites an approved tutor, who is emailed and becomes a co-instructor
        only by accepting."""
        return await catalog.invite_co_instructor(actor, course_key, data.user_id)

    @problems("course-not-found")
    @get(
        "/{course_key:str}/invitations",
        operation_id="list_course_invitations",
        summary="A course's invitations",
        guards=[signed_in],
    )
    async def invitations(
        self,
        course_key: FromPath[str],
        actor: CurrentActor,
        catalog: Catalog,
        status: InvitationStatus | None = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[InvitationView]:
        """Its instructors and staff; newest first."""
        return await catalog.list_course_invitations(
            actor, course_key, status=status, limit=limit, cursor=cursor
        )

    @problems("co-instructor-not-found", "course-not-found")
    @delete(
        "/{course_key:str}/co-instructors/{user_id:uuid}",
        operation_id="remove_co_instructor",
        summary="Remove a co-instructor, or leave",
        guards=[signed_in],
    )
    async def remove_co_instructor(
        self,
        course_key: FromPath[str],
        user_id: FromPath[UUID],
        actor: CurrentActor,
        catalog: Catalog,
    ) -> None:
        """The owner removes anyone; a co-instructor removes themselves."""
        await catalog.remove_co_instructor(actor, course_key, user_id)


class RevisionsController(Controller):
    path = "/course-revisions"
    tags = ["catalog"]
    guards = [signed_in]

    @get("", operation_id="list_course_revisions", summary="Staged changes to review")
    async def list_revisions(
        self,
        actor: CurrentActor,
        catalog: Catalog,
        status: RevisionStatus | None = RevisionStatus.PENDING,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[RevisionCard]:
        """Managers and admins: pending ones unless `status` says otherwise, most recently
        changed first."""
        return await catalog.list_revisions(actor, status=status, limit=limit, cursor=cursor)


class CourseAdminController(Controller):
    path = "/admin/courses"
    tags = ["catalog"]
    guards = [signed_in]

    @get("", operation_id="list_courses_for_staff", summary="Courses in any state")
    async def list_courses(
        self,
        actor: CurrentActor,
        catalog: Catalog,
        status: FromQuery[CourseStatus | None] = None,
        instructor_id: FromQuery[UUID | None] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[StaffCourseCard]:
        """Managers and admins. `status=pending` is the review queue, the longest waiting
        first (by `submitted_at`); every other list is most recently changed first.
        `instructor_id` keeps the courses that person teaches. How many courses each state holds
        is at `/admin/courses/counts`."""
        return await catalog.list_courses_for_staff(
            actor, status=status, instructor_id=instructor_id, limit=limit, cursor=cursor
        )

    @get("/counts", operation_id="count_courses_by_status", summary="Courses per state")
    async def counts(self, actor: CurrentActor, catalog: Catalog) -> CourseStatusCounts:
        """Managers and admins: the number of courses in each state, zeros included."""
        return await catalog.count_courses_by_status(actor)


class InvitationsController(Controller):
    path = "/course-invitations"
    tags = ["catalog"]
    guards = [signed_in]

    @problems("invitation-not-found", "invitation-not-pending", "too-many-co-instructors")
    @post(
        "/{invitation_id:uuid}/accept",
        operation_id="accept_invitation",
        summary="Accept an invitation to co-teach",
        status_code=200,
    )
    async def accept(
        self, invitation_id: FromPath[UUID], actor: CurrentActor, catalog: Catalog
    ) -> InvitationView:
        """The invitee only; 409 `invitation-not-pending` once answered or withdrawn."""
        return await catalog.accept_invitation(actor, invitation_id)

    @problems("invitation-not-found", "invitation-not-pending")
    @post(
        "/{invitation_id:uuid}/decline",
        operation_id="decline_invitation",
        summary="Decline an invitation to co-teach",
        status_code=200,
    )
    async def decline(
        self, invitation_id: FromPath[UUID], actor: CurrentActor, catalog: Catalog
    ) -> InvitationView:
        """The invitee only."""
        return await catalog.decline_invitation(actor, invitation_id)

    @problems("invitation-not-found", "invitation-not-pending")
    @delete("/{invitation_id:uuid}", operation_id="withdraw_invitation", summary="Withdraw")
    async def withdraw(
        self, invitation_id: FromPath[UUID], actor: CurrentActor, catalog: Catalog
    ) -> None:
        """The course's owner withdraws a pending invitation."""
        await catalog.withdraw_invitation(actor, invitation_id)

    @get("/received", operation_id="list_my_invitations", summary="Invitations you received")
    async def received(
        self,
        actor: CurrentActor,
        catalog: Catalog,
        status: InvitationStatus | None = InvitationStatus.PENDING,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[InvitationView]:
        """Pending ones unless `status` says otherwise; newest first."""
        return await catalog.list_my_invitations(actor, status=status, limit=limit, cursor=cursor)


# ---- sections and lessons --------------------------------------------------------------------
class SectionsController(Controller):
    path = "/sections"
    tags = ["catalog"]
    guards = [signed_in]

    @problems(
        "course-locked",
        "revision-locked",
        "course-not-found",
        "section-not-found",
        "unknown-outline-item",
    )
    @patch("/{section_id:uuid}", operation_id="update_section", summary="Rename a section")
    async def update(
        self,
        section_id: FromPath[UUID],
        data: JSONBody[SectionUpdateBody],
        actor: CurrentActor,
        catalog: Catalog,
    ) -> OutlineSectionView:
        """The course's instructors."""
        return await catalog.update_section(actor, section_id, data.title)

    @problems(
        "course-locked",
        "revision-locked",
        "course-not-found",
        "section-not-found",
        "unknown-outline-item",
    )
    @delete("/{section_id:uuid}", operation_id="delete_section", summary="Remove a section")
    async def remove(
        self, section_id: FromPath[UUID], actor: CurrentActor, catalog: Catalog
    ) -> None:
        """The section and its lessons go."""
        await catalog.delete_section(actor, section_id)

    @problems(
        "course-locked",
        "revision-locked",
        "course-not-found",
        "invalid-course",
        "invalid-input",
        "invalid-outline",
        "section-not-found",
    )
    @post("/{section_id:uuid}/lessons", operation_id="add_lesson", summary="Add a lesson")
    async def add_lesson(
        self,
        section_id: FromPath[UUID],
        data: JSONBody[NewLessonBody],
        actor: CurrentActor,
        catalog: Catalog,
    ) -> OutlineLesson:
        """Text lessons carry markdown `text`; video lessons a `video_url` or an uploaded file
        (`PUT /lessons/{id}/file`); PDF, slides and resources a file."""
        command = NewLesson(
            kind=data.kind,
            title=data.title,
            duration_seconds=data.duration_seconds,
            is_free_preview=data.is_free_preview,
            is_required=data.is_required,
            text=data.text,
            video_url=data.video_url,
            position=data.position,
        )
        return await catalog.add_lesson(actor, section_id, command)


class LessonsController(Controller):
    path = "/lessons"
    tags = ["catalog"]
    guards = [signed_in]

    @problems(
        "course-locked",
        "revision-locked",
        "course-not-found",
        "invalid-course",
        "invalid-input",
        "lesson-not-found",
    )
    @patch("/{lesson_id:uuid}", operation_id="update_lesson", summary="Change a lesson")
    async def update(
        self,
        lesson_id: FromPath[UUID],
        data: JSONBody[LessonUpdateBody],
        actor: CurrentActor,
        catalog: Catalog,
    ) -> OutlineLesson:
        """The course's instructors; what is left out stays."""
        changes = LessonChanges(
            title=_given(data.title),
            kind=_given(data.kind),
            duration_seconds=_given(data.duration_seconds),
            is_free_preview=_given(data.is_free_preview),
            is_required=_given(data.is_required),
            text=_given(data.text),
            video_url=_given(data.video_url),
        )
        return await catalog.update_lesson(actor, lesson_id, changes)

    @problems(
        "course-locked",
        "revision-locked",
        "course-not-found",
        "lesson-not-found",
        "unknown-outline-item",
    )
    @delete("/{lesson_id:uuid}", operation_id="delete_lesson", summary="Remove a lesson")
    async def remove(
        self, lesson_id: FromPath[UUID], actor: CurrentActor, catalog: Catalog
    ) -> None:
        """The course's instructors."""
        await catalog.delete_lesson(actor, lesson_id)

    @problems(
        "course-not-found",
        "invalid-input",
        "lesson-not-found",
        "unknown-outline-item",
        "course-locked",
        "revision-locked",
    )
    @put(
        "/{lesson_id:uuid}/file",
        operation_id="set_lesson_file",
        summary="Upload a lesson's file",
        request_max_body_size=2 * 1024 * 1024 * 1024,
    )
    async def set_file(
        self,
        lesson_id: FromPath[UUID],
        data: Annotated[FileForm, Body(media_type=RequestEncodingType.MULTI_PART)],
        actor: CurrentActor,
        catalog: Catalog,
    ) -> OutlineLesson:
        """Video (MP4, WebM), PDF, slides (PDF or images) or a resource, judged by its bytes."""
        return await catalog.set_lesson_file(actor, lesson_id, upload_of(data.file))


class MyCoursesController(Controller):
    path = "/me/courses"
    tags = ["catalog"]
    guards = [signed_in]

    @get("", operation_id="list_my_courses", summary="Your courses")
    async def list_mine(
        self,
        actor: CurrentActor,
        catalog: Catalog,
        status: CourseStatus | None = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[OwnCourseCard]:
        """Courses you own or co-teach, in every state, most recently changed first."""
        return await catalog.list_my_courses(
            actor, MyCoursesQuery(status=status, limit=limit, cursor=cursor)
        )


# ---- public images ---------------------------------------------------------------------------
# Course thumbnails and avatars are shown to anyone who sees the course or the person.
_PUBLIC_IMAGE_PREFIXES = tuple(
    f"{purpose.value}/" for purpose in (UploadPurpose.COURSE_THUMBNAIL, UploadPurpose.AVATAR)
)
_MEDIA_TYPE_FOR_EXTENSION = {ext: media for media, ext in EXTENSION_FOR_MEDIA_TYPE.items()}


class ImagesController(Controller):
    path = "/images"
    tags = ["catalog"]

    @binary(*sorted(IMAGE_MEDIA_TYPES))
    @get("/{key:path}", operation_id="get_image", summary="A course thumbnail or an avatar")
    async def image(self, key: FromPath[str], catalog: Catalog) -> Stream:
        """Keys are unguessable and never reused, so the answer is cacheable for good."""
        key = key.lstrip("/")
        extension = key[key.rfind(".") :] if "." in key else ""
        media_type = _MEDIA_TYPE_FOR_EXTENSION.get(extension, "")
        if not key.startswith(_PUBLIC_IMAGE_PREFIXES) or not media_type.startswith("image/"):
            raise NotFound("there is no such image")
        storage = catalog.deps.storage
        size = await storage.size(key)
        return Stream(
            storage.read(key),
            media_type=media_type,
            headers={
                "Content-Length": str(size),
                "Cache-Control": "public, max-age=31536000, immutable",
                "X-Content-Type-Options": "nosniff",
            },
        )
