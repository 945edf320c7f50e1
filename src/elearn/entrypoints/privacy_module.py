"""Privacy as a module: a person's data exported and erased, over what every other module
declares it holds about them (``Module.personal_data``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from elearn.adapters.jobs.scheduler import PeriodicJob
from elearn.adapters.mail.rendering import DEFAULT_TEMPLATES_DIR
from elearn.adapters.persistence.models import privacy as privacy_tables
from elearn.adapters.persistence.privacy_repositories import SqlaPrivacyStore
from elearn.adapters.persistence.unit_of_work import StoreDeclaration
from elearn.domain.privacy.requests import DataExportReady, DataExportRequested
from elearn.entrypoints.module import Module, Subscription
from elearn.entrypoints.privacy import PrivacyUseCases, build_privacy_deps, privacy_policy

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

    from elearn.entrypoints.bootstrap import Container


def _use_cases(container: Container, options: Mapping[str, Any]) -> PrivacyUseCases:
    return PrivacyUseCases(build_privacy_deps(container))


def _routes() -> Sequence[ControllerRouterHandler]:
    from elearn.entrypoints.http.privacy.routes import PRIVACY_CONTROLLERS

    return PRIVACY_CONTROLLERS


def _subscriptions(c: Container) -> dict[str, Subscription]:
    return {
        "privacy.build_data_export": Subscription(
            DataExportRequested.event_type, c.privacy.build_export
        ),
        "privacy.send_export_ready_email": Subscription(
            DataExportReady.event_type, c.privacy.send_export_ready_email
        ),
    }


def _periodic_jobs(c: Container) -> Iterable[PeriodicJob]:
    return (
        PeriodicJob("privacy.erase_due_people", timedelta(hours=1), c.privacy.erase_due_people),
        PeriodicJob(
            "privacy.purge_expired_exports", timedelta(hours=1), c.privacy.purge_expired_exports
        ),
    )


MODULE = Module(
    name="privacy",
    use_cases=_use_cases,
    policy=privacy_policy,
    routes=_routes,
    subscriptions=_subscriptions,
    periodic_jobs=_periodic_jobs,
    stores=(StoreDeclaration("privacy", SqlaPrivacyStore, trackers=lambda s: s.tracking),),
    constraint_errors=privacy_tables.CONSTRAINT_ERRORS,
    tables=privacy_tables,
    mail_templates=DEFAULT_TEMPLATES_DIR / "privacy",
)
