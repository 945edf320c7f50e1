"""Reporting's part of the composition root: its policy from settings, every registered
module's report sources, and its use cases."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, TypeAlias

from litestar.di import NamedDependency

from elearn.adapters.persistence.reporting_repositories import SqlaReportingQueries
from elearn.adapters.reporting.pdf_writer import ReportWriters
from elearn.adapters.security.report_links import HmacReportLinks
from elearn.application.reporting import reports
from elearn.application.reporting.deps import ReportingDeps
from elearn.application.reporting.ports import ReportingPolicy
from elearn.entrypoints.settings import Settings

if TYPE_CHECKING:
    from elearn.entrypoints.bootstrap import Container


def reporting_policy(settings: Settings) -> ReportingPolicy:
    return ReportingPolicy(
        keep_days=settings.report_keep_days, link_seconds=settings.media_url_seconds
    )


def build_reporting_deps(container: Container) -> ReportingDeps:
    policy = reporting_policy(container.settings)
    return ReportingDeps(
        uow=container.uow,
        clock=container.clock,
        ids=container.ids,
        storage=container.storage,
        queries=SqlaReportingQueries(container.sessions),
        # Every module's declared reports, by kind: a context added later joins by declaring.
        sources={
            kind: source
            for module in container.modules
            if module.report_sources is not None
            for kind, source in module.report_sources(container).items()
        },
        writers=ReportWriters(pdf_max_rows=policy.pdf_max_rows),
        links=HmacReportLinks(
            container.settings.media_signing_key or container.settings.jwt_secret
        ),
        authorizer=container.authorizer,
        policy=policy,
    )


class ReportingUseCases:
    def __init__(self, deps: ReportingDeps) -> None:
        self.deps = deps

    @cached_property
    def request_report(self) -> reports.RequestReport:
        return reports.RequestReport(self.deps)

    @cached_property
    def get_report(self) -> reports.GetReport:
        return reports.GetReport(self.deps)

    @cached_property
    def list_reports(self) -> reports.ListReports:
        return reports.ListReports(self.deps)

    @cached_property
    def open_report_file(self) -> reports.OpenReportFile:
        return reports.OpenReportFile(self.deps)

    @cached_property
    def build_report(self) -> reports.BuildReport:
        return reports.BuildReport(self.deps)

    @cached_property
    def purge_expired_reports(self) -> reports.PurgeExpiredReports:
        return reports.PurgeExpiredReports(self.deps)


# Reporting's use cases, as a route parameter: ``reporting: Reporting``.
Reporting: TypeAlias = NamedDependency[ReportingUseCases]
