"""Reporting as a module: staff reports built in the background over what every other module
declares it can report on (``Module.report_sources``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from elearn.adapters.jobs.scheduler import PeriodicJob
from elearn.adapters.persistence.models import reporting as reporting_tables
from elearn.adapters.persistence.reporting_repositories import SqlaReportingStore
from elearn.adapters.persistence.unit_of_work import StoreDeclaration
from elearn.domain.reporting.reports import ReportRequested
from elearn.entrypoints.module import Module, Subscription
from elearn.entrypoints.reporting import ReportingUseCases, build_reporting_deps, reporting_policy

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

    from elearn.entrypoints.bootstrap import Container


def _use_cases(container: Container, options: Mapping[str, Any]) -> ReportingUseCases:
    return ReportingUseCases(build_reporting_deps(container))


def _routes() -> Sequence[ControllerRouterHandler]:
    from elearn.entrypoints.http.reporting.routes import REPORTING_CONTROLLERS

    return REPORTING_CONTROLLERS


def _subscriptions(c: Container) -> dict[str, Subscription]:
    return {
        "reporting.build_report": Subscription(ReportRequested.event_type, c.reporting.build_report)
    }


def _periodic_jobs(c: Container) -> Iterable[PeriodicJob]:
    return (
        PeriodicJob(
            "reporting.purge_expired_reports",
            timedelta(hours=1),
            c.reporting.purge_expired_reports,
        ),
    )


MODULE = Module(
    name="reporting",
    use_cases=_use_cases,
    policy=reporting_policy,
    routes=_routes,
    subscriptions=_subscriptions,
    periodic_jobs=_periodic_jobs,
    stores=(StoreDeclaration("reporting", SqlaReportingStore, trackers=lambda s: s.tracking),),
    constraint_errors=reporting_tables.CONSTRAINT_ERRORS,
    tables=reporting_tables,
)
