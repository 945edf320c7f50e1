"""Everything catalog use cases depend on, and the checks they share."""

from __future__ import annotations

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
from elearn.application.files import FileStorage
from elearn.application.identity.api import IdentityApi
from elearn.application.ports import Clock, IdGenerator, TransactionFactory
from elearn.application.reference import ReferenceData
from elearn.domain.catalog.course import Course, course_visible


class CourseNotFound(NotFound):
    code = "course-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such course")


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
        self, uow: CatalogUnitOfWork, actor: Actor, course: Course | None
    ) -> tuple[UUID, Course]:
        """The course, locked, for one of its instructors to change; it leaves review states
        as the domain says (a rejected course becomes a draft again)."""
        user_id = require_signed_in(actor)
        if course is None:
            raise CourseNotFound()
        if not course.is_instructor(user_id):
            await self.deny(actor, course, "only the course's instructors may change it")
        course.begin_edit(user_id, self.clock.now(), self.ids.new_id())
        return user_id, course
