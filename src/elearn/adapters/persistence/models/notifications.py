"""Notification tables: the notification center, each person's preferences, the emails their
preferences hold back, courses' announcements with where their fan-out stands, and the Web Push
subscriptions of people's browsers.

One notification per recipient and source key, one queued email per recipient and source key:
the unique indexes make a redelivered event create nothing. No foreign keys to users: the
module names no other context's tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.types import JsonB
from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from elearn.adapters.persistence.integrity import ConstraintErrors
from elearn.adapters.persistence.models.base import Base

_UNREAD = "read_at IS NULL"
_WAITING = "status = 'waiting'"
_PUSH_HELD = "push_due_at IS NOT NULL"


class NotificationRow(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index(
            "uq_notifications_recipient_id_source_key", "recipient_id", "source_key", unique=True
        ),
        # A person's center, newest first (and by category).
        Index("ix_notifications_recipient_id_created_at", "recipient_id", "created_at", "id"),
        Index(
            "ix_notifications_unread",
            "recipient_id",
            sqlite_where=text(_UNREAD),
            postgresql_where=text(_UNREAD),
        ),
        Index("ix_notifications_created_at", "created_at"),
        # Pushes held by quiet hours, by when they may go.
        Index(
            "ix_notifications_push_due_at",
            "push_due_at",
            sqlite_where=text(_PUSH_HELD),
            postgresql_where=text(_PUSH_HELD),
        ),
    )

    recipient_id: Mapped[UUID]
    category: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link_type: Mapped[str | None] = mapped_column(String(32))
    link_id: Mapped[UUID | None]
    details: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    source_key: Mapped[str] = mapped_column(String(200))
    read_at: Mapped[datetime | None]
    # Set while its push waits for the recipient's quiet hours to end.
    push_due_at: Mapped[datetime | None]


class NotificationPreferencesRow(Base):
    __tablename__ = "notification_preferences"
    __table_args__ = (Index("uq_notification_preferences_user_id", "user_id", unique=True),)

    user_id: Mapped[UUID]
    # ["booking:email", ...]: the category and channel pairs turned off.
    muted: Mapped[list[str]] = mapped_column(JsonB, default=list)
    digest: Mapped[str] = mapped_column(String(16))
    quiet_start: Mapped[str | None] = mapped_column(String(8))
    quiet_end: Mapped[str | None] = mapped_column(String(8))
    zone: Mapped[str] = mapped_column(String(64))


class QueuedEmailRow(Base):
    __tablename__ = "queued_emails"
    __table_args__ = (
        Index(
            "uq_queued_emails_recipient_id_source_key", "recipient_id", "source_key", unique=True
        ),
        Index(
            "ix_queued_emails_waiting_due_at",
            "due_at",
            sqlite_where=text(_WAITING),
            postgresql_where=text(_WAITING),
        ),
    )

    recipient_id: Mapped[UUID]
    source_key: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime]
    digest: Mapped[bool]
    status: Mapped[str] = mapped_column(String(16))
    settled_at: Mapped[datetime | None]
    # The rendered email: {"to": [...], "subject", "text", "html"}.
    message: Mapped[dict[str, Any]] = mapped_column(JsonB)


class AnnouncementRow(Base):
    __tablename__ = "announcements"
    __table_args__ = (
        # A course's announcements, newest first.
        Index("ix_announcements_course_id_posted_at", "course_id", "posted_at", "id"),
    )

    course_id: Mapped[UUID]
    author_id: Mapped[UUID]
    title: Mapped[str] = mapped_column(String(150))
    body: Mapped[str] = mapped_column(Text)
    posted_at: Mapped[datetime]
    fanned_out_to: Mapped[UUID | None]
    fanned_out_at: Mapped[datetime | None]
    recipients: Mapped[int] = mapped_column(default=0)


class PushSubscriptionRow(Base):
    """A Web Push subscription: one per endpoint (a browser that subscribes again replaces its
    row, whoever it was for), ended with the sign-in that registered it."""

    __tablename__ = "push_subscriptions"
    __table_args__ = (
        Index("uq_push_subscriptions_endpoint", "endpoint", unique=True),
        Index("ix_push_subscriptions_person_id_created_at", "person_id", "created_at"),
        Index("ix_push_subscriptions_session_id", "session_id"),
    )

    person_id: Mapped[UUID]
    session_id: Mapped[UUID | None]
    endpoint: Mapped[str] = mapped_column(String(1024))
    p256dh: Mapped[str] = mapped_column(String(128))
    auth: Mapped[str] = mapped_column(String(64))


CONSTRAINT_ERRORS: ConstraintErrors = {}
