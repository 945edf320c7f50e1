"""Staff keep the list of institutions; students and tutors pick theirs from it."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from tests.fakes import FakeUnitOfWork, FixedClock, make_identity_deps, make_user

from elearn.application.actor import Actor
from elearn.application.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from elearn.application.identity.account import (
    NO_INSTITUTION,
    StudentProfileChanges,
    TutorProfileChanges,
    UpdateAccount,
    UpdateMyAccount,
)
from elearn.application.identity.deps import IdentityDeps
from elearn.application.identity.institutions import (
    CreateInstitution,
    InstitutionChanges,
    NewInstitution,
    UpdateInstitution,
)
from elearn.domain.identity.institutions import Institution, InstitutionDomainTaken
from elearn.domain.identity.profiles import StudentProfile
from elearn.domain.identity.roles import Role
from elearn.domain.identity.user import User
from elearn.domain.shared.audit import AuditAction

TUM = NewInstitution(name="Technische Universität München", country="de", domains=["TUM.de"])


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def deps(uow: FakeUnitOfWork, clock: FixedClock) -> IdentityDeps:
    return make_identity_deps(uow=uow, clock=clock)


def person(role: Role, email: str = "someone@example.com") -> User:
    return make_user(email=email, full_name="Some One", role=role)


def actor_of(user: User) -> Actor:
    return Actor(user_id=user.id, role=user.role, email_verified=True)


def fields_of(error: InvalidInput) -> dict[str, str]:
    return {problem.field: problem.message for problem in error.errors}


async def created(deps: IdentityDeps, command: NewInstitution = TUM) -> Institution:
    staff = person(Role.MANAGER, "manager@example.com")
    view = await CreateInstitution(deps)(actor_of(staff), command)
    uow = deps.uow()
    assert isinstance(uow, FakeUnitOfWork)
    return uow.stored_institution(view.id)


# ---- who keeps the list ----------------------------------------------------------------------
@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
async def test_staff_add_an_institution(
    role: Role, deps: IdentityDeps, uow: FakeUnitOfWork
) -> None:
    view = await CreateInstitution(deps)(actor_of(person(role)), TUM)

    assert (view.name, view.country, view.domains, view.active) == (
        "Technische Universität München",
        "DE",
        ("tum.de",),
        True,
    )
    assert uow.stored_institution(view.id).name == view.name
    assert [entry.action for entry in uow.audit.entries] == [AuditAction.INSTITUTION_CREATED]


@pytest.mark.parametrize("role", [Role.STUDENT, Role.TUTOR])
async def test_students_and_tutors_do_not_keep_the_list(
    role: Role, deps: IdentityDeps, uow: FakeUnitOfWork
) -> None:
    with pytest.raises(PermissionDenied):
        await CreateInstitution(deps)(actor_of(person(role)), TUM)
    institution = await created(deps)
    with pytest.raises(PermissionDenied):
        await UpdateInstitution(deps)(
            actor_of(person(role)), institution.id, InstitutionChanges(active=False)
        )
    assert uow.stored_institution(institution.id).is_active


async def test_nobody_signed_out_adds_one(deps: IdentityDeps) -> None:
    with pytest.raises(NotAuthenticated):
        await CreateInstitution(deps)(Actor.anonymous(), TUM)


# ---- what a list entry is --------------------------------------------------------------------
async def test_every_wrong_field_is_named_and_nothing_is_added(
    deps: IdentityDeps, uow: FakeUnitOfWork
) -> None:
    bad = NewInstitution(name="  ", country="XX", domains=["tum.de", "https://tum.de/"])
    with pytest.raises(InvalidInput) as caught:
        await CreateInstitution(deps)(actor_of(person(Role.ADMIN)), bad)

    assert set(fields_of(caught.value)) == {"name", "country", "domains[1]"}
    assert uow.commits == 0


async def test_a_country_of_the_right_shape_must_exist(deps: IdentityDeps) -> None:
    with pytest.raises(InvalidInput) as caught:
        await CreateInstitution(deps)(
            actor_of(person(Role.ADMIN)), NewInstitution("X", "QQ", ["x.edu"])
        )
    assert fields_of(caught.value) == {"country": "'QQ' is not a known country"}


async def test_a_domain_belongs_to_one_institution(deps: IdentityDeps, uow: FakeUnitOfWork) -> None:
    first = await created(deps)
    other = await created(deps, NewInstitution("LMU München", "DE", ["lmu.de"]))

    with pytest.raises(InstitutionDomainTaken, match=r"tum\.de"):
        await CreateInstitution(deps)(
            actor_of(person(Role.ADMIN)), NewInstitution("Copy", "DE", ["tum.de"])
        )
    with pytest.raises(InstitutionDomainTaken):
        await UpdateInstitution(deps)(
            actor_of(person(Role.ADMIN)), other.id, InstitutionChanges(domains=["TUM.de"])
        )
    # Its own domains are not "another institution's".
    view = await UpdateInstitution(deps)(
        actor_of(person(Role.ADMIN)),
        first.id,
        InstitutionChanges(domains=["mytum.de", "tum.de"]),
    )
    assert view.domains == ("mytum.de", "tum.de")
    assert uow.stored_institution(other.id).domains == ("lmu.de",)


async def test_staff_rename_and_retire(
    deps: IdentityDeps, uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    institution = await created(deps)
    view = await UpdateInstitution(deps)(
        actor_of(person(Role.MANAGER)),
        institution.id,
        InstitutionChanges(name="TU München", active=False),
    )
    assert (view.name, view.active, view.retired_at) == ("TU München", False, clock.now())
    assert uow.audit.entries[-1].action is AuditAction.INSTITUTION_UPDATED


async def test_changing_an_unknown_institution_is_not_found(deps: IdentityDeps) -> None:
    with pytest.raises(NotFound) as caught:
        await UpdateInstitution(deps)(
            actor_of(person(Role.ADMIN)), UUID(int=7), InstitutionChanges(name="X")
        )
    assert caught.value.code == "institution-not-found"


# ---- picking one -----------------------------------------------------------------------------
async def test_a_student_picks_one_and_the_typed_name_gives_way(
    deps: IdentityDeps, uow: FakeUnitOfWork
) -> None:
    institution = await created(deps)
    learner = person(Role.STUDENT, "sam@example.com")
    uow.seed(learner, StudentProfile(user_id=learner.id, unverified_institution="TU Munich"))

    view = await UpdateMyAccount(deps)(
        actor_of(learner),
        UpdateAccount(student=StudentProfileChanges(institution_id=institution.id)),
    )

    profile = view.student_profile
    assert profile is not None and profile.institution is not None
    assert (profile.institution.id, profile.institution.name, profile.institution.country) == (
        institution.id,
        "Technische Universität München",
        "DE",
    )
    stored = uow.stored_student_profile(learner.id)
    assert stored is not None
    assert (stored.institution_id, stored.unverified_institution) == (institution.id, None)


async def test_an_unpicked_profile_keeps_what_was_typed_as_unverified(
    deps: IdentityDeps, uow: FakeUnitOfWork
) -> None:
    learner = person(Role.STUDENT, "sam@example.com")
    uow.seed(learner, StudentProfile(user_id=learner.id, unverified_institution="TU Munich"))

    view = await UpdateMyAccount(deps)(
        actor_of(learner), UpdateAccount(student=StudentProfileChanges(bio="Hi"))
    )

    assert view.student_profile is not None
    assert view.student_profile.unverified_institution == "TU Munich"
    assert view.student_profile.institution is None


async def test_a_tutor_picks_one_and_clears_it(deps: IdentityDeps, uow: FakeUnitOfWork) -> None:
    institution = await created(deps)
    teacher = person(Role.TUTOR, "tia@example.com")
    uow.seed(teacher)
    update = UpdateMyAccount(deps)

    picked = await update(
        actor_of(teacher), UpdateAccount(tutor=TutorProfileChanges(institution_id=institution.id))
    )
    assert picked.tutor_profile is not None and picked.tutor_profile.institution is not None

    cleared = await update(
        actor_of(teacher), UpdateAccount(tutor=TutorProfileChanges(institution_id=NO_INSTITUTION))
    )
    assert cleared.tutor_profile is not None and cleared.tutor_profile.institution is None
    stored = uow.stored_tutor_profile(teacher.id)
    assert stored is not None and stored.institution_id is None


@pytest.mark.parametrize("retired", [False, True])
async def test_an_unknown_or_retired_institution_is_refused_and_nothing_changes(
    retired: bool, deps: IdentityDeps, uow: FakeUnitOfWork
) -> None:
    institution = await created(deps)
    if retired:
        await UpdateInstitution(deps)(
            actor_of(person(Role.ADMIN)), institution.id, InstitutionChanges(active=False)
        )
    learner = person(Role.STUDENT, "sam@example.com")
    uow.seed(learner, StudentProfile(user_id=learner.id, bio="Before"))
    commits = uow.commits

    with pytest.raises(InvalidInput) as caught:
        await UpdateMyAccount(deps)(
            actor_of(learner),
            UpdateAccount(
                student=StudentProfileChanges(
                    bio="After", institution_id=institution.id if retired else uuid4()
                )
            ),
        )

    assert set(fields_of(caught.value)) == {"student.institution_id"}
    assert uow.commits == commits
    stored = uow.stored_student_profile(learner.id)
    assert stored is not None and (stored.bio, stored.institution_id) == ("Before", None)


async def test_a_retired_institution_stays_on_the_profiles_that_name_it(
    deps: IdentityDeps, uow: FakeUnitOfWork
) -> None:
    institution = await created(deps)
    learner = person(Role.STUDENT, "sam@example.com")
    uow.seed(learner, StudentProfile(user_id=learner.id, institution_id=institution.id))
    await UpdateInstitution(deps)(
        actor_of(person(Role.ADMIN)), institution.id, InstitutionChanges(active=False)
    )

    view = await UpdateMyAccount(deps)(
        actor_of(learner), UpdateAccount(student=StudentProfileChanges(bio="Still here"))
    )

    assert view.student_profile is not None and view.student_profile.institution is not None
    assert view.student_profile.institution.active is False
