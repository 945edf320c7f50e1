"""Getting into a course and out of it, and who is in it.

Students enroll themselves in free, published courses (``Enroll``); a paid course answers with
where to buy it. ``grant_enrollment`` is the only other way in: billing calls it after payment
and administrators through ``GrantEnrollment``. Every way in or out moves the course's
enrollment count in the same transaction.
"""

from __future__ import annotations

from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.authorization import Permission
from elearn.application.catalog.api import CourseNotFound
from elearn.application.errors import NotFound, PaymentRequired
from elearn.application.learning.deps import LearningDeps, requirements
from elearn.application.learning.ports import (
    EnrollmentView,
    LearningUnitOfWork,
    StaffEnrollmentFilters,
    StaffEnrollmentView,
    StudentView,
)
from elearn.application.paging import Page, check_limit, page_of
from elearn.domain.learning.enrollment import (
    AlreadyEnrolled,
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
    check_self_enrollment,
)
from elearn.domain.learning.progress import course_progress
from elearn.domain.shared.audit import AuditAction


class EnrollmentNotFound(NotFound):
    code = "enrollment-not-found"

    def __init__(self) -> None:
        super().__init__("you are not enrolled in this course")


async def grant_enrollment(
    deps: LearningDeps,
    uow: LearningUnitOfWork,
    *,
    user_id: UUID,
    course_id: UUID,
    source: EnrollmentSource,
) -> Enrollment:
    """Puts a student in a course inside the caller's unit of work: a new enrollment, or a
    revoked one made live again. A live enrollment is a conflict (409)."""
    existing = await uow.learning.enrollments.find(user_id, course_id, for_update=True)
    return await grant_over(
        deps, uow, existing, user_id=user_id, course_id=course_id, source=source
    )


async def grant_over(
    deps: LearningDeps,
    uow: LearningUnitOfWork,
    existing: Enrollment | None,
    *,
    user_id: UUID,
    course_id: UUID,
    source: EnrollmentSource,
) -> Enrollment:
    """``grant_enrollment`` for a caller that has looked the enrollment up already, locked
    (``existing``, or None when there is none): a sale looks it up once."""
    ids = deps.ids
    now = deps.clock.now()
    if existing is not None:
        existing.regrant(source=source, now=now, event_id=ids.new_id())
        await uow.learning.certificates.set_revoked(existing.id, None)
        enrollment = existing
    else:
        enrollment = Enrollment.start(
            enrollment_id=ids.new_id(),
            user_id=user_id,
            course_id=course_id,
            source=source,
            now=now,
            event_id=ids.new_id(),
        )
        await uow.learning.enrollments.add(enrollment)
        # Progress is kept per lesson: a student who left and came back is where they were.
        outline = await deps.catalog.outline(uow, course_id)
        completed = await uow.learning.progress.completed_lessons(user_id, course_id)
        enrollment.progress_percent = course_progress(requirements(outline), completed)
    await uow.learning.enrollments.change_course_count(course_id, +1)
    return enrollment


async def revoke_enrollment(
    deps: LearningDeps,
    uow: LearningUnitOfWork,
    *,
    user_id: UUID,
    course_id: UUID,
    reason: str | None = None,
) -> Enrollment:
    """Takes a course back (a refund) inside the caller's unit of work."""
    enrollment = await uow.learning.enrollments.find(user_id, course_id, for_update=True)
    if enrollment is None:
        raise EnrollmentNotFound()
    now = deps.clock.now()
    enrollment.revoke(now=now, event_id=deps.ids.new_id(), reason=reason)
    await uow.learning.enrollments.change_course_count(course_id, -1)
    # Refunded is not earned: verification shows the certificate as no longer valid.
    await uow.learning.certificates.set_revoked(enrollment.id, now)
    return enrollment


async def _missing_prerequisites(
    uow: LearningUnitOfWork, user_id: UUID, prerequisite_ids: tuple[UUID, ...]
) -> list[UUID]:
    missing = []
    for prerequisite_id in prerequisite_ids:
        found = await uow.learning.enrollments.find(user_id, prerequisite_id)
        if found is None or found.status is not EnrollmentStatus.COMPLETED:
            missing.append(prerequisite_id)
    return missing


async def _view(deps: LearningDeps, enrollment_id: UUID) -> EnrollmentView:
    view = await deps.queries.enrollment(enrollment_id)
    if view is None:  # removed between the commit and this read
        raise EnrollmentNotFound()
    return view


class Enroll:
    """A student enrolls in a free, published course: with a verified email, not as one of its
    instructors, with its prerequisites completed."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, course_key: UUID | str) -> EnrollmentView:
        deps = self._deps
        user_id = require_signed_in(actor)
        course_id = await deps.course_id(course_key)
        async with deps.uow() as uow:
            course = await deps.catalog.course_facts(uow, course_id)
            existing = await uow.learning.enrollments.find(user_id, course_id, for_update=True)
            live = existing is not None and existing.gives_access
            if course is None or not course.visible_to(
                user_id,
                is_staff=deps.authorizer.allows(actor, Permission.VIEW_ANY_COURSE),
                is_enrolled=live,
            ):
                raise CourseNotFound()
            if live:
                raise AlreadyEnrolled("you are already enrolled in this course")
            if not course.is_free:
                raise PaymentRequired(
                    "this course is sold: buy it at checkout",
                    checkout_item={"kind": "course", "course_id": str(course.id)},
                )
            check_self_enrollment(
                email_verified=actor.email_verified,
                course_published=course.is_published,
                is_instructor=course.is_instructor(user_id),
                missing_prerequisites=await _missing_prerequisites(
                    uow, user_id, course.prerequisite_ids
                ),
            )
            enrollment = await grant_enrollment(
                deps,
                uow,
                user_id=user_id,
                course_id=course.id,
                source=EnrollmentSource.SELF,
            )
            await uow.commit()
        return await _view(deps, enrollment.id)


class LeaveCourse:
    """A student leaves a free course they enrolled in themselves and have not completed. The
    progress they made is kept for if they come back."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, course_key: UUID | str) -> None:
        deps = self._deps
        user_id = require_signed_in(actor)
        course_id = await deps.course_id(course_key)
        async with deps.uow() as uow:
            enrollment = await uow.learning.enrollments.find(user_id, course_id, for_update=True)
            if enrollment is None or not enrollment.gives_access:
                raise EnrollmentNotFound()
            enrollment.check_can_leave()
            await uow.learning.enrollments.remove(enrollment)
            await uow.learning.enrollments.change_course_count(course_id, -1)
            await uow.commit()


class GrantEnrollment:
    """An administrator puts a student in any course that is published (a gift, a support
    case); audited."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, user_id: UUID, course_key: UUID | str) -> EnrollmentView:
        deps = self._deps
        deps.authorizer.authorize(actor, Permission.GRANT_ENROLLMENT)
        course_id = await deps.course_id(course_key)
        async with deps.uow() as uow:
            course = await deps.catalog.course_facts(uow, course_id)
            if course is None:
                raise CourseNotFound()
            if await deps.identity.user(uow, user_id) is None:
                raise NotFound("there is no such user", code="user-not-found")
            check_self_enrollment(
                email_verified=True,
                course_published=course.is_published,
                is_instructor=course.is_instructor(user_id),
                missing_prerequisites=(),
            )
            enrollment = await grant_enrollment(
                deps,
                uow,
                user_id=user_id,
                course_id=course_id,
                source=EnrollmentSource.GRANT,
            )
            deps.audit(
                uow,
                actor,
                AuditAction.ENROLLMENT_GRANTED,
                target_type="enrollment",
                target_id=enrollment.id,
                user_id=str(user_id),
                course_id=str(course_id),
            )
            await uow.commit()
        return await _view(deps, enrollment.id)


class RevokeEnrollment:
    """An administrator takes a course back from a student; audited."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, enrollment_id: UUID, reason: str | None
    ) -> EnrollmentView:
        deps = self._deps
        deps.authorizer.authorize(actor, Permission.REVOKE_ENROLLMENT)
        async with deps.uow() as uow:
            enrollment = await uow.learning.enrollments.get(enrollment_id, for_update=True)
            if enrollment is None:
                raise NotFound("there is no such enrollment", code="enrollment-not-found")
            await revoke_enrollment(
                deps,
                uow,
                user_id=enrollment.user_id,
                course_id=enrollment.course_id,
                reason=reason,
            )
            deps.audit(
                uow,
                actor,
                AuditAction.ENROLLMENT_REVOKED,
                target_type="enrollment",
                target_id=enrollment.id,
                reason=reason,
            )
            await uow.commit()
        return await _view(deps, enrollment.id)


class ListMyEnrollments:
    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(
        self,
        actor: Actor,
        status: EnrollmentStatus | None = None,
        *,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[EnrollmentView]:
        user_id = require_signed_in(actor)
        check_limit(limit)
        return await page_of(
            self._deps.queries.my_enrollments(user_id, status, limit=limit, cursor=cursor)
        )


class ListCourseStudents:
    """A course's instructors and staff see who is enrolled and how far they are; emails only
    to staff."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, course_key: UUID | str, *, limit: int = 20, cursor: str | None = None
    ) -> Page[StudentView]:
        deps = self._deps
        check_limit(limit)
        course_id = await deps.course_id(course_key)
        async with deps.uow(read_only=True) as uow:
            await deps.course_for_instructor(
                uow, actor, course_id, beyond_own=Permission.VIEW_ANY_COURSE_STUDENTS
            )
        with_email = deps.authorizer.allows(actor, Permission.VIEW_ANY_COURSE_STUDENTS)
        return await page_of(
            deps.queries.course_students(
                course_id, with_email=with_email, limit=limit, cursor=cursor
            )
        )


class ListAllEnrollments:
    """Managers and admins list everyone's enrollments, newest first, by course, student,
    state and how they came (bought, granted, free)."""

    def __init__(self, deps: LearningDeps) -> None:
        self._deps = deps

    async def __call__(
        self,
        actor: Actor,
        filters: StaffEnrollmentFilters,
        *,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[StaffEnrollmentView]:
        self._deps.authorizer.authorize(actor, Permission.VIEW_ANY_COURSE_STUDENTS)
        check_limit(limit)
        return await page_of(
            self._deps.queries.all_enrollments(filters, limit=limit, cursor=cursor)
        )
