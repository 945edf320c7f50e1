"""The signed-in user's own account: reading it, updating the profile, the avatar, applying to
teach."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest
from tests.fakes import (
    PDF_BYTES,
    PNG_BYTES,
    FakeStorage,
    FakeUnitOfWork,
    FixedClock,
    chunks_of,
    make_identity_deps,
    make_user,
)

from elearn.application.actor import Actor
from elearn.application.errors import (
    InvalidInput,
    NotAuthenticated,
    PermissionDenied,
    UnsupportedMediaType,
)
from elearn.application.files import Upload, UploadPurpose
from elearn.application.identity.account import (
    MAX_BIO_LENGTH,
    MAX_HEADLINE_LENGTH,
    MAX_SUBJECTS,
    ApplyAsTutor,
    GetMyAccount,
    SetAvatar,
    SetMyAvatar,
    StudentProfileChanges,
    TutorApplicationCommand,
    TutorProfileChanges,
    UpdateAccount,
    UpdateMyAccount,
    new_tutor_application,
)
from elearn.application.identity.deps import IdentityDeps
from elearn.domain.identity.profiles import StudentProfile, TutorProfile
from elearn.domain.identity.roles import Role
from elearn.domain.identity.tutor_application import ApplicationStatus, TutorApplication
from elearn.domain.identity.user import EmailNotVerified, TutorApproval, User
from elearn.domain.shared.audit import AuditAction
from elearn.domain.shared.errors import IllegalTransition
from elearn.domain.shared.money import Money


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def storage() -> FakeStorage:
    return FakeStorage()


@pytest.fixture
def deps(uow: FakeUnitOfWork, clock: FixedClock, storage: FakeStorage) -> IdentityDeps:
    return make_identity_deps(uow=uow, clock=clock, storage=storage)


def actor_of(user: User) -> Actor:
    return Actor(user_id=user.id, role=user.role, email_verified=user.is_email_verified)


def student(**fields: object) -> User:
    return make_user(email="sam@example.com", full_name="Sam Student", **fields)  # type: ignore[arg-type]


def tutor(**fields: object) -> User:
    return make_user(email="tia@example.com", full_name="Tia Tutor", role=Role.TUTOR, **fields)  # type: ignore[arg-type]


def fields_of(error: InvalidInput) -> set[str]:
    return {problem.field for problem in error.errors}


# ---- GetMyAccount ----------------------------------------------------------------------------
async def test_a_student_sees_their_account_with_a_default_student_profile(
    deps: IdentityDeps, uow: FakeUnitOfWork
) -> None:
    user = student()
    uow.seed(user)

    view = await GetMyAccount(deps)(actor_of(user))

    assert (view.id, view.email, view.full_name) == (user.id, "sam@example.com", "Sam Student")
    assert view.role is Role.STUDENT
    assert view.email_verified and not view.two_factor_enabled
    assert view.tutor_profile is None
    assert view.student_profile is not None
    assert view.student_profile.time_zone == "UTC"
    assert uow.stored_student_profile(user.id) is None  # a default is not written by reading
    assert uow.commits == 0


async def test_a_tutor_sees_their_stored_tutor_profile(
    deps: IdentityDeps, uow: FakeUnitOfWork
) -> None:
    user = tutor()
    uow.seed(user, TutorProfile(user_id=user.id, headline="Algebra made easy", rating_count=3))

    view = await GetMyAccount(deps)(actor_of(user))

    assert view.student_profile is None
    assert view.tutor_profile is not None
    assert view.tutor_profile.headline == "Algebra made easy"
    assert view.tutor_approval is TutorApproval.APPROVED


async def test_a_student_with_a_pending_application_sees_a_tutor_profile(
    deps: IdentityDeps, uow: FakeUnitOfWork
) -> None:
    user = student(tutor_approval=TutorApproval.PENDING)
    uow.seed(user)

    view = await GetMyAccount(deps)(actor_of(user))

    assert view.tutor_profile is not None and view.student_profile is None


async def test_reading_an_account_needs_a_signed_in_user(deps: IdentityDeps) -> None:
    with pytest.raises(NotAuthenticated):
        await GetMyAccount(deps)(Actor.anonymous())
    with pytest.raises(NotAuthenticated):
        await GetMyAccount(deps)(Actor(user_id=UUID(int=404), role=Role.STUDENT))


# ---- UpdateMyAccount -------------------------------------------------------------------------
async def test_a_student_updates_name_and_student_profile(
    deps: IdentityDeps, uow: FakeUnitOfWork
) -> None:
    user = student()
    uow.seed(user)
    command = UpdateAccount(
        full_name="  Samantha Student ",
        student=StudentProfileChanges(
            bio="I like maths.\nAnd physics.",
            language="de",
            country="de",
            time_zone="Europe/Berlin",
            preferred_currency="eur",
            onboarding={"goal": "exam", "level": 2},
        ),
    )

    view = await UpdateMyAccount(deps)(actor_of(user), command)

    assert view.full_name == "Samantha Student"
    stored = uow.stored_student_profile(user.id)
    assert stored is not None
    assert (stored.language, stored.country, stored.preferred_currency) == ("de", "DE", "EUR")
    assert stored.time_zone == "Europe/Berlin"
    assert stored.bio == "I like maths.\nAnd physics."
    assert stored.onboarding == {"goal": "exam", "level": 2}
    assert uow.stored_user(user.id).full_name == "Samantha Student"
    assert view.student_profile is not None and view.student_profile.country == "DE"


async def test_fields_left_out_stay_and_empty_strings_clear(
    deps: IdentityDeps, uow: FakeUnitOfWork
) -> None:
    user = student()
    uow.seed(
        user,
        StudentProfile(
            user_id=user.id,
            bio="Keep me",
            language="en",
            country="US",
            unverified_institution="MIT",
        ),
    )

    await UpdateMyAccount(deps)(
        actor_of(user), UpdateAccount(student=StudentProfileChanges(language=""))
    )

    stored = uow.stored_student_profile(user.id)
    assert stored is not None
    assert (stored.bio, stored.country, stored.unverified_institution) == ("Keep me", "US", "MIT")
    assert stored.language is None


async def test_every_invalid_student_field_is_reported_at_once_and_nothing_changes(
    deps: IdentityDeps, uow: FakeUnitOfWork
) -> None:
    user = student()
    uow.seed(user)
    command = UpdateAccount(
        full_name="   ",
        student=StudentProfileChanges(
            bio="x" * (MAX_BIO_LENGTH + 1),
            language="klingon",
            country="XX",
            time_zone="Mars/Olympus_Mons",
            preferred_currency="ABC",
            institution_id=UUID(int=404),
            onboarding={f"k{n}": n for n in range(21)},
        ),
    )

    with pytest.raises(InvalidInput) as caught:
        await UpdateMyAccount(deps)(actor_of(user), command)

    assert fields_of(caught.value) == {
        "full_name",
        "student.bio",
        "student.language",
        "student.country",
        "student.time_zone",
        "student.preferred_currency",
        "student.institution_id",
        "student.onboarding",
    }
    assert uow.commits == 0
    assert uow.stored_user(user.id).full_name == "Sam Student"
    assert uow.stored_student_profile(user.id) is None


async def test_a_tutor_updates_the_tutor_profile_but_never_rating_or_approval(
    deps: IdentityDeps, uow: FakeUnitOfWork
) -> None:
    user = tutor()
    uow.seed(user, TutorProfile(user_id=user.id, rating_average=4.5, rating_count=10))
    command = UpdateAccount(
        tutor=TutorProfileChanges(
            bio="Ten years of teaching.",
            headline=" Calculus tutor ",
            subjects=["Calculus", " calculus ", "Algebra"],
            languages=["en", "fr", "en"],
            hourly_rate=Money(4500, "USD"),
            time_zone="America/New_York",
            meeting_url="https://meet.example.com/room/42",
        )
    )

    view = await UpdateMyAccount(deps)(actor_of(user), command)

    stored = uow.stored_tutor_profile(user.id)
    assert stored is not None
    assert stored.headline == "Calculus tutor"
    assert stored.subjects == ("Calculus", "Algebra")
    assert stored.languages == ("en", "fr")
    assert stored.hourly_rate == Money(4500, "USD")
    assert stored.time_zone == "America/New_York"
    assert stored.meeting_url == "https://meet.example.com/room/42"
    assert (stored.rating_average, stored.rating_count) == (4.5, 10)
    assert uow.stored_user(user.id).tutor_approval is TutorApproval.APPROVED
    assert view.tutor_profile is not None and view.tutor_profile.headline == "Calculus tutor"


async def test_every_invalid_tutor_field_is_reported_at_once(
    deps: IdentityDeps, uow: FakeUnitOfWork
) -> None:
    user = tutor()
    uow.seed(user)
    command = UpdateAccount(
        tutor=TutorProfileChanges(
            bio="b" * (MAX_BIO_LENGTH + 1),
            headline="h" * (MAX_HEADLINE_LENGTH + 1),
            subjects=["ok", "s" * 61, ""],
            languages=["en", "xx"],
            hourly_rate=Money(-1, "ABC"),
            time_zone="Nowhere/Land",
            meeting_url="http://meet.example.com",
        )
    )

    with pytest.raises(InvalidInput) as caught:
        await UpdateMyAccount(deps)(actor_of(user), command)

    assert fields_of(caught.value) == {
        "tutor.bio",
        "tutor.headline",
        "tutor.subjects[1]",
        "tutor.subjects[2]",
        "tutor.languages[1]",
        "tutor.hourly_rate.amount",
        "tutor.hourly_rate.currency",
        "tutor.time_zone",
        "tutor.meeting_url",
    }
    assert uow.stored_tutor_profile(user.id) is None


async def test_too_many_subjects_are_refused(deps: IdentityDeps, uow: FakeUnitOfWork) -> None:
    user = tutor()
    uow.seed(user)
    subjects = [f"Subject {n}" for n in range(MAX_SUBJECTS + 1)]

    with pytest.raises(InvalidInput) as caught:
        await UpdateMyAccount(deps)(
            actor_of(user), UpdateAccount(tutor=TutorProfileChanges(subjects=subjects))
        )

    assert fields_of(caught.value) == {"tutor.subjects"}


@pytest.mark.parametrize(
    "url",
    [
        "http://meet.example.com/room",
        "javascript:alert(1)",
        "https://",
        "https://user:secret@meet.example.com/",
        "https://meet.example .com/",
        "https://meet.example.com:99999/",
        "https://meet.example.com/" + "a" * 500,
        "ftp://meet.example.com/",
    ],
)
async def test_a_meeting_url_is_an_https_link(
    url: str, deps: IdentityDeps, uow: FakeUnitOfWork
) -> None:
    user = tutor()
    uow.seed(user)

    with pytest.raises(InvalidInput) as caught:
        await UpdateMyAccount(deps)(
            actor_of(user), UpdateAccount(tutor=TutorProfileChanges(meeting_url=url))
        )

    assert fields_of(caught.value) == {"tutor.meeting_url"}


async def test_a_free_lesson_rate_of_zero_is_allowed(
    deps: IdentityDeps, uow: FakeUnitOfWork
) -> None:
    user = tutor()
    uow.seed(user)
    changes = TutorProfileChanges(hourly_rate=Money(0, "JPY"))

    await UpdateMyAccount(deps)(actor_of(user), UpdateAccount(tutor=changes))

    stored = uow.stored_tutor_profile(user.id)
    assert stored is not None and stored.hourly_rate == Money(0, "JPY")


async def test_a_student_cannot_set_tutor_fields(deps: IdentityDeps, uow: FakeUnitOfWork) -> None:
    user = student()
    uow.seed(user)
    command = UpdateAccount(
        full_name="New Name",
        tutor=TutorProfileChanges(headline="I teach now", meeting_url="https://x.example.com"),
    )

    with pytest.raises(InvalidInput) as caught:
        await UpdateMyAccount(deps)(actor_of(user), command)

    assert fields_of(caught.value) == {"tutor.headline", "tutor.meeting_url"}
    assert uow.stored_user(user.id).full_name == "Sam Student"
    assert uow.stored_tutor_profile(user.id) is None


async def test_a_tutor_edits_the_tutor_profile_not_a_student_one(
    deps: IdentityDeps, uow: FakeUnitOfWork
) -> None:
    user = tutor()
    uow.seed(user)

    with pytest.raises(InvalidInput) as caught:
        await UpdateMyAccount(deps)(
            actor_of(user), UpdateAccount(student=StudentProfileChanges(country="DE"))
        )

    assert fields_of(caught.value) == {"student.country"}


async def test_an_applicant_edits_the_tutor_profile(
    deps: IdentityDeps, uow: FakeUnitOfWork
) -> None:
    user = student(tutor_approval=TutorApproval.PENDING)
    uow.seed(user)

    await UpdateMyAccount(deps)(
        actor_of(user), UpdateAccount(tutor=TutorProfileChanges(headline="Chess coach"))
    )

    stored = uow.stored_tutor_profile(user.id)
    assert stored is not None and stored.headline == "Chess coach"


async def test_updating_needs_a_signed_in_user(deps: IdentityDeps) -> None:
    with pytest.raises(NotAuthenticated):
        await UpdateMyAccount(deps)(Actor.anonymous(), UpdateAccount(full_name="Nobody"))


# ---- SetMyAvatar -----------------------------------------------------------------------------
async def test_a_new_avatar_is_stored_and_replaces_the_old_one(
    deps: IdentityDeps, uow: FakeUnitOfWork, storage: FakeStorage
) -> None:
    user = student()
    uow.seed(user)
    set_avatar = SetMyAvatar(deps)
    await set_avatar(actor_of(user), SetAvatar(chunks_of(PNG_BYTES), "me.png"))
    first_key = uow.stored_user(user.id).avatar_key
    assert first_key is not None

    second = await set_avatar(
        actor_of(user), SetAvatar(chunks_of(PNG_BYTES[:10], PNG_BYTES[10:]), "new.png")
    )

    second_key = uow.stored_user(user.id).avatar_key
    assert second_key is not None and second_key != first_key
    assert second.media_type == "image/png" and second.size == len(PNG_BYTES)
    # The answer names where the image is served, never the storage key alone.
    assert second.avatar_url == f"/images/{second_key}"
    assert storage.stored[second_key].purpose is UploadPurpose.AVATAR
    assert storage.stored[second_key].original_name == "new.png"
    assert first_key not in storage.files
    assert storage.deleted == [first_key]


async def test_a_file_that_is_not_an_image_is_refused_and_nothing_changes(
    deps: IdentityDeps, uow: FakeUnitOfWork, storage: FakeStorage
) -> None:
    user = student(avatar_key="avatar/old.png")
    uow.seed(user)

    with pytest.raises(UnsupportedMediaType):
        await SetMyAvatar(deps)(actor_of(user), SetAvatar(chunks_of(PDF_BYTES), "cv.pdf"))

    assert uow.stored_user(user.id).avatar_key == "avatar/old.png"
    assert storage.files == {} and storage.deleted == []
    assert uow.commits == 0


async def test_an_anonymous_upload_is_refused_before_storing(
    deps: IdentityDeps, storage: FakeStorage
) -> None:
    with pytest.raises(NotAuthenticated):
        await SetMyAvatar(deps)(Actor.anonymous(), SetAvatar(chunks_of(PNG_BYTES)))

    assert storage.files == {}


async def test_the_stored_file_is_removed_when_the_transaction_fails(
    deps: IdentityDeps, storage: FakeStorage
) -> None:
    ghost = Actor(user_id=UUID(int=404), role=Role.STUDENT)

    with pytest.raises(NotAuthenticated):
        await SetMyAvatar(deps)(ghost, SetAvatar(chunks_of(PNG_BYTES)))

    assert storage.files == {}
    assert len(storage.deleted) == 1


async def test_failing_to_delete_the_old_avatar_does_not_fail_the_change(
    deps: IdentityDeps, uow: FakeUnitOfWork, storage: FakeStorage
) -> None:
    user = student(avatar_key="avatar/old.png")
    uow.seed(user)
    storage.fail_on_delete = OSError("disk gone")

    result = await SetMyAvatar(deps)(actor_of(user), SetAvatar(chunks_of(PNG_BYTES)))

    assert result.avatar_url == f"/images/{uow.stored_user(user.id).avatar_key}"


# ---- ApplyAsTutor ----------------------------------------------------------------------------
def application(
    headline: str = "Maths tutor", subjects: tuple[str, ...] = ("Algebra", "Geometry")
) -> TutorApplicationCommand:
    return TutorApplicationCommand(
        headline=headline,
        subjects=subjects,
        cv=Upload(chunks_of(PDF_BYTES), "cv.pdf"),
        certificate=Upload(chunks_of(PNG_BYTES), "diploma.png"),
    )


async def test_a_verified_student_applies_to_teach(
    deps: IdentityDeps, uow: FakeUnitOfWork, storage: FakeStorage, clock: FixedClock
) -> None:
    user = student()
    uow.seed(user)

    result = await ApplyAsTutor(deps)(actor_of(user), application())

    (stored,) = uow.stored_applications()
    assert stored.id == result.application_id
    assert stored.status is ApplicationStatus.PENDING is result.status
    assert (stored.headline, stored.subjects) == ("Maths tutor", ("Algebra", "Geometry"))
    assert stored.submitted_at == clock.now()
    assert storage.stored[stored.cv_key].purpose is UploadPurpose.TUTOR_DOCUMENT
    assert storage.stored[stored.certificate_key].media_type == "image/png"
    assert uow.stored_user(user.id).tutor_approval is TutorApproval.PENDING
    assert uow.stored_user(user.id).role is Role.STUDENT
    (entry,) = uow.audit.entries
    assert entry.action is AuditAction.TUTOR_APPLIED
    assert (entry.actor_id, entry.target_type, entry.target_id) == (user.id, "user", user.id)
    assert entry.details == {"application_id": str(stored.id)}


async def test_an_unverified_student_may_not_apply_and_no_file_is_taken(
    deps: IdentityDeps, uow: FakeUnitOfWork, storage: FakeStorage
) -> None:
    user = student(email_verified=False)
    uow.seed(user)

    with pytest.raises(EmailNotVerified):
        await ApplyAsTutor(deps)(actor_of(user), application())

    assert storage.files == {}
    assert uow.stored_applications() == []
    assert uow.audit.entries == []


async def test_a_second_pending_application_is_a_conflict(
    deps: IdentityDeps, uow: FakeUnitOfWork, storage: FakeStorage
) -> None:
    user = student()
    uow.seed(user)
    apply = ApplyAsTutor(deps)
    await apply(actor_of(user), application())
    files_after_first = dict(storage.files)

    with pytest.raises(IllegalTransition):
        await apply(actor_of(user), application(headline="Again"))

    assert len(uow.stored_applications()) == 1
    assert storage.files == files_after_first
    assert uow.audit.actions == [AuditAction.TUTOR_APPLIED]


async def test_a_pending_application_found_by_the_repository_also_blocks(
    deps: IdentityDeps, uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    user = student()
    pending = TutorApplication(
        id=UUID(int=77), user_id=user.id, headline="h", subjects=("s",), cv_key="c",
        certificate_key="d", submitted_at=clock.now(),
    )  # fmt: skip
    uow.seed(user, pending)

    with pytest.raises(IllegalTransition):
        await ApplyAsTutor(deps)(actor_of(user), application())


async def test_an_approved_tutor_cannot_apply(deps: IdentityDeps, uow: FakeUnitOfWork) -> None:
    user = tutor()
    uow.seed(user)

    with pytest.raises(IllegalTransition):
        await ApplyAsTutor(deps)(actor_of(user), application())


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
async def test_staff_do_not_apply(
    role: Role, deps: IdentityDeps, uow: FakeUnitOfWork, storage: FakeStorage
) -> None:
    user = make_user(email="staff@example.com", role=role)
    uow.seed(user)

    with pytest.raises(PermissionDenied):
        await ApplyAsTutor(deps)(actor_of(user), application())

    assert storage.files == {}


async def test_a_rejected_applicant_may_apply_again(
    deps: IdentityDeps, uow: FakeUnitOfWork
) -> None:
    user = student(tutor_approval=TutorApproval.REJECTED)
    uow.seed(user)

    await ApplyAsTutor(deps)(actor_of(user), application())

    assert uow.stored_user(user.id).tutor_approval is TutorApproval.PENDING


async def test_an_incomplete_application_lists_its_problems_and_takes_no_file(
    deps: IdentityDeps, uow: FakeUnitOfWork, storage: FakeStorage
) -> None:
    user = student()
    uow.seed(user)

    with pytest.raises(InvalidInput) as caught:
        await ApplyAsTutor(deps)(actor_of(user), application(headline=" ", subjects=()))

    assert fields_of(caught.value) == {"headline", "subjects"}
    assert storage.files == {}


async def test_a_refused_certificate_removes_the_stored_cv(
    deps: IdentityDeps, uow: FakeUnitOfWork, storage: FakeStorage
) -> None:
    user = student()
    uow.seed(user)
    command = TutorApplicationCommand(
        headline="Maths tutor",
        subjects=("Algebra",),
        cv=Upload(chunks_of(PDF_BYTES), "cv.pdf"),
        certificate=Upload(chunks_of(b"<html>not a document</html>"), "cert.html"),
    )

    with pytest.raises(UnsupportedMediaType):
        await ApplyAsTutor(deps)(actor_of(user), command)

    assert storage.files == {}
    assert len(storage.deleted) == 1
    assert uow.stored_applications() == []


async def test_applying_needs_a_signed_in_user(deps: IdentityDeps, storage: FakeStorage) -> None:
    with pytest.raises(NotAuthenticated):
        await ApplyAsTutor(deps)(Actor.anonymous(), application())
    assert storage.files == {}


def test_new_tutor_application_is_pending_and_validated(
    deps: IdentityDeps, clock: FixedClock
) -> None:
    user = student()
    clock.advance(timedelta(hours=1))

    made = new_tutor_application(
        deps, user, " Chess ", ["Openings", "openings"], "cv-key", "cert-key"
    )

    assert made.status is ApplicationStatus.PENDING
    assert (made.user_id, made.headline, made.subjects) == (user.id, "Chess", ("Openings",))
    assert (made.cv_key, made.certificate_key, made.submitted_at) == (
        "cv-key",
        "cert-key",
        clock.now(),
    )
    with pytest.raises(InvalidInput):
        new_tutor_application(deps, user, "Chess", ["x" * 61], "cv-key", "cert-key")
