"""An instructor's students per institution: k-anonymous at five."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from elearn.application.actor import Actor
from elearn.application.analytics.institutions import GetInstitutionMix, InstitutionCount
from elearn.application.authorization import Authorizer
from elearn.application.errors import NotAuthenticated, NotFound
from elearn.domain.identity.roles import Role

INSTRUCTOR = UUID(int=1)
COURSE = UUID(int=100)
OTHER_COURSE = UUID(int=200)


class Courses:
    """Taught courses as the analytics queries answer them."""

    def __init__(self, taught: dict[UUID, str], every: dict[UUID, str] | None = None) -> None:
        self.taught = taught
        self.every = every or taught

    async def taught_courses(self, user_id: UUID) -> dict[UUID, str]:
        return self.taught if user_id == INSTRUCTOR else {}

    async def course_title(self, course_id: UUID) -> str | None:
        return self.every.get(course_id)


class Counts:
    def __init__(self, counts: list[InstitutionCount]) -> None:
        self.counts = counts
        self.asked: list[list[UUID]] = []

    async def students_per_institution(self, course_ids: Sequence[UUID]) -> list[InstitutionCount]:
        self.asked.append(list(course_ids))
        return self.counts


def count(n: int, students: int) -> InstitutionCount:
    return InstitutionCount(UUID(int=1000 + n), f"Uni {n}", "DE", students)


def mix(counts: list[InstitutionCount], courses: Courses | None = None) -> GetInstitutionMix:
    return GetInstitutionMix(
        courses or Courses({COURSE: "Maths"}),  # type: ignore[arg-type]
        Counts(counts),
        Authorizer(staff_two_factor_required=False),
    )


INSTRUCTOR_ACTOR = Actor(user_id=INSTRUCTOR, role=Role.TUTOR, email_verified=True)


async def test_five_students_name_an_institution_four_do_not() -> None:
    no_institution = InstitutionCount(None, "", "", 3)
    answer = await mix([count(1, 5), count(2, 4), no_institution])(INSTRUCTOR_ACTOR)

    assert [(share.name, share.students) for share in answer.institutions] == [("Uni 1", 5)]
    assert (answer.other, answer.not_stated, answer.students) == (4, 3, 12)
    assert answer.min_group_size == 5


async def test_someone_who_teaches_nothing_sees_nobody() -> None:
    counts = Counts([count(1, 50)])
    use_case = GetInstitutionMix(
        Courses({}),  # type: ignore[arg-type]
        counts,
        Authorizer(staff_two_factor_required=False),
    )
    answer = await use_case(Actor(user_id=UUID(int=9), role=Role.STUDENT, email_verified=True))
    assert (answer.students, answer.institutions, counts.asked) == (0, [], [])


async def test_a_course_of_someone_else_is_not_found_but_staff_see_any() -> None:
    courses = Courses({COURSE: "Maths"}, {COURSE: "Maths", OTHER_COURSE: "Art"})
    with pytest.raises(NotFound):
        await mix([], courses)(INSTRUCTOR_ACTOR, OTHER_COURSE)
    staff = Actor(user_id=UUID(int=5), role=Role.MANAGER, email_verified=True)
    answer = await mix([count(1, 6)], courses)(staff, OTHER_COURSE)
    assert answer.course_id == OTHER_COURSE and answer.students == 6
    with pytest.raises(NotFound):
        await mix([], courses)(staff, UUID(int=404))


async def test_signed_out_is_refused() -> None:
    with pytest.raises(NotAuthenticated):
        await mix([])(Actor.anonymous())


@given(st.lists(st.integers(min_value=1, max_value=12), max_size=15))
async def test_no_named_institution_has_fewer_than_five(sizes: list[int]) -> None:
    answer = await mix([count(n, size) for n, size in enumerate(sizes)])(INSTRUCTOR_ACTOR)
    assert all(share.students >= 5 for share in answer.institutions)
    assert answer.students == sum(sizes)
    assert answer.other == sum(size for size in sizes if size < 5)
