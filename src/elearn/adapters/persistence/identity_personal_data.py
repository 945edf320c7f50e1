"""Identity's personal data: the account, profiles, tutor applications, sessions and the audit
entries about the person. Erasing replaces name and address with the pseudonym, makes the
account one nobody signs into, ends its sessions and drops the rest."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from elearn.adapters.persistence.models.identity import (
    AuditEntryRow,
    InstitutionRow,
    OneTimeTokenRow,
    RefreshFamilyRow,
    StudentProfileRow,
    TutorApplicationRow,
    TutorProfileRow,
    UserRow,
)
from elearn.adapters.persistence.personal_data import plain, record, write
from elearn.adapters.persistence.repositories import SqlaUserRepository
from elearn.adapters.persistence.unit_of_work import session_of, store_of
from elearn.application.personal_data import ErasedData, PersonalData, PersonalFile, Pseudonym
from elearn.application.ports import Clock, Transaction
from elearn.domain.identity.user import AccountStatus

# Not an argon2 hash: no password verifies against it.
_NO_PASSWORD = "!erased"  # noqa: S105 - a marker no hash matches, not a secret


class IdentityPersonalData:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def export(self, uow: Transaction, user_id: UUID) -> PersonalData:
        session = session_of(uow)
        user = (
            await session.execute(
                select(
                    UserRow.id,
                    UserRow.email,
                    UserRow.full_name,
                    UserRow.role,
                    UserRow.status,
                    UserRow.email_verified_at,
                    UserRow.tutor_approval,
                    UserRow.totp_enabled.label("two_factor_enabled"),
                    UserRow.avatar_key,
                    UserRow.created_at,
                ).where(UserRow.id == user_id)
            )
        ).first()
        if user is None:
            return PersonalData(records={})
        files: list[PersonalFile] = []
        if user.avatar_key:
            files.append(PersonalFile(user.avatar_key, "avatar" + _extension(user.avatar_key)))
        student = await session.scalar(
            select(StudentProfileRow).where(StudentProfileRow.user_id == user_id)
        )
        tutor = await session.scalar(
            select(TutorProfileRow).where(TutorProfileRow.user_id == user_id)
        )
        applications = []
        for application in await session.scalars(
            select(TutorApplicationRow)
            .where(TutorApplicationRow.user_id == user_id)
            .order_by(TutorApplicationRow.submitted_at)
        ):
            applications.append(
                {
                    "id": str(application.id),
                    "headline": application.headline,
                    "subjects": list(application.subjects or []),
                    "status": application.status,
                    "submitted_at": plain(application.submitted_at),
                    "decided_at": plain(application.decided_at),
                    "rejection_reason": application.rejection_reason,
                }
            )
            for label, key in (
                ("cv", application.cv_key),
                ("certificate", application.certificate_key),
            ):
                if key:
                    files.append(
                        PersonalFile(
                            key, f"tutor-application-{application.id}-{label}{_extension(key)}"
                        )
                    )
        sessions = [
            record(row)
            for row in await session.execute(
                select(
                    RefreshFamilyRow.id,
                    RefreshFamilyRow.created_at.label("signed_in_at"),
                    RefreshFamilyRow.idle_expires_at,
                    RefreshFamilyRow.revoked_at,
                    RefreshFamilyRow.revoked_reason,
                )
                .where(RefreshFamilyRow.user_id == user_id)
                .order_by(RefreshFamilyRow.created_at)
            )
        ]
        audit = [
            {**record(row, drop=("actor_id",)), "by_you": row.actor_id == user_id}
            for row in await session.execute(
                select(
                    AuditEntryRow.id,
                    AuditEntryRow.at,
                    AuditEntryRow.action,
                    AuditEntryRow.actor_id,
                    AuditEntryRow.target_type,
                    AuditEntryRow.target_id,
                    AuditEntryRow.ip,
                    AuditEntryRow.user_agent,
                    AuditEntryRow.details,
                )
                .where(_about(user_id))
                .order_by(AuditEntryRow.at, AuditEntryRow.id)
            )
        ]
        account = record(user, drop=("avatar_key",))
        records: dict[str, Any] = {
            "account": account,
            "student_profile": await _profile_with_institution(session, student),
            "tutor_profile": await _profile_with_institution(session, tutor),
            "tutor_applications": applications,
            "sessions": sessions,
            "audit_entries": audit,
        }
        return PersonalData(records=records, files=files)

    async def erase(self, uow: Transaction, user_id: UUID, pseudonym: Pseudonym) -> ErasedData:
        session = session_of(uow)
        now = self._clock.now()
        avatar = await session.scalar(select(UserRow.avatar_key).where(UserRow.id == user_id))
        file_keys = [avatar] if avatar else []
        accounts = await write(
            session,
            update(UserRow)
            .where(UserRow.id == user_id)
            .values(
                email=pseudonym.email,
                full_name=pseudonym.name,
                password_hash=_NO_PASSWORD,
                status=AccountStatus.ERASED.value,
                sessions_valid_after=now,
                totp_secret=None,
                totp_enabled=False,
                totp_last_step=None,
                recovery_code_hashes=[],
                avatar_key=None,
                updated_at=now,
            ),
        )
        await write(
            session,
            update(StudentProfileRow)
            .where(StudentProfileRow.user_id == user_id)
            .values(
                bio="", language=None, country=None, institution_id=None,
                unverified_institution=None, onboarding={}, preferred_currency=None,
                time_zone="UTC", updated_at=now,
            )
        )  # fmt: skip
        await write(
            session,
            update(TutorProfileRow)
            .where(TutorProfileRow.user_id == user_id)
            .values(
                bio="", headline="", subjects=[], languages=[], meeting_url=None,
                institution_id=None, time_zone="UTC", updated_at=now,
            )
        )  # fmt: skip
        applications = (
            await session.execute(
                select(TutorApplicationRow.cv_key, TutorApplicationRow.certificate_key).where(
                    TutorApplicationRow.user_id == user_id
                )
            )
        ).all()
        file_keys += [key for row in applications for key in row if key]
        await write(
            session,
            update(TutorApplicationRow)
            .where(TutorApplicationRow.user_id == user_id)
            .values(headline="", subjects=[], cv_key="", certificate_key="", rejection_reason=None),
        )
        sessions = await write(
            session,
            update(RefreshFamilyRow)
            .where(RefreshFamilyRow.user_id == user_id, RefreshFamilyRow.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason="erased"),
        )
        await write(session, delete(OneTimeTokenRow).where(OneTimeTokenRow.user_id == user_id))
        # Written past the aggregate: the account's cached session facts are told here.
        users: SqlaUserRepository = store_of(uow, "users")
        users.session_facts_change(user_id)
        # Where they signed in from, and with what: theirs. What happened stays, by id.
        audit = await write(
            session,
            update(AuditEntryRow)
            .where(AuditEntryRow.actor_id == user_id)
            .values(ip=None, user_agent=None),
        )
        return ErasedData(
            counts={
                "accounts": accounts,
                "tutor_applications": len(applications),
                "sessions_ended": sessions,
                "audit_entries_stripped": audit,
                "files": len(file_keys),
            },
            file_keys=file_keys,
        )


def _about(user_id: UUID) -> Any:
    return or_(AuditEntryRow.actor_id == user_id, AuditEntryRow.target_id == user_id)


def _profile(row: StudentProfileRow | TutorProfileRow | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        column.key: plain(getattr(row, column.key))
        for column in row.__table__.columns
        if column.key not in ("user_id", "sa_orm_sentinel")
    }


async def _profile_with_institution(
    session: AsyncSession, row: StudentProfileRow | TutorProfileRow | None
) -> dict[str, Any] | None:
    """The profile's columns, and the institution it names spelled out (its name and country)."""
    profile = _profile(row)
    if profile is None or row is None:
        return profile
    institution = None
    if row.institution_id is not None:
        found = (
            await session.execute(
                select(InstitutionRow.id, InstitutionRow.name, InstitutionRow.country).where(
                    InstitutionRow.id == row.institution_id
                )
            )
        ).first()
        institution = record(found) if found is not None else None
    return {**profile, "institution": institution}


def _extension(key: str) -> str:
    name = key.rsplit("/", 1)[-1]
    return "." + name.rsplit(".", 1)[1] if "." in name else ""
