"""Notifications as a module (of the communication context): the notification center, made
from the other contexts' events, with preferences, quiet hours and email digests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from elearn.adapters.jobs.scheduler import PeriodicJob
from elearn.adapters.mail.rendering import DEFAULT_TEMPLATES_DIR
from elearn.adapters.persistence.models import notifications as notification_tables
from elearn.adapters.persistence.notifications_personal_data import NotificationsPersonalData
from elearn.adapters.persistence.notifications_repositories import SqlaNotificationsStore
from elearn.adapters.persistence.unit_of_work import StoreDeclaration
from elearn.application.communication.notification_sources import SOURCES, NotifyOfEvent
from elearn.application.identity.api import SessionRevoked
from elearn.application.mail import PersonalMailer
from elearn.domain.communication.announcements import AnnouncementPosted
from elearn.domain.communication.notifications import NotificationCreated, NotificationsRead
from elearn.entrypoints.module import Module, Subscription
from elearn.entrypoints.notifications import (
    NotificationsUseCases,
    build_notifications_deps,
    notifications_policy,
)

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

    from elearn.entrypoints.bootstrap import Container


def _use_cases(container: Container, options: Mapping[str, Any]) -> NotificationsUseCases:
    return NotificationsUseCases(build_notifications_deps(container))


def _routes() -> Sequence[ControllerRouterHandler]:
    from elearn.entrypoints.http.notifications.announcement_routes import (
        ANNOUNCEMENT_CONTROLLERS,
    )
    from elearn.entrypoints.http.notifications.push_routes import PUSH_CONTROLLERS
    from elearn.entrypoints.http.notifications.routes import NOTIFICATION_CONTROLLERS

    return [*NOTIFICATION_CONTROLLERS, *ANNOUNCEMENT_CONTROLLERS, *PUSH_CONTROLLERS]


def _subscriptions(c: Container) -> dict[str, Subscription]:
    deps = c.notifications.deps
    made_from_events = {
        # "notifications.of_tutoring.booking_confirmed", ...: one handler per event type, named
        # by the whole type (two contexts may name an event alike: message_posted).
        f"notifications.of_{event.event_type}": Subscription(
            event.event_type, NotifyOfEvent(deps, drafts_of)
        )
        for event, drafts_of in SOURCES.items()
    }
    return {
        **made_from_events,
        "notifications.deliver": Subscription(
            NotificationCreated.event_type, c.notifications.deliver
        ),
        "notifications.push": Subscription(
            NotificationCreated.event_type, c.notifications.push_notification
        ),
        "notifications.forget_push_of_ended_session": Subscription(
            SessionRevoked.event_type, c.notifications.forget_push_of_ended_session
        ),
        "notifications.publish_read": Subscription(
            NotificationsRead.event_type, c.notifications.publish_read
        ),
        "notifications.fan_out_announcement": Subscription(
            AnnouncementPosted.event_type, c.notifications.fan_out_announcement
        ),
    }


def _periodic_jobs(c: Container) -> Iterable[PeriodicJob]:
    return (
        PeriodicJob(
            "notifications.send_due_emails", timedelta(minutes=1), c.notifications.send_due_emails
        ),
        PeriodicJob("notifications.purge_old", timedelta(hours=6), c.notifications.purge_old),
        PeriodicJob(
            "notifications.send_held_pushes",
            timedelta(minutes=1),
            c.notifications.send_held_pushes,
        ),
    )


async def _close(use_cases: NotificationsUseCases) -> None:
    await use_cases.deps.push.close()


def _mail_preferences(c: Container) -> PersonalMailer:
    mailer: PersonalMailer = c.notifications.preferred_mail
    return mailer


MODULE = Module(
    name="notifications",
    use_cases=_use_cases,
    policy=notifications_policy,
    routes=_routes,
    subscriptions=_subscriptions,
    periodic_jobs=_periodic_jobs,
    stores=(
        StoreDeclaration("notifications", SqlaNotificationsStore, trackers=lambda s: s.tracking),
    ),
    constraint_errors=notification_tables.CONSTRAINT_ERRORS,
    tables=notification_tables,
    mail_templates=DEFAULT_TEMPLATES_DIR / "notifications",
    mail_preferences=_mail_preferences,
    personal_data=lambda c: NotificationsPersonalData(),
    close=_close,
)
