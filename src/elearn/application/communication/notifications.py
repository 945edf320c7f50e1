"""The notification center: notifications made from what happens on the platform, read and
marked read by their recipient, published live after commit, emailed by preference.

``Notify`` is how anything becomes a notification: a neutral description (recipient, category,
title, body, link, metadata, the key of what it was made from). Each (key, recipient) makes one
notification however often it is delivered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.communication.notification_deps import NotificationsDeps
from elearn.application.communication.notification_ports import (
    NotificationsUnitOfWork,
    NotificationView,
)
from elearn.application.errors import FieldError, InvalidInput, NotFound
from elearn.application.mail import EmailMessage
from elearn.application.paging import Page, check_limit, page_of
from elearn.domain.communication.notifications import (
    KEEP_FOR,
    Category,
    Channel,
    DigestFrequency,
    LinkTarget,
    Notification,
    NotificationCreated,
    NotificationPreferences,
    NotificationsRead,
    QueuedEmail,
)
from elearn.domain.shared.events import DomainEvent

__all__ = [
    "EmailedBy",
    "NotificationDraft",
    "Notify",
]

# Ids one request may mark read.
MAX_IDS = 100


class NotificationNotFound(NotFound):
    code = "notification-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such notification of yours")


class EmailedBy(Enum):
    """Who emails what a notification says (no one gets two emails for one event)."""

    # The notification itself, by the person's email preference for its category.
    NOTIFICATION = "notification"
    # Its source, which sends its own email (through the same preferences): none from here.
    SOURCE = "source"
    # No one: news too short-lived for an inbox (a hold lasting minutes), in the center, live
    # and by push only.
    NO_ONE = "no_one"


@dataclass(frozen=True, slots=True)
class NotificationDraft:
    """A notification to make, whatever made it. ``source_key`` names its source (an event's
    id): one notification per key and recipient. ``emailed_by`` says whether this notification
    sends the email about it."""

    recipient_id: UUID
    category: Category
    title: str
    body: str
    source_key: str
    link: LinkTarget | None = None
    metadata: Mapping[str, object] = field(default_factory=dict)
    emailed_by: EmailedBy = EmailedBy.NOTIFICATION


class Notify:
    """Makes the notifications of one source, once each: a redelivered source makes none, and
    only new ones are published live and emailed (after commit, through the outbox)."""

    def __init__(self, deps: NotificationsDeps) -> None:
        self._deps = deps

    async def __call__(self, drafts: Sequence[NotificationDraft]) -> int:
        if not drafts:
            return 0
        async with self._deps.uow() as uow:
            made = await store_notifications(self._deps, uow, drafts)
            await uow.commit()
        return made


async def store_notifications(
    deps: NotificationsDeps, uow: NotificationsUnitOfWork, drafts: Sequence[NotificationDraft]
) -> int:
    """Stores the drafts not stored before (by source key and recipient) in the caller's
    transaction, each with its ``NotificationCreated``: how many were new."""
    now = deps.clock.now()
    made = [
        (
            Notification(
                id=deps.ids.new_id(),
                recipient_id=draft.recipient_id,
                category=draft.category,
                title=draft.title,
                body=draft.body,
                link=draft.link,
                metadata=dict(draft.metadata),
                source_key=draft.source_key,
                created_at=now,
            ),
            draft,
        )
        for draft in drafts
    ]
    stored = await uow.notifications.notifications.add_once([n for n, _ in made])
    for notification, draft in made:
        if notification.id in stored:
            uow.publish(
                NotificationCreated(
                    event_id=deps.ids.new_id(),
                    occurred_at=now,
                    notification_id=notification.id,
                    recipient_id=notification.recipient_id,
                    category=notification.category.value,
                    email=draft.emailed_by is EmailedBy.NOTIFICATION,
                )
            )
    return len(stored)


class ListMyNotifications:
    """Newest first; ``unread`` and ``category`` filter."""

    def __init__(self, deps: NotificationsDeps) -> None:
        self._deps = deps

    async def __call__(
        self,
        actor: Actor,
        *,
        unread: bool | None = None,
        category: Category | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[NotificationView]:
        user_id = require_signed_in(actor)
        check_limit(limit)
        page = await page_of(
            self._deps.queries.notifications_of(
                user_id, unread=unread, category=category, limit=limit, cursor=cursor
            )
        )
        return Page([NotificationView.of(n) for n in page.items], page.next_cursor)


class CountMyUnread:
    def __init__(self, deps: NotificationsDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor) -> int:
        return await self._deps.queries.unread_count(require_signed_in(actor))


@dataclass(frozen=True, slots=True)
class MarkRead:
    """Either ``ids`` (the person's own) or ``all``."""

    ids: tuple[UUID, ...] = ()
    all: bool = False


class MarkMyNotificationsRead:
    """Marks the person's own notifications read. An id that is not theirs answers 404 and
    marks nothing; marking what is read already changes nothing. The person's other sockets
    hear of it after commit."""

    def __init__(self, deps: NotificationsDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, command: MarkRead) -> list[UUID]:
        user_id = require_signed_in(actor)
        if command.all == bool(command.ids):
            raise InvalidInput(
                "say which notifications: ids, or all",
                errors=[FieldError("ids", "give ids, or all: true, not both")],
            )
        if len(set(command.ids)) > MAX_IDS:
            raise InvalidInput(
                "too many ids", errors=[FieldError("ids", f"at most {MAX_IDS} at once")]
            )
        deps = self._deps
        async with deps.uow() as uow:
            wanted = set(command.ids)
            if wanted and await uow.notifications.notifications.owned(user_id, wanted) != wanted:
                raise NotificationNotFound()
            now = deps.clock.now()
            marked = await uow.notifications.notifications.mark_read(
                user_id, None if command.all else wanted, now
            )
            if marked:
                uow.publish(
                    NotificationsRead(
                        event_id=deps.ids.new_id(),
                        occurred_at=now,
                        recipient_id=user_id,
                        notification_ids=() if command.all else tuple(sorted(marked)),
                        all=command.all,
                    )
                )
            await uow.commit()
        return marked


def live_payload(notification: Notification) -> dict[str, object]:
    """A notification as its live event carries it (JSON-safe)."""
    return {
        "id": str(notification.id),
        "category": notification.category.value,
        "title": notification.title,
        "body": notification.body,
        "link": None
        if notification.link is None
        else {"type": notification.link.type, "id": str(notification.link.id)},
        "metadata": dict(notification.metadata),
        "created_at": notification.created_at.isoformat(),
    }


class DeliverNotification:
    """The outbox handler of a new notification: publishes it live to the recipient's sockets,
    then emails it by their preference (at once, or queued for after quiet hours or for their
    digest), unless its source sends its own email or the person is connected and so was shown
    it live."""

    def __init__(self, deps: NotificationsDeps) -> None:
        self._deps = deps

    async def __call__(self, event: DomainEvent) -> None:
        assert isinstance(event, NotificationCreated)
        deps = self._deps
        preferences, person = None, None
        async with deps.uow(read_only=True) as uow:
            notification = await uow.notifications.notifications.get(event.notification_id)
            if notification is None:
                return
            if event.email:  # what the email needs, read only for one that may send it
                preferences = await preferences_of(deps, uow, notification.recipient_id)
                person = await deps.identity.recipient(uow, notification.recipient_id)
        await deps.realtime.publish(
            [notification.recipient_id], "notification.created", live_payload(notification)
        )
        if (
            preferences is None
            or person is None
            or notification.is_read
            or not preferences.wants(notification.category, Channel.EMAIL)
            # Connected now, they have just been shown it live: no email about it.
            or await deps.realtime.connected([notification.recipient_id])
        ):
            return
        message = deps.templates.render(
            "notification",
            {
                "full_name": person.full_name,
                "title": notification.title,
                "body": notification.body,
                "notifications_url": deps.policy.links.notifications(),
            },
            to=[person.email],
            language=person.language,
        )
        await send_by_preference(
            deps, preferences, message, notification.source_key, notification.recipient_id
        )


class PublishNotificationsRead:
    """Tells the person's sockets (their other devices) what was marked read."""

    def __init__(self, deps: NotificationsDeps) -> None:
        self._deps = deps

    async def __call__(self, event: DomainEvent) -> None:
        assert isinstance(event, NotificationsRead)
        await self._deps.realtime.publish(
            [event.recipient_id],
            "notification.read",
            {"ids": [str(i) for i in event.notification_ids], "all": event.all},
        )


async def preferences_of(
    deps: NotificationsDeps, uow: NotificationsUnitOfWork, user_id: UUID
) -> NotificationPreferences:
    """The person's stored preferences, or the defaults in the zone of their profile."""
    stored = await uow.notifications.preferences.get(user_id)
    if stored is not None:
        return stored
    person = await deps.identity.recipient(uow, user_id)
    return NotificationPreferences.defaults(user_id, person.time_zone if person else "UTC")


async def send_by_preference(
    deps: NotificationsDeps,
    preferences: NotificationPreferences,
    message: EmailMessage,
    source_key: str,
    person_id: UUID,
) -> None:
    """At once when nothing holds it; otherwise queued until it is due (once per key)."""
    now = deps.clock.now()
    due = preferences.email_due_at(now)
    if due <= now:
        await deps.mailer.send(message)
        return
    email = QueuedEmail(
        id=deps.ids.new_id(),
        recipient_id=person_id,
        source_key=source_key,
        due_at=due,
        digest=preferences.digest is not DigestFrequency.OFF,
    )
    async with deps.uow() as uow:
        await uow.notifications.emails.add_once(email, message)
        await uow.commit()


class PurgeOldNotifications:
    """The periodic job: notifications past their 180 days are deleted."""

    def __init__(self, deps: NotificationsDeps) -> None:
        self._deps = deps

    async def __call__(self) -> int:
        deps = self._deps
        before = deps.clock.now() - KEEP_FOR
        purged = 0
        while True:
            async with deps.uow() as uow:
                count = await uow.notifications.notifications.purge_created_before(before, 1000)
                await uow.commit()
            purged += count
            if count < 1000:
                return purged
