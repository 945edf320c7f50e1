"""The notifications module's personal data: a person's notifications, their preferences, the
emails held for them, their browsers' push subscriptions (their endpoints: the keys are the
browser's secrets, not exported) and the announcements they wrote.

Erasing deletes the notifications, preferences, held emails and push subscriptions (nothing of
them is a record
anyone else needs); announcements stay with their course's students, their author now the
account's pseudonymous id, which is the id already stored."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import delete, select

from elearn.adapters.persistence.models.notifications import (
    AnnouncementRow,
    NotificationPreferencesRow,
    NotificationRow,
    PushSubscriptionRow,
    QueuedEmailRow,
)
from elearn.adapters.persistence.personal_data import record, write
from elearn.adapters.persistence.unit_of_work import session_of
from elearn.application.personal_data import ErasedData, PersonalData, Pseudonym
from elearn.application.ports import Transaction

_INTERNAL = ("sa_orm_sentinel", "updated_at")


class NotificationsPersonalData:
    async def export(self, uow: Transaction, user_id: UUID) -> PersonalData:
        session = session_of(uow)
        notifications = await session.execute(
            select(NotificationRow.__table__)
            .where(NotificationRow.recipient_id == user_id)
            .order_by(NotificationRow.created_at)
        )
        preferences = await session.execute(
            select(NotificationPreferencesRow.__table__).where(
                NotificationPreferencesRow.user_id == user_id
            )
        )
        announcements = await session.execute(
            select(AnnouncementRow.__table__)
            .where(AnnouncementRow.author_id == user_id)
            .order_by(AnnouncementRow.posted_at)
        )
        subscriptions = await session.execute(
            select(PushSubscriptionRow.__table__)
            .where(PushSubscriptionRow.person_id == user_id)
            .order_by(PushSubscriptionRow.created_at)
        )
        return PersonalData(
            records={
                "notifications": [record(row, drop=_INTERNAL) for row in notifications],
                "push_subscriptions": [
                    record(row, drop=(*_INTERNAL, "p256dh", "auth")) for row in subscriptions
                ],
                "preferences": [record(row, drop=_INTERNAL) for row in preferences],
                "announcements": [
                    record(row, drop=(*_INTERNAL, "fanned_out_to")) for row in announcements
                ],
            }
        )

    async def erase(self, uow: Transaction, user_id: UUID, pseudonym: Pseudonym) -> ErasedData:
        session = session_of(uow)
        return ErasedData(
            counts={
                "notifications": await write(
                    session, delete(NotificationRow).where(NotificationRow.recipient_id == user_id)
                ),
                "preferences": await write(
                    session,
                    delete(NotificationPreferencesRow).where(
                        NotificationPreferencesRow.user_id == user_id
                    ),
                ),
                "held_emails": await write(
                    session, delete(QueuedEmailRow).where(QueuedEmailRow.recipient_id == user_id)
                ),
                "push_subscriptions": await write(
                    session,
                    delete(PushSubscriptionRow).where(PushSubscriptionRow.person_id == user_id),
                ),
            }
        )
