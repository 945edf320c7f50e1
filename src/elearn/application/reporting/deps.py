"""Everything reporting use cases depend on, wired once by the composition root.

``sources`` is every registered context's declaration of the reports it can give, by kind:
reporting names no context."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from elearn.application.audit import Audits
from elearn.application.authorization import Authorizer
from elearn.application.files import FileStorage
from elearn.application.ports import Clock, IdGenerator, TransactionFactory
from elearn.application.report_sources import ReportSource
from elearn.application.reporting.ports import (
    ReportFileWriters,
    ReportingPolicy,
    ReportingQueries,
    ReportingUnitOfWork,
    ReportLinks,
)


@dataclass(frozen=True, kw_only=True)
class ReportingDeps(Audits):
    uow: TransactionFactory[ReportingUnitOfWork]
    clock: Clock
    ids: IdGenerator
    storage: FileStorage
    queries: ReportingQueries
    sources: Mapping[str, ReportSource]
    writers: ReportFileWriters
    links: ReportLinks
    authorizer: Authorizer
    policy: ReportingPolicy

    @property
    def keep_for(self) -> timedelta:
        return timedelta(days=self.policy.keep_days)
