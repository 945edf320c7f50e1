"""Notifications on SQLite and PostgreSQL, their handlers called as the outbox would: made once
per event and recipient however often the event is delivered, published live after commit,
emailed by preference (turned off, held by quiet hours, folded into a digest, dropped once
read), and purged after 180 days."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from tests.fakes import FixedClock, RecordingMailer
from tests.support.identity import seed_accounts
from tests.support.statements import Statements

from elearn.adapters.jobs.broker import build_broker
from elearn.adapters.persistence.models.notifications import NotificationRow
from elearn.adapters.realtime.local import LocalRealtimeHub
from elearn.application.actor import Actor
from elearn.application.communication.notifications import (
    EmailedBy,
    MarkRead,
    NotificationDraft,
)
from elearn.application.communication.preferences import ChangePreferences, QuietHoursView
from elearn.application.errors import InvalidInput, NotAuthenticated
from elearn.application.learning.api import EnrollmentStarted
from elearn.application.mail import EmailMessage, MailAbout
from elearn.application.personal_data import Pseudonym
from elearn.domain.communication.conversations import MessagePosted
from elearn.domain.communication.notifications import (
    Category,
    Channel,
    DigestFrequency,
    NotificationCreated,
    NotificationsRead,
)
from elearn.domain.identity.roles import Role
from elearn.domain.learning.enrollment import EnrollmentSource
from elearn.domain.shared.events import DomainEvent
from elearn.entrypoints.bootstrap import Container, bootstrap
from elearn.entrypoints.settings import Settings


@dataclass
class Setting:
    container: Container
    clock: FixedClock
    mailer: RecordingMailer
    hub: LocalRealtimeHub
    ada: Actor
    bob: Actor
    published: list[DomainEvent]

    async def run_published(self) -> None:
        """Delivers what the last transactions put in the outbox to the module's handlers."""
        handlers = {
            NotificationCreated: self.container.notifications.deliver,
            NotificationsRead: self.container.notifications.publish_read,
        }
        async with self.container.sessions() as session:
            from elearn.adapters.persistence.models.jobs import OutboxMessageRow

            rows = (await session.scalars(select(OutboxMessageRow))).all()
        for row in rows:
            event = self.container.codec.decode(row.event_type, row.payload)
            if event.event_id in {e.event_id for e in self.published}:
                continue
            self.published.append(event)
            handler = handlers.get(type(event))  # type: ignore[call-overload]
            if handler is not None:
                await handler(event)


@pytest.fixture
async def setting(settings: Settings) -> AsyncIterator[Setting]:
    ada, bob = await seed_accounts(
        settings, ("ada@notify.test", Role.STUDENT), ("bob@notify.test", Role.TUTOR)
    )
    clock = FixedClock(datetime(2026, 6, 1, 12, 10, tzinfo=UTC))
    mailer, hub = RecordingMailer(), LocalRealtimeHub()
    container = bootstrap(
        settings,
        broker=build_broker(None),
        overrides={"clock": clock, "mailer": mailer, "realtime": hub},
    )
    try:
        yield Setting(
            container=container,
            clock=clock,
            mailer=mailer,
            hub=hub,
            ada=Actor(user_id=ada, role=Role.STUDENT, email_verified=True),
            bob=Actor(user_id=bob, role=Role.TUTOR, email_verified=True),
            published=[],
        )
    finally:
        await container.dispose()


def draft(person: Actor, key: str, category: Category = Category.COURSE) -> NotificationDraft:
    assert person.user_id is not None
    return NotificationDraft(
        recipient_id=person.user_id,
        category=category,
        title=f"About {key}",
        body="Something happened.",
        source_key=key,
    )


async def count_rows(container: Container) -> int:
    async with container.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(NotificationRow)) or 0)


async def test_an_event_delivered_again_or_at_once_makes_one_notification_per_recipient(
    setting: Setting,
) -> None:
    container = setting.container
    assert setting.ada.user_id is not None
    event = EnrollmentStarted(
        event_id=uuid.uuid4(),
        occurred_at=setting.clock.now(),
        enrollment_id=uuid.uuid4(),
        course_id=uuid.uuid4(),
        user_id=setting.ada.user_id,
        source=EnrollmentSource.SELF,
    )
    handler = container.subscriptions["notifications.of_learning.enrollment_started"].handler
    await handler(event)
    await handler(event)  # redelivered
    await asyncio.gather(*(handler(event) for _ in range(5)))  # and at once, by several workers
    assert await count_rows(container) == 1
    page = await container.notifications.my_notifications(setting.ada)
    (only,) = page.items
    assert (only.category, only.title) == (Category.LEARNING, "You are enrolled")
    assert only.link is not None and only.link.type == "course"
    assert await container.notifications.unread_count(setting.bob) == 0
    # One notification, one NotificationCreated in the outbox: one email (to someone away).
    await setting.run_published()
    assert [m.subject for m in setting.mailer.sent] == ["You are enrolled"]


async def test_only_the_owner_reads_and_marks_their_notifications(setting: Setting) -> None:
    container = setting.container
    await container.notifications.notify([draft(setting.ada, "a1"), draft(setting.ada, "a2")])
    await container.notifications.notify([draft(setting.bob, "b1")])
    bobs = (await container.notifications.my_notifications(setting.bob)).items
    with pytest.raises(Exception) as refused:
        await container.notifications.mark_read(setting.ada, MarkRead(ids=(bobs[0].id,)))
    assert getattr(refused.value, "code", None) == "notification-not-found"
    assert await container.notifications.unread_count(setting.bob) == 1
    with pytest.raises(InvalidInput):
        await container.notifications.mark_read(setting.ada, MarkRead())
    with pytest.raises(NotAuthenticated):
        await container.notifications.my_notifications(Actor.anonymous())

    adas = (await container.notifications.my_notifications(setting.ada)).items
    assert [n.title for n in adas] == ["About a2", "About a1"] or len(adas) == 2
    assert setting.ada.user_id is not None
    async with setting.hub.subscribe(setting.ada.user_id) as live:
        marked = await container.notifications.mark_read(setting.ada, MarkRead(ids=(adas[0].id,)))
        assert marked == [adas[0].id]
        # Marking it again changes nothing and tells no one.
        assert (
            await container.notifications.mark_read(setting.ada, MarkRead(ids=(adas[0].id,))) == []
        )
        await setting.run_published()
        events = []
        while not live.empty():
            events.append(live.get_nowait())
    assert [e["type"] for e in events] == ["notification.created"] * 2 + ["notification.read"]
    assert events[-1]["ids"] == [str(adas[0].id)]
    unread = await container.notifications.my_notifications(setting.ada, unread=True)
    assert [n.id for n in unread.items] == [adas[1].id]
    assert await container.notifications.mark_read(setting.ada, MarkRead(all=True)) == [adas[1].id]
    assert await container.notifications.unread_count(setting.ada) == 0


def message_to(address: str, subject: str) -> EmailMessage:
    return EmailMessage(to=(address,), subject=subject, text_body=f"{subject}, in full.")


async def test_a_category_with_email_off_sends_no_email_and_the_rest_go_at_once(
    setting: Setting,
) -> None:
    container, ada = setting.container, setting.ada
    assert ada.user_id is not None
    await container.notifications.change_preferences(
        ada,
        ChangePreferences(
            channels={Category.BOOKING: {Channel.EMAIL: False}},
            email_digest=DigestFrequency.OFF,
            quiet_hours=None,
        ),
    )
    gate = container.personal_mailer()
    await gate.send(
        message_to("ada@notify.test", "Lesson"), MailAbout(ada.user_id, "booking", "e1")
    )
    await gate.send(
        message_to("ada@notify.test", "Receipt"), MailAbout(ada.user_id, "payment", "e2")
    )
    assert [m.subject for m in setting.mailer.sent] == ["Receipt"]
    view = await container.notifications.my_preferences(ada)
    assert view.channels[Category.BOOKING] == {
        Channel.IN_APP: True,
        Channel.EMAIL: False,
        Channel.PUSH: True,
    }


async def test_quiet_hours_hold_email_until_they_end_and_a_digest_sends_one_email_once(
    setting: Setting,
) -> None:
    container, ada, clock = setting.container, setting.ada, setting.clock
    assert ada.user_id is not None
    # 12:10 UTC is 14:10 in Berlin: quiet from 14:00 to 15:00, and an hourly digest.
    await container.notifications.change_preferences(
        ada,
        ChangePreferences(
            channels={},
            email_digest=DigestFrequency.HOURLY,
            quiet_hours=QuietHoursView("14:00", "15:00"),
            time_zone="Europe/Berlin",
        ),
    )
    await container.notifications.notify(
        [draft(ada, "n1"), draft(ada, "n2"), draft(ada, "n3", Category.ANNOUNCEMENT)]
    )
    gate = container.personal_mailer()
    await gate.send(
        message_to("ada@notify.test", "Lesson"), MailAbout(ada.user_id, "booking", "n4")
    )
    await gate.send(
        message_to("ada@notify.test", "Lesson"), MailAbout(ada.user_id, "booking", "n4")
    )
    await setting.run_published()
    assert setting.mailer.sent == []

    # Read in time: its email is dropped.
    n2 = next(
        n
        for n in (await container.notifications.my_notifications(ada)).items
        if n.title == "About n2"
    )
    await container.notifications.mark_read(ada, MarkRead(ids=(n2.id,)))

    clock.advance(timedelta(minutes=30))  # 14:40 Berlin: still quiet
    assert await container.notifications.send_due_emails() == 0
    clock.advance(timedelta(minutes=20))  # 15:00 Berlin: quiet hours over, digest due
    assert await container.notifications.send_due_emails() == 1
    (digest,) = setting.mailer.sent
    assert digest.to == ("ada@notify.test",)
    assert "3 new notifications" in digest.subject
    assert "About n1" in digest.text_body and "About n3" in digest.text_body
    assert "Lesson" in digest.text_body and "About n2" not in digest.text_body
    clock.advance(timedelta(hours=3))
    assert await container.notifications.send_due_emails() == 0
    assert len(setting.mailer.sent) == 1


async def test_preferences_refuse_what_they_cannot_mean(setting: Setting) -> None:
    notifications, ada = setting.container.notifications, setting.ada
    for change in (
        ChangePreferences(
            channels={Category.COURSE: {Channel.IN_APP: False}},
            email_digest=DigestFrequency.OFF,
            quiet_hours=None,
        ),
        ChangePreferences(
            channels={}, email_digest=DigestFrequency.OFF, quiet_hours=None, time_zone="Nowhere/At"
        ),
        ChangePreferences(
            channels={},
            email_digest=DigestFrequency.OFF,
            quiet_hours=QuietHoursView("22:00", "22:00"),
        ),
    ):
        with pytest.raises(Exception) as refused:
            await notifications.change_preferences(ada, change)
        assert getattr(refused.value, "code", None) == "invalid-preferences"
    view = await notifications.my_preferences(ada)
    assert view.quiet_hours is None and view.email_digest is DigestFrequency.OFF


async def test_notifications_are_kept_180_days(setting: Setting) -> None:
    container, clock = setting.container, setting.clock
    await container.notifications.notify([draft(setting.ada, "old")])
    clock.advance(timedelta(days=100))
    await container.notifications.notify([draft(setting.ada, "recent")])
    clock.advance(timedelta(days=80, seconds=1))
    assert await container.notifications.purge_old() == 1
    (left,) = (await container.notifications.my_notifications(setting.ada)).items
    assert left.title == "About recent"


async def test_quiet_hours_wait_out_with_a_time_only_ending(setting: Setting) -> None:
    """Quiet hours without a digest: the email goes alone, as it was written, when they end."""
    container, ada, clock = setting.container, setting.ada, setting.clock
    assert ada.user_id is not None
    await container.notifications.change_preferences(
        ada,
        ChangePreferences(
            channels={},
            email_digest=DigestFrequency.OFF,
            quiet_hours=QuietHoursView(time(12).isoformat("minutes"), "13:00"),
            time_zone="UTC",
        ),
    )
    gate = container.personal_mailer()
    await gate.send(
        message_to("ada@notify.test", "Receipt"), MailAbout(ada.user_id, "payment", "r")
    )
    assert setting.mailer.sent == []
    clock.advance(timedelta(minutes=50))
    assert await container.notifications.send_due_emails() == 1
    assert [m.subject for m in setting.mailer.sent] == ["Receipt"]


async def test_a_person_connected_when_it_arrives_reads_it_live_and_gets_no_email(
    setting: Setting,
) -> None:
    container, ada = setting.container, setting.ada
    assert ada.user_id is not None
    async with setting.hub.subscribe(ada.user_id) as live:
        await container.notifications.notify([draft(ada, "while-connected")])
        await setting.run_published()
        assert live.get_nowait()["title"] == "About while-connected"
    await container.notifications.notify([draft(ada, "while-away")])
    await setting.run_published()
    assert [m.subject for m in setting.mailer.sent] == ["About while-away"]


async def test_a_persons_notifications_are_exported_and_erased(setting: Setting) -> None:
    container, ada, bob = setting.container, setting.ada, setting.bob
    await container.notifications.notify([draft(ada, "mine"), draft(bob, "theirs")])
    await container.notifications.change_preferences(
        ada,
        ChangePreferences(channels={}, email_digest=DigestFrequency.DAILY, quiet_hours=None),
    )
    provider = next(m for m in container.modules if m.name == "notifications").personal_data
    assert provider is not None
    assert ada.user_id is not None
    async with container.uow() as uow:
        exported = await provider(container).export(uow, ada.user_id)
        assert [n["title"] for n in exported.records["notifications"]] == ["About mine"]
        assert exported.records["preferences"][0]["digest"] == "daily"
        erased = await provider(container).erase(uow, ada.user_id, Pseudonym.new())
        await uow.commit()
    assert erased.counts["notifications"] == 1 and erased.counts["preferences"] == 1
    assert await container.notifications.unread_count(ada) == 0
    assert await container.notifications.unread_count(bob) == 1


async def test_a_new_message_notifies_its_recipients_once_without_an_email_of_its_own(
    setting: Setting,
) -> None:
    container, ada, bob = setting.container, setting.ada, setting.bob
    assert ada.user_id is not None and bob.user_id is not None
    conversation = uuid.uuid4()
    event = MessagePosted(
        event_id=uuid.uuid4(),
        occurred_at=setting.clock.now(),
        conversation_id=conversation,
        message_id=uuid.uuid4(),
        sender_id=bob.user_id,
        recipient_ids=(ada.user_id,),
        preview="See you on Monday",
        sent_at=setting.clock.now(),
    )
    handler = container.subscriptions["notifications.of_conversations.message_posted"].handler
    await handler(event)
    await handler(event)
    (note,) = (await container.notifications.my_notifications(ada)).items
    assert (note.category, note.title, note.body) == (
        Category.MESSAGE,
        "New message from bob",
        "See you on Monday",
    )
    assert note.link is not None and note.link.id == conversation
    assert await container.notifications.unread_count(bob) == 0
    await setting.run_published()
    assert setting.mailer.sent == []  # the conversations digest is the email of a message


async def test_a_notification_its_source_emails_is_published_reading_it_alone(
    setting: Setting,
) -> None:
    container, ada = setting.container, setting.ada
    assert ada.user_id is not None
    await container.notifications.notify(
        [replace(draft(ada, "m-1", Category.MESSAGE), emailed_by=EmailedBy.SOURCE)]
    )
    async with setting.hub.subscribe(ada.user_id) as live:
        with Statements(container.engine) as counted:
            await setting.run_published()
        assert [live.get_nowait()["type"] for _ in range(live.qsize())] == ["notification.created"]
    # No email to decide: neither preferences nor the person are read (one message's worth).
    # The test's own read of the outbox aside, the notification is all that is read.
    tables = [s.split(" FROM ")[1].split()[0] for s in await counted.settled()]
    assert [table for table in tables if table != "outbox_messages"] == ["notifications"]


async def test_a_certificate_a_refund_and_a_paid_withdrawal_each_notify_once(
    setting: Setting,
) -> None:
    from elearn.application.billing.api import PaymentRefunded, WithdrawalPaid
    from elearn.application.learning.api import CertificateIssued

    container = setting.container
    ada, bob = setting.ada.user_id, setting.bob.user_id
    assert ada is not None and bob is not None
    now = setting.clock.now()
    events: list[DomainEvent] = [
        CertificateIssued(
            event_id=uuid.uuid4(),
            occurred_at=now,
            certificate_id=uuid.uuid4(),
            user_id=ada,
            course_id=uuid.uuid4(),
            course_title="Rust",
        ),
        PaymentRefunded(
            event_id=uuid.uuid4(),
            occurred_at=now,
            refund_id=uuid.uuid4(),
            order_id=uuid.uuid4(),
            buyer_id=ada,
            amount=1500,
            currency="EUR",
        ),
        WithdrawalPaid(
            event_id=uuid.uuid4(), occurred_at=now, withdrawal_id=uuid.uuid4(), tutor_id=bob
        ),
    ]
    for event in events:
        handler = container.subscriptions[f"notifications.of_{event.event_type}"].handler
        await asyncio.gather(handler(event), handler(event))  # redelivered, at once
        await handler(event)
    assert await count_rows(container) == 3
    mine = (await container.notifications.my_notifications(setting.ada)).items
    assert sorted((n.category, n.title, n.link.type if n.link else None) for n in mine) == [
        (Category.LEARNING, "Your certificate is ready", "certificate"),
        (Category.PAYMENT, "Refund made", "order"),
    ]
    assert "“Rust”" in next(n.body for n in mine if n.category is Category.LEARNING)
    (paid,) = (await container.notifications.my_notifications(setting.bob)).items
    assert (paid.category, paid.title) == (Category.PAYOUT, "Withdrawal paid")
