"""Tutors author courses: create a draft, change its details and outline, upload its thumbnail
and lesson files, and delete a draft that was never published.

Any instructor of a course (its owner and co-instructors) may change its content; only the owner
chooses the co-instructors and deletes it. Changes are refused while the course is under review
or archived; changing a rejected course makes it a draft again.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Final, TypeVar
from urllib.parse import urlsplit
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.catalog.deps import CatalogDeps, CourseNotFound
from elearn.application.catalog.discovery import course_detail_for, lesson_view, section_view
from elearn.application.catalog.ports import (
    CatalogUnitOfWork,
    CourseDetail,
    OutlineLesson,
    OutlineSectionView,
)
from elearn.application.errors import FieldError, InvalidInput, NotFound, UnsupportedMediaType
from elearn.application.files import (
    AUDIO_MEDIA_TYPES,
    DOCUMENT_MEDIA_TYPES,
    IMAGE_MEDIA_TYPES,
    VIDEO_MEDIA_TYPES,
    StoredFile,
    Upload,
    UploadPurpose,
    delete_quietly,
)
from elearn.domain.catalog.course import (
    FILE_KINDS,
    TEXT_KINDS,
    VIDEO_URL_KINDS,
    Course,
    CourseNotDeletable,
    CourseStatus,
    Lesson,
    LessonFile,
    LessonKind,
    Level,
    OutlineSection,
    Section,
    SlugTaken,
    course_title,
)
from elearn.domain.catalog.prerequisites import check_prerequisites
from elearn.domain.catalog.slugs import first_free_slug, slugify, valid_slug
from elearn.domain.shared.audit import AuditAction
from elearn.domain.shared.money import Money

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Keep(Enum):
    """A field a partial update leaves as it is (``None`` may be a value: no category)."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP
MAX_VIDEO_URL = 2048

# What a file may be, by the kind of lesson it belongs to; the bytes decide, not the name.
FILE_TYPES_BY_KIND: dict[LessonKind, frozenset[str]] = {
    LessonKind.VIDEO: VIDEO_MEDIA_TYPES,
    LessonKind.PDF: DOCUMENT_MEDIA_TYPES,
    LessonKind.SLIDES: DOCUMENT_MEDIA_TYPES | IMAGE_MEDIA_TYPES,
    LessonKind.RESOURCE: (
        DOCUMENT_MEDIA_TYPES | IMAGE_MEDIA_TYPES | AUDIO_MEDIA_TYPES | VIDEO_MEDIA_TYPES
    ),
}


# ---- commands --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CourseChanges:
    """A partial update of a course's details; KEEP leaves a field as it is."""

    title: str | Keep = KEEP
    slug: str | Keep = KEEP
    subtitle: str | Keep = KEEP
    description: str | Keep = KEEP
    language: str | Keep = KEEP
    level: Level | Keep = KEEP
    price: Money | Keep = KEEP
    free: bool | Keep = KEEP
    category_id: UUID | Keep | None = KEEP
    tags: Sequence[str] | Keep = KEEP
    learning_outcomes: Sequence[str] | Keep = KEEP
    requirements: Sequence[str] | Keep = KEEP
    prerequisite_ids: Sequence[UUID] | Keep = KEEP
    co_instructor_ids: Sequence[UUID] | Keep = KEEP
    preview_lesson_id: UUID | Keep | None = KEEP


@dataclass(frozen=True, slots=True)
class LessonChanges:
    title: str | Keep = KEEP
    kind: LessonKind | Keep = KEEP
    duration_seconds: int | Keep = KEEP
    is_free_preview: bool | Keep = KEEP
    is_required: bool | Keep = KEEP
    text: str | Keep | None = KEEP
    video_url: str | Keep | None = KEEP


# ---- shared steps ----------------------------------------------------------------------------
async def _fresh_slug(uow: CatalogUnitOfWork, title: str, course_id: UUID) -> str:
    base = slugify(title)
    taken = await uow.courses.slugs_like(base, other_than=course_id)
    return first_free_slug(base, taken.__contains__)


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field} {message}", errors=[FieldError(field, message)])


async def _apply(
    deps: CatalogDeps,
    uow: CatalogUnitOfWork,
    actor_id: UUID,
    course: Course,
    changes: CourseChanges,
) -> None:
    """Applies every field given, checking each against the rest of the catalog."""
    if not isinstance(changes.title, Keep):
        title = course_title(changes.title)
        new_slug = None if course.slug_is_frozen else await _fresh_slug(uow, title, course.id)
        course.rename(title, new_slug)
    if not isinstance(changes.slug, Keep) and changes.slug != course.slug:
        slug = valid_slug(changes.slug)
        owner = await uow.courses.id_for_slug(slug)
        if owner is not None and owner != course.id:
            raise SlugTaken(f"the slug {slug!r} is taken")
        course.change_slug(slug)
    if not isinstance(changes.subtitle, Keep):
        course.set_subtitle(changes.subtitle)
    if not isinstance(changes.description, Keep):
        course.set_description(changes.description)
    if not isinstance(changes.language, Keep):
        if not deps.reference.is_language(changes.language):
            raise _invalid("language", "is not a known language code")
        course.language = changes.language
    if not isinstance(changes.level, Keep):
        course.level = changes.level
    if not isinstance(changes.price, Keep) and not isinstance(changes.free, Keep):
        if changes.free:
            raise _invalid("price", "cannot be given for a course marked free")
    if not isinstance(changes.free, Keep):
        if changes.free:
            course.make_free()
        elif isinstance(changes.price, Keep) and course.is_free:
            raise _invalid("price", "is needed when a course stops being free")
    if not isinstance(changes.price, Keep):
        if changes.price.amount <= 0:
            raise _invalid("price", "is more than 0 (a free course is marked free)")
        if not deps.reference.is_currency(changes.price.currency):
            raise _invalid("price", "has a currency that is not in circulation")
        course.set_price(changes.price)
    if not isinstance(changes.category_id, Keep):
        if (
            changes.category_id is not None
            and await uow.categories.get(changes.category_id) is None
        ):
            raise _invalid("category_id", "names no category")
        course.category_id = changes.category_id
    if not isinstance(changes.tags, Keep):
        course.set_tags(changes.tags)
    if not isinstance(changes.learning_outcomes, Keep):
        course.set_learning_outcomes(changes.learning_outcomes)
    if not isinstance(changes.requirements, Keep):
        course.set_requirements(changes.requirements)
    if not isinstance(changes.co_instructor_ids, Keep):
        course.require_owner(actor_id)
        for user_id in changes.co_instructor_ids:
            user = await deps.identity.user(uow, user_id)
            if user is None or not user.is_approved_tutor or not user.is_active:
                raise _invalid("co_instructor_ids", f"{user_id} is not an approved tutor")
        course.set_co_instructors(changes.co_instructor_ids)
    if not isinstance(changes.prerequisite_ids, Keep):
        await _set_prerequisites(deps, uow, actor_id, course, tuple(changes.prerequisite_ids))
    if not isinstance(changes.preview_lesson_id, Keep):
        course.set_preview_lesson(changes.preview_lesson_id)


async def _set_prerequisites(
    deps: CatalogDeps, uow: CatalogUnitOfWork, actor_id: UUID, course: Course, ids: tuple[UUID, ...]
) -> None:
    course.set_prerequisites(ids)
    # Students must be able to take a prerequisite: it is published, or one of this
    # instructor's own courses on its way there.
    statuses = await uow.courses.statuses(course.prerequisite_ids)
    for prerequisite_id in course.prerequisite_ids:
        status = statuses.get(prerequisite_id)
        if status is None:
            raise _invalid("prerequisite_ids", f"{prerequisite_id} names no course")
        if status is not CourseStatus.PUBLISHED:
            other = await uow.courses.get(prerequisite_id)
            if other is None or not other.is_instructor(actor_id):
                raise _invalid("prerequisite_ids", f"{prerequisite_id} is not published")
    await uow.courses.lock_prerequisite_graph()
    graph = dict(await uow.courses.prerequisite_graph(course.prerequisite_ids))
    graph.pop(course.id, None)
    check_prerequisites(course.id, course.prerequisite_ids, graph)


def _video_url(url: str | None) -> str | None:
    if url is None:
        return None
    url = url.strip()
    parts = urlsplit(url)
    if len(url) > MAX_VIDEO_URL or parts.scheme not in ("https", "http") or not parts.hostname:
        raise _invalid("video_url", f"is an http(s) URL of at most {MAX_VIDEO_URL} characters")
    return url


def _changed(value: T | Keep, current: T) -> T:
    return current if isinstance(value, Keep) else value


def _lesson_with(lesson: Lesson, changes: LessonChanges) -> Lesson:
    """A new lesson value with the changes applied, so every content rule is checked again."""
    kind = _changed(changes.kind, lesson.kind)
    # Content the new kind cannot carry goes, unless the change sets it explicitly.
    text = _changed(changes.text, lesson.text if kind in TEXT_KINDS else None)
    video_url = _changed(changes.video_url, lesson.video_url if kind in VIDEO_URL_KINDS else None)
    return Lesson(
        id=lesson.id,
        kind=kind,
        title=_changed(changes.title, lesson.title),
        duration_seconds=_changed(changes.duration_seconds, lesson.duration_seconds),
        is_free_preview=_changed(changes.is_free_preview, lesson.is_free_preview),
        is_required=_changed(changes.is_required, lesson.is_required),
        text=text,
        video_url=_video_url(video_url) if video_url != lesson.video_url else video_url,
        # A file of another kind of lesson would not fit the new kind.
        file=lesson.file if kind in FILE_KINDS else None,
    )


def _replace_lesson(course: Course, lesson: Lesson) -> None:
    section = course.section_of(lesson.id)
    index = next(i for i, item in enumerate(section.lessons) if item.id == lesson.id)
    section.lessons[index] = lesson
    if course.preview_lesson_id == lesson.id and not lesson.is_free_preview:
        course.preview_lesson_id = None


# ---- courses ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class NewCourse:
    title: str
    details: CourseChanges = dataclasses.field(default_factory=CourseChanges)


class CreateCourse:
    """An approved tutor with a verified email creates a course as a draft; its slug comes
    from the title."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, command: NewCourse) -> CourseDetail:
        deps = self._deps
        user_id = require_signed_in(actor)
        async with deps.uow() as uow:
            await deps.identity.require_approved_tutor(uow, user_id)
            now = deps.clock.now()
            course_id = deps.ids.new_id()
            title = course_title(command.title)
            course = Course(
                id=course_id,
                owner_id=user_id,
                title=title,
                slug=await _fresh_slug(uow, title, course_id),
                created_at=now,
                updated_at=now,
            )
            await _apply(deps, uow, user_id, course, command.details)
            await uow.courses.add(course)
            await uow.commit()
        return await course_detail_for(deps, actor, course_id)


class UpdateCourse:
    """An instructor changes a course's details; the slug follows the title until the course
    is first published, and every slug it had keeps resolving."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, course_key: UUID | str, changes: CourseChanges
    ) -> CourseDetail:
        deps = self._deps
        course_id = await deps.course_id(course_key)
        async with deps.uow() as uow:
            if not isinstance(changes.prerequisite_ids, Keep):
                # Before the course's row: holding the row while waiting for the graph lock
                # deadlocks with a change that holds the graph and references this course.
                await uow.courses.lock_prerequisite_graph()
            course = await uow.courses.get(course_id, for_update=True)
            user_id, course = await deps.course_to_edit(uow, actor, course)
            await _apply(deps, uow, user_id, course, changes)
            await uow.commit()
        return await course_detail_for(deps, actor, course_id)


class DeleteCourse:
    """The owner deletes a draft that was never published (nobody can have bought it)."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, course_key: UUID | str) -> None:
        deps = self._deps
        course_id = await deps.course_id(course_key)
        user_id = require_signed_in(actor)
        async with deps.uow() as uow:
            course = await uow.courses.get(course_id, for_update=True)
            if course is None:
                raise CourseNotFound()
            if user_id != course.owner_id:
                await deps.deny(actor, course, "only the course's owner may delete it")
            if not course.is_deletable:
                raise CourseNotDeletable(
                    "only a draft that was never published can be deleted; archive it instead"
                )
            files = [course.thumbnail_key] + [
                lesson.file.key for lesson in course.lessons if lesson.file is not None
            ]
            await uow.courses.remove(course)
            deps.audit(
                uow, actor, AuditAction.COURSE_DELETED, target_type="course", target_id=course.id
            )
            await uow.commit()
        await delete_quietly(deps.storage, *files)


class SetThumbnail:
    """An instructor replaces the course's thumbnail with an image (JPEG, PNG, GIF or WebP,
    at most 5 MiB); the previous image is deleted."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, course_key: UUID | str, upload: Upload) -> CourseDetail:
        deps = self._deps
        course_id = await deps.course_id(course_key)
        require_signed_in(actor)
        # Checked before the bytes arrive, and again in the transaction.
        async with deps.uow() as uow:
            await deps.course_to_edit(uow, actor, await uow.courses.get(course_id))
        stored = await deps.storage.save(
            upload.chunks, purpose=UploadPurpose.COURSE_THUMBNAIL, original_name=upload.filename
        )
        previous = await _store_in_course(
            deps, actor, stored, lambda uow: uow.courses.get(course_id, for_update=True), _thumbnail
        )
        if previous != stored.key:
            await delete_quietly(deps.storage, previous)
        return await course_detail_for(deps, actor, course_id)


def _thumbnail(course: Course, stored: StoredFile) -> str | None:
    previous = course.thumbnail_key
    course.thumbnail_key = stored.key
    return previous


async def _store_in_course(
    deps: CatalogDeps,
    actor: Actor,
    stored: StoredFile,
    load: Callable[[CatalogUnitOfWork], Awaitable[Course | None]],
    attach: Callable[[Course, StoredFile], str | None],
) -> str | None:
    """Attaches a file stored before the transaction; if the transaction fails, the file goes."""
    committed = False
    try:
        async with deps.uow() as uow:
            _, course = await deps.course_to_edit(uow, actor, await load(uow))
            previous = attach(course, stored)
            await uow.commit()
            committed = True
            return previous
    finally:
        if not committed:
            await delete_quietly(deps.storage, stored.key)


# ---- the outline -----------------------------------------------------------------------------
class AddSection:
    """An instructor adds a section, at the end or at a position."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, course_key: UUID | str, title: str, position: int | None = None
    ) -> OutlineSectionView:
        deps = self._deps
        course_id = await deps.course_id(course_key)
        async with deps.uow() as uow:
            _, course = await deps.course_to_edit(
                uow, actor, await uow.courses.get(course_id, for_update=True)
            )
            section = Section(id=deps.ids.new_id(), title=title)
            course.add_section(section, position=position)
            await uow.commit()
        return section_view(section, content_visible=True)


class UpdateSection:
    """An instructor renames a section."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, section_id: UUID, title: str) -> OutlineSectionView:
        deps = self._deps
        async with deps.uow() as uow:
            course = await _course_of_section(uow, section_id)
            _, course = await deps.course_to_edit(uow, actor, course)
            section = course.section(section_id)
            section.title = Section(id=section.id, title=title).title
            await uow.commit()
        return section_view(section, content_visible=True)


class DeleteSection:
    """An instructor removes a section with its lessons."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, section_id: UUID) -> None:
        deps = self._deps
        async with deps.uow() as uow:
            course = await _course_of_section(uow, section_id)
            _, course = await deps.course_to_edit(uow, actor, course)
            section = course.remove_section(section_id)
            await uow.commit()
        await delete_quietly(
            deps.storage, *(lesson.file.key for lesson in section.lessons if lesson.file)
        )


@dataclass(frozen=True, slots=True)
class NewLesson:
    kind: LessonKind
    title: str
    duration_seconds: int = 0
    is_free_preview: bool = False
    is_required: bool = True
    text: str | None = None
    video_url: str | None = None
    position: int | None = None


class AddLesson:
    """An instructor adds a lesson to a section: a video, text, PDF, slides, quiz, assignment or
    resource, with its duration and whether it is a free preview."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, section_id: UUID, command: NewLesson) -> OutlineLesson:
        deps = self._deps
        async with deps.uow() as uow:
            course = await _course_of_section(uow, section_id)
            _, course = await deps.course_to_edit(uow, actor, course)
            lesson = Lesson(
                id=deps.ids.new_id(),
                kind=command.kind,
                title=command.title,
                duration_seconds=command.duration_seconds,
                is_free_preview=command.is_free_preview,
                is_required=command.is_required,
                text=command.text,
                video_url=_video_url(command.video_url),
            )
            course.add_lesson(section_id, lesson, position=command.position)
            await uow.commit()
        return lesson_view(lesson, content_visible=True)


class UpdateLesson:
    """An instructor changes a lesson; changing its kind drops content the new kind cannot
    carry."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, lesson_id: UUID, changes: LessonChanges
    ) -> OutlineLesson:
        deps = self._deps
        async with deps.uow() as uow:
            course = await _course_of_lesson(uow, lesson_id)
            _, course = await deps.course_to_edit(uow, actor, course)
            before = course.lesson(lesson_id)
            lesson = _lesson_with(before, changes)
            _replace_lesson(course, lesson)
            await uow.commit()
        if before.file is not None and lesson.file is None:
            await delete_quietly(deps.storage, before.file.key)
        return lesson_view(lesson, content_visible=True)


class DeleteLesson:
    """An instructor removes a lesson."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, lesson_id: UUID) -> None:
        deps = self._deps
        async with deps.uow() as uow:
            course = await _course_of_lesson(uow, lesson_id)
            _, course = await deps.course_to_edit(uow, actor, course)
            lesson = course.remove_lesson(lesson_id)
            await uow.commit()
        if lesson.file is not None:
            await delete_quietly(deps.storage, lesson.file.key)


class SetLessonFile:
    """An instructor uploads the file of a video, PDF, slides or resource lesson; what the bytes
    are must fit the kind of lesson. The previous file is deleted."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, lesson_id: UUID, upload: Upload) -> OutlineLesson:
        deps = self._deps
        async with deps.uow() as uow:
            course = await _course_of_lesson(uow, lesson_id, for_update=False)
            _, course = await deps.course_to_edit(uow, actor, course)
            kind = course.lesson(lesson_id).kind
        accepted = FILE_TYPES_BY_KIND.get(kind)
        if accepted is None:
            raise _invalid("file", f"cannot belong to a {kind} lesson")
        stored = await deps.storage.save(
            upload.chunks, purpose=UploadPurpose.LESSON_MEDIA, original_name=upload.filename
        )
        if stored.media_type not in accepted:
            await delete_quietly(deps.storage, stored.key)
            raise UnsupportedMediaType(
                f"a {kind} lesson takes {', '.join(sorted(accepted))}, not {stored.media_type}"
            )
        attached: list[Lesson] = []

        def attach(course: Course, stored: StoredFile) -> str | None:
            before = course.lesson(lesson_id)
            file = LessonFile(
                key=stored.key,
                filename=stored.original_name or f"lesson{_extension(stored.key)}",
                content_type=stored.media_type,
                size=stored.size,
            )
            lesson = dataclasses.replace(before, file=file, video_url=None)
            _replace_lesson(course, lesson)
            attached.append(lesson)
            return before.file.key if before.file else None

        previous = await _store_in_course(
            deps, actor, stored, lambda uow: _course_of_lesson(uow, lesson_id), attach
        )
        if previous is not None and previous != stored.key:
            await delete_quietly(deps.storage, previous)
        return lesson_view(attached[0], content_visible=True)


def _extension(key: str) -> str:
    name = key.rsplit("/", 1)[-1]
    return name[name.rfind(".") :] if "." in name else ""


class ReorderOutline:
    """An instructor puts sections and lessons in a new order in one atomic change; the order
    names every section and every lesson exactly once, and lessons may change section."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, course_key: UUID | str, order: Sequence[OutlineSection]
    ) -> CourseDetail:
        deps = self._deps
        course_id = await deps.course_id(course_key)
        async with deps.uow() as uow:
            _, course = await deps.course_to_edit(
                uow, actor, await uow.courses.get(course_id, for_update=True)
            )
            course.reorder(order)
            await uow.commit()
        return await course_detail_for(deps, actor, course_id)


async def _course_of_section(uow: CatalogUnitOfWork, section_id: UUID) -> Course:
    course = await uow.courses.get_by_section(section_id, for_update=True)
    if course is None:
        raise NotFound("there is no such section", code="section-not-found")
    return course


async def _course_of_lesson(
    uow: CatalogUnitOfWork, lesson_id: UUID, *, for_update: bool = True
) -> Course:
    course = await uow.courses.get_by_lesson(lesson_id, for_update=for_update)
    if course is None:
        raise NotFound("there is no such lesson", code="lesson-not-found")
    return course
