"""The review workflow: an instructor submits a course, staff approve or reject it and publish
it; a published course is archived by its owner or staff, or taken back to draft by staff.

Every move is the course's own domain method (illegal moves are 409s); staff moves are audited.
With the publish-on-approval setting, approving also publishes.

A published course's changes go through the same review as a revision: submitted by an
instructor, approved (applied in one transaction) or rejected by staff, or discarded.
"""

from __future__ import annotations

from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.authorization import Permission
from elearn.application.catalog.authoring import audit_price_change
from elearn.application.catalog.deps import (
    CatalogDeps,
    CourseNotFound,
    RevisionNotFound,
    file_keys,
)
from elearn.application.catalog.discovery import course_detail_for, revision_detail_for
from elearn.application.catalog.ports import (
    CatalogUnitOfWork,
    CourseDetail,
    CourseStatusCounts,
    RevisionCard,
    RevisionDetail,
    StaffCourseCard,
)
from elearn.application.paging import Page, check_limit, page_of
from elearn.domain.catalog.course import Course, CourseStatus
from elearn.domain.catalog.prerequisites import check_prerequisites
from elearn.domain.catalog.revision import (
    CourseRevision,
    RevisionOutdated,
    RevisionStatus,
    changed_fields,
)
from elearn.domain.shared.audit import AuditAction


async def _course(uow: CatalogUnitOfWork, course_id: UUID) -> Course:
    course = await uow.courses.get(course_id, for_update=True)
    if course is None:
        raise CourseNotFound()
    return course


async def _course_its_instructor_submits(
    deps: CatalogDeps, uow: CatalogUnitOfWork, actor: Actor, course_id: UUID, user_id: UUID
) -> Course:
    """The course, locked, when the actor is one of its instructors and an approved tutor: who
    may submit a draft, or a published course's staged changes, for review."""
    course = await _course(uow, course_id)
    if not course.is_instructor(user_id):
        await deps.deny(actor, course, "only the course's instructors may submit it")
    await deps.identity.require_approved_tutor(uow, user_id)
    return course


async def _drop_revision(uow: CatalogUnitOfWork, course_id: UUID) -> set[str]:
    """A course leaving the published state drops its staged changes: a draft is edited in
    place, and an old copy applied after a later publication would undo those edits. Answers
    the files the revision named."""
    revision = await uow.revisions.get(course_id, for_update=True)
    if revision is None:
        return set()
    await uow.revisions.remove(revision)
    return file_keys(revision.content)


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
            course = await _course_its_instructor_submits(deps, uow, actor, course_id, user_id)
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
            staged_files = await _drop_revision(uow, course_id)
            await uow.commit()
        await deps.delete_unused_files(course_id, *staged_files)
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
            staged_files = await _drop_revision(uow, course_id)
            await uow.commit()
        await deps.delete_unused_files(course_id, *staged_files)
        return await course_detail_for(deps, actor, course_id)


# ---- revisions of published courses ----------------------------------------------------------
async def _revision(uow: CatalogUnitOfWork, course_id: UUID) -> CourseRevision:
    revision = await uow.revisions.get(course_id, for_update=True)
    if revision is None:
        raise RevisionNotFound()
    return revision


class SubmitRevision:
    """An instructor submits a published course's staged changes for review; the course stays
    published as it is meanwhile."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, course_key: UUID | str) -> RevisionDetail:
        deps = self._deps
        course_id = await deps.course_id(course_key)
        user_id = require_signed_in(actor)
        async with deps.uow() as uow:
            course = await _course_its_instructor_submits(deps, uow, actor, course_id, user_id)
            revision = await _revision(uow, course_id)
            revision.submit(course, deps.clock.now())
            deps.audit(
                uow,
                actor,
                AuditAction.REVISION_SUBMITTED,
                target_type="course",
                target_id=course_id,
                changed_fields=changed_fields(course, revision.content),
            )
            await uow.commit()
        return await revision_detail_for(deps, actor, course_id)


class ApproveRevision(_StaffMove):
    """A manager or admin approves a pending revision: its content replaces the live content
    in one transaction, and the course stays published."""

    async def __call__(self, actor: Actor, course_key: UUID | str) -> CourseDetail:
        deps = self._deps
        course_id = await deps.course_id(course_key)
        async with deps.uow() as uow:
            # Before the course's row, as every change of prerequisites takes them.
            await uow.courses.lock_prerequisite_graph()
            course = await self._staff_course(uow, actor, course_id, Permission.APPROVE_COURSE)
            revision = await _revision(uow, course_id)
            await _still_valid(uow, revision.content)
            changed = changed_fields(course, revision.content)
            before_price, before_files = course.price, file_keys(course)
            revision.approve(course, require_signed_in(actor), deps.clock.now(), deps.ids.new_id())
            await uow.revisions.remove(revision)
            deps.audit(
                uow,
                actor,
                AuditAction.REVISION_APPROVED,
                target_type="course",
                target_id=course_id,
                changed_fields=changed,
            )
            if before_price != course.price:
                audit_price_change(deps, uow, actor, course_id, before_price, course.price)
            await uow.commit()
        await deps.delete_unused_files(course_id, *before_files)
        return await course_detail_for(deps, actor, course_id)


async def _still_valid(uow: CatalogUnitOfWork, staged: Course) -> None:
    """What the catalog may have changed since the edit: the category, the prerequisites."""
    if staged.category_id is not None and await uow.categories.get(staged.category_id) is None:
        raise RevisionOutdated("the revision's category no longer exists; choose another")
    statuses = await uow.courses.statuses(staged.prerequisite_ids)
    if set(statuses) != set(staged.prerequisite_ids):
        raise RevisionOutdated("a prerequisite of the revision no longer exists")
    graph = dict(await uow.courses.prerequisite_graph(staged.prerequisite_ids))
    graph.pop(staged.id, None)
    check_prerequisites(staged.id, staged.prerequisite_ids, graph)


class RejectRevision(_StaffMove):
    """A manager or admin rejects a pending revision with a reason; the instructors fix it
    (it becomes a draft again on their next change) or discard it."""

    async def __call__(self, actor: Actor, course_key: UUID | str, reason: str) -> RevisionDetail:
        deps = self._deps
        course_id = await deps.course_id(course_key)
        async with deps.uow() as uow:
            await self._staff_course(uow, actor, course_id, Permission.APPROVE_COURSE)
            revision = await _revision(uow, course_id)
            revision.reject(reason, deps.clock.now())
            deps.audit(
                uow,
                actor,
                AuditAction.REVISION_REJECTED,
                target_type="course",
                target_id=course_id,
                reason=revision.rejection_reason,
            )
            await uow.commit()
        return await revision_detail_for(deps, actor, course_id)


class DiscardRevision:
    """An instructor throws the staged changes away (also while under review: a withdrawal);
    the files only they named go too."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, course_key: UUID | str) -> None:
        deps = self._deps
        course_id = await deps.course_id(course_key)
        user_id = require_signed_in(actor)
        async with deps.uow() as uow:
            course = await _course(uow, course_id)
            if not course.is_instructor(user_id):
                await deps.deny(actor, course, "only the course's instructors may discard it")
            revision = await _revision(uow, course_id)
            staged_files = file_keys(revision.content)
            await uow.revisions.remove(revision)
            deps.audit(
                uow,
                actor,
                AuditAction.REVISION_DISCARDED,
                target_type="course",
                target_id=course_id,
            )
            await uow.commit()
        await deps.delete_unused_files(course_id, *staged_files)


class ListRevisions(_StaffMove):
    """Managers and admins list revisions (the pending ones are their queue)."""

    async def __call__(
        self,
        actor: Actor,
        *,
        status: RevisionStatus | None = RevisionStatus.PENDING,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[RevisionCard]:
        check_limit(limit)
        self._deps.authorizer.authorize(actor, Permission.APPROVE_COURSE)
        return await page_of(self._deps.queries.revisions(status, limit=limit, cursor=cursor))


class ListCoursesForStaff:
    """Managers and admins list courses in any state: the pending ones are the review queue,
    the longest waiting first; any other list is most recently changed first."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(
        self,
        actor: Actor,
        *,
        status: CourseStatus | None = None,
        instructor_id: UUID | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[StaffCourseCard]:
        self._deps.authorizer.authorize(actor, Permission.VIEW_ANY_COURSE)
        check_limit(limit)
        return await page_of(
            self._deps.queries.staff_courses(status, instructor_id, limit=limit, cursor=cursor)
        )


class CountCoursesByStatus:
    """Managers and admins see how many courses are in each state (how long the queue is)."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor) -> CourseStatusCounts:
        self._deps.authorizer.authorize(actor, Permission.VIEW_ANY_COURSE)
        return await self._deps.queries.course_status_counts()
