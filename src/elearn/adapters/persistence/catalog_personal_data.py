"""The catalog's personal data: the courses a person teaches (as owner or co-instructor) and
their staged revisions, the co-instructor invitations they sent or received, and the moves of
the review workflow they made (a tutor's submissions, a reviewer's decisions).

Erasing leaves the courses where they are: students bought them and keep learning from them,
and their owner is now the account's pseudonym. The person leaves the courses they co-taught
(a co-instructor is shown on the course page), their pending invitations end (withdrawn when
they sent them, declined when they received them), and the workflow's history keeps its moves
under the account's pseudonymous id, as the record of who decided is kept for the course's sake.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import delete, or_, select, update

from elearn.adapters.persistence.models.catalog import (
    CoInstructorInvitationRow,
    CourseInstructorRow,
    CourseRevisionRow,
    CourseRow,
    CourseTransitionRow,
)
from elearn.adapters.persistence.personal_data import money, plain, write
from elearn.adapters.persistence.unit_of_work import session_of
from elearn.application.personal_data import ErasedData, PersonalData, Pseudonym
from elearn.application.ports import Clock, Transaction
from elearn.domain.catalog.co_instructors import InvitationStatus

# The owner's place among a course's instructors; co-instructors come after.
_OWNER_POSITION = 0


class CatalogPersonalData:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def export(self, uow: Transaction, user_id: UUID) -> PersonalData:
        session = session_of(uow)
        taught = (
            await session.execute(
                select(CourseRow, CourseInstructorRow.position)
                .join(CourseInstructorRow, CourseInstructorRow.course_id == CourseRow.id)
                .where(CourseInstructorRow.user_id == user_id)
                .order_by(CourseRow.created_at, CourseRow.id)
            )
        ).all()
        course_ids = [course.id for course, _ in taught]
        revisions = await session.scalars(
            select(CourseRevisionRow)
            .where(CourseRevisionRow.course_id.in_(course_ids))
            .order_by(CourseRevisionRow.created_at)
        )
        invitations = await session.scalars(
            select(CoInstructorInvitationRow)
            .where(
                or_(
                    CoInstructorInvitationRow.invitee_id == user_id,
                    CoInstructorInvitationRow.invited_by == user_id,
                )
            )
            .order_by(CoInstructorInvitationRow.created_at, CoInstructorInvitationRow.id)
        )
        moves = await session.scalars(
            select(CourseTransitionRow)
            .where(CourseTransitionRow.actor_id == user_id)
            .order_by(CourseTransitionRow.at, CourseTransitionRow.id)
        )
        return PersonalData(
            records={
                "courses": [
                    _course(course, as_owner=position == _OWNER_POSITION)
                    for course, position in taught
                ],
                "course_revisions": [
                    {
                        "course_id": str(r.course_id),
                        "status": r.status,
                        "content": plain(r.content),
                        "created_at": plain(r.created_at),
                        "updated_at": plain(r.updated_at),
                        "submitted_at": plain(r.submitted_at),
                        "rejection_reason": r.rejection_reason,
                    }
                    for r in revisions
                ],
                "co_instructor_invitations": [
                    {
                        "id": str(i.id),
                        "course_id": str(i.course_id),
                        "sent_by_you": i.invited_by == user_id,
                        "received_by_you": i.invitee_id == user_id,
                        "status": i.status,
                        "created_at": plain(i.created_at),
                        "responded_at": plain(i.responded_at),
                    }
                    for i in invitations
                ],
                "course_workflow_moves": [
                    {
                        "course_id": str(m.course_id),
                        "at": plain(m.at),
                        "action": m.action,
                        "from_status": m.from_status,
                        "to_status": m.to_status,
                        "reason": m.reason,
                    }
                    for m in moves
                ],
            }
        )

    async def erase(self, uow: Transaction, user_id: UUID, pseudonym: Pseudonym) -> ErasedData:
        session = session_of(uow)
        now = self._clock.now()
        pending = CoInstructorInvitationRow.status == InvitationStatus.PENDING.value
        withdrawn = await write(
            session,
            update(CoInstructorInvitationRow)
            .where(CoInstructorInvitationRow.invited_by == user_id, pending)
            .values(status=InvitationStatus.WITHDRAWN.value, responded_at=now, updated_at=now),
        )
        declined = await write(
            session,
            update(CoInstructorInvitationRow)
            .where(CoInstructorInvitationRow.invitee_id == user_id, pending)
            .values(status=InvitationStatus.DECLINED.value, responded_at=now, updated_at=now),
        )
        left = await write(
            session,
            delete(CourseInstructorRow).where(
                CourseInstructorRow.user_id == user_id,
                CourseInstructorRow.position != _OWNER_POSITION,
            ),
        )
        return ErasedData(
            counts={
                "invitations_withdrawn": withdrawn,
                "invitations_declined": declined,
                "co_instructor_places_left": left,
            }
        )


def _course(course: CourseRow, *, as_owner: bool) -> dict[str, Any]:
    return {
        "id": str(course.id),
        "role": "owner" if as_owner else "co_instructor",
        "slug": course.slug,
        "title": course.title,
        "subtitle": course.subtitle,
        "description": course.description,
        "language": course.language,
        "level": course.level,
        "price": money(course.price_amount, course.price_currency),
        "learning_outcomes": plain(course.learning_outcomes),
        "requirements": plain(course.requirements),
        "status": course.status,
        "created_at": plain(course.created_at),
        "submitted_at": plain(course.submitted_at),
        "published_at": plain(course.published_at),
        "rejection_reason": course.rejection_reason,
    }
