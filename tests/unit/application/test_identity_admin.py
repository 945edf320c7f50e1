"""Staff work on accounts: tutor applications, users, the audit log; and public tutor profiles."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest
from tests.fakes import FakeUnitOfWork, FixedClock, make_identity_deps, make_user

from elearn.application.actor import Actor
from elearn.application.authorization import Authorizer
from elearn.application.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from elearn.application.identity.admin import (
    ApproveTutor,
    ApproveTutorCommand,
    AuditLogQuery,
    GetPublicTutor,
    ListTutorApplications,
    ListTutorApplicationsQuery,
    ListUsers,
    ListUsersQuery,
    PublicTutorQuery,
    ReadAuditLog,
    RejectTutor,
    RejectTutorCommand,
    UpdateUser,
    UpdateUserCommand,
)
from elearn.application.identity.api import IdentityApi, Recipient
from elearn.application.identity.deps import IdentityDeps
from elearn.application.identity.ports import AuditFilter, UserFilter
from elearn.domain.identity.profiles import StudentProfile, TutorProfile
from elearn.domain.identity.roles import Role
from elearn.domain.identity.tokens import RefreshFamily
from elearn.domain.identity.tutor_application import ApplicationStatus, TutorApplication
from elearn.domain.identity.user import AccountStatus, TutorApplicationDecided, TutorApproval, User
from elearn.domain.shared.audit import AuditAction
from elearn.domain.shared.errors import IllegalTransition

APPLICATION_ID = UUID(int=0xA11)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def deps(uow: FakeUnitOfWork, clock: FixedClock) -> IdentityDeps:
    return make_identity_deps(uow=uow, clock=clock)


def actor_of(user: User) -> Actor:
    return Actor(user_id=user.id, role=user.role, email_verified=True)


ADMIN = make_user(email="admin@example.com", full_name="Ada Admin", role=Role.ADMIN)
MANAGER = make_user(email="manager@example.com", full_name="Max Manager", role=Role.MANAGER)
STUDENT = make_user(email="sam@example.com", full_name="Sam Student")
APPLICANT = make_user(
    email="ann@example.com", full_name="Ann Applicant", tutor_approval=TutorApproval.PENDING
)
TUTOR = make_user(email="tia@example.com", full_name="Tia Tutor", role=Role.TUTOR)

NOT_STAFF = [
    pytest.param(Actor(user_id=STUDENT.id, role=Role.STUDENT), PermissionDenied, id="student"),
    pytest.param(Actor(user_id=TUTOR.id, role=Role.TUTOR), PermissionDenied, id="tutor"),
    pytest.param(Actor.anonymous(), NotAuthenticated, id="anonymous"),
]


def pending_application(clock: FixedClock, **fields: object) -> TutorApplication:
    values: dict[str, object] = {
        "id": APPLICATION_ID,
        "user_id": APPLICANT.id,
        "headline": "Chess coach",
        "subjects": ("Openings", "Endgames"),
        "cv_key": "tutor_document/cv.pdf",
        "certificate_key": "tutor_document/cert.pdf",
        "submitted_at": clock.now() - timedelta(days=1),
    }
    values.update(fields)
    return TutorApplication(**values)  # type: ignore[arg-type]


def family_of(user: User, clock: FixedClock, number: int) -> RefreshFamily:
    return RefreshFamily.start(
        family_id=UUID(int=0xF000 + number),
        user_id=user.id,
        token_hash=f"hash-{number}",
        now=clock.now(),
        absolute_lifetime=timedelta(days=30),
        idle_lifetime=timedelta(days=7),
    )


@pytest.fixture
def seeded(uow: FakeUnitOfWork, clock: FixedClock) -> FakeUnitOfWork:
    uow.seed(ADMIN, MANAGER, STUDENT, APPLICANT, TUTOR, pending_application(clock))
    return uow


# ---- tutor applications ----------------------------------------------------------------------
async def test_staff_list_pending_applications_page_by_page(
    deps: IdentityDeps, seeded: FakeUnitOfWork, clock: FixedClock
) -> None:
    other = make_user(email="otto@example.com", tutor_approval=TutorApproval.PENDING)
    seeded.seed(
        other,
        pending_application(clock, id=UUID(int=0xA12), user_id=other.id, submitted_at=clock.now()),
    )
    list_applications = ListTutorApplications(deps)

    first = await list_applications(
        actor_of(MANAGER), ListTutorApplicationsQuery(ApplicationStatus.PENDING, limit=1)
    )
    second = await list_applications(
        actor_of(MANAGER),
        ListTutorApplicationsQuery(ApplicationStatus.PENDING, limit=1, cursor=first.next_cursor),
    )

    assert [a.id for a in first.items] == [APPLICATION_ID]
    assert first.items[0].email == "ann@example.com"
    assert [a.id for a in second.items] == [UUID(int=0xA12)]
    assert second.next_cursor is None


@pytest.mark.parametrize(("actor", "error"), NOT_STAFF)
async def test_only_staff_list_applications(
    actor: Actor, error: type[Exception], deps: IdentityDeps, seeded: FakeUnitOfWork
) -> None:
    with pytest.raises(error):
        await ListTutorApplications(deps)(actor, ListTutorApplicationsQuery())


@pytest.mark.parametrize("limit", [0, -1, 101])
async def test_a_page_holds_1_to_100_items(
    limit: int, deps: IdentityDeps, seeded: FakeUnitOfWork
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await ListTutorApplications(deps)(actor_of(ADMIN), ListTutorApplicationsQuery(limit=limit))

    assert [e.field for e in caught.value.errors] == ["limit"]


async def test_a_forged_cursor_is_invalid_input(deps: IdentityDeps, seeded: FakeUnitOfWork) -> None:
    for call in (
        ListTutorApplications(deps)(actor_of(ADMIN), ListTutorApplicationsQuery(cursor="garbage")),
        ListUsers(deps)(actor_of(ADMIN), ListUsersQuery(cursor="garbage")),
        ReadAuditLog(deps)(actor_of(ADMIN), AuditLogQuery(cursor="garbage")),
    ):
        with pytest.raises(InvalidInput) as caught:
            await call
        assert [e.field for e in caught.value.errors] == ["cursor"]


async def test_approving_makes_a_tutor_with_a_profile_and_tells_them(
    deps: IdentityDeps, seeded: FakeUnitOfWork, clock: FixedClock
) -> None:
    seeded.seed(family_of(APPLICANT, clock, 1))

    decision = await ApproveTutor(deps)(actor_of(MANAGER), ApproveTutorCommand(APPLICATION_ID))

    assert decision.status is ApplicationStatus.APPROVED
    (application,) = seeded.stored_applications()
    assert application.status is ApplicationStatus.APPROVED
    assert (application.decided_by, application.decided_at) == (MANAGER.id, clock.now())
    user = seeded.stored_user(APPLICANT.id)
    assert user.role is Role.TUTOR and user.tutor_approval is TutorApproval.APPROVED
    profile = seeded.stored_tutor_profile(APPLICANT.id)
    assert profile is not None
    assert (profile.headline, profile.subjects) == ("Chess coach", ("Openings", "Endgames"))
    (event,) = seeded.events
    assert isinstance(event, TutorApplicationDecided)
    assert (event.user_id, event.email, event.full_name) == (
        APPLICANT.id,
        "ann@example.com",
        "Ann Applicant",
    )
    assert event.approved and event.reason is None and event.occurred_at == clock.now()
    (entry,) = seeded.audit.entries
    assert entry.action is AuditAction.TUTOR_APPROVED
    assert (entry.actor_id, entry.target_id) == (MANAGER.id, APPLICANT.id)
    assert entry.details == {"application_id": str(APPLICATION_ID)}
    assert not any(family.is_revoked for family in seeded.stored_families(APPLICANT.id))


async def test_approval_keeps_what_the_applicant_wrote_on_their_profile(
    deps: IdentityDeps, seeded: FakeUnitOfWork
) -> None:
    seeded.seed(TutorProfile(user_id=APPLICANT.id, headline="Grandmaster coaching", bio="Hi"))

    await ApproveTutor(deps)(actor_of(ADMIN), ApproveTutorCommand(APPLICATION_ID))

    profile = seeded.stored_tutor_profile(APPLICANT.id)
    assert profile is not None
    assert (profile.headline, profile.bio) == ("Grandmaster coaching", "Hi")
    assert profile.subjects == ("Openings", "Endgames")


async def test_an_application_is_decided_once(deps: IdentityDeps, seeded: FakeUnitOfWork) -> None:
    await ApproveTutor(deps)(actor_of(MANAGER), ApproveTutorCommand(APPLICATION_ID))

    with pytest.raises(IllegalTransition):
        await ApproveTutor(deps)(actor_of(ADMIN), ApproveTutorCommand(APPLICATION_ID))
    with pytest.raises(IllegalTransition):
        await RejectTutor(deps)(actor_of(ADMIN), RejectTutorCommand(APPLICATION_ID, "Too late"))

    assert len(seeded.events) == 1
    assert seeded.audit.actions == [AuditAction.TUTOR_APPROVED]


async def test_an_unknown_application_is_not_found(
    deps: IdentityDeps, seeded: FakeUnitOfWork
) -> None:
    with pytest.raises(NotFound):
        await ApproveTutor(deps)(actor_of(ADMIN), ApproveTutorCommand(UUID(int=404)))
    with pytest.raises(NotFound):
        await RejectTutor(deps)(actor_of(ADMIN), RejectTutorCommand(UUID(int=404), "No"))


@pytest.mark.parametrize(("actor", "error"), NOT_STAFF)
async def test_only_staff_decide_applications(
    actor: Actor, error: type[Exception], deps: IdentityDeps, seeded: FakeUnitOfWork
) -> None:
    with pytest.raises(error):
        await ApproveTutor(deps)(actor, ApproveTutorCommand(APPLICATION_ID))
    with pytest.raises(error):
        await RejectTutor(deps)(actor, RejectTutorCommand(APPLICATION_ID, "No"))

    assert seeded.stored_applications()[0].status is ApplicationStatus.PENDING
    assert seeded.events == [] and seeded.audit.entries == []


async def test_rejecting_records_the_reason_and_tells_the_applicant(
    deps: IdentityDeps, seeded: FakeUnitOfWork, clock: FixedClock
) -> None:
    decision = await RejectTutor(deps)(
        actor_of(MANAGER), RejectTutorCommand(APPLICATION_ID, "  The certificate is unreadable. ")
    )

    assert decision.status is ApplicationStatus.REJECTED
    assert decision.rejection_reason == "The certificate is unreadable."
    (application,) = seeded.stored_applications()
    assert application.rejection_reason == "The certificate is unreadable."
    user = seeded.stored_user(APPLICANT.id)
    assert user.tutor_approval is TutorApproval.REJECTED and user.role is Role.STUDENT
    (event,) = seeded.events
    assert isinstance(event, TutorApplicationDecided)
    assert not event.approved and event.reason == "The certificate is unreadable."
    (entry,) = seeded.audit.entries
    assert entry.action is AuditAction.TUTOR_REJECTED
    assert entry.details["reason"] == "The certificate is unreadable."


@pytest.mark.parametrize("reason", ["", "   ", "x" * 2001])
async def test_a_rejection_needs_a_reason(
    reason: str, deps: IdentityDeps, seeded: FakeUnitOfWork
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await RejectTutor(deps)(actor_of(ADMIN), RejectTutorCommand(APPLICATION_ID, reason))

    assert [e.field for e in caught.value.errors] == ["reason"]
    assert seeded.stored_applications()[0].status is ApplicationStatus.PENDING
    assert seeded.events == []


# ---- users -----------------------------------------------------------------------------------
async def test_staff_list_and_filter_users(deps: IdentityDeps, seeded: FakeUnitOfWork) -> None:
    list_users = ListUsers(deps)

    tutors = await list_users(actor_of(MANAGER), ListUsersQuery(UserFilter(role=Role.TUTOR)))
    found = await list_users(actor_of(MANAGER), ListUsersQuery(UserFilter(search="ANN@")))
    everyone: list[UUID] = []
    cursor = None
    while True:
        page = await list_users(actor_of(ADMIN), ListUsersQuery(limit=2, cursor=cursor))
        everyone += [user.id for user in page.items]
        if (cursor := page.next_cursor) is None:
            break

    assert [user.id for user in tutors.items] == [TUTOR.id]
    assert [user.full_name for user in found.items] == ["Ann Applicant"]
    assert sorted(everyone) == sorted(u.id for u in (ADMIN, MANAGER, STUDENT, APPLICANT, TUTOR))


@pytest.mark.parametrize(("actor", "error"), NOT_STAFF)
async def test_only_staff_list_users(
    actor: Actor, error: type[Exception], deps: IdentityDeps
) -> None:
    with pytest.raises(error):
        await ListUsers(deps)(actor, ListUsersQuery())


async def test_an_admin_changes_a_role_and_every_session_of_that_account_ends(
    deps: IdentityDeps, seeded: FakeUnitOfWork, clock: FixedClock
) -> None:
    seeded.seed(
        family_of(STUDENT, clock, 1), family_of(STUDENT, clock, 2), family_of(TUTOR, clock, 3)
    )
    clock.advance(timedelta(minutes=5))

    summary = await UpdateUser(deps)(
        actor_of(ADMIN), UpdateUserCommand(STUDENT.id, role=Role.MANAGER)
    )

    assert summary.role is Role.MANAGER
    user = seeded.stored_user(STUDENT.id)
    assert user.role is Role.MANAGER and user.sessions_valid_after == clock.now()
    families = seeded.stored_families(STUDENT.id)
    assert len(families) == 2
    assert all(f.revoked_at == clock.now() and f.revoked_reason == "role_changed" for f in families)
    assert not any(f.is_revoked for f in seeded.stored_families(TUTOR.id))
    (entry,) = seeded.audit.entries
    assert entry.action is AuditAction.ROLE_CHANGED
    assert (entry.actor_id, entry.target_type, entry.target_id) == (ADMIN.id, "user", STUDENT.id)
    assert entry.details == {"from": "student", "to": "manager"}


async def test_giving_the_same_role_changes_nothing(
    deps: IdentityDeps, seeded: FakeUnitOfWork, clock: FixedClock
) -> None:
    seeded.seed(family_of(STUDENT, clock, 1))

    await UpdateUser(deps)(actor_of(ADMIN), UpdateUserCommand(STUDENT.id, role=Role.STUDENT))

    assert seeded.audit.entries == []
    assert not any(f.is_revoked for f in seeded.stored_families(STUDENT.id))
    assert seeded.stored_user(STUDENT.id).sessions_valid_after is None


async def test_suspending_ends_every_session_and_reactivating_restores_the_account(
    deps: IdentityDeps, seeded: FakeUnitOfWork, clock: FixedClock
) -> None:
    seeded.seed(family_of(TUTOR, clock, 1))
    update = UpdateUser(deps)

    suspended = await update(actor_of(ADMIN), UpdateUserCommand(TUTOR.id, suspended=True))

    assert suspended.status is AccountStatus.SUSPENDED
    (family,) = seeded.stored_families(TUTOR.id)
    assert family.revoked_reason == "suspended"
    assert seeded.stored_user(TUTOR.id).sessions_valid_after == clock.now()

    reactivated = await update(actor_of(ADMIN), UpdateUserCommand(TUTOR.id, suspended=False))

    assert reactivated.status is AccountStatus.ACTIVE
    assert seeded.audit.actions == [AuditAction.USER_SUSPENDED, AuditAction.USER_REACTIVATED]
    assert all(entry.target_id == TUTOR.id for entry in seeded.audit.entries)


async def test_role_change_and_suspension_together(
    deps: IdentityDeps, seeded: FakeUnitOfWork, clock: FixedClock
) -> None:
    seeded.seed(family_of(TUTOR, clock, 1))

    await UpdateUser(deps)(
        actor_of(ADMIN), UpdateUserCommand(TUTOR.id, role=Role.STUDENT, suspended=True)
    )

    user = seeded.stored_user(TUTOR.id)
    assert (user.role, user.status) == (Role.STUDENT, AccountStatus.SUSPENDED)
    assert seeded.audit.actions == [AuditAction.ROLE_CHANGED, AuditAction.USER_SUSPENDED]


async def test_suspending_a_suspended_account_is_refused_and_nothing_is_kept(
    deps: IdentityDeps, uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    suspended = make_user(email="sus@example.com", status=AccountStatus.SUSPENDED)
    uow.seed(ADMIN, suspended, family_of(suspended, clock, 1))

    with pytest.raises(IllegalTransition):
        await UpdateUser(deps)(
            actor_of(ADMIN), UpdateUserCommand(suspended.id, role=Role.TUTOR, suspended=True)
        )

    assert uow.stored_user(suspended.id).role is Role.STUDENT
    assert not any(f.is_revoked for f in uow.stored_families(suspended.id))
    assert uow.audit.entries == []  # the role-change entry was never committed


async def test_reactivating_an_active_account_is_refused(
    deps: IdentityDeps, seeded: FakeUnitOfWork
) -> None:
    with pytest.raises(IllegalTransition):
        await UpdateUser(deps)(actor_of(ADMIN), UpdateUserCommand(STUDENT.id, suspended=False))


async def test_a_manager_may_not_change_roles_or_suspend(
    deps: IdentityDeps, seeded: FakeUnitOfWork
) -> None:
    for command in (
        UpdateUserCommand(STUDENT.id, role=Role.ADMIN),
        UpdateUserCommand(STUDENT.id, suspended=True),
    ):
        with pytest.raises(PermissionDenied):
            await UpdateUser(deps)(actor_of(MANAGER), command)

    assert seeded.stored_user(STUDENT.id).role is Role.STUDENT
    assert seeded.commits == 0


@pytest.mark.parametrize(("actor", "error"), NOT_STAFF)
async def test_only_admins_update_users(
    actor: Actor, error: type[Exception], deps: IdentityDeps
) -> None:
    with pytest.raises(error):
        await UpdateUser(deps)(actor, UpdateUserCommand(ADMIN.id, role=Role.STUDENT))


@pytest.mark.parametrize(
    "command",
    [UpdateUserCommand(ADMIN.id, role=Role.STUDENT), UpdateUserCommand(ADMIN.id, suspended=True)],
    ids=["demote", "suspend"],
)
async def test_an_admin_never_acts_on_themselves(
    command: UpdateUserCommand, deps: IdentityDeps, seeded: FakeUnitOfWork
) -> None:
    with pytest.raises(PermissionDenied):
        await UpdateUser(deps)(actor_of(ADMIN), command)

    admin = seeded.stored_user(ADMIN.id)
    assert (admin.role, admin.status) == (Role.ADMIN, AccountStatus.ACTIVE)


async def test_updating_an_unknown_user_is_not_found(
    deps: IdentityDeps, seeded: FakeUnitOfWork
) -> None:
    with pytest.raises(NotFound):
        await UpdateUser(deps)(actor_of(ADMIN), UpdateUserCommand(UUID(int=404), suspended=True))


# ---- audit log -------------------------------------------------------------------------------
async def test_staff_read_the_audit_log_newest_first_and_filtered(
    deps: IdentityDeps, seeded: FakeUnitOfWork, clock: FixedClock
) -> None:
    update = UpdateUser(deps)
    await update(actor_of(ADMIN), UpdateUserCommand(STUDENT.id, suspended=True))
    clock.advance(timedelta(minutes=1))
    await update(actor_of(ADMIN), UpdateUserCommand(STUDENT.id, suspended=False))
    read = ReadAuditLog(deps)

    everything = await read(actor_of(MANAGER), AuditLogQuery())
    suspensions = await read(
        actor_of(MANAGER), AuditLogQuery(AuditFilter(action=AuditAction.USER_SUSPENDED))
    )

    assert [e.action for e in everything.items] == [
        AuditAction.USER_REACTIVATED,
        AuditAction.USER_SUSPENDED,
    ]
    assert [e.action for e in suspensions.items] == [AuditAction.USER_SUSPENDED]


@pytest.mark.parametrize(("actor", "error"), NOT_STAFF)
async def test_only_staff_read_the_audit_log(
    actor: Actor, error: type[Exception], deps: IdentityDeps
) -> None:
    with pytest.raises(error):
        await ReadAuditLog(deps)(actor, AuditLogQuery())


async def test_an_empty_time_range_is_invalid(deps: IdentityDeps, clock: FixedClock) -> None:
    window = AuditFilter(since=clock.now(), until=clock.now())

    with pytest.raises(InvalidInput) as caught:
        await ReadAuditLog(deps)(actor_of(ADMIN), AuditLogQuery(window))

    assert [e.field for e in caught.value.errors] == ["until"]


# ---- public tutor profile --------------------------------------------------------------------
async def test_anyone_sees_an_approved_tutors_public_profile(
    deps: IdentityDeps, seeded: FakeUnitOfWork
) -> None:
    seeded.seed(
        TutorProfile(
            user_id=TUTOR.id,
            headline="Physics",
            rating_average=4.8,
            rating_count=12,
            meeting_url="https://meet.example/private-room",
        )
    )

    tutor = await GetPublicTutor(deps)(Actor.anonymous(), PublicTutorQuery(TUTOR.id))

    assert (tutor.id, tutor.full_name) == (TUTOR.id, "Tia Tutor")
    assert tutor.headline == "Physics" and tutor.rating_count == 12
    # The room is for the tutor's students, not for anyone reading the page.
    assert "private-room" not in repr(tutor)


async def test_who_is_not_an_approved_active_tutor_has_no_public_profile(
    deps: IdentityDeps, seeded: FakeUnitOfWork
) -> None:
    suspended = make_user(email="gone@example.com", role=Role.TUTOR, status=AccountStatus.SUSPENDED)
    pending = make_user(
        email="new@example.com", role=Role.TUTOR, tutor_approval=TutorApproval.PENDING
    )
    seeded.seed(suspended, pending)
    get = GetPublicTutor(deps)

    for user_id in (STUDENT.id, APPLICANT.id, suspended.id, pending.id, UUID(int=404)):
        with pytest.raises(NotFound):
            await get(Actor.anonymous(), PublicTutorQuery(user_id))


async def test_staff_without_two_factor_are_refused_when_the_policy_requires_it(
    uow: FakeUnitOfWork, clock: FixedClock, seeded: FakeUnitOfWork
) -> None:
    strict = make_identity_deps(
        uow=uow, clock=clock, authorizer=Authorizer(staff_two_factor_required=True)
    )
    list_users = ListUsers(strict)
    with pytest.raises(PermissionDenied) as refused:
        await list_users(actor_of(MANAGER), ListUsersQuery())
    assert refused.value.code == "two-factor-required"
    with_2fa = Actor(
        user_id=MANAGER.id, role=Role.MANAGER, email_verified=True, two_factor_enabled=True
    )
    assert (await list_users(with_2fa, ListUsersQuery())).items
    # Without the policy, two-factor sign-in stays optional for staff.
    assert (
        await ListUsers(make_identity_deps(uow=uow, clock=clock))(
            actor_of(MANAGER), ListUsersQuery()
        )
    ).items


# ---- email recipients ------------------------------------------------------------------------
async def test_an_email_reads_the_zone_and_language_of_the_profile_presented(
    deps: IdentityDeps, seeded: FakeUnitOfWork
) -> None:
    seeded.seed(
        StudentProfile(user_id=STUDENT.id, time_zone="America/New_York", language="pt-BR"),
        TutorProfile(user_id=TUTOR.id, time_zone="Europe/Berlin", languages=("de", "en")),
        # An applicant presents the tutor profile, whatever their student profile says.
        StudentProfile(user_id=APPLICANT.id, time_zone="Asia/Tokyo", language="ja"),
        TutorProfile(user_id=APPLICANT.id, time_zone="Europe/Paris", languages=("fr",)),
    )
    api = IdentityApi(deps)

    async with deps.uow(read_only=True) as uow:
        student = await api.recipient(uow, STUDENT.id)
        tutor = await api.recipient(uow, TUTOR.id)
        applicant = await api.recipient(uow, APPLICANT.id)
        silent = await api.recipient(uow, MANAGER.id)  # no profile: UTC, no preference
        gone = await api.recipient(uow, UUID(int=404))

    assert student == Recipient(
        STUDENT.id, "sam@example.com", "Sam Student", "America/New_York", "pt-BR"
    )
    assert tutor is not None and (tutor.time_zone, tutor.language) == ("Europe/Berlin", "de")
    assert applicant is not None
    assert (applicant.time_zone, applicant.language) == ("Europe/Paris", "fr")
    assert silent is not None and (silent.time_zone, silent.language) == ("UTC", None)
    assert gone is None
