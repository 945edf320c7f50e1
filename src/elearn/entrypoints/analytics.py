"""Analytics' part of the composition root: its deps and use cases."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, TypeAlias

from litestar.di import NamedDependency

from elearn.adapters.persistence.analytics_institutions import SqlaInstitutionMixQueries
from elearn.adapters.persistence.analytics_rollups import (
    SqlaAnalyticsQueries,
    SqlaQuizAnswerStore,
    SqlaRollupKeeper,
    SqlaRollupReader,
    SqlaSightingStore,
)
from elearn.application.analytics import dashboards, live, rollups
from elearn.application.analytics.activity import SightingRecorder
from elearn.application.analytics.dashboards import AnalyticsDeps, AnalyticsPolicy
from elearn.application.analytics.institutions import GetInstitutionMix
from elearn.application.billing.api import BillingApi
from elearn.application.caching import SingleFlightCache
from elearn.application.identity.api import IdentityApi
from elearn.application.tutoring.api import TutoringApi
from elearn.domain.analytics.metrics import Family
from elearn.entrypoints.settings import Settings

if TYPE_CHECKING:
    from elearn.entrypoints.bootstrap import Container


def analytics_policy(settings: Settings) -> AnalyticsPolicy:
    return AnalyticsPolicy(default_currency=settings.default_currency)


def build_analytics_deps(container: Container) -> AnalyticsDeps:
    return AnalyticsDeps(
        uow=container.uow,
        clock=container.clock,
        rollups=SqlaRollupReader(container.sessions),
        queries=SqlaAnalyticsQueries(container.sessions),
        identity=IdentityApi(container.identity.deps),
        billing=BillingApi(container.billing.deps),
        tutoring=TutoringApi(container.tutoring.deps),
        authorizer=container.authorizer,
        policy=analytics_policy(container.settings),
        answers=SingleFlightCache(
            ttl_seconds=container.settings.analytics_cache_seconds, serve_stale=True
        ),
    )


class AnalyticsUseCases:
    def __init__(self, deps: AnalyticsDeps, container: Container) -> None:
        self.deps = deps
        self.keeper = rollups.ForgettingDashboards(
            SqlaRollupKeeper(container.sessions), deps.answers
        )
        self._container = container

    # ---- dashboards ------------------------------------------------------------------------
    @cached_property
    def institution_mix(self) -> GetInstitutionMix:
        return GetInstitutionMix(
            self.deps.queries,
            SqlaInstitutionMixQueries(self._container.sessions),
            self.deps.authorizer,
        )

    @cached_property
    def student_dashboard(self) -> dashboards.GetStudentDashboard:
        return dashboards.GetStudentDashboard(self.deps)

    @cached_property
    def instructor_dashboard(self) -> dashboards.GetInstructorDashboard:
        return dashboards.GetInstructorDashboard(self.deps)

    @cached_property
    def platform_dashboard(self) -> dashboards.GetPlatformDashboard:
        return dashboards.GetPlatformDashboard(self.deps)

    @cached_property
    def my_dashboard(self) -> dashboards.GetMyDashboard:
        return dashboards.GetMyDashboard(
            self.student_dashboard, self.instructor_dashboard, self.platform_dashboard
        )

    # ---- keeping the rollups ---------------------------------------------------------------
    @cached_property
    def recount_learning(self) -> rollups.RecountEventSlot:
        return rollups.RecountEventSlot(self.keeper, (Family.LEARNING,))

    @cached_property
    def recount_identity(self) -> rollups.RecountEventSlot:
        return rollups.RecountEventSlot(self.keeper, (Family.IDENTITY,))

    @cached_property
    def recount_ledger(self) -> rollups.RecountEventSlot:
        return rollups.RecountEventSlot(self.keeper, (Family.LEDGER,))

    @cached_property
    def recount_tutoring(self) -> rollups.RecountEventSlot:
        return rollups.RecountEventSlot(self.keeper, (Family.TUTORING,))

    @cached_property
    def recount_support(self) -> rollups.RecountEventSlot:
        return rollups.RecountEventSlot(self.keeper, (Family.SUPPORT,))

    @cached_property
    def recount_quizzes(self) -> rollups.RecountEventSlot:
        return rollups.RecountEventSlot(self.keeper, (Family.QUIZZES,))

    @cached_property
    def recount_catalog(self) -> rollups.RecountEventSlot:
        return rollups.RecountEventSlot(self.keeper, (Family.CATALOG,))

    @cached_property
    def count_quiz_answers(self) -> rollups.CountQuizAnswers:
        return rollups.CountQuizAnswers(
            SqlaQuizAnswerStore(self._container.sessions), self.recount_quizzes
        )

    @cached_property
    def refresh_recent(self) -> rollups.RefreshRecentRollups:
        return rollups.RefreshRecentRollups(self.keeper, self.deps.clock)

    @cached_property
    def rebuild(self) -> rollups.RebuildRollups:
        return rollups.RebuildRollups(self.keeper, self.deps.clock)

    # ---- activity and course views ---------------------------------------------------------
    @cached_property
    def sightings(self) -> SightingRecorder:
        return SightingRecorder(
            SqlaSightingStore(self._container.sessions), self.keeper, self.deps.clock
        )

    # ---- live ------------------------------------------------------------------------------
    @cached_property
    def publish_kpis(self) -> live.PublishPlatformKpis:
        return live.PublishPlatformKpis(self.deps, self._container.realtime)


# Analytics' use cases, as a route parameter: ``analytics: Analytics``.
Analytics: TypeAlias = NamedDependency[AnalyticsUseCases]
