"""Co-instructors join a course by consent: the owner invites an approved tutor, the invitee
accepts or declines, the owner may withdraw the invitation while it is pending.

Until they accept, an invitee is nobody to the course: not shown, no edit rights. A
co-instructor may leave, and the owner may remove one, at any time::

    PENDING ──accept──▶ ACCEPTED
       │ ──decline──▶ DECLINED
       └──withdraw──▶ WITHDRAWN
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from datetime import datetime
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from elearn.domain.catalog.course import MAX_CO_INSTRUCTORS
from elearn.domain.shared.errors import Conflict, RuleViolation
from elearn.domain.shared.events import DomainEvent, RecordsEvents


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class InvitationNotPending(Conflict):
    code = "invitation-not-pending"


class AlreadyInvited(Conflict):
    code = "co-instructor-already-invited"


class AlreadyAnInstructor(Conflict):
    code = "already-an-instructor"


class TooManyCoInstructors(RuleViolation):
    code = "too-many-co-instructors"


class CannotInviteOwner(RuleViolation):
    code = "cannot-invite-owner"


@dataclasses.dataclass(frozen=True, kw_only=True)
class CoInstructorInvited(DomainEvent):
    event_type: ClassVar[str] = "catalog.co_instructor_invited"
    invitation_id: UUID
    course_id: UUID
    invitee_id: UUID
    invited_by: UUID


def check_invitation(
    *,
    owner_id: UUID,
    co_instructor_ids: Collection[UUID],
    pending_invitee_ids: Collection[UUID],
    invitee_id: UUID,
) -> None:
    """Whether the owner may invite ``invitee_id`` now: not themselves, not a co-instructor
    or someone already invited, and co-instructors plus pending invitations stay within
    ``MAX_CO_INSTRUCTORS`` (an accepted invitation never overfills the course)."""
    if invitee_id == owner_id:
        raise CannotInviteOwner("the owner is already an instructor of the course")
    if invitee_id in co_instructor_ids:
        raise AlreadyAnInstructor("that tutor is already a co-instructor of the course")
    if invitee_id in pending_invitee_ids:
        raise AlreadyInvited("that tutor already has a pending invitation to the course")
    if len(set(co_instructor_ids) | set(pending_invitee_ids)) >= MAX_CO_INSTRUCTORS:
        raise TooManyCoInstructors(
            f"a course has at most {MAX_CO_INSTRUCTORS} co-instructors, invitations included"
        )


@dataclasses.dataclass(kw_only=True, eq=False)
class CoInstructorInvitation(RecordsEvents):
    id: UUID
    course_id: UUID
    invitee_id: UUID
    invited_by: UUID
    created_at: datetime
    status: InvitationStatus = InvitationStatus.PENDING
    responded_at: datetime | None = None

    @classmethod
    def issue(
        cls,
        *,
        id: UUID,
        course_id: UUID,
        invitee_id: UUID,
        invited_by: UUID,
        now: datetime,
        event_id: UUID,
    ) -> CoInstructorInvitation:
        invitation = cls(
            id=id, course_id=course_id, invitee_id=invitee_id, invited_by=invited_by, created_at=now
        )
        invitation.record(
            CoInstructorInvited(
                event_id=event_id,
                occurred_at=now,
                invitation_id=id,
                course_id=course_id,
                invitee_id=invitee_id,
                invited_by=invited_by,
            )
        )
        return invitation

    @property
    def is_pending(self) -> bool:
        return self.status is InvitationStatus.PENDING

    def accept(self, now: datetime) -> None:
        self._answer(InvitationStatus.ACCEPTED, now)

    def decline(self, now: datetime) -> None:
        self._answer(InvitationStatus.DECLINED, now)

    def withdraw(self, now: datetime) -> None:
        self._answer(InvitationStatus.WITHDRAWN, now)

    def _answer(self, status: InvitationStatus, now: datetime) -> None:
        if not self.is_pending:
            raise InvitationNotPending(f"the invitation is already {self.status}")
        self.status = status
        self.responded_at = now
