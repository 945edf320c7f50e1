"""The review workflow: an instructor submits a course, staff approve or reject it and publish
it; a published course is archived by its owner or staff, or taken back to draft by staff.

Every move is the course's own domain method (illegal moves are 409s); staff moves are audited.
With the publish-on-approval setting, approving also publishes.
"""

from __future__ import annotations

from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.authorization import Permission
from elearn.application.catalog.deps import CatalogDeps, CourseNotFound
from elearn.application.catalog.discovery import course_detail_for
from elearn.application.catalog.ports import CatalogUnitOfWork, CourseDetail
from elearn.domain.catalog.course import Course
from elearn.domain.shared.audit import AuditAction


async def _course(uow: CatalogUnitOfWork, course_id: UUID) -> Course:
    course = await uow.courses.get(course_id, for_update=True)
    if course is None:
        raise CourseNotFound()
    return course


class _StaffMove:
    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def _staff_course(
        self, uow: CatalogUnitOfWork, actor: Actor, course_id: UUID, permission: Permission
    ) -> Course:
        course = await _course(uow, course_id)
        if not self._deps.authorizer.holds(actor, permission):
            await self._deps.deny(actor, course, "only managers and admins review courses")
        self._deps.authorizer.authorize(actor, permission)
        return course

    def _audit(
        self, uow: CatalogUnitOfWork, actor: Actor, action: AuditAction, course: Course
    ) -> None:
        last = course.history[-1]
        self._deps.audit(
            uow,
            actor,
            action,
            target_type="course",
            target_id=course.id,
            from_status=last.from_status.value,
            to_status=last.to_status.value,
            reason=last.reason,
        )


class SubmitCourse:
    """An instructor who is an approved tutor submits a complete draft for review: it has a
    title, a description, a price or is free, and a section with at least one lesson."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, course_key: UUID | str) -> CourseDetail:
        deps = self._deps
        course_id = await deps.course_id(course_key)
        user_id = require_signed_in(actor)
        async with deps.uow() as uow:
            course = await _course(uow, course_id)
            if not course.is_instructor(user_id):
                await deps.deny(actor, course, "only the course's instructors may submit it")
            await deps.identity.require_approved_tutor(uow, user_id)
            course.submit(user_id, deps.clock.now(), deps.ids.new_id())
            deps.audit(
                uow, actor, AuditAction.COURSE_SUBMITTED, target_type="course", target_id=course.id
            )
            await uow.commit()
        return await course_detail_for(deps, actor, course_id)


class ApproveCourse(_StaffMove):
    """A manager or admin approves a pending course (and publishes it too, if the platform
    publishes on approval)."""

    async def __call__(self, actor: Actor, course_key: UUID | str) -> CourseDetail:
        deps = self._deps
        course_id = await deps.course_id(course_key)
        async with deps.uow() as uow:
            course = await self._staff_course(uow, actor, course_id, Permission.APPROVE_COURSE)
            staff_id = require_signed_in(actor)
            course.approve(staff_id, deps.clock.now(), deps.ids.new_id())
            self._audit(uow, actor, AuditAction.COURSE_APPROVED, course)
            if deps.policy.publish_on_approval:
                course.publish(staff_id, deps.clock.now(), deps.ids.new_id())
                self._audit(uow, actor, AuditAction.COURSE_PUBLISHED, course)
            await uow.commit()
        return await course_detail_for(deps, actor, course_id)


class RejectCourse(_StaffMove):
    """A manager or admin rejects a pending course with a reason the instructors read."""

    async def __call__(self, actor: Actor, course_key: UUID | str, reason: str) -> CourseDetail:
        deps = self._deps
        course_id = await deps.course_id(course_key)
        async with deps.uow() as uow:
            course = await self._staff_course(uow, actor, course_id, Permission.APPROVE_COURSE)
            course.reject(require_signed_in(actor), deps.clock.now(), deps.ids.new_id(), reason)
            self._audit(uow, actor, AuditAction.COURSE_REJECTED, course)
            await uow.commit()
        return await course_detail_for(deps, actor, course_id)


class PublishCourse(_StaffMove):
    """A manager or admin publishes an approved course: it enters the catalog."""

    async def __call__(self, actor: Actor, course_key: UUID | str) -> CourseDetail:
        deps = self._deps
        course_id = await deps.course_id(course_key)
        async with deps.uow() as uow:
            course = await self._staff_course(uow, actor, course_id, Permission.PUBLISH_COURSE)
            course.publish(require_signed_in(actor), deps.clock.now(), deps.ids.new_id())
            self._audit(uow, actor, AuditAction.COURSE_PUBLISHED, course)
            await uow.commit()
        return await course_detail_for(deps, actor, course_id)


class UnpublishCourse(_StaffMove):
    """A manager or admin takes a published course out of the catalog, back to draft."""

    async def __call__(
        self, actor: Actor, course_key: UUID | str, reason: str | None = None
    ) -> CourseDetail:
        deps = self._deps
        course_id = await deps.course_id(course_key)
        async with deps.uow() as uow:
            course = await self._staff_course(uow, actor, course_id, Permission.PUBLISH_COURSE)
            course.unpublish(require_signed_in(actor), deps.clock.now(), deps.ids.new_id(), reason)
            self._audit(uow, actor, AuditAction.COURSE_UNPUBLISHED, course)
            await uow.commit()
        return await course_detail_for(deps, actor, course_id)


class ArchiveCourse(_StaffMove):
    """The owner or staff archive a published course: no new enrollments, while enrolled
    students keep their access."""

    async def __call__(
        self, actor: Actor, course_key: UUID | str, reason: str | None = None
    ) -> CourseDetail:
        deps = self._deps
        course_id = await deps.course_id(course_key)
        user_id = require_signed_in(actor)
        async with deps.uow() as uow:
            course = await _course(uow, course_id)
            if user_id != course.owner_id:
                if not deps.authorizer.holds(actor, Permission.ARCHIVE_ANY_COURSE):
                    await deps.deny(actor, course, "only the course's owner or staff archive it")
                deps.authorizer.authorize(actor, Permission.ARCHIVE_ANY_COURSE)
            course.archive(user_id, deps.clock.now(), deps.ids.new_id(), reason)
            self._audit(uow, actor, AuditAction.COURSE_ARCHIVED, course)
            await uow.commit()
        return await course_detail_for(deps, actor, course_id)
