"""Co-instructors by consent: the owner invites an approved tutor (who is emailed through the
outbox), the invitee accepts or declines, the owner withdraws a pending invitation or removes a
co-instructor, and a co-instructor leaves.

An invitee who has not accepted is nobody to the course: not among its instructors, not shown,
no rights. Who may not see an invitation is told it does not exist.
"""

from __future__ import annotations

from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.authorization import Permission
from elearn.application.catalog.deps import CatalogDeps, CourseNotFound
from elearn.application.catalog.ports import CatalogUnitOfWork, InvitationView
from elearn.application.errors import FieldError, InvalidInput, NotFound, PermissionDenied
from elearn.application.links import FrontEndLinks
from elearn.application.mail import EmailTemplates, Mailer
from elearn.application.paging import Page, check_limit, page_of
from elearn.domain.catalog.co_instructors import (
    CoInstructorInvitation,
    CoInstructorInvited,
    InvitationStatus,
    check_invitation,
)
from elearn.domain.catalog.course import Course
from elearn.domain.shared.audit import AuditAction
from elearn.domain.shared.events import DomainEvent


class InvitationNotFound(NotFound):
    code = "invitation-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such invitation")


class CoInstructorNotFound(NotFound):
    code = "co-instructor-not-found"

    def __init__(self) -> None:
        super().__init__("that person is not a co-instructor of the course")


async def _course(uow: CatalogUnitOfWork, course_id: UUID) -> Course:
    course = await uow.courses.get(course_id, for_update=True)
    if course is None:
        raise CourseNotFound()
    return course


async def _invitation(
    uow: CatalogUnitOfWork, invitation_id: UUID, user_id: UUID
) -> tuple[CoInstructorInvitation, Course]:
    """The invitation and its course, both locked; only the invitee and the course's owner
    learn it exists."""
    invitation = await uow.invitations.get(invitation_id, for_update=True)
    if invitation is None:
        raise InvitationNotFound()
    course = await _course(uow, invitation.course_id)
    if user_id not in (invitation.invitee_id, course.owner_id):
        raise InvitationNotFound()
    return invitation, course


async def _view(deps: CatalogDeps, invitation_id: UUID) -> InvitationView:
    view = await deps.queries.invitation(invitation_id)
    if view is None:
        raise InvitationNotFound()
    return view


class InviteCoInstructor:
    """The owner invites an approved, active tutor to co-teach the course."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, course_key: UUID | str, invitee_id: UUID
    ) -> InvitationView:
        deps = self._deps
        course_id = await deps.course_id(course_key)
        user_id = require_signed_in(actor)
        async with deps.uow() as uow:
            course = await _course(uow, course_id)
            if user_id != course.owner_id:
                await deps.deny(actor, course, "only the course's owner invites co-instructors")
            invitee = await deps.identity.user(uow, invitee_id)
            if invitee is None or not invitee.is_approved_tutor or not invitee.is_active:
                raise InvalidInput(
                    "only an approved tutor can co-teach a course",
                    errors=[FieldError("user_id", "is not an approved tutor")],
                )
            check_invitation(
                owner_id=course.owner_id,
                co_instructor_ids=course.co_instructor_ids,
                pending_invitee_ids=await uow.invitations.pending_invitee_ids(course_id),
                invitee_id=invitee_id,
            )
            now = deps.clock.now()
            invitation = CoInstructorInvitation.issue(
                id=deps.ids.new_id(),
                course_id=course_id,
                invitee_id=invitee_id,
                invited_by=user_id,
                now=now,
                event_id=deps.ids.new_id(),
            )
            await uow.invitations.add(invitation)
            deps.audit(
                uow,
                actor,
                AuditAction.CO_INSTRUCTOR_INVITED,
                target_type="course",
                target_id=course_id,
                invitee_id=str(invitee_id),
            )
            await uow.commit()
        return await _view(deps, invitation.id)


class AnswerInvitation:
    """The invitee accepts (and becomes a co-instructor) or declines a pending invitation."""

    def __init__(self, deps: CatalogDeps, *, accept: bool) -> None:
        self._deps = deps
        self._accept = accept

    async def __call__(self, actor: Actor, invitation_id: UUID) -> InvitationView:
        deps = self._deps
        user_id = require_signed_in(actor)
        async with deps.uow() as uow:
            invitation, course = await _invitation(uow, invitation_id, user_id)
            if user_id != invitation.invitee_id:
                raise InvitationNotFound()  # the owner cannot answer for the invitee
            now = deps.clock.now()
            if self._accept:
                invitation.accept(now)
                course.add_co_instructor(user_id)
                deps.audit(
                    uow,
                    actor,
                    AuditAction.CO_INSTRUCTOR_JOINED,
                    target_type="course",
                    target_id=course.id,
                )
            else:
                invitation.decline(now)
            await uow.commit()
        return await _view(deps, invitation_id)


class WithdrawInvitation:
    """The owner withdraws a pending invitation."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, invitation_id: UUID) -> None:
        deps = self._deps
        user_id = require_signed_in(actor)
        async with deps.uow() as uow:
            invitation, course = await _invitation(uow, invitation_id, user_id)
            if user_id != course.owner_id:
                raise PermissionDenied("only the course's owner withdraws an invitation")
            invitation.withdraw(deps.clock.now())
            await uow.commit()


class RemoveCoInstructor:
    """The owner removes a co-instructor, or a co-instructor leaves the course."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, course_key: UUID | str, co_instructor_id: UUID) -> None:
        deps = self._deps
        course_id = await deps.course_id(course_key)
        user_id = require_signed_in(actor)
        async with deps.uow() as uow:
            course = await _course(uow, course_id)
            if user_id not in (course.owner_id, co_instructor_id):
                await deps.deny(actor, course, "only the owner removes other co-instructors")
            if not course.remove_co_instructor(co_instructor_id):
                raise CoInstructorNotFound()
            deps.audit(
                uow,
                actor,
                AuditAction.CO_INSTRUCTOR_REMOVED,
                target_type="course",
                target_id=course_id,
                co_instructor_id=str(co_instructor_id),
            )
            await uow.commit()


class ListCourseInvitations:
    """A course's invitations, newest first, for its instructors and staff."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(
        self,
        actor: Actor,
        course_key: UUID | str,
        *,
        status: InvitationStatus | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[InvitationView]:
        deps = self._deps
        check_limit(limit)
        course_id = await deps.course_id(course_key)
        user_id = require_signed_in(actor)
        async with deps.uow(read_only=True) as uow:
            facts = await uow.courses.course_facts(course_id)
        if facts is None:
            raise CourseNotFound()
        if not facts.is_instructor(user_id) and not deps.authorizer.allows(
            actor, Permission.VIEW_ANY_COURSE
        ):
            await deps.deny(actor, facts, "only the course's instructors see its invitations")
        return await page_of(
            deps.queries.invitations(course_id=course_id, status=status, limit=limit, cursor=cursor)
        )


class ListMyInvitations:
    """The invitations a tutor received, newest first (pending ones unless asked otherwise)."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    async def __call__(
        self,
        actor: Actor,
        *,
        status: InvitationStatus | None = InvitationStatus.PENDING,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[InvitationView]:
        check_limit(limit)
        user_id = require_signed_in(actor)
        return await page_of(
            self._deps.queries.invitations(
                invitee_id=user_id, status=status, limit=limit, cursor=cursor
            )
        )


class SendInvitationEmail:
    """Tells the invitee they were invited (an outbox handler)."""

    def __init__(
        self, deps: CatalogDeps, mailer: Mailer, templates: EmailTemplates, links: FrontEndLinks
    ) -> None:
        self._deps = deps
        self._mailer = mailer
        self._templates = templates
        self._links = links

    async def __call__(self, event: DomainEvent) -> None:
        assert isinstance(event, CoInstructorInvited)
        deps = self._deps
        async with deps.uow(read_only=True) as uow:
            invitee = await deps.identity.recipient(uow, event.invitee_id)
            owner = await deps.identity.user(uow, event.invited_by)
            invitation = await uow.invitations.get(event.invitation_id)
            course = await uow.courses.course_facts(event.course_id)
        if invitee is None or course is None or invitation is None or not invitation.is_pending:
            return  # withdrawn or gone since: nothing to answer
        context: dict[str, object] = {
            "full_name": invitee.full_name,
            "owner_name": owner.full_name if owner else "The course's owner",
            "course_title": course.title,
            "invitations_url": self._links.course_invitations(),
        }
        message = self._templates.render(
            "co_instructor_invited", context, to=[invitee.email], language=invitee.language
        )
        await self._mailer.send(message)
