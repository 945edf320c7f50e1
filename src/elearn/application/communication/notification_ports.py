"""What the notification use cases need: the notifications module's own stores and read side."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from elearn.application.links import FrontEndLinks
from elearn.application.mail import EmailMessage
from elearn.application.paging import Page
from elearn.application.ports import Transaction
from elearn.domain.communication.announcements import Announcement
from elearn.domain.communication.notifications import (
    Category,
    LinkTarget,
    Notification,
    NotificationPreferences,
    QueuedEmail,
)
from elearn.domain.communication.push import PushSubscription


class NotificationRepository(Protocol):
    async def add_once(self, notifications: Sequence[Notification]) -> set[UUID]:
        """Stores those whose recipient has none with their source key yet: the ids stored."""
        ...

    async def get(self, notification_id: UUID) -> Notification | None: ...

    async def owned(self, recipient_id: UUID, ids: Collection[UUID]) -> set[UUID]:
        """Which of ``ids`` are the recipient's."""
        ...

    async def mark_read(
        self, recipient_id: UUID, ids: Collection[UUID] | None, now: datetime
    ) -> list[UUID]:
        """Marks the recipient's unread ones (``ids`` of them, or all): the ids it marked."""
        ...

    async def read_at(
        self, recipient_id: UUID, source_keys: Collection[str]
    ) -> dict[str, datetime]:
        """When the recipient read the notifications of these source keys (read ones only)."""
        ...

    async def purge_created_before(self, before: datetime, limit: int) -> int: ...

    async def hold_push(self, notification_id: UUID, until: datetime) -> None:
        """Its push waits until ``until`` (the end of the recipient's quiet hours)."""
        ...

    async def take_due_pushes(self, now: datetime, limit: int) -> list[Notification]:
        """Notifications whose held push is due by ``now``, no longer held once this commits
        (locked meanwhile: others running at once skip them)."""
        ...


class PreferencesRepository(Protocol):
    async def get(
        self, user_id: UUID, *, for_update: bool = False
    ) -> NotificationPreferences | None: ...

    async def add(self, preferences: NotificationPreferences) -> None: ...


class QueuedEmailRepository(Protocol):
    async def add_once(self, email: QueuedEmail, message: EmailMessage) -> bool:
        """Queues it unless one of its recipient and source key is queued: True if queued."""
        ...

    async def due(self, now: datetime, limit: int) -> list[tuple[QueuedEmail, EmailMessage]]:
        """Waiting emails due by ``now``, locked (others running at once skip them)."""
        ...

    async def release(self, email_ids: Collection[UUID]) -> None:
        """Sets emails that could not be handed over back to waiting."""
        ...


class AnnouncementRepository(Protocol):
    async def add(self, announcement: Announcement) -> None: ...

    async def get(
        self, announcement_id: UUID, *, for_update: bool = False
    ) -> Announcement | None: ...


class PushSubscriptionRepository(Protocol):
    async def keep(self, subscription: PushSubscription) -> None:
        """Stores it in place of whatever its endpoint had (whoever that was for)."""
        ...

    async def of_person(self, person_id: UUID) -> list[PushSubscription]:
        """Oldest first."""
        ...

    async def remove(self, subscription_ids: Collection[UUID]) -> int: ...

    async def remove_endpoint(self, person_id: UUID, endpoint: str) -> bool:
        """Removes the person's subscription of that endpoint: False when they have none."""
        ...

    async def remove_of_session(self, session_id: UUID) -> int: ...


class PushOutcome(StrEnum):
    DELIVERED = "delivered"
    # The push service says the subscription is no more (404/410): it is forgotten.
    GONE = "gone"
    # Anything else (refused, unreachable): this one push is lost, the subscription kept.
    FAILED = "failed"


class PushSender(Protocol):
    """Web Push (RFC 8030/8291/8292): a payload encrypted to a subscription's keys, posted to
    its push service with the platform's VAPID signature."""

    @property
    def public_key(self) -> str | None:
        """The VAPID public key browsers subscribe with (``applicationServerKey``, base64url),
        or None when push is not configured."""
        ...

    async def send(
        self, subscription: PushSubscription, payload: bytes, *, ttl_seconds: int
    ) -> PushOutcome: ...

    async def close(self) -> None:
        """Releases its connections (the container closing)."""
        ...


class NotificationsStore(Protocol):
    notifications: NotificationRepository
    push_subscriptions: PushSubscriptionRepository
    preferences: PreferencesRepository
    emails: QueuedEmailRepository
    announcements: AnnouncementRepository


class NotificationsUnitOfWork(Transaction, Protocol):
    """The notifications module's unit of work: its own stores and nothing else."""

    notifications: NotificationsStore


@dataclass(frozen=True, slots=True)
class NotificationView:
    id: UUID
    category: Category
    title: str
    body: str
    link: LinkTarget | None
    metadata: Mapping[str, object]
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, notification: Notification) -> NotificationView:
        return cls(
            id=notification.id,
            category=notification.category,
            title=notification.title,
            body=notification.body,
            link=notification.link,
            metadata=notification.metadata,
            created_at=notification.created_at,
            read_at=notification.read_at,
        )


class NotificationQueries(Protocol):
    async def notifications_of(
        self,
        recipient_id: UUID,
        *,
        unread: bool | None,
        category: Category | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Notification]: ...

    async def unread_count(self, recipient_id: UUID) -> int: ...

    async def announcements_of(
        self, course_id: UUID, *, limit: int, cursor: str | None
    ) -> Page[Announcement]: ...


@dataclass(frozen=True, slots=True)
class NotificationsPolicy:
    links: FrontEndLinks = field(default_factory=FrontEndLinks)
    # Due emails handed over per run of the sending job.
    email_batch: int = 200
    # Students told per transaction of an announcement's fan-out.
    announcement_batch: int = 500
    # The push services a subscription may name (domains, or exact origins for tests):
    # ``push.service_allowed``.
    push_services: tuple[str, ...] = (
        "fcm.googleapis.com",
        "updates.push.services.mozilla.com",
        "notify.windows.com",
        "push.apple.com",
    )
    # How long a push service keeps a push for a device that is offline.
    push_ttl_seconds: int = 86_400
