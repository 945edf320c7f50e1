"""Tutoring as a module: availability, bookings and what happens around a lesson."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from elearn.adapters.jobs.scheduler import PeriodicJob
from elearn.adapters.mail.rendering import DEFAULT_TEMPLATES_DIR
from elearn.adapters.persistence.models import tutoring as tutoring_tables
from elearn.adapters.persistence.tutoring_personal_data import TutoringPersonalData
from elearn.adapters.persistence.tutoring_reports import tutoring_reports
from elearn.adapters.persistence.tutoring_repositories import SqlaTutoringStore
from elearn.adapters.persistence.unit_of_work import StoreDeclaration
from elearn.application.tutoring.engagement import SendBookingEmails
from elearn.domain.tutoring.booking import (
    BookingCancelled,
    BookingConfirmed,
    BookingReminderDue,
    BookingRescheduled,
)
from elearn.entrypoints.module import Module, Subscription
from elearn.entrypoints.tutoring import TutoringUseCases, build_tutoring_deps, tutoring_policy

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

    from elearn.entrypoints.bootstrap import Container


def _use_cases(container: Container, options: Mapping[str, Any]) -> TutoringUseCases:
    return TutoringUseCases(build_tutoring_deps(container))


def _routes() -> Sequence[ControllerRouterHandler]:
    from elearn.entrypoints.http.tutoring.routes import TUTORING_CONTROLLERS

    return TUTORING_CONTROLLERS


def _subscriptions(c: Container) -> dict[str, Subscription]:
    return {
        f"tutoring.email_{event.event_type.rsplit('.', 1)[1]}": Subscription(
            event.event_type, SendBookingEmails(c.tutoring.deps, c.personal_mailer(), c.templates)
        )
        for event in (BookingConfirmed, BookingRescheduled, BookingCancelled, BookingReminderDue)
    }


def _periodic_jobs(c: Container) -> Iterable[PeriodicJob]:
    tutoring = c.tutoring
    return (
        PeriodicJob(
            "tutoring.release_expired_holds", timedelta(minutes=1), tutoring.release_expired_holds
        ),
        PeriodicJob(
            "tutoring.send_due_reminders", timedelta(minutes=1), tutoring.send_due_reminders
        ),
        PeriodicJob(
            "tutoring.complete_finished_lessons",
            timedelta(minutes=15),
            tutoring.complete_finished_lessons,
        ),
    )


MODULE = Module(
    name="tutoring",
    use_cases=_use_cases,
    policy=tutoring_policy,
    routes=_routes,
    subscriptions=_subscriptions,
    periodic_jobs=_periodic_jobs,
    stores=(StoreDeclaration("tutoring", SqlaTutoringStore, trackers=lambda s: s.tracking),),
    constraint_errors=tutoring_tables.CONSTRAINT_ERRORS,
    personal_data=lambda c: TutoringPersonalData(),
    report_sources=lambda c: tutoring_reports(),
    tables=tutoring_tables,
    mail_templates=DEFAULT_TEMPLATES_DIR / "tutoring",
)
