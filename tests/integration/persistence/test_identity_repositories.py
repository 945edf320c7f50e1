"""The identity context's repositories, unit of work and read-side queries, on SQLite and
PostgreSQL: aggregates survive the round trip whole, a transaction is all or nothing, the
database's constraints become domain conflicts, and keyset pages neither repeat nor skip."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import event, func, select, update
from tests.conftest import make_settings
from tests.support.statements import Statements

from elearn.adapters.persistence.models.identity import TutorProfileRow, UserRow
from elearn.adapters.persistence.models.jobs import OutboxMessageRow
from elearn.adapters.persistence.paging import encode_cursor
from elearn.adapters.persistence.queries import SqlaIdentityQueries
from elearn.application.identity.api import IdentityApi, TutorTerms
from elearn.application.identity.ports import AuditFilter, UserFilter
from elearn.application.paging import InvalidCursor
from elearn.domain.identity.email import EmailAddress
from elearn.domain.identity.profiles import StudentProfile, TutorProfile
from elearn.domain.identity.roles import Role
from elearn.domain.identity.tokens import OneTimeToken, RefreshFamily, TokenPurpose
from elearn.domain.identity.tutor_application import ApplicationStatus, TutorApplication
from elearn.domain.identity.user import (
    AccountStatus,
    EmailTaken,
    TutorApproval,
    User,
    UserRegistered,
)
from elearn.domain.shared.audit import AuditAction, AuditEntry
from elearn.domain.shared.errors import Conflict
from elearn.domain.shared.money import Money
from elearn.entrypoints.bootstrap import Container, bootstrap

# Microseconds and a non-UTC offset: what comes back must be the same instant, tz-aware.
T0 = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))


@pytest.fixture
async def container(tmp_path: Path, database_url: str) -> AsyncIterator[Container]:
    c = bootstrap(make_settings(tmp_path, database_url))
    try:
        yield c
    finally:
        await c.dispose()


def new_user(
    email: str = "ada@example.com",
    *,
    name: str = "Ada Lovelace",
    role: Role = Role.STUDENT,
    now: datetime = T0,
    verified: bool = False,
    approval: TutorApproval | None = None,
) -> User:
    return User.register(
        user_id=uuid4(),
        event_id=uuid4(),
        email=EmailAddress(email),
        full_name=name,
        role=role,
        password_hash="argon2$hash",
        now=now,
        email_verified=verified,
        tutor_approval=approval,
    )


def state(aggregate: Any) -> dict[str, Any]:
    return {f.name: getattr(aggregate, f.name) for f in dataclasses.fields(aggregate)}


def assert_same(loaded: Any, original: Any) -> None:
    assert loaded is not original
    assert state(loaded) == state(original)
    for name, value in state(loaded).items():
        if isinstance(value, datetime):
            assert value.tzinfo is not None, name


async def add_users(container: Container, *users: User) -> None:
    async with container.uow() as uow:
        for user in users:
            await uow.users.add(user)
        await uow.commit()


# ---- users ----------------------------------------------------------------------------------
async def test_a_user_round_trips_with_every_field(container: Container) -> None:
    user = new_user(role=Role.TUTOR, verified=True)
    user.begin_totp_setup("JBSWY3DPEHPK3PXP")
    user.enable_totp(58_000_000_123, ("h1", "h2", "h3"))
    user.set_avatar("avatars/ada.png")
    user.end_sessions(T0 + timedelta(minutes=1))
    await add_users(container, user)

    async with container.uow() as uow:
        loaded = await uow.users.get(user.id)
        assert loaded is not None
        assert_same(loaded, user)
        assert loaded.recovery_code_hashes == ("h1", "h2", "h3")
        assert loaded.tutor_approval is TutorApproval.PENDING
        loaded.approve_as_tutor(T0 + timedelta(hours=1))
        loaded.use_recovery_code("h2")
        loaded.suspend(T0 + timedelta(hours=2))
        loaded.rename("Ada King")
        await uow.commit()

    async with container.uow() as uow:
        again = await uow.users.get_by_email(EmailAddress("ADA@example.com"), for_update=True)
        assert again is not None
        assert_same(again, loaded)
        assert again.status is AccountStatus.SUSPENDED
        assert again.recovery_code_hashes == ("h1", "h3")
        # Sessions end at the next whole second, as access tokens are dated in whole seconds.
        cut = (T0 + timedelta(hours=2)).replace(microsecond=0) + timedelta(seconds=1)
        assert again.sessions_valid_after == cut
        again.reactivate()
        again.disable_totp()
        await uow.commit()

    async with container.uow() as uow:
        final = await uow.users.get(user.id, for_update=True)
        assert final is not None
        assert_same(final, again)
        assert final.recovery_code_hashes == ()
        assert final.totp_secret is None


async def test_registering_stores_the_event_in_the_outbox(container: Container) -> None:
    user = new_user()
    await add_users(container, user)
    async with container.sessions() as session:
        types = (await session.scalars(select(OutboxMessageRow.event_type))).all()
    assert types == [UserRegistered.event_type]


async def test_one_unit_of_work_hands_out_one_instance_per_user(container: Container) -> None:
    user = new_user()
    await add_users(container, user)
    async with container.uow() as uow:
        first = await uow.users.get(user.id)
        assert first is await uow.users.get(user.id, for_update=True)
        assert first is await uow.users.get_by_email(user.email)


async def test_a_unit_of_work_left_without_commit_keeps_nothing(container: Container) -> None:
    user = new_user()
    async with container.uow() as uow:
        await uow.users.add(user)
        uow.audit.add(AuditEntry(id=uuid4(), at=T0, action=AuditAction.LOGOUT, actor_id=user.id))
    async with container.uow() as uow:
        await uow.users.add(new_user("grace@example.com"))
        await uow.rollback()

    async with container.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(UserRow)) == 0
        assert await session.scalar(select(func.count()).select_from(OutboxMessageRow)) == 0
    page = await SqlaIdentityQueries(container.sessions).audit_log(
        AuditFilter(), limit=10, cursor=None
    )
    assert page.items == []


async def test_a_second_account_for_an_email_in_other_case_is_email_taken(
    container: Container,
) -> None:
    await add_users(container, new_user("ada@example.com"))
    async with container.uow() as uow:
        await uow.users.add(new_user("  ADA@Example.COM", name="Someone Else"))
        with pytest.raises(EmailTaken):
            await uow.commit()
    async with container.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(UserRow)) == 1


# ---- profiles -------------------------------------------------------------------------------
async def test_profiles_round_trip_and_saving_twice_updates(container: Container) -> None:
    student, tutor = new_user(), new_user("tim@example.com", role=Role.TUTOR)
    await add_users(container, student, tutor)
    student_profile = StudentProfile(
        user_id=student.id,
        bio="Curious.\nVery.",
        language="en",
        country="GB",
        time_zone="Europe/London",
        preferred_currency="GBP",
        unverified_institution="UCL",
        onboarding={"goals": ["maths"], "level": 2},
    )
    tutor_profile = TutorProfile(
        user_id=tutor.id,
        bio="I teach.",
        headline="Calculus, patiently",
        subjects=("maths", "physics"),
        languages=("en", "de"),
        hourly_rate=Money(4999, "EUR"),
        time_zone="Europe/Berlin",
        meeting_url="https://meet.example.com/tim",
    )
    async with container.uow() as uow:
        assert await uow.profiles.get_student(student.id) is None
        await uow.profiles.save_student(student_profile)
        await uow.profiles.save_tutor(tutor_profile)
        await uow.profiles.save_tutor(tutor_profile)  # twice in one transaction: one row
        await uow.commit()

    async with container.uow() as uow:
        loaded_student = await uow.profiles.get_student(student.id)
        loaded_tutor = await uow.profiles.get_tutor(tutor.id)
        assert loaded_student is not None and loaded_tutor is not None
        assert_same(loaded_student, student_profile)
        assert_same(loaded_tutor, tutor_profile)
        assert await uow.profiles.get_tutor(student.id) is None
        loaded_tutor.subjects = ("chemistry",)
        loaded_tutor.hourly_rate = None
        loaded_student.onboarding = {}
        await uow.profiles.save_tutor(loaded_tutor)
        await uow.profiles.save_student(loaded_student)
        await uow.commit()

    async with container.uow() as uow:
        assert_same(await uow.profiles.get_tutor(tutor.id), loaded_tutor)
        assert_same(await uow.profiles.get_student(student.id), loaded_student)


async def test_saving_a_tutor_profile_leaves_the_rating_alone(container: Container) -> None:
    tutor = new_user("tim@example.com", role=Role.TUTOR)
    await add_users(container, tutor)
    async with container.uow() as uow:
        await uow.profiles.save_tutor(TutorProfile(user_id=tutor.id))
        await uow.commit()
    async with container.sessions() as session, session.begin():
        await session.execute(update(TutorProfileRow).values(rating_average=4.75, rating_count=12))
    async with container.uow() as uow:
        await uow.profiles.save_tutor(
            TutorProfile(user_id=tutor.id, headline="New", rating_average=1.0, rating_count=1)
        )
        await uow.commit()
    async with container.uow() as uow:
        profile = await uow.profiles.get_tutor(tutor.id)
    assert profile is not None
    assert (profile.headline, profile.rating_average, profile.rating_count) == ("New", 4.75, 12)


# ---- tutor applications ---------------------------------------------------------------------
def new_application(
    user_id: UUID, *, at: datetime = T0, headline: str = "Maths"
) -> TutorApplication:
    return TutorApplication(
        id=uuid4(),
        user_id=user_id,
        headline=headline,
        subjects=("maths", "statistics"),
        cv_key="files/cv.pdf",
        certificate_key="files/cert.pdf",
        submitted_at=at,
    )


async def test_a_tutor_application_round_trips_through_its_decision(
    container: Container,
) -> None:
    applicant, admin = new_user(), new_user("admin@example.com", role=Role.ADMIN)
    await add_users(container, applicant, admin)
    application = new_application(applicant.id)
    async with container.uow() as uow:
        await uow.tutor_applications.add(application)
        assert await uow.tutor_applications.pending_for_user(applicant.id) is application
        await uow.commit()

    async with container.uow() as uow:
        loaded = await uow.tutor_applications.pending_for_user(applicant.id)
        assert loaded is not None
        assert_same(loaded, application)
        assert loaded is await uow.tutor_applications.get(application.id, for_update=True)
        loaded.reject(by=admin.id, reason="  Please add a certificate.  ", now=T0 + timedelta(1))
        # This transaction already sees its own decision.
        assert await uow.tutor_applications.pending_for_user(applicant.id) is None
        await uow.commit()

    async with container.uow() as uow:
        assert await uow.tutor_applications.pending_for_user(applicant.id) is None
        decided = await uow.tutor_applications.get(application.id)
        assert decided is not None
        assert_same(decided, loaded)
        assert decided.status is ApplicationStatus.REJECTED
        assert decided.rejection_reason == "Please add a certificate."
        assert await uow.tutor_applications.get(uuid4()) is None


# ---- one-time tokens ------------------------------------------------------------------------
def new_token(
    user_id: UUID, token_hash: str, purpose: TokenPurpose, at: datetime = T0
) -> OneTimeToken:
    return OneTimeToken.issue(
        token_id=uuid4(),
        user_id=user_id,
        purpose=purpose,
        token_hash=token_hash,
        now=at,
        ttl=timedelta(minutes=10),
    )


async def test_one_time_tokens_are_found_by_hash_and_open_ones_by_purpose(
    container: Container,
) -> None:
    user, other = new_user(), new_user("grace@example.com")
    await add_users(container, user, other)
    verify_1 = new_token(user.id, "a" * 64, TokenPurpose.VERIFY_EMAIL)
    verify_2 = new_token(user.id, "b" * 64, TokenPurpose.VERIFY_EMAIL, T0 + timedelta(minutes=1))
    reset = new_token(user.id, "c" * 64, TokenPurpose.RESET_PASSWORD)
    others = new_token(other.id, "d" * 64, TokenPurpose.VERIFY_EMAIL)
    async with container.uow() as uow:
        for token in (verify_1, verify_2, reset, others):
            await uow.one_time_tokens.add(token)
        await uow.commit()

    async with container.uow() as uow:
        loaded = await uow.one_time_tokens.get_by_hash("b" * 64, for_update=True)
        assert loaded is not None
        assert_same(loaded, verify_2)
        assert await uow.one_time_tokens.get_by_hash("e" * 64) is None
        open_tokens = await uow.one_time_tokens.open_for(user.id, TokenPurpose.VERIFY_EMAIL)
        assert [t.id for t in open_tokens] == [verify_1.id, verify_2.id]
        assert open_tokens[1] is loaded
        open_tokens[0].supersede(T0 + timedelta(minutes=2))
        loaded.consume(T0 + timedelta(minutes=3), TokenPurpose.VERIFY_EMAIL)
        fresh = new_token(user.id, "f" * 64, TokenPurpose.VERIFY_EMAIL, T0 + timedelta(minutes=4))
        await uow.one_time_tokens.add(fresh)
        # The transaction sees its own changes before they are written.
        assert await uow.one_time_tokens.open_for(user.id, TokenPurpose.VERIFY_EMAIL) == [fresh]
        await uow.commit()

    async with container.uow() as uow:
        assert [
            t.id for t in await uow.one_time_tokens.open_for(user.id, TokenPurpose.VERIFY_EMAIL)
        ] == [fresh.id]
        assert [
            t.id for t in await uow.one_time_tokens.open_for(user.id, TokenPurpose.RESET_PASSWORD)
        ] == [reset.id]
        superseded = await uow.one_time_tokens.get_by_hash("a" * 64)
        used = await uow.one_time_tokens.get_by_hash("b" * 64)
        assert superseded is not None and used is not None
        assert superseded.superseded_at == T0 + timedelta(minutes=2)
        assert used.used_at == T0 + timedelta(minutes=3)
        assert_same(used, loaded)


async def test_a_token_hash_is_unique(container: Container) -> None:
    user = new_user()
    await add_users(container, user)
    async with container.uow() as uow:
        await uow.one_time_tokens.add(new_token(user.id, "a" * 64, TokenPurpose.VERIFY_EMAIL))
        await uow.one_time_tokens.add(new_token(user.id, "a" * 64, TokenPurpose.RESET_PASSWORD))
        with pytest.raises(Conflict):
            await uow.commit()


# ---- refresh families -----------------------------------------------------------------------
def new_family(user_id: UUID, token_hash: str, at: datetime = T0) -> RefreshFamily:
    return RefreshFamily.start(
        family_id=uuid4(),
        user_id=user_id,
        token_hash=token_hash,
        now=at,
        absolute_lifetime=timedelta(days=30),
        idle_lifetime=timedelta(days=7),
    )


async def test_refresh_families_round_trip_and_revoked_ones_are_not_active(
    container: Container,
) -> None:
    user, other = new_user(), new_user("grace@example.com")
    await add_users(container, user, other)
    phone, laptop = new_family(user.id, "p" * 64), new_family(user.id, "l" * 64, T0 + timedelta(1))
    async with container.uow() as uow:
        for family in (phone, laptop, new_family(other.id, "o" * 64)):
            await uow.refresh_families.add(family)
        await uow.commit()

    async with container.uow() as uow:
        loaded = await uow.refresh_families.get(phone.id, for_update=True)
        assert loaded is not None
        assert_same(loaded, phone)
        loaded.rotate("p" * 64, "q" * 64, T0 + timedelta(hours=1), timedelta(days=7))
        laptop_loaded = await uow.refresh_families.get(laptop.id)
        assert laptop_loaded is not None
        laptop_loaded.revoke(T0 + timedelta(hours=2), "logout")
        await uow.commit()

    async with container.uow() as uow:
        active = await uow.refresh_families.active_for_user(user.id)
        assert [f.id for f in active] == [phone.id]
        assert_same(active[0], loaded)
        assert active[0].rotations == 1 and active[0].current_hash == "q" * 64
        revoked = await uow.refresh_families.get(laptop.id)
        assert revoked is not None
        assert (revoked.revoked_at, revoked.revoked_reason) == (T0 + timedelta(hours=2), "logout")


# ---- audit log and its query ----------------------------------------------------------------
async def test_audit_entries_are_inserted_and_filtered_and_paged(container: Container) -> None:
    alice, bob, target = uuid4(), uuid4(), uuid4()
    entries = [
        AuditEntry(
            id=uuid4(),
            at=T0 + timedelta(minutes=i),
            action=AuditAction.LOGIN_SUCCEEDED if i % 2 else AuditAction.LOGIN_FAILED,
            actor_id=alice if i < 5 else bob,
            target_type="user" if i % 3 == 0 else None,
            target_id=target if i % 3 == 0 else None,
            ip="2001:db8::1",
            user_agent="pytest",
            details={"attempt": i, "who": str(alice), "ref": target},
        )
        for i in range(8)
    ]
    async with container.uow() as uow:
        for entry in entries:
            uow.audit.add(entry)
        uow.audit.add(  # same instant as another: the id breaks the tie
            AuditEntry(id=uuid4(), at=T0, action=AuditAction.LOGOUT, actor_id=None)
        )
        await uow.commit()
    queries = SqlaIdentityQueries(container.sessions)

    everything = await walk(queries.audit_log, AuditFilter(), limit=2)
    assert len(everything) == 9 and len({e.id for e in everything}) == 9
    assert [e.at for e in everything] == sorted((e.at for e in everything), reverse=True)
    newest = everything[0]
    assert newest.id == entries[7].id
    assert newest.action is AuditAction.LOGIN_SUCCEEDED
    assert newest.details == {"attempt": 7, "who": str(alice), "ref": str(target)}
    assert (newest.ip, newest.user_agent, newest.at.tzinfo is not None) == (
        "2001:db8::1",
        "pytest",
        True,
    )

    by_actor = await walk(queries.audit_log, AuditFilter(actor_id=alice), limit=2)
    assert [e.id for e in by_actor] == [e.id for e in reversed(entries[:5])]
    failed = await walk(queries.audit_log, AuditFilter(action=AuditAction.LOGIN_FAILED), limit=3)
    assert {e.id for e in failed} == {e.id for e in entries if e.action is AuditAction.LOGIN_FAILED}
    on_target = await walk(queries.audit_log, AuditFilter(target_id=target), limit=10)
    assert [e.id for e in on_target] == [entries[6].id, entries[3].id, entries[0].id]
    window = await walk(
        queries.audit_log,
        AuditFilter(since=T0 + timedelta(minutes=2), until=T0 + timedelta(minutes=5)),
        limit=2,
    )
    assert [e.id for e in window] == [entries[4].id, entries[3].id, entries[2].id]


async def walk(query: Any, filters: Any, *, limit: int) -> list[Any]:
    """Every page in turn; checks no page is larger than asked."""
    items: list[Any] = []
    cursor = None
    for _ in range(100):
        page = await query(filters, limit=limit, cursor=cursor)
        assert len(page.items) <= limit
        items.extend(page.items)
        if page.next_cursor is None:
            return items
        assert len(page.items) == limit
        cursor = page.next_cursor
    raise AssertionError("pagination never ended")


# ---- users query ----------------------------------------------------------------------------
async def test_users_are_listed_by_filters_in_keyset_pages(container: Container) -> None:
    # Three share one instant, so the id has to break ties without losing or repeating anyone.
    instants = [T0, T0, T0, T0 + timedelta(seconds=1), T0 + timedelta(days=1)]
    students = [
        new_user(f"student{i}@example.com", name=f"Student Nr{i}", now=at, verified=i != 2)
        for i, at in enumerate([*instants, T0 - timedelta(days=1), T0 - timedelta(days=2)])
    ]
    tutor = new_user("tutor@example.com", name="Tina Tutor", role=Role.TUTOR, verified=True)
    suspended = new_user("gone@example.com", name="Gone Student", verified=True)
    suspended.suspend(T0)
    suspended.begin_totp_setup("S")
    suspended.enable_totp(1, ())
    await add_users(container, *students, tutor, suspended)
    queries = SqlaIdentityQueries(container.sessions)

    pages = []
    cursor = None
    while True:
        page = await queries.users(UserFilter(role=Role.STUDENT), limit=3, cursor=cursor)
        pages.append(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert [len(p) for p in pages] == [3, 3, 2]
    listed = [u for p in pages for u in p]
    assert {u.id for u in listed} == {u.id for u in [*students, suspended]}
    assert len(listed) == 8
    keys = [(u.created_at, u.id.bytes) for u in listed]
    assert keys == sorted(keys, reverse=True)

    active = await walk(
        queries.users, UserFilter(role=Role.STUDENT, status=AccountStatus.ACTIVE), limit=3
    )
    assert {u.id for u in active} == {u.id for u in students}
    gone = await queries.users(UserFilter(status=AccountStatus.SUSPENDED), limit=3, cursor=None)
    assert [(u.id, u.status, u.two_factor_enabled, u.email_verified) for u in gone.items] == [
        (suspended.id, AccountStatus.SUSPENDED, True, True)
    ]
    unverified = await walk(queries.users, UserFilter(email_verified=False), limit=3)
    assert [u.id for u in unverified] == [students[2].id]
    verified = await walk(queries.users, UserFilter(email_verified=True), limit=4)
    assert len(verified) == 8
    tutors = await queries.users(UserFilter(role=Role.TUTOR), limit=5, cursor=None)
    summary = tutors.items[0]
    assert (summary.email, summary.full_name, summary.role, summary.tutor_approval) == (
        "tutor@example.com",
        "Tina Tutor",
        Role.TUTOR,
        "pending",
    )
    assert summary.created_at == T0 and summary.created_at.tzinfo is not None

    by_name = await walk(queries.users, UserFilter(search="  sTUDENT nr1 "), limit=3)
    assert [u.id for u in by_name] == [students[1].id]
    by_email = await walk(queries.users, UserFilter(search="@EXAMPLE.com"), limit=4)
    assert len(by_email) == 9


async def test_search_treats_like_wildcards_as_text(container: Container) -> None:
    await add_users(
        container,
        new_user("percent@example.com", name="Lucky 100% Sure"),
        new_user("plain@example.com", name="Lucky 1000 Sure"),
        new_user("under_score@example.com", name="Under Score"),
        new_user("underxscore@example.com", name="Under X Score"),
        new_user("slash@example.com", name="Back/Slash\\Name"),
    )
    queries = SqlaIdentityQueries(container.sessions)

    async def names(term: str) -> list[str]:
        page = await queries.users(UserFilter(search=term), limit=10, cursor=None)
        return sorted(u.full_name for u in page.items)

    assert await names("100%") == ["Lucky 100% Sure"]
    assert await names("%") == ["Lucky 100% Sure"]
    assert await names("under_") == ["Under Score"]
    assert await names("k/s") == ["Back/Slash\\Name"]
    assert await names("h\\n") == ["Back/Slash\\Name"]


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not a cursor",
        "!!!!",
        base64.urlsafe_b64encode(b"{}").decode(),
        base64.urlsafe_b64encode(b'["2026-01-01T00:00:00", "x"]').decode(),
        base64.urlsafe_b64encode(
            b'["2026-01-01T00:00:00", "00000000-0000-0000-0000-000000000000"]'
        ).decode(),
        base64.urlsafe_b64encode(b'["yesterday", "00000000-0000-0000-0000-000000000000"]').decode(),
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        "A" * 5000,
    ],
)
async def test_a_malformed_cursor_is_invalid(container: Container, cursor: str) -> None:
    queries = SqlaIdentityQueries(container.sessions)
    with pytest.raises(InvalidCursor):
        await queries.users(UserFilter(), limit=3, cursor=cursor)
    with pytest.raises(InvalidCursor):
        await queries.audit_log(AuditFilter(), limit=3, cursor=cursor)
    with pytest.raises(InvalidCursor):
        await queries.tutor_applications(None, limit=3, cursor=cursor)


async def test_a_cursor_from_this_module_is_accepted(container: Container) -> None:
    queries = SqlaIdentityQueries(container.sessions)
    page = await queries.users(
        UserFilter(), limit=3, cursor=encode_cursor(datetime.now(UTC), uuid4())
    )
    assert page.items == [] and page.next_cursor is None


# ---- tutor applications query ---------------------------------------------------------------
async def test_tutor_applications_are_listed_by_status_with_the_applicant(
    container: Container,
) -> None:
    applicants = [new_user(f"a{i}@example.com", name=f"Applicant {i}") for i in range(5)]
    admin = new_user("admin@example.com", role=Role.ADMIN)
    await add_users(container, *applicants, admin)
    applications = [
        new_application(a.id, at=T0 + timedelta(hours=i), headline=f"Headline {i}")
        for i, a in enumerate(applicants)
    ]
    applications[1].reject(by=admin.id, reason="No certificate", now=T0 + timedelta(days=1))
    applications[3].approve(by=admin.id, now=T0 + timedelta(days=1))
    async with container.uow() as uow:
        for application in applications:
            await uow.tutor_applications.add(application)
        await uow.commit()
    queries = SqlaIdentityQueries(container.sessions)

    pending = await walk(queries.tutor_applications, ApplicationStatus.PENDING, limit=2)
    assert [a.id for a in pending] == [applications[i].id for i in (4, 2, 0)]
    first = pending[0]
    assert (first.user_id, first.email, first.full_name, first.headline) == (
        applicants[4].id,
        "a4@example.com",
        "Applicant 4",
        "Headline 4",
    )
    assert first.subjects == ("maths", "statistics")
    assert (first.cv_key, first.certificate_key) == ("files/cv.pdf", "files/cert.pdf")
    assert first.submitted_at == T0 + timedelta(hours=4) and first.decided_at is None

    rejected = await walk(queries.tutor_applications, ApplicationStatus.REJECTED, limit=2)
    assert [(a.id, a.status, a.rejection_reason, a.decided_at) for a in rejected] == [
        (applications[1].id, ApplicationStatus.REJECTED, "No certificate", T0 + timedelta(days=1))
    ]
    everything = await walk(queries.tutor_applications, None, limit=2)
    assert [a.id for a in everything] == [a.id for a in reversed(applications)]


# ---- public tutor ---------------------------------------------------------------------------
async def test_only_an_active_approved_tutor_has_a_public_page(container: Container) -> None:
    approved = new_user(
        "t1@example.com", name="Approved", role=Role.TUTOR, approval=TutorApproval.APPROVED
    )
    approved.set_avatar("avatars/t1.png")
    no_profile = new_user("t2@example.com", role=Role.TUTOR, approval=TutorApproval.APPROVED)
    pending = new_user("t3@example.com", role=Role.TUTOR)
    rejected = new_user("t4@example.com", role=Role.TUTOR, approval=TutorApproval.REJECTED)
    student = new_user("s@example.com")
    suspended = new_user("t5@example.com", role=Role.TUTOR, approval=TutorApproval.APPROVED)
    suspended.suspend(T0)
    everyone = [approved, no_profile, pending, rejected, student, suspended]
    await add_users(container, *everyone)
    async with container.uow() as uow:
        for user in everyone:
            if user is not no_profile:
                await uow.profiles.save_tutor(
                    TutorProfile(user_id=user.id, headline="Hi", subjects=("maths",))
                )
        await uow.commit()
    queries = SqlaIdentityQueries(container.sessions)

    public = await queries.approved_tutor(approved.id)
    assert public is not None
    assert (public.id, public.full_name, public.avatar_key) == (
        approved.id,
        "Approved",
        "avatars/t1.png",
    )
    assert (public.profile.user_id, public.profile.headline, public.profile.subjects) == (
        approved.id,
        "Hi",
        ("maths",),
    )
    bare = await queries.approved_tutor(no_profile.id)
    assert (
        bare is not None and bare.profile.headline == "" and bare.profile.user_id == no_profile.id
    )
    for hidden in (pending, rejected, student, suspended):
        assert await queries.approved_tutor(hidden.id) is None
    assert await queries.approved_tutor(uuid4()) is None


async def test_bookable_tutor_terms_are_read_in_one_statement_for_bookable_tutors_only(
    container: Container,
) -> None:
    rated = new_user("t1@example.com", role=Role.TUTOR, approval=TutorApproval.APPROVED)
    no_profile = new_user("t2@example.com", role=Role.TUTOR, approval=TutorApproval.APPROVED)
    pending = new_user("t3@example.com", role=Role.TUTOR)
    student = new_user("s@example.com")
    suspended = new_user("t5@example.com", role=Role.TUTOR, approval=TutorApproval.APPROVED)
    suspended.suspend(T0)
    everyone = [rated, no_profile, pending, student, suspended]
    await add_users(container, *everyone)
    async with container.uow() as uow:
        for user in everyone:
            if user is not no_profile:
                await uow.profiles.save_tutor(
                    TutorProfile(
                        user_id=user.id,
                        hourly_rate=Money(4000, "USD"),
                        time_zone="Europe/Berlin",
                        meeting_url="https://meet.example.com/t",
                    )
                )
        await uow.commit()
    identity = IdentityApi(container.identity.deps)

    async with container.uow() as uow:
        with Statements(container.engine) as statements:
            terms = await identity.bookable_tutor_terms(uow, rated.id)
        bare = await identity.bookable_tutor_terms(uow, no_profile.id)
        hidden = [await identity.bookable_tutor_terms(uow, u.id) for u in (pending, student)]
        gone = await identity.bookable_tutor_terms(uow, suspended.id)
        unknown = await identity.bookable_tutor_terms(uow, uuid4())

    assert len(statements.sent) == 1, statements.sent
    assert terms == TutorTerms(Money(4000, "USD"), "Europe/Berlin", "https://meet.example.com/t")
    assert bare == TutorTerms(None, "UTC", None)
    assert hidden == [None, None] and gone is None and unknown is None


# ---- session account ------------------------------------------------------------------------
async def test_session_account_reads_what_a_request_needs(container: Container) -> None:
    user = new_user(role=Role.MANAGER, verified=True)
    user.begin_totp_setup("S")
    user.enable_totp(1, ())
    user.suspend(T0 + timedelta(minutes=5))
    await add_users(container, user)
    queries = SqlaIdentityQueries(container.sessions)

    account = await queries.session_account(user.id)
    assert account is not None
    assert (account.id, account.role, account.status) == (
        user.id,
        Role.MANAGER,
        AccountStatus.SUSPENDED,
    )
    assert (account.email_verified, account.two_factor_enabled) == (True, True)
    cut = (T0 + timedelta(minutes=5)).replace(microsecond=0) + timedelta(seconds=1)
    assert account.sessions_valid_after == cut
    assert not account.accepts_sessions_issued_at(T0 + timedelta(hours=1))
    assert await queries.session_account(uuid4()) is None


async def test_session_account_is_one_statement_outside_any_transaction(
    container: Container,
) -> None:
    """Read on every signed-in request whose account the process does not hold yet: one round
    trip, on PostgreSQL with no BEGIN and ROLLBACK around it."""
    user = new_user(role=Role.STUDENT, verified=True)
    await add_users(container, user)
    queries = SqlaIdentityQueries(container.sessions)
    begun: list[object] = []

    def record_begin(connection: object) -> None:
        begun.append(connection)

    event.listen(container.engine.sync_engine, "begin", record_begin)
    try:
        with Statements(container.engine) as statements:
            account = await queries.session_account(user.id)
            sent = await statements.settled()
    finally:
        event.remove(container.engine.sync_engine, "begin", record_begin)
    assert account is not None and account.id == user.id
    assert len(sent) == 1, sent
    if container.engine.dialect.name == "postgresql":
        assert begun == []


async def test_a_new_user_and_their_profile_commit_in_one_unit_of_work(
    container: Container,
) -> None:
    now = datetime.now(UTC)
    user = User.register(
        user_id=uuid4(), event_id=uuid4(), email=EmailAddress("both@example.com"),
        full_name="Both", role=Role.TUTOR, password_hash="h", now=now,
    )  # fmt: skip
    async with container.uow() as uow:
        await uow.users.add(user)
        await uow.profiles.save_tutor(TutorProfile(user_id=user.id, headline="Maths"))
        await uow.commit()
    async with container.uow() as uow:
        profile = await uow.profiles.get_tutor(user.id)
    assert profile is not None and profile.headline == "Maths"


async def test_a_commit_that_changes_what_authentication_reads_moves_the_accounts_generation(
    container: Container,
) -> None:
    """Before and after the commit (so twice); changes authentication does not read leave every
    process's cached account alone."""
    user = new_user(approval=TutorApproval.PENDING)
    user.begin_totp_setup("SECRET")
    await add_users(container, user)
    store = container.identity.deps.revoked_tokens

    async def generation() -> int:
        return (await store.standing("session", user.id.hex)).account_generation

    later = T0 + timedelta(hours=1)
    cases: list[tuple[str, Any, bool]] = [
        ("renamed", lambda u: u.rename("Ada King"), False),
        ("new avatar", lambda u: u.set_avatar("avatars/ada.png"), False),
        ("tutor approved", lambda u: u.approve_as_tutor(later), True),  # a new role
        ("email verified", lambda u: u.verify_email(later), True),
        ("two-factor on", lambda u: u.enable_totp(58_000_000_123, ("h1",)), True),
        ("recovery code used", lambda u: u.use_recovery_code("h1"), False),
        ("two-factor off", lambda u: u.disable_totp(), True),
        ("suspended", lambda u: u.suspend(later), True),
        ("reactivated", lambda u: u.reactivate(), True),
        ("sessions ended", lambda u: u.end_sessions(later + timedelta(minutes=1)), True),
    ]
    for what, change, moves in cases:
        before = await generation()
        async with container.uow() as uow:
            loaded = await uow.users.get(user.id, for_update=True)
            change(loaded)
            await uow.commit()
        assert (await generation() != before) is moves, what
