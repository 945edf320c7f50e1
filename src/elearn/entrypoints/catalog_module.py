"""The catalog as a module: categories, courses and their review workflow."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from elearn.adapters.catalog_cache import CachedCatalogQueries
from elearn.adapters.mail.rendering import DEFAULT_TEMPLATES_DIR
from elearn.adapters.persistence.catalog_personal_data import CatalogPersonalData
from elearn.adapters.persistence.catalog_repositories import (
    SqlaCategoryRepository,
    SqlaCourseRepository,
    SqlaCourseRevisionRepository,
    SqlaInvitationRepository,
)
from elearn.adapters.persistence.models import catalog as catalog_tables
from elearn.adapters.persistence.unit_of_work import AfterCommit, StoreDeclaration
from elearn.application.catalog.co_instructors import SendInvitationEmail
from elearn.domain.catalog.co_instructors import CoInstructorInvited
from elearn.entrypoints.catalog import CatalogUseCases, build_catalog_deps, catalog_policy
from elearn.entrypoints.module import Module, Subscription

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

    from elearn.entrypoints.bootstrap import Container


def _use_cases(container: Container, options: Mapping[str, Any]) -> CatalogUseCases:
    return CatalogUseCases(build_catalog_deps(container))


def _routes() -> Sequence[ControllerRouterHandler]:
    from elearn.entrypoints.http.catalog.routes import (
        CategoriesController,
        CoursesController,
        ImagesController,
        InvitationsController,
        LessonsController,
        MyCoursesController,
        RevisionsController,
        SectionsController,
        TagsController,
    )

    return (
        CategoriesController,
        TagsController,
        CoursesController,
        SectionsController,
        LessonsController,
        MyCoursesController,
        InvitationsController,
        RevisionsController,
        ImagesController,
    )


def _subscriptions(c: Container) -> dict[str, Subscription]:
    return {
        "catalog.send_invitation_email": Subscription(
            CoInstructorInvited.event_type,
            SendInvitationEmail(c.catalog.deps, c.mailer, c.templates, c.settings.front_end),
        ),
    }


def catalog_cache_of(container: Container) -> CachedCatalogQueries | None:
    """This process's cache of the catalog's public reads, if the settings keep one."""
    queries = container.catalog.deps.queries
    return queries if isinstance(queries, CachedCatalogQueries) else None


def _clear_cache_after_catalog_changes(container: Container) -> AfterCommit | None:
    cache = catalog_cache_of(container)
    if cache is None:
        return None

    def after_commit(stores: Mapping[str, Any]) -> None:
        # A course counts as changed once loaded: its writes are only known at flush.
        if any(
            store is not None and store.touched
            for store in (stores.get("courses"), stores.get("categories"))
        ):
            cache.invalidate()

    return after_commit


MODULE = Module(
    name="catalog",
    use_cases=_use_cases,
    policy=catalog_policy,
    routes=_routes,
    subscriptions=_subscriptions,
    stores=(
        StoreDeclaration("categories", SqlaCategoryRepository),
        StoreDeclaration("invitations", SqlaInvitationRepository),
        StoreDeclaration("revisions", SqlaCourseRevisionRepository),
        # Flushes the whole session in table order: every other store writes back before it.
        StoreDeclaration("courses", SqlaCourseRepository, flush_last=True),
    ),
    after_commit=_clear_cache_after_catalog_changes,
    constraint_errors=catalog_tables.CONSTRAINT_ERRORS,
    personal_data=lambda c: CatalogPersonalData(c.clock),
    tables=catalog_tables,
    mail_templates=DEFAULT_TEMPLATES_DIR / "catalog",
)
