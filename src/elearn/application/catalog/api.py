"""What other contexts may call of catalog: this module and nothing else (import-linter says so).

Functions here take the caller's transaction and work on catalog's own stores within it, so a
cross-context step commits or rolls back with the caller's use case.
"""

from __future__ import annotations

from uuid import UUID

from elearn.application.catalog.deps import CatalogDeps, CourseNotFound
from elearn.application.catalog.ports import CatalogUnitOfWork, CourseForSale
from elearn.application.ports import Transaction

__all__ = ["CatalogApi", "CourseForSale", "CourseNotFound"]


def _catalog(uow: Transaction) -> CatalogUnitOfWork:
    """The caller's transaction with this context's stores. (mypy refuses a Protocol where a
    ``type[...]`` is expected; here the class only names the stores, it is never built.)"""
    return uow.as_context(CatalogUnitOfWork)  # type: ignore[type-abstract]


class CatalogApi:
    """The catalog as other contexts see it, built by the composition root from its deps."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    # ---- for billing: courses for sale --------------------------------------------------------
    async def course_for_sale(
        self, uow: Transaction, course_key: UUID | str
    ) -> CourseForSale | None:
        """The course an id (or any slug it has had) names, as far as selling it goes: one query."""
        if isinstance(course_key, str):
            try:
                course_key = UUID(course_key)
            except ValueError:
                pass  # a slug
        return await _catalog(uow).courses.for_sale(course_key)
