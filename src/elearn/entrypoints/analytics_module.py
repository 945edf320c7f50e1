"""Analytics as a module: dashboards per role from rollups that outbox handlers and a periodic
job keep, activity and course views buffered off the request path, live counters for staff."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from elearn.adapters.jobs.scheduler import PeriodicJob
from elearn.adapters.persistence.models import analytics as analytics_tables
from elearn.application.actor import Actor
from elearn.application.realtime import SocketMessageHandler, SocketReply
from elearn.domain.billing.order import OrderPaid
from elearn.domain.catalog.course import CourseApproved, CourseRejected
from elearn.domain.identity.user import TutorApplicationDecided, UserRegistered
from elearn.domain.learning.enrollment import EnrollmentCompleted, EnrollmentStarted
from elearn.domain.learning.quiz import QuizSubmitted
from elearn.domain.support.tickets import SlaBreached, TicketOpened
from elearn.domain.tutoring.booking import BookingCancelled, BookingConfirmed
from elearn.entrypoints.analytics import (
    AnalyticsUseCases,
    analytics_policy,
    build_analytics_deps,
)
from elearn.entrypoints.module import Module, Subscription

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

    from elearn.entrypoints.bootstrap import Container


def _use_cases(container: Container, options: Mapping[str, Any]) -> AnalyticsUseCases:
    return AnalyticsUseCases(build_analytics_deps(container), container)


def _routes() -> Sequence[ControllerRouterHandler]:
    from elearn.entrypoints.http.analytics.institution_routes import InstitutionMixController
    from elearn.entrypoints.http.analytics.routes import ANALYTICS_CONTROLLERS

    return (*ANALYTICS_CONTROLLERS, InstitutionMixController)


def _subscriptions(c: Container) -> dict[str, Subscription]:
    a = c.analytics
    return {
        "analytics.count_enrollment": Subscription(
            EnrollmentStarted.event_type, a.recount_learning
        ),
        "analytics.count_completion": Subscription(
            EnrollmentCompleted.event_type, a.recount_learning
        ),
        "analytics.count_signup": Subscription(UserRegistered.event_type, a.recount_identity),
        # A sale moves the money figures at once; refunds and payouts announce nothing, the
        # periodic refresh finds them within a minute.
        "analytics.count_sale": Subscription(OrderPaid.event_type, a.recount_ledger),
        "analytics.count_tutor_decision": Subscription(
            TutorApplicationDecided.event_type, a.recount_identity
        ),
        "analytics.count_booking": Subscription(BookingConfirmed.event_type, a.recount_tutoring),
        "analytics.count_cancellation": Subscription(
            BookingCancelled.event_type, a.recount_tutoring
        ),
        "analytics.count_ticket": Subscription(TicketOpened.event_type, a.recount_support),
        "analytics.count_sla_breach": Subscription(SlaBreached.event_type, a.recount_support),
        # Whether each question was right, kept once, then the quiz figures recounted.
        "analytics.count_quiz": Subscription(QuizSubmitted.event_type, a.count_quiz_answers),
        "analytics.count_course_approval": Subscription(
            CourseApproved.event_type, a.recount_catalog
        ),
        "analytics.count_course_rejection": Subscription(
            CourseRejected.event_type, a.recount_catalog
        ),
        # Study time announces no event (a progress report is too frequent for one each): the
        # periodic refresh recounts the last half hour, which holds every report's quarter hour.
    }


def _periodic_jobs(c: Container) -> Iterable[PeriodicJob]:
    async def refresh() -> None:
        await c.analytics.refresh_recent()
        await c.analytics.publish_kpis()

    return (PeriodicJob("analytics.refresh_recent", timedelta(minutes=1), refresh),)


def _socket_messages(c: Container) -> dict[str, SocketMessageHandler]:
    async def kpis(actor: Actor, message: Mapping[str, object]) -> SocketReply:
        """``{type: "platform.kpis"}``: today's counters now (staff); they then follow as
        ``platform.kpis`` events whenever they move."""
        return await c.analytics.publish_kpis.snapshot(actor)

    return {"platform.kpis": kpis}


async def _close(use_cases: AnalyticsUseCases) -> None:
    # What this process buffered of activity and course views is written before it exits.
    await use_cases.sightings.flush()


MODULE = Module(
    name="analytics",
    use_cases=_use_cases,
    policy=analytics_policy,
    routes=_routes,
    subscriptions=_subscriptions,
    socket_messages=_socket_messages,
    periodic_jobs=_periodic_jobs,
    constraint_errors=analytics_tables.CONSTRAINT_ERRORS,
    tables=analytics_tables,
    close=_close,
)
