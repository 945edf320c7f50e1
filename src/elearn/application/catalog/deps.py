"""Everything catalog use cases depend on, and the checks they share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.audit import Audits
from elearn.application.authorization import Authorizer, Permission
from elearn.application.catalog.ports import (
    CatalogPolicy,
    CatalogQueries,
    CatalogUnitOfWork,
    CourseFacts,
    Enrollments,
)
from elearn.application.errors import NotFound, PermissionDenied
from elearn.application.files import FileStorage, delete_quietly
from elearn.application.identity.api import IdentityApi
from elearn.application.ports import Clock, IdGenerator, TransactionFactory
from elearn.application.reference import ReferenceData
from elearn.domain.catalog.course import Course, course_visible
from elearn.domain.catalog.revision import CourseRevision


class CourseNotFound(NotFound):
    code = "course-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such course")


class RevisionNotFound(NotFound):
    code = "revision-not-found"

    def __init__(self) -> None:
        super().__init__("the course has no staged changes")


def file_keys(course: Course) -> set[str]:
    """Every stored file a course's content names."""
    keys = {lesson.file.key for lesson in course.lessons if lesson.file is not None}
    return keys | ({course.thumbnail_key} if course.thumbnail_key else set())


@dataclass(frozen=True, kw_only=True)
class CatalogDeps(Audits):
    uow: TransactionFactory[CatalogUnitOfWork]
    clock: Clock
    ids: IdGenerator
    storage: FileStorage
    queries: CatalogQueries
    enrollments: Enrollments
    reference: ReferenceData
    policy: CatalogPolicy
    authorizer: Authorizer
    identity: IdentityApi
    # The public URL of a stored image (a course thumbnail), for views built from a course.
    image_url: Callable[[str], str] = str

    async def course_id(self, key: UUID | str) -> UUID:
        """The course an id or any slug it has had names."""
        if isinstance(key, UUID):
            return key
        try:
            return UUID(key)
        except ValueError:
            pass
        found = await self.queries.course_id_for_slug(key)
        if found is None:
            raise CourseNotFound()
        return found

    async def can_see(self, actor: Actor, course: Course | CourseFacts) -> bool:
        enrolled = (
            actor.user_id is not None
            and not course.is_instructor(actor.user_id)
            and await self.enrollments.is_enrolled(actor.user_id, course.id)
        )
        return course_visible(
            course.status,
            is_instructor=course.is_instructor(actor.user_id),
            is_staff=self.authorizer.allows(actor, Permission.VIEW_ANY_COURSE),
            is_enrolled=enrolled,
        )

    async def deny(self, actor: Actor, course: Course | CourseFacts, message: str) -> NoReturn:
        """Refuses an actor who may not change ``course``; who cannot even see it is told it
        does not exist, so the ids of drafts leak nothing."""
        if await self.can_see(actor, course):
            raise PermissionDenied(message)
        raise CourseNotFound()

    async def course_to_edit(
        self, uow: CatalogUnitOfWork, actor: Actor, course: Course | None, *, staged: bool = True
    ) -> tuple[UUID, Course]:
        """What one of the course's instructors changes: the course itself (locked), which
        leaves review states as the domain says (a rejected course becomes a draft again) — or,
        for a published course, the working copy of its revision (started on the first change),
        so the live course stays as it is until staff approve. ``staged=False`` is for what
        another context keeps of a lesson (a quiz), which has no revision."""
        user_id = require_signed_in(actor)
        if course is None:
            raise CourseNotFound()
        if not course.is_instructor(user_id):
            await self.deny(actor, course, "only the course's instructors may change it")
        now = self.clock.now()
        if staged and course.changes_need_review:
            revision = await uow.revisions.get(course.id, for_update=True)
            if revision is None:
                revision = CourseRevision.start(course, now)
                await uow.revisions.add(revision)
            revision.begin_edit(now)
            return user_id, revision.content
        course.begin_edit(user_id, now, self.ids.new_id())
        return user_id, course

    async def delete_unused_files(self, course_id: UUID, *keys: str | None) -> None:
        """Deletes those of ``keys`` that neither the course nor its revision names any more
        (a file replaced in a revision stays while the live course shows it)."""
        candidates = {key for key in keys if key}
        if not candidates:
            return
        async with self.uow(read_only=True) as uow:
            course = await uow.courses.get(course_id)
            revision = await uow.revisions.get(course_id)
        in_use = (file_keys(course) if course else set()) | (
            file_keys(revision.content) if revision else set()
        )
        await delete_quietly(self.storage, *(candidates - in_use))
