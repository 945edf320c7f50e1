"""Identity tables: users, their profiles, institutions, tutor applications, one-time tokens,
refresh-token families and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.mixins import AuditColumns
from advanced_alchemy.types import JsonB
from sqlalchemy import BigInteger, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from elearn.adapters.persistence.integrity import ConstraintErrors
from elearn.adapters.persistence.models.base import Base
from elearn.domain.identity.institutions import InstitutionDomainTaken
from elearn.domain.identity.user import EmailTaken


class UserRow(Base):
    __tablename__ = "users"
    # Keyset listing (newest first) walks this index.
    __table_args__ = (Index("ix_users_created_at_id", "created_at", "id"),)

    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), index=True, default="active")
    email_verified_at: Mapped[datetime | None]
    tutor_approval: Mapped[str | None] = mapped_column(String(16))
    sessions_valid_after: Mapped[datetime | None]
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled: Mapped[bool] = mapped_column(default=False)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    recovery_code_hashes: Mapped[list[str]] = mapped_column(JsonB, default=list)
    avatar_key: Mapped[str | None] = mapped_column(String(255))


class StudentProfileRow(AuditColumns, DefaultBase):
    """One per student, keyed by the user it describes."""

    __tablename__ = "student_profiles"

    user_id: Mapped[UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    bio: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(35))
    country: Mapped[str | None] = mapped_column(String(2))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    preferred_currency: Mapped[str | None] = mapped_column(String(3))
    institution_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("institutions.id", ondelete="RESTRICT"), index=True
    )
    # What the student typed before institutions were a list (revision 0019): shown as
    # unverified until they pick one from the list, which clears it.
    unverified_institution: Mapped[str | None] = mapped_column(String(200))
    onboarding: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)


class TutorProfileRow(AuditColumns, DefaultBase):
    """One per tutor, keyed by the user it describes."""

    __tablename__ = "tutor_profiles"

    user_id: Mapped[UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    bio: Mapped[str] = mapped_column(Text, default="")
    headline: Mapped[str] = mapped_column(String(200), default="")
    subjects: Mapped[list[str]] = mapped_column(JsonB, default=list)
    languages: Mapped[list[str]] = mapped_column(JsonB, default=list)
    hourly_rate_amount: Mapped[int | None] = mapped_column(BigInteger)
    hourly_rate_currency: Mapped[str | None] = mapped_column(String(3))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    meeting_url: Mapped[str | None] = mapped_column(String(2048))
    rating_average: Mapped[float | None] = mapped_column(Float)
    rating_count: Mapped[int] = mapped_column(default=0)
    institution_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("institutions.id", ondelete="RESTRICT"), index=True
    )


class InstitutionRow(Base):
    """Universities and schools staff keep; retired ones stay for the profiles that name them."""

    __tablename__ = "institutions"
    # Searches match ``name_key`` (accents removed, case folded: computed in Python, the same
    # on every database) by prefix and, for the list's few tens of thousands of rows, inside.
    __table_args__ = (Index("ix_institutions_name_key_id", "name_key", "id"),)

    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), index=True)
    retired_at: Mapped[datetime | None]
    domain_rows: Mapped[list[InstitutionDomainRow]] = relationship(
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="InstitutionDomainRow.position",
    )


class InstitutionDomainRow(DefaultBase):
    """The web and email domains of an institution: each belongs to one institution only."""

    __tablename__ = "institution_domains"

    domain: Mapped[str] = mapped_column(String(253), primary_key=True)
    institution_id: Mapped[UUID] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    # The order staff gave them in: the first is the one shown.
    position: Mapped[int] = mapped_column(default=0)


class TutorApplicationRow(Base):
    __tablename__ = "tutor_applications"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    headline: Mapped[str] = mapped_column(String(200))
    subjects: Mapped[list[str]] = mapped_column(JsonB, default=list)
    cv_key: Mapped[str] = mapped_column(String(255))
    certificate_key: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), index=True, default="pending")
    submitted_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    rejection_reason: Mapped[str | None] = mapped_column(Text)


class OneTimeTokenRow(Base):
    """Email verification and password reset tokens, stored only as their hash."""

    __tablename__ = "one_time_tokens"
    __table_args__ = (Index("ix_one_time_tokens_user_id_purpose", "user_id", "purpose"),)

    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    superseded_at: Mapped[datetime | None]


class RefreshFamilyRow(Base):
    """The refresh tokens of one sign-in: only the current token's hash is kept."""

    __tablename__ = "refresh_families"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    current_hash: Mapped[str] = mapped_column(String(64))
    absolute_expires_at: Mapped[datetime]
    idle_expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(64))
    rotations: Mapped[int] = mapped_column(default=0)


class AuditEntryRow(Base):
    """Append-only. No foreign keys: entries outlive the users and objects they name."""

    __tablename__ = "audit_log"

    at: Mapped[datetime] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    actor_id: Mapped[UUID | None] = mapped_column(index=True)
    target_type: Mapped[str | None] = mapped_column(String(64))
    target_id: Mapped[UUID | None] = mapped_column(index=True)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    details: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)


# The constraints above that stand for a domain conflict (see `integrity`).
CONSTRAINT_ERRORS: ConstraintErrors = {
    "uq_users_email": lambda: EmailTaken("that email address already has an account"),
    # The domain is the key: PostgreSQL names the primary key, SQLite the column.
    **dict.fromkeys(
        ("pk_institution_domains", "uq_institution_domains_domain"),
        lambda: InstitutionDomainTaken("one of those domains belongs to another institution"),
    ),
}
