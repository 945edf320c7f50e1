"""Learning as a module: enrollments, progress, quizzes, assignments, certificates, reviews."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from elearn.adapters.mail.rendering import DEFAULT_TEMPLATES_DIR
from elearn.adapters.persistence.learning_personal_data import LearningPersonalData
from elearn.adapters.persistence.learning_reports import learning_reports
from elearn.adapters.persistence.learning_repositories import SqlaLearningStore
from elearn.adapters.persistence.models import learning as learning_tables
from elearn.adapters.persistence.unit_of_work import AfterCommit, StoreDeclaration
from elearn.application.learning.assignments import SendGradeEmail
from elearn.domain.learning.assignment import AssignmentGraded
from elearn.domain.learning.enrollment import EnrollmentCompleted
from elearn.entrypoints.catalog_module import catalog_cache_of
from elearn.entrypoints.learning import LearningUseCases, build_learning_deps, learning_policy
from elearn.entrypoints.module import Module, Subscription

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

    from elearn.entrypoints.bootstrap import Container


def _use_cases(container: Container, options: Mapping[str, Any]) -> LearningUseCases:
    return LearningUseCases(build_learning_deps(container))


def _routes() -> Sequence[ControllerRouterHandler]:
    from elearn.entrypoints.http.learning.routes import LEARNING_CONTROLLERS

    return LEARNING_CONTROLLERS


def _subscriptions(c: Container) -> dict[str, Subscription]:
    return {
        "learning.issue_certificate": Subscription(
            EnrollmentCompleted.event_type, c.learning.issue_certificate
        ),
        "learning.send_grade_email": Subscription(
            AssignmentGraded.event_type,
            SendGradeEmail(c.learning.deps, c.personal_mailer(), c.templates),
        ),
    }


def _clear_catalog_cache_after_new_counts(container: Container) -> AfterCommit | None:
    # Enrollment counts and ratings are shown on the catalog's cached pages.
    cache = catalog_cache_of(container)
    if cache is None:
        return None

    def after_commit(stores: Mapping[str, Any]) -> None:
        learning = stores.get("learning")
        if learning is not None and learning.changed_courses:
            cache.invalidate()

    return after_commit


MODULE = Module(
    name="learning",
    use_cases=_use_cases,
    policy=learning_policy,
    routes=_routes,
    subscriptions=_subscriptions,
    stores=(StoreDeclaration("learning", SqlaLearningStore, trackers=lambda s: s.tracking),),
    after_commit=_clear_catalog_cache_after_new_counts,
    constraint_errors=learning_tables.CONSTRAINT_ERRORS,
    personal_data=lambda c: LearningPersonalData(),
    report_sources=lambda c: learning_reports(),
    tables=learning_tables,
    mail_templates=DEFAULT_TEMPLATES_DIR / "learning",
)
