"""Students per institution over some courses, for the instructor's institution mix: one
statement. Like the rest of analytics it reads the tables of the contexts it reports on
(enrollments, profiles, institutions) through lightweight table clauses, writing nothing."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from advanced_alchemy.types import GUID
from sqlalchemy import String, column, func, select, table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from elearn.application.analytics.institutions import InstitutionCount

_enrollments = table(
    "enrollments", column("user_id", GUID), column("course_id", GUID), column("status", String)
)
_students = table("student_profiles", column("user_id", GUID), column("institution_id", GUID))
_tutors = table("tutor_profiles", column("user_id", GUID), column("institution_id", GUID))
_institutions = table(
    "institutions", column("id", GUID), column("name", String), column("country", String)
)
# Revoked enrollments (refunded, taken back) are no longer the instructor's students.
_REVOKED = "revoked"


class SqlaInstitutionMixQueries:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def students_per_institution(self, course_ids: Sequence[UUID]) -> list[InstitutionCount]:
        e, s, t, i = _enrollments.c, _students.c, _tutors.c, _institutions.c
        learners = (
            select(e.user_id)
            .where(e.course_id.in_(list(course_ids)), e.status != _REVOKED)
            .distinct()
            .subquery()
        )
        # A learner presents one profile: a tutor who studies counts under the tutor's.
        institution_id = func.coalesce(s.institution_id, t.institution_id).label("institution_id")
        per_learner = (
            select(institution_id)
            .select_from(learners)
            .join(_students, s.user_id == learners.c.user_id, isouter=True)
            .join(_tutors, t.user_id == learners.c.user_id, isouter=True)
            .subquery()
        )
        stmt = (
            select(per_learner.c.institution_id, i.name, i.country, func.count())
            .select_from(per_learner)
            .join(_institutions, i.id == per_learner.c.institution_id, isouter=True)
            .group_by(per_learner.c.institution_id, i.name, i.country)
        )
        async with self._sessions() as session:
            rows = (await session.execute(stmt)).all()
        return [
            InstitutionCount(
                institution_id=row[0], name=row[1] or "", country=row[2] or "", students=row[3]
            )
            for row in rows
        ]
