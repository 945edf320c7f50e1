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


class CatalogApi:
    """The catalog's facade for other contexts, built by the composition root."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    # ---- selling courses (billing) ------------------------------------------------------------
    async def course_for_sale(
        self, transaction: Transaction, course_key: UUID | str
    ) -> CourseForSale | None:
        """The course an id (or any slug it has had) names, as far as selling it goes."""
        if isinstance(course_key, str):
            try:
                course_key = UUID(course_key)
            except ValueError:
                pass  # a slug
        return await transaction.as_context(CatalogUnitOfWork).courses.for_sale(course_key)
