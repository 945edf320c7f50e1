"""The notifications module's part of the composition root: its policy from settings and its
use cases."""

from __future__ import annotations

from email.utils import parseaddr
from functools import cached_property
from typing import TYPE_CHECKING, TypeAlias

from litestar.di import NamedDependency

from elearn.adapters.persistence.notifications_repositories import SqlaNotificationQueries
from elearn.adapters.push.webpush import DisabledPushSender, VapidPushSender
from elearn.application.catalog.api import CatalogApi
from elearn.application.communication import announcements, notifications, preferences, push
from elearn.application.communication.notification_deps import NotificationsDeps
from elearn.application.communication.notification_ports import NotificationsPolicy, PushSender
from elearn.application.identity.api import IdentityApi
from elearn.application.learning.api import LearningApi
from elearn.application.tutoring.api import TutoringApi
from elearn.entrypoints.settings import Settings

if TYPE_CHECKING:
    from elearn.entrypoints.bootstrap import Container


def notifications_policy(settings: Settings) -> NotificationsPolicy:
    return NotificationsPolicy(
        links=settings.front_end, push_services=tuple(settings.push_services)
    )


def build_push_sender(settings: Settings) -> PushSender:
    """VAPID Web Push when a key is configured (always outside production: generated)."""
    if not settings.push_vapid_private_key:
        return DisabledPushSender()
    subject = settings.push_vapid_subject or f"mailto:{parseaddr(settings.mail_sender)[1]}"
    return VapidPushSender(settings.push_vapid_private_key, subject)


def build_notifications_deps(container: Container) -> NotificationsDeps:
    return NotificationsDeps(
        uow=container.uow,
        clock=container.clock,
        ids=container.ids,
        queries=SqlaNotificationQueries(container.sessions),
        identity=IdentityApi(container.identity.deps),
        catalog=CatalogApi(container.catalog.deps),
        learning=LearningApi(container.learning.deps),
        tutoring=TutoringApi(container.tutoring.deps),
        mailer=container.mailer,
        templates=container.templates,
        realtime=container.realtime,
        push=build_push_sender(container.settings),
        policy=notifications_policy(container.settings),
        authorizer=container.authorizer,
    )


class NotificationsUseCases:
    def __init__(self, deps: NotificationsDeps) -> None:
        self.deps = deps

    @cached_property
    def notify(self) -> notifications.Notify:
        return notifications.Notify(self.deps)

    @cached_property
    def my_notifications(self) -> notifications.ListMyNotifications:
        return notifications.ListMyNotifications(self.deps)

    @cached_property
    def unread_count(self) -> notifications.CountMyUnread:
        return notifications.CountMyUnread(self.deps)

    @cached_property
    def mark_read(self) -> notifications.MarkMyNotificationsRead:
        return notifications.MarkMyNotificationsRead(self.deps)

    @cached_property
    def deliver(self) -> notifications.DeliverNotification:
        return notifications.DeliverNotification(self.deps)

    @cached_property
    def publish_read(self) -> notifications.PublishNotificationsRead:
        return notifications.PublishNotificationsRead(self.deps)

    @cached_property
    def purge_old(self) -> notifications.PurgeOldNotifications:
        return notifications.PurgeOldNotifications(self.deps)

    @cached_property
    def my_preferences(self) -> preferences.GetMyPreferences:
        return preferences.GetMyPreferences(self.deps)

    @cached_property
    def change_preferences(self) -> preferences.UpdateMyPreferences:
        return preferences.UpdateMyPreferences(self.deps)

    @cached_property
    def preferred_mail(self) -> preferences.PreferredMail:
        return preferences.PreferredMail(self.deps)

    @cached_property
    def announce(self) -> announcements.PostAnnouncement:
        return announcements.PostAnnouncement(self.deps)

    @cached_property
    def course_announcements(self) -> announcements.ListCourseAnnouncements:
        return announcements.ListCourseAnnouncements(self.deps)

    @cached_property
    def fan_out_announcement(self) -> announcements.FanOutAnnouncement:
        return announcements.FanOutAnnouncement(self.deps)

    @cached_property
    def send_due_emails(self) -> preferences.SendDueEmails:
        return preferences.SendDueEmails(self.deps)

    @cached_property
    def push_key(self) -> push.PushKey:
        return push.PushKey(self.deps)

    @cached_property
    def subscribe_to_push(self) -> push.SubscribeToPush:
        return push.SubscribeToPush(self.deps)

    @cached_property
    def unsubscribe_from_push(self) -> push.UnsubscribeFromPush:
        return push.UnsubscribeFromPush(self.deps)

    @cached_property
    def push_notification(self) -> push.PushNotification:
        return push.PushNotification(self.deps)

    @cached_property
    def send_held_pushes(self) -> push.SendHeldPushes:
        return push.SendHeldPushes(self.deps)

    @cached_property
    def forget_push_of_ended_session(self) -> push.ForgetPushOfEndedSession:
        return push.ForgetPushOfEndedSession(self.deps)


# The notifications module's use cases, as a route parameter: ``notifications: Notifications``.
Notifications: TypeAlias = NamedDependency[NotificationsUseCases]
