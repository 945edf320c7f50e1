"""Audit entries: append-only facts about security-relevant actions (shared by every context,
read by analytics)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID


class AuditAction(StrEnum):
    USER_REGISTERED = "user.registered"
    EMAIL_VERIFIED = "user.email_verified"
    LOGIN_SUCCEEDED = "auth.login_succeeded"
    LOGIN_FAILED = "auth.login_failed"
    LOGOUT = "auth.logout"
    REFRESH_REUSE_DETECTED = "auth.refresh_reuse_detected"
    PASSWORD_RESET = "auth.password_reset"  # noqa: S105 - an action name
    PASSWORD_CHANGED = "auth.password_changed"  # noqa: S105 - an action name
    TWO_FACTOR_ENABLED = "auth.2fa_enabled"
    TWO_FACTOR_DISABLED = "auth.2fa_disabled"
    RECOVERY_CODE_USED = "auth.recovery_code_used"
    ROLE_CHANGED = "user.role_changed"
    USER_SUSPENDED = "user.suspended"
    USER_REACTIVATED = "user.reactivated"
    TUTOR_APPLIED = "tutor.applied"
    TUTOR_APPROVED = "tutor.approved"
    TUTOR_REJECTED = "tutor.rejected"
    COURSE_SUBMITTED = "course.submitted"
    COURSE_APPROVED = "course.approved"
    COURSE_REJECTED = "course.rejected"
    COURSE_PUBLISHED = "course.published"
    COURSE_ARCHIVED = "course.archived"
    COURSE_UNPUBLISHED = "course.unpublished"
    COURSE_DELETED = "course.deleted"
    COURSE_PRICE_CHANGED = "course.price_changed"
    REVISION_SUBMITTED = "course.revision_submitted"
    REVISION_APPROVED = "course.revision_approved"
    REVISION_REJECTED = "course.revision_rejected"
    REVISION_DISCARDED = "course.revision_discarded"
    CO_INSTRUCTOR_INVITED = "course.co_instructor_invited"
    CO_INSTRUCTOR_JOINED = "course.co_instructor_joined"
    CO_INSTRUCTOR_REMOVED = "course.co_instructor_removed"
    CATEGORY_CREATED = "category.created"
    CATEGORY_UPDATED = "category.updated"
    CATEGORY_DELETED = "category.deleted"
    INSTITUTION_CREATED = "institution.created"
    INSTITUTION_UPDATED = "institution.updated"
    ENROLLMENT_GRANTED = "enrollment.granted"
    ENROLLMENT_REVOKED = "enrollment.revoked"
    REVIEW_HIDDEN = "review.hidden"
    REVIEW_SHOWN = "review.shown"
    PAYMENT_REFUNDED = "payment.refunded"
    WITHDRAWAL_APPROVED = "withdrawal.approved"
    WITHDRAWAL_REJECTED = "withdrawal.rejected"
    DATA_EXPORT_REQUESTED = "privacy.export_requested"
    ERASURE_SCHEDULED = "privacy.erasure_scheduled"
    ERASURE_CANCELLED = "privacy.erasure_cancelled"
    USER_ERASED = "privacy.user_erased"
    REPORT_REQUESTED = "report.requested"
    REPORT_DOWNLOADED = "report.downloaded"
    APPLICANT_DOCUMENT_OPENED = "tutor.document_opened"


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    id: UUID
    at: datetime
    action: AuditAction
    actor_id: UUID | None
    target_type: str | None = None
    target_id: UUID | None = None
    ip: str | None = None
    user_agent: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
