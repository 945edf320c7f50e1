"""The notifications module's stores (notifications, preferences, queued emails) and its read
side."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, time
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from elearn.adapters.persistence.models.notifications import (
    AnnouncementRow,
    NotificationPreferencesRow,
    NotificationRow,
    PushSubscriptionRow,
    QueuedEmailRow,
)
from elearn.adapters.persistence.paging import fetch_page, newest_first_after
from elearn.adapters.persistence.repository_base import (
    Column,
    FieldMap,
    SqlaRepository,
    TrackingRepository,
    dialect_insert,
    enum,
)
from elearn.application.mail import EmailMessage
from elearn.application.paging import Page
from elearn.domain.communication.announcements import Announcement
from elearn.domain.communication.notifications import (
    Category,
    Channel,
    DigestFrequency,
    EmailStatus,
    LinkTarget,
    Notification,
    NotificationPreferences,
    QueuedEmail,
    QuietHours,
)
from elearn.domain.communication.push import PushSubscription


def _row_values(notification: Notification) -> dict[str, Any]:
    link = notification.link
    return {
        "id": notification.id,
        "recipient_id": notification.recipient_id,
        "category": notification.category.value,
        "title": notification.title,
        "body": notification.body,
        "link_type": None if link is None else link.type,
        "link_id": None if link is None else link.id,
        "details": dict(notification.metadata),
        "source_key": notification.source_key,
        "read_at": None,
        "created_at": notification.created_at,
        "updated_at": notification.created_at,
    }


def _notification(row: NotificationRow) -> Notification:
    return Notification(
        id=row.id,
        recipient_id=row.recipient_id,
        category=Category(row.category),
        title=row.title,
        body=row.body,
        link=None
        if row.link_type is None or row.link_id is None
        else LinkTarget(row.link_type, row.link_id),
        metadata=dict(row.details or {}),
        source_key=row.source_key,
        created_at=row.created_at,
        read_at=row.read_at,
    )


class SqlaNotificationRepository:
    """Notifications are written once and then only marked read or purged, in bulk: statements,
    not tracked aggregates."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_once(self, notifications: Sequence[Notification]) -> set[UUID]:
        if not notifications:
            return set()
        stmt = (
            dialect_insert(self.session, NotificationRow)
            .values([_row_values(notification) for notification in notifications])
            .on_conflict_do_nothing(index_elements=["recipient_id", "source_key"])
            .returning(NotificationRow.id)
        )
        return set((await self.session.execute(stmt)).scalars())

    async def get(self, notification_id: UUID) -> Notification | None:
        row = await self.session.get(NotificationRow, notification_id)
        return None if row is None else _notification(row)

    async def owned(self, recipient_id: UUID, ids: Collection[UUID]) -> set[UUID]:
        found = await self.session.scalars(
            select(NotificationRow.id).where(
                NotificationRow.recipient_id == recipient_id, NotificationRow.id.in_(list(ids))
            )
        )
        return set(found)

    async def mark_read(
        self, recipient_id: UUID, ids: Collection[UUID] | None, now: datetime
    ) -> list[UUID]:
        stmt = update(NotificationRow).where(
            NotificationRow.recipient_id == recipient_id, NotificationRow.read_at.is_(None)
        )
        if ids is not None:
            stmt = stmt.where(NotificationRow.id.in_(list(ids)))
        result = await self.session.execute(
            stmt.values(read_at=now, updated_at=now).returning(NotificationRow.id)
        )
        return list(result.scalars())

    async def read_at(
        self, recipient_id: UUID, source_keys: Collection[str]
    ) -> dict[str, datetime]:
        rows = await self.session.execute(
            select(NotificationRow.source_key, NotificationRow.read_at).where(
                NotificationRow.recipient_id == recipient_id,
                NotificationRow.source_key.in_(list(source_keys)),
                NotificationRow.read_at.is_not(None),
            )
        )
        return {key: read_at for key, read_at in rows}

    async def hold_push(self, notification_id: UUID, until: datetime) -> None:
        await self.session.execute(
            update(NotificationRow)
            .where(NotificationRow.id == notification_id)
            .values(push_due_at=until)
        )

    async def take_due_pushes(self, now: datetime, limit: int) -> list[Notification]:
        rows = list(
            await self.session.scalars(
                select(NotificationRow)
                .where(NotificationRow.push_due_at.is_not(None), NotificationRow.push_due_at <= now)
                .order_by(NotificationRow.push_due_at, NotificationRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if rows:
            await self.session.execute(
                update(NotificationRow)
                .where(NotificationRow.id.in_([row.id for row in rows]))
                .values(push_due_at=None)
            )
        return [_notification(row) for row in rows]

    async def purge_created_before(self, before: datetime, limit: int) -> int:
        ids = select(NotificationRow.id).where(NotificationRow.created_at < before).limit(limit)
        result = await self.session.execute(
            delete(NotificationRow).where(NotificationRow.id.in_(ids.scalar_subquery()))
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _muted_load(stored: list[str] | None) -> frozenset[tuple[Category, Channel]]:
    pairs = (entry.split(":", 1) for entry in stored or ())
    return frozenset((Category(category), Channel(channel)) for category, channel in pairs)


def _muted_dump(muted: frozenset[tuple[Category, Channel]]) -> list[str]:
    return sorted(f"{category.value}:{channel.value}" for category, channel in muted)


class _QuietHoursColumns:
    """Quiet hours as two wall-clock columns (the zone is the preferences' own)."""

    def read(self, row: Any, field: str) -> Any:
        if row.quiet_start is None or row.quiet_end is None:
            return None
        return QuietHours(
            time.fromisoformat(row.quiet_start), time.fromisoformat(row.quiet_end), row.zone
        )

    def write(self, row: Any, field: str, value: Any) -> None:
        row.quiet_start = None if value is None else value.start.isoformat("minutes")
        row.quiet_end = None if value is None else value.end.isoformat("minutes")

    def columns(self, field: str) -> tuple[str, ...]:
        return ("quiet_start", "quiet_end")


_PREFERENCES = FieldMap(
    NotificationPreferences,
    NotificationPreferencesRow,
    fields={
        "muted": Column(load=_muted_load, dump=_muted_dump),
        "digest": enum(DigestFrequency),
        "quiet_hours": _QuietHoursColumns(),
    },
    fixed=("user_id",),
    made_with={"id": lambda preferences: preferences.user_id},
)


class SqlaPreferencesRepository(
    TrackingRepository[NotificationPreferences, NotificationPreferencesRow]
):
    mapper = _PREFERENCES

    def _key_of_row(self, row: NotificationPreferencesRow) -> Any:
        return row.user_id

    async def get(
        self, user_id: UUID, *, for_update: bool = False
    ) -> NotificationPreferences | None:
        if user_id in self._tracked and not for_update:
            return self._tracked[user_id][0]
        row = await self._get_row(
            select(NotificationPreferencesRow).where(NotificationPreferencesRow.user_id == user_id),
            for_update=for_update,
        )
        return None if row is None else self._load(row)

    async def add(self, preferences: NotificationPreferences) -> None:
        row = self.mapper.new_row(preferences)
        self.session.add(row)
        self._track(preferences.user_id, preferences, row)


def _message_dump(message: EmailMessage) -> dict[str, Any]:
    return {
        "to": list(message.to),
        "subject": message.subject,
        "text": message.text_body,
        "html": message.html_body,
    }


def _message_load(stored: dict[str, Any]) -> EmailMessage:
    return EmailMessage(
        to=tuple(stored["to"]),
        subject=stored["subject"],
        text_body=stored["text"],
        html_body=stored.get("html"),
    )


_EMAILS = FieldMap(
    QueuedEmail,
    QueuedEmailRow,
    fields={"status": enum(EmailStatus)},
    fixed=("id", "recipient_id", "source_key", "due_at", "digest"),
)


class SqlaQueuedEmailRepository(SqlaRepository[QueuedEmail, QueuedEmailRow]):
    mapper = _EMAILS

    async def add_once(self, email: QueuedEmail, message: EmailMessage) -> bool:
        row = self.mapper.new_row(email)
        values = {column: getattr(row, column) for column in self.mapper.columns()} | {
            "id": email.id,
            "message": _message_dump(message),
        }
        stmt = (
            dialect_insert(self.session, QueuedEmailRow)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["recipient_id", "source_key"])
            .returning(QueuedEmailRow.id)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none() is not None

    async def due(self, now: datetime, limit: int) -> list[tuple[QueuedEmail, EmailMessage]]:
        stmt = (
            select(QueuedEmailRow)
            .where(QueuedEmailRow.status == EmailStatus.WAITING.value, QueuedEmailRow.due_at <= now)
            .order_by(QueuedEmailRow.due_at, QueuedEmailRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = list(await self.session.scalars(stmt))
        return [(self._load(row), _message_load(row.message)) for row in rows]

    async def release(self, email_ids: Collection[UUID]) -> None:
        await self.session.execute(
            update(QueuedEmailRow)
            .where(QueuedEmailRow.id.in_(list(email_ids)))
            .values(status=EmailStatus.WAITING.value, settled_at=None)
        )


_ANNOUNCEMENTS = FieldMap(
    Announcement,
    AnnouncementRow,
    fixed=("id", "course_id", "author_id", "title", "body", "posted_at"),
)


class SqlaAnnouncementRepository(SqlaRepository[Announcement, AnnouncementRow]):
    mapper = _ANNOUNCEMENTS


def _subscription(row: PushSubscriptionRow) -> PushSubscription:
    return PushSubscription(
        id=row.id,
        person_id=row.person_id,
        session_id=row.session_id,
        endpoint=row.endpoint,
        p256dh=row.p256dh,
        auth=row.auth,
        created_at=row.created_at,
    )


class SqlaPushSubscriptionRepository:
    """Subscriptions are added, listed and removed whole: statements, not tracked aggregates."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def keep(self, subscription: PushSubscription) -> None:
        # One row per endpoint: a browser subscribing again (perhaps for someone else now)
        # replaces what its endpoint had. One statement, so two sign-ins subscribing it at once
        # end as one row (the later), never as a unique-key error.
        values = {
            "id": subscription.id,
            "person_id": subscription.person_id,
            "session_id": subscription.session_id,
            "endpoint": subscription.endpoint,
            "p256dh": subscription.p256dh,
            "auth": subscription.auth,
            "created_at": subscription.created_at,
            "updated_at": subscription.created_at,
        }
        stmt = dialect_insert(self.session, PushSubscriptionRow).values(values)
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["endpoint"],
                set_={name: stmt.excluded[name] for name in values if name != "endpoint"},
            )
        )

    async def of_person(self, person_id: UUID) -> list[PushSubscription]:
        rows = await self.session.scalars(
            select(PushSubscriptionRow)
            .where(PushSubscriptionRow.person_id == person_id)
            .order_by(PushSubscriptionRow.created_at, PushSubscriptionRow.id)
        )
        return [_subscription(row) for row in rows]

    async def remove(self, subscription_ids: Collection[UUID]) -> int:
        if not subscription_ids:
            return 0
        result = await self.session.execute(
            delete(PushSubscriptionRow).where(PushSubscriptionRow.id.in_(list(subscription_ids)))
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def remove_endpoint(self, person_id: UUID, endpoint: str) -> bool:
        result = await self.session.execute(
            delete(PushSubscriptionRow).where(
                PushSubscriptionRow.person_id == person_id,
                PushSubscriptionRow.endpoint == endpoint,
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def remove_of_session(self, session_id: UUID) -> int:
        result = await self.session.execute(
            delete(PushSubscriptionRow).where(PushSubscriptionRow.session_id == session_id)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


class SqlaNotificationsStore:
    def __init__(self, session: AsyncSession) -> None:
        self.notifications = SqlaNotificationRepository(session)
        self.push_subscriptions = SqlaPushSubscriptionRepository(session)
        self.preferences = SqlaPreferencesRepository(session)
        self.emails = SqlaQueuedEmailRepository(session)
        self.announcements = SqlaAnnouncementRepository(session)

    @property
    def tracking(self) -> list[TrackingRepository[Any, Any]]:
        return [self.preferences, self.emails, self.announcements]


class SqlaNotificationQueries:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def notifications_of(
        self,
        recipient_id: UUID,
        *,
        unread: bool | None,
        category: Category | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Notification]:
        stmt = select(NotificationRow).where(NotificationRow.recipient_id == recipient_id)
        if unread is True:
            stmt = stmt.where(NotificationRow.read_at.is_(None))
        elif unread is False:
            stmt = stmt.where(NotificationRow.read_at.is_not(None))
        if category is not None:
            stmt = stmt.where(NotificationRow.category == category.value)
        stmt = newest_first_after(stmt, cursor, NotificationRow.created_at, NotificationRow.id)
        return await fetch_page(
            self._sessions,
            stmt,
            limit,
            lambda row: _notification(row[0]),
            lambda row: (row[0].created_at, row[0].id),
        )

    async def unread_count(self, recipient_id: UUID) -> int:
        async with self._sessions() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(NotificationRow)
                .where(
                    NotificationRow.recipient_id == recipient_id, NotificationRow.read_at.is_(None)
                )
            )
        return int(count or 0)

    async def announcements_of(
        self, course_id: UUID, *, limit: int, cursor: str | None
    ) -> Page[Announcement]:
        stmt = newest_first_after(
            select(AnnouncementRow).where(AnnouncementRow.course_id == course_id),
            cursor,
            AnnouncementRow.posted_at,
            AnnouncementRow.id,
        )
        return await fetch_page(
            self._sessions,
            stmt,
            limit,
            lambda row: _ANNOUNCEMENTS.load(row[0]),
            lambda row: (row[0].posted_at, row[0].id),
        )
