"""Where an instructor's students study: counts per institution, never small enough to point
at a person (groups under the k-anonymity threshold are folded into "other")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.analytics.ports import AnalyticsQueries
from elearn.application.authorization import Authorizer, Permission
from elearn.application.errors import NotFound
from elearn.domain.analytics.cohorts import MIN_GROUP_SIZE, fold_small_groups


@dataclass(frozen=True, slots=True)
class InstitutionCount:
    """Distinct students of the courses asked about, with the institution their profile names
    (``institution_id`` None: they named none)."""

    institution_id: UUID | None
    name: str
    country: str
    students: int


class InstitutionMixQueries(Protocol):
    async def students_per_institution(self, course_ids: Sequence[UUID]) -> list[InstitutionCount]:
        """Each student in any of the courses now (enrolled or completed, not revoked) counted
        once, under the institution of the profile they present."""
        ...


@dataclass(frozen=True, slots=True)
class InstitutionShare:
    id: UUID
    name: str
    country: str
    students: int


@dataclass(frozen=True, slots=True)
class InstitutionMix:
    """``institutions``: those with at least ``min_group_size`` of the students, largest
    first; ``other``: the students of every smaller one; ``not_stated``: students who named no
    institution. The three add up to ``students``."""

    course_id: UUID | None
    students: int
    institutions: list[InstitutionShare]
    other: int
    not_stated: int
    min_group_size: int


class GetInstitutionMix:
    """An instructor sees how many of their students come from each institution, over the
    courses they teach or one of them (staff: any course); an institution with fewer than five
    of those students is never named, only counted in `other`."""

    def __init__(
        self,
        courses: AnalyticsQueries,
        counts: InstitutionMixQueries,
        authorizer: Authorizer,
        *,
        min_group_size: int = MIN_GROUP_SIZE,
    ) -> None:
        self._courses = courses
        self._counts = counts
        self._authorizer = authorizer
        self._min_group_size = min_group_size

    async def __call__(self, actor: Actor, course_id: UUID | None = None) -> InstitutionMix:
        user_id = require_signed_in(actor)
        course_ids = await self._course_ids(actor, user_id, course_id)
        counts = await self._counts.students_per_institution(course_ids) if course_ids else []
        not_stated = sum(c.students for c in counts if c.institution_id is None)
        named = sorted(
            (c for c in counts if c.institution_id is not None),
            key=lambda c: (c.name.casefold(), str(c.institution_id)),
        )
        folded = fold_small_groups(
            ((c, c.students) for c in named),
            min_group_size=self._min_group_size,
        )
        return InstitutionMix(
            course_id=course_id,
            students=folded.total + not_stated,
            institutions=[
                InstitutionShare(id=c.institution_id, name=c.name, country=c.country, students=n)
                for c, n in folded.named
                if c.institution_id is not None
            ],
            other=folded.other,
            not_stated=not_stated,
            min_group_size=self._min_group_size,
        )

    async def _course_ids(self, actor: Actor, user_id: UUID, course_id: UUID | None) -> list[UUID]:
        taught = await self._courses.taught_courses(user_id)
        if course_id is None:
            return list(taught)
        if course_id in taught:
            return [course_id]
        if self._authorizer.allows(actor, Permission.VIEW_ANY_COURSE):
            if await self._courses.course_title(course_id) is not None:
                return [course_id]
        raise NotFound("there is no such course among those you teach", code="course-not-found")
