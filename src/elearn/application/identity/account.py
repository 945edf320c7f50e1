"""The signed-in user's own account: what it shows, its profile, its avatar, and applying to
teach."""

from __future__ import annotations

import dataclasses
import enum
import unicodedata
from collections.abc import AsyncIterable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from elearn.application.actor import Actor
from elearn.application.errors import (
    FieldError,
    InvalidInput,
    NotAuthenticated,
    PermissionDenied,
    RateLimited,
)
from elearn.application.files import (
    StoredFile,
    Upload,
    UploadPurpose,
    delete_quietly,
)
from elearn.application.identity.deps import IdentityDeps
from elearn.application.identity.institutions import pickable_institution
from elearn.application.identity.ports import IdentityUnitOfWork
from elearn.application.reference import ReferenceData
from elearn.domain.identity.institutions import Institution
from elearn.domain.identity.profiles import (
    InvalidTimeZone,
    StudentProfile,
    TutorProfile,
    pick_institution,
    valid_time_zone,
)
from elearn.domain.identity.roles import Role
from elearn.domain.identity.tutor_application import ApplicationStatus, TutorApplication
from elearn.domain.identity.user import AccountStatus, TutorApproval, User
from elearn.domain.shared.audit import AuditAction
from elearn.domain.shared.errors import IllegalTransition, RuleViolation
from elearn.domain.shared.money import Money

MAX_BIO_LENGTH = 2000
MAX_HEADLINE_LENGTH = 120
MAX_SUBJECTS = 20
MAX_SUBJECT_LENGTH = 60
MAX_LANGUAGES = 20
MAX_ONBOARDING_KEYS = 20
MAX_ONBOARDING_KEY_LENGTH = 64
MAX_MEETING_URL_LENGTH = 500
# Far above any real hourly rate, far below what a 32-bit column holds.
MAX_HOURLY_RATE_AMOUNT = 100_000_000

_LINE_BREAKS_AND_TABS = frozenset("\n\r\t")


# ---- shared helpers --------------------------------------------------------------------------
async def current_user(uow: IdentityUnitOfWork, actor: Actor, *, for_update: bool = False) -> User:
    """The account of a signed-in actor, loaded in ``uow``; NotAuthenticated otherwise."""
    if actor.user_id is None:
        raise NotAuthenticated("sign in first")
    user = await uow.users.get(actor.user_id, for_update=for_update)
    if user is None:
        raise NotAuthenticated("sign in first")
    return user


async def limit_password_checks(deps: IdentityDeps, what: str, user_id: UUID) -> str:
    """Counts one check of the account's password by a signed-in session (2FA disable, password
    change), refusing past the per-account sign-in limit: a stolen access token must not be a
    way to guess the password. Returns the counter's key, to reset after a success."""
    key = f"{what}:account:{user_id}"
    retry_after = await deps.rate_limiter.hit(
        key,
        limit=deps.policy.login_attempts_per_account,
        window_seconds=deps.policy.login_window_seconds,
    )
    if retry_after is not None:
        raise RateLimited("too many attempts; try again later", retry_after_seconds=retry_after)
    return key


def has_tutor_profile(user: User) -> bool:
    """Tutors, and students whose application to teach is pending, present a tutor profile;
    everyone else a student profile."""
    return presents_tutor_profile(user.role, user.tutor_approval)


def presents_tutor_profile(role: Role, tutor_approval: TutorApproval | None) -> bool:
    return role is Role.TUTOR or tutor_approval is TutorApproval.PENDING


# ---- reading the account ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class InstitutionRef:
    """The institution a profile names, as the profile shows it."""

    id: UUID
    name: str
    country: str
    # False once staff retired it: the profile keeps it, the list no longer offers it.
    active: bool


def institution_ref(institution: Institution | None) -> InstitutionRef | None:
    if institution is None:
        return None
    return InstitutionRef(
        id=institution.id,
        name=institution.name,
        country=institution.country,
        active=institution.is_active,
    )


@dataclasses.dataclass(kw_only=True, eq=False)
class StudentProfileView(StudentProfile):
    """The student profile with its institution spelled out. ``unverified_institution`` is what
    the student typed before institutions were a list, until they pick one."""

    institution: InstitutionRef | None = None


@dataclasses.dataclass(kw_only=True, eq=False)
class TutorProfileView(TutorProfile):
    """The tutor profile with its institution spelled out."""

    institution: InstitutionRef | None = None


async def _institution_of(
    uow: IdentityUnitOfWork, profile: StudentProfile | TutorProfile
) -> InstitutionRef | None:
    if profile.institution_id is None:
        return None
    return institution_ref(await uow.institutions.get(profile.institution_id))


def _fields_of(profile: StudentProfile | TutorProfile) -> dict[str, Any]:
    return {f.name: getattr(profile, f.name) for f in dataclasses.fields(profile) if f.init}


@dataclass(frozen=True, slots=True)
class AccountView:
    id: UUID
    email: str
    full_name: str
    role: Role
    status: AccountStatus
    email_verified: bool
    tutor_approval: TutorApproval | None
    two_factor_enabled: bool
    avatar_url: str | None
    created_at: datetime
    student_profile: StudentProfileView | None
    tutor_profile: TutorProfileView | None


async def _account_view(deps: IdentityDeps, uow: IdentityUnitOfWork, user: User) -> AccountView:
    student: StudentProfileView | None = None
    tutor: TutorProfileView | None = None
    if has_tutor_profile(user):
        tutor_profile = await uow.profiles.get_tutor(user.id) or TutorProfile(user_id=user.id)
        tutor = TutorProfileView(
            **_fields_of(tutor_profile), institution=await _institution_of(uow, tutor_profile)
        )
    else:
        student_profile = await uow.profiles.get_student(user.id) or StudentProfile(user_id=user.id)
        student = StudentProfileView(
            **_fields_of(student_profile), institution=await _institution_of(uow, student_profile)
        )
    return AccountView(
        id=user.id,
        email=user.email.value,
        full_name=user.full_name,
        role=user.role,
        status=user.status,
        email_verified=user.is_email_verified,
        tutor_approval=user.tutor_approval,
        two_factor_enabled=user.totp_enabled,
        avatar_url=deps.image_url(user.avatar_key) if user.avatar_key else None,
        created_at=user.created_at,
        student_profile=student,
        tutor_profile=tutor,
    )


class GetMyAccount:
    """A signed-in user sees their own account and the profile they present: the tutor profile
    for tutors and tutor applicants, the student profile for everyone else."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor) -> AccountView:
        async with self._deps.uow() as uow:
            user = await current_user(uow, actor)
            return await _account_view(self._deps, uow, user)


# ---- updating the account --------------------------------------------------------------------
class NoInstitution(enum.Enum):
    """Given as ``institution_id``: the profile names no institution any more."""

    NONE = "none"


NO_INSTITUTION = NoInstitution.NONE


@dataclass(frozen=True, slots=True)
class StudentProfileChanges:
    """None leaves a field as it is; an empty string clears an optional one, NO_INSTITUTION
    the institution. An institution is picked from the list, by id, never typed."""

    bio: str | None = None
    language: str | None = None
    country: str | None = None
    time_zone: str | None = None
    preferred_currency: str | None = None
    institution_id: UUID | NoInstitution | None = None
    onboarding: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class TutorProfileChanges:
    """None leaves a field as it is; an empty string clears ``meeting_url``. The hourly rate is
    money (minor units and a currency; 0 for free lessons). Rating and approval are not here:
    nobody sets them by hand."""

    bio: str | None = None
    headline: str | None = None
    subjects: Sequence[str] | None = None
    languages: Sequence[str] | None = None
    hourly_rate: Money | None = None
    time_zone: str | None = None
    meeting_url: str | None = None
    institution_id: UUID | NoInstitution | None = None


@dataclass(frozen=True, slots=True)
class UpdateAccount:
    full_name: str | None = None
    student: StudentProfileChanges | None = None
    tutor: TutorProfileChanges | None = None


class _Problems:
    """Collects every field error of a request, so the answer lists them all at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message))

    def raise_if_any(self, message: str = "some fields are invalid") -> None:
        if self.errors:
            raise InvalidInput(message, errors=self.errors)

    def text(
        self,
        field: str,
        value: str,
        *,
        max_length: int,
        multiline: bool = False,
        required: bool = False,
    ) -> str | None:
        """``value`` trimmed, or None (and a problem) when it is too long, empty but required, or
        holds control characters (line breaks and tabs are allowed in multi-line text)."""
        cleaned = value.strip()
        allowed = _LINE_BREAKS_AND_TABS if multiline else frozenset()
        if any(unicodedata.category(char) == "Cc" and char not in allowed for char in cleaned):
            self.add(field, "must not contain control characters")
            return None
        if required and not cleaned:
            self.add(field, "is required")
            return None
        if len(cleaned) > max_length:
            self.add(field, f"has at most {max_length} characters")
            return None
        return cleaned

    def items(
        self,
        field: str,
        values: Iterable[str],
        *,
        max_items: int,
        max_length: int,
        required: bool = False,
    ) -> tuple[str, ...] | None:
        """Trimmed, without duplicates (ignoring case), in the order given."""
        kept: dict[str, str] = {}
        before = len(self.errors)
        for index, value in enumerate(values):
            cleaned = self.text(f"{field}[{index}]", value, max_length=max_length, required=True)
            if cleaned is not None:
                kept.setdefault(cleaned.casefold(), cleaned)
        if len(self.errors) > before:
            return None
        if required and not kept:
            self.add(field, "needs at least one entry")
            return None
        if len(kept) > max_items:
            self.add(field, f"has at most {max_items} entries")
            return None
        return tuple(kept.values())

    def time_zone(self, field: str, value: str) -> str | None:
        try:
            return valid_time_zone(value.strip())
        except InvalidTimeZone as error:
            self.add(field, error.message)
            return None

    def code(
        self,
        field: str,
        value: str,
        is_known: Callable[[str], bool],
        what: str,
        *,
        upper: bool = False,
    ) -> str | None:
        cleaned = value.strip().upper() if upper else value.strip()
        if not is_known(cleaned):
            self.add(field, f"{value!r} is not a known {what}")
            return None
        return cleaned


def _changed_fields(changes: StudentProfileChanges | TutorProfileChanges) -> list[str]:
    return [f.name for f in dataclasses.fields(changes) if getattr(changes, f.name) is not None]


def _apply_student_changes(
    profile: StudentProfile,
    changes: StudentProfileChanges,
    reference: ReferenceData,
    problems: _Problems,
) -> None:
    if changes.bio is not None:
        bio = problems.text("student.bio", changes.bio, max_length=MAX_BIO_LENGTH, multiline=True)
        if bio is not None:
            profile.bio = bio
    if changes.language is not None:
        if not changes.language.strip():
            profile.language = None
        else:
            profile.language = problems.code(
                "student.language", changes.language, reference.is_language, "language"
            )
    if changes.country is not None:
        if not changes.country.strip():
            profile.country = None
        else:
            profile.country = problems.code(
                "student.country", changes.country, reference.is_country, "country", upper=True
            )
    if changes.time_zone is not None:
        profile.time_zone = problems.time_zone("student.time_zone", changes.time_zone) or "UTC"
    if changes.preferred_currency is not None:
        if not changes.preferred_currency.strip():
            profile.preferred_currency = None
        else:
            profile.preferred_currency = problems.code(
                "student.preferred_currency",
                changes.preferred_currency,
                reference.is_currency,
                "currency",
                upper=True,
            )
    if changes.onboarding is not None:
        onboarding = dict(changes.onboarding)
        if len(onboarding) > MAX_ONBOARDING_KEYS:
            problems.add("student.onboarding", f"has at most {MAX_ONBOARDING_KEYS} keys")
        elif any(
            not isinstance(key, str) or not key or len(key) > MAX_ONBOARDING_KEY_LENGTH
            for key in onboarding
        ):
            problems.add(
                "student.onboarding",
                f"keys are text of 1 to {MAX_ONBOARDING_KEY_LENGTH} characters",
            )
        else:
            profile.onboarding = onboarding


def _meeting_url_problem(url: str) -> str | None:
    if len(url) > MAX_MEETING_URL_LENGTH:
        return f"has at most {MAX_MEETING_URL_LENGTH} characters"
    if any(char.isspace() or unicodedata.category(char) == "Cc" for char in url):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a malformed port
    except ValueError:
        return "is not a URL"
    if parts.scheme.lower() != "https" or not parts.hostname:
        return "must be an https:// link"
    if parts.username is not None or parts.password is not None:
        return "must not contain a user name or password"
    return None


def _apply_tutor_changes(
    profile: TutorProfile,
    changes: TutorProfileChanges,
    reference: ReferenceData,
    problems: _Problems,
) -> None:
    if changes.bio is not None:
        bio = problems.text("tutor.bio", changes.bio, max_length=MAX_BIO_LENGTH, multiline=True)
        if bio is not None:
            profile.bio = bio
    if changes.headline is not None:
        headline = problems.text("tutor.headline", changes.headline, max_length=MAX_HEADLINE_LENGTH)
        if headline is not None:
            profile.headline = headline
    if changes.subjects is not None:
        subjects = problems.items(
            "tutor.subjects",
            changes.subjects,
            max_items=MAX_SUBJECTS,
            max_length=MAX_SUBJECT_LENGTH,
        )
        if subjects is not None:
            profile.subjects = subjects
    if changes.languages is not None:
        languages = [
            problems.code(f"tutor.languages[{index}]", value, reference.is_language, "language")
            for index, value in enumerate(changes.languages)
        ]
        known = tuple(dict.fromkeys(code for code in languages if code is not None))
        if len(known) > MAX_LANGUAGES:
            problems.add("tutor.languages", f"has at most {MAX_LANGUAGES} entries")
        elif None not in languages:
            profile.languages = known
    if changes.hourly_rate is not None:
        rate = changes.hourly_rate
        amount_ok = 0 <= rate.amount <= MAX_HOURLY_RATE_AMOUNT
        if not amount_ok:
            problems.add(
                "tutor.hourly_rate.amount",
                f"is between 0 and {MAX_HOURLY_RATE_AMOUNT} minor units",
            )
        currency = problems.code(
            "tutor.hourly_rate.currency", rate.currency, reference.is_currency, "currency"
        )
        if amount_ok and currency is not None:
            profile.hourly_rate = rate
    if changes.time_zone is not None:
        profile.time_zone = problems.time_zone("tutor.time_zone", changes.time_zone) or "UTC"
    if changes.meeting_url is not None:
        url = changes.meeting_url.strip()
        problem = _meeting_url_problem(url) if url else None
        if problem is not None:
            problems.add("tutor.meeting_url", problem)
        profile.meeting_url = url or None


async def _pick(
    uow: IdentityUnitOfWork,
    profile: StudentProfile | TutorProfile,
    choice: UUID | NoInstitution | None,
    prefix: str,
    problems: _Problems,
) -> None:
    if choice is None:
        return
    if isinstance(choice, NoInstitution):
        pick_institution(profile, None)
        return
    try:
        institution = await pickable_institution(uow, choice, f"{prefix}.institution_id")
    except InvalidInput as error:
        problems.errors.extend(error.errors)
        return
    pick_institution(profile, institution.id)


class UpdateMyAccount:
    """A signed-in user changes their name and the profile they present (student or tutor);
    every invalid field is reported at once and nothing changes unless all are valid."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, command: UpdateAccount) -> AccountView:
        deps = self._deps
        problems = _Problems()
        async with deps.uow() as uow:
            user = await current_user(uow, actor, for_update=True)
            tutor_profile_holder = has_tutor_profile(user)
            if command.full_name is not None:
                try:
                    user.rename(command.full_name)
                except RuleViolation as error:
                    problems.add("full_name", error.message)
            if command.student is not None:
                if tutor_profile_holder:
                    for name in _changed_fields(command.student):
                        problems.add(f"student.{name}", "your account presents a tutor profile")
                else:
                    student = await uow.profiles.get_student(user.id) or StudentProfile(
                        user_id=user.id
                    )
                    _apply_student_changes(student, command.student, deps.reference, problems)
                    await _pick(uow, student, command.student.institution_id, "student", problems)
                    await uow.profiles.save_student(student)
            if command.tutor is not None:
                if not tutor_profile_holder:
                    for name in _changed_fields(command.tutor):
                        problems.add(f"tutor.{name}", "only tutors and tutor applicants have this")
                else:
                    tutor = await uow.profiles.get_tutor(user.id) or TutorProfile(user_id=user.id)
                    _apply_tutor_changes(tutor, command.tutor, deps.reference, problems)
                    await _pick(uow, tutor, command.tutor.institution_id, "tutor", problems)
                    await uow.profiles.save_tutor(tutor)
            problems.raise_if_any()
            view = await _account_view(deps, uow, user)
            await uow.commit()
        return view


# ---- avatar ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SetAvatar:
    chunks: AsyncIterable[bytes]
    filename: str | None = None


@dataclass(frozen=True, slots=True)
class AvatarResult:
    avatar_url: str
    media_type: str
    size: int


class SetMyAvatar:
    """A signed-in user replaces their avatar with an image (JPEG, PNG, GIF or WebP, at most
    5 MiB); the previous image is deleted."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, command: SetAvatar) -> AvatarResult:
        deps = self._deps
        if actor.user_id is None:
            raise NotAuthenticated("sign in first")
        # Stored before the transaction: no database lock is held while bytes arrive.
        stored = await deps.storage.save(
            command.chunks, purpose=UploadPurpose.AVATAR, original_name=command.filename
        )
        committed = False
        previous: str | None = None
        try:
            async with deps.uow() as uow:
                user = await current_user(uow, actor, for_update=True)
                previous = user.avatar_key
                user.set_avatar(stored.key)
                await uow.commit()
                committed = True
        finally:
            if not committed:
                await delete_quietly(deps.storage, stored.key)
        if previous is not None and previous != stored.key:
            await delete_quietly(deps.storage, previous)
        return AvatarResult(deps.image_url(stored.key), stored.media_type, stored.size)


# ---- applying to teach -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TutorApplicationCommand:
    headline: str
    subjects: Sequence[str]
    cv: Upload
    certificate: Upload


@dataclass(frozen=True, slots=True)
class TutorApplicationResult:
    application_id: UUID
    status: ApplicationStatus
    headline: str
    subjects: tuple[str, ...]
    submitted_at: datetime


def tutor_application_details(
    headline: str, subjects: Iterable[str]
) -> tuple[str, tuple[str, ...]]:
    """The headline (1 to 120 characters) and subjects (1 to 20, each 1 to 60 characters) of an
    application, trimmed; InvalidInput listing every problem otherwise."""
    problems = _Problems()
    cleaned_headline = problems.text(
        "headline", headline, max_length=MAX_HEADLINE_LENGTH, required=True
    )
    cleaned_subjects = problems.items(
        "subjects", subjects, max_items=MAX_SUBJECTS, max_length=MAX_SUBJECT_LENGTH, required=True
    )
    problems.raise_if_any("the application is incomplete")
    assert cleaned_headline is not None and cleaned_subjects is not None
    return cleaned_headline, cleaned_subjects


async def store_tutor_documents(
    deps: IdentityDeps, cv: Upload, certificate: Upload
) -> tuple[StoredFile, StoredFile]:
    """Stores the CV and the certificate (PDF or image, at most 10 MiB each); if the second one
    is refused, the first is deleted again."""
    stored_cv = await deps.storage.save(
        cv.chunks, purpose=UploadPurpose.TUTOR_DOCUMENT, original_name=cv.filename
    )
    try:
        stored_certificate = await deps.storage.save(
            certificate.chunks,
            purpose=UploadPurpose.TUTOR_DOCUMENT,
            original_name=certificate.filename,
        )
    except BaseException:
        await delete_quietly(deps.storage, stored_cv.key)
        raise
    return stored_cv, stored_certificate


def new_tutor_application(
    deps: IdentityDeps,
    user: User,
    headline: str,
    subjects: Iterable[str],
    cv_key: str,
    certificate_key: str,
) -> TutorApplication:
    """A pending application of ``user``, submitted now (validated as
    ``tutor_application_details`` does); the caller adds it to its unit of work."""
    cleaned_headline, cleaned_subjects = tutor_application_details(headline, subjects)
    return TutorApplication(
        id=deps.ids.new_id(),
        user_id=user.id,
        headline=cleaned_headline,
        subjects=cleaned_subjects,
        cv_key=cv_key,
        certificate_key=certificate_key,
        submitted_at=deps.clock.now(),
    )


async def _check_may_apply(uow: IdentityUnitOfWork, user: User) -> None:
    if user.role in (Role.MANAGER, Role.ADMIN):
        raise PermissionDenied("staff accounts do not apply to teach")
    user.require_verified_email()
    if (
        user.tutor_approval is TutorApproval.PENDING
        or await uow.tutor_applications.pending_for_user(user.id) is not None
    ):
        raise IllegalTransition("tutor application", "pending", "submit another")
    user.apply_as_tutor()


class ApplyAsTutor:
    """A student with a verified email applies to teach with a headline, subjects, a CV and a
    certificate; staff decide, and one application at a time is pending."""

    def __init__(self, deps: IdentityDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, command: TutorApplicationCommand
    ) -> TutorApplicationResult:
        deps = self._deps
        if actor.user_id is None:
            raise NotAuthenticated("sign in first")
        tutor_application_details(command.headline, command.subjects)
        # Refuse before taking the uploads; this transaction never commits.
        async with deps.uow() as uow:
            await _check_may_apply(uow, await current_user(uow, actor))
        cv, certificate = await store_tutor_documents(deps, command.cv, command.certificate)
        committed = False
        try:
            async with deps.uow() as uow:
                user = await current_user(uow, actor, for_update=True)
                await _check_may_apply(uow, user)
                application = new_tutor_application(
                    deps, user, command.headline, command.subjects, cv.key, certificate.key
                )
                await uow.tutor_applications.add(application)
                deps.audit(
                    uow,
                    actor,
                    AuditAction.TUTOR_APPLIED,
                    target_type="user",
                    target_id=user.id,
                    application_id=str(application.id),
                )
                await uow.commit()
                committed = True
        finally:
            if not committed:
                await delete_quietly(deps.storage, cv.key)
                await delete_quietly(deps.storage, certificate.key)
        return TutorApplicationResult(
            application_id=application.id,
            status=application.status,
            headline=application.headline,
            subjects=application.subjects,
            submitted_at=application.submitted_at,
        )
