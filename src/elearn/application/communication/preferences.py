"""A person's notification preferences, and the emails they hold back: the gate every email a
person may turn off goes through (``PreferredMail``), and the job that sends what waited."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.communication.notification_deps import NotificationsDeps
from elearn.application.communication.notifications import preferences_of, send_by_preference
from elearn.application.mail import EmailMessage, MailAbout
from elearn.domain.communication.notifications import (
    Category,
    Channel,
    DigestFrequency,
    InvalidPreferences,
    NotificationPreferences,
    QueuedEmail,
    QuietHours,
    settle_due,
)


@dataclass(frozen=True, slots=True)
class QuietHoursView:
    """Wall-clock times of the person's zone, ``HH:MM``."""

    start: str
    end: str

    @classmethod
    def of(cls, quiet: QuietHours) -> QuietHoursView:
        return cls(quiet.start.isoformat("minutes"), quiet.end.isoformat("minutes"))

    def to_quiet_hours(self, zone: str) -> QuietHours:
        try:
            start, end = time.fromisoformat(self.start), time.fromisoformat(self.end)
        except ValueError:
            raise InvalidPreferences("quiet hours are HH:MM times") from None
        return QuietHours(start, end, zone)


@dataclass(frozen=True, slots=True)
class PreferencesView:
    # category → channel → on
    channels: Mapping[Category, Mapping[Channel, bool]]
    email_digest: DigestFrequency
    quiet_hours: QuietHoursView | None
    time_zone: str

    @classmethod
    def of(cls, preferences: NotificationPreferences) -> PreferencesView:
        quiet = preferences.quiet_hours
        return cls(
            channels=preferences.matrix(),
            email_digest=preferences.digest,
            quiet_hours=None if quiet is None else QuietHoursView.of(quiet),
            time_zone=preferences.zone,
        )


@dataclass(frozen=True, slots=True)
class ChangePreferences:
    """The whole of a person's choices; categories and channels left out keep what they were."""

    channels: Mapping[Category, Mapping[Channel, bool]]
    email_digest: DigestFrequency
    quiet_hours: QuietHoursView | None
    time_zone: str | None = None


class GetMyPreferences:
    def __init__(self, deps: NotificationsDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor) -> PreferencesView:
        user_id = require_signed_in(actor)
        async with self._deps.uow(read_only=True) as uow:
            return PreferencesView.of(await preferences_of(self._deps, uow, user_id))


class UpdateMyPreferences:
    """Sets email and push per category (in-app is always on), the email digest and quiet hours
    in the person's zone (their profile's unless they name one)."""

    def __init__(self, deps: NotificationsDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, command: ChangePreferences) -> PreferencesView:
        user_id = require_signed_in(actor)
        deps = self._deps
        async with deps.uow() as uow:
            stored = await uow.notifications.preferences.get(user_id, for_update=True)
            preferences = stored or await preferences_of(deps, uow, user_id)
            zone = command.time_zone or preferences.zone
            quiet = command.quiet_hours
            channels = {
                category: {
                    channel: command.channels.get(category, {}).get(
                        channel, preferences.wants(category, channel)
                    )
                    for channel in Channel
                }
                for category in Category
            }
            preferences.change(
                channels=channels,
                digest=command.email_digest,
                quiet_hours=None if quiet is None else quiet.to_quiet_hours(zone),
                zone=zone,
            )
            if stored is None:
                await uow.notifications.preferences.add(preferences)
            await uow.commit()
        return PreferencesView.of(preferences)


class PreferredMail:
    """The `PersonalMailer` of this application: an email about a category the person turned
    email off for is not sent; one that quiet hours or a digest hold waits in a queue (once per
    source key); the rest go at once."""

    def __init__(self, deps: NotificationsDeps) -> None:
        self._deps = deps

    async def send(self, message: EmailMessage, about: MailAbout) -> None:
        deps = self._deps
        try:
            category = Category(about.category)
        except ValueError:
            raise InvalidPreferences(f"{about.category!r} is no notification category") from None
        async with deps.uow(read_only=True) as uow:
            preferences = await preferences_of(deps, uow, about.person_id)
        if not preferences.wants(category, Channel.EMAIL):
            return
        await send_by_preference(deps, preferences, message, about.source_key, about.person_id)


class SendDueEmails:
    """The periodic job: emails whose wait is over go out, each once. Those about a notification
    the person read meanwhile are dropped; a person's due digest emails go as one email."""

    def __init__(self, deps: NotificationsDeps) -> None:
        self._deps = deps

    async def __call__(self) -> int:
        deps = self._deps
        async with deps.uow(read_only=True) as uow:
            if not await uow.notifications.emails.due(deps.clock.now(), limit=1):
                return 0
        # Marked sent and committed before they are handed over: never twice (one that cannot
        # be handed over goes back to waiting).
        async with deps.uow() as uow:
            now = deps.clock.now()
            due = await uow.notifications.emails.due(now, limit=deps.policy.email_batch)
            messages = {email.id: message for email, message in due}
            read_at: dict[UUID, datetime | None] = {}
            by_person: dict[UUID, list[QueuedEmail]] = {}
            for email, _ in due:
                by_person.setdefault(email.recipient_id, []).append(email)
            for person_id, emails in by_person.items():
                read = await uow.notifications.notifications.read_at(
                    person_id, [e.source_key for e in emails]
                )
                read_at.update({e.id: read.get(e.source_key) for e in emails})
            to_send = settle_due([email for email, _ in due], now, read_at)
            people = {
                person_id: await deps.identity.recipient(uow, person_id) for person_id in to_send
            }
            await uow.commit()
        sent = 0
        for person_id, emails in to_send.items():
            person = people[person_id]
            if person is None:
                continue
            if len(emails) == 1 and not emails[0].digest:
                outgoing = messages[emails[0].id]
            else:
                outgoing = deps.templates.render(
                    "notification_digest",
                    {
                        "full_name": person.full_name,
                        "items": [
                            {"subject": messages[e.id].subject, "text": messages[e.id].text_body}
                            for e in emails
                        ],
                        "notifications_url": deps.policy.links.notifications(),
                    },
                    to=[person.email],
                    language=person.language,
                )
            try:
                await deps.mailer.send(outgoing)
            except Exception:
                async with deps.uow() as uow:
                    await uow.notifications.emails.release([e.id for e in emails])
                    await uow.commit()
                raise
            sent += 1
        return sent
