"""What other contexts may call of catalog: this module and nothing else (import-linter says so).

Functions here take the caller's transaction and work on catalog's own stores within it, so a
cross-context step commits or rolls back with the caller's use case.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import NoReturn
from uuid import UUID

from elearn.application.actor import Actor
from elearn.application.catalog.deps import CatalogDeps, CourseNotFound
from elearn.application.catalog.ports import (
    CatalogUnitOfWork,
    CourseFacts,
    CourseForSale,
    LessonInCourse,
    OutlineEntry,
)
from elearn.application.ports import Transaction
from elearn.domain.catalog.course import FILE_KINDS, Lesson, LessonKind

__all__ = [
    "FILE_KINDS",
    "CatalogApi",
    "CourseFacts",
    "CourseForSale",
    "CourseNotFound",
    "Lesson",
    "LessonInCourse",
    "LessonKind",
    "OutlineEntry",
]


def _catalog(uow: Transaction) -> CatalogUnitOfWork:
    """The caller's transaction with this context's stores. (mypy refuses a Protocol where a
    ``type[...]`` is expected; here the class only names the stores, it is never built.)"""
    return uow.as_context(CatalogUnitOfWork)  # type: ignore[type-abstract]


class CatalogApi:
    """The catalog as other contexts see it, built by the composition root from its deps."""

    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps

    # ---- for learning: courses and lessons as the places students learn in -----------------
    async def course_id(self, key: UUID | str) -> UUID:
        """The course an id or any slug it has had names."""
        return await self._deps.course_id(key)

    async def course_facts(self, uow: Transaction, course_id: UUID) -> CourseFacts | None:
        return await _catalog(uow).courses.course_facts(course_id)

    async def teaches_any(
        self, uow: Transaction, user_id: UUID, course_ids: Collection[UUID]
    ) -> bool:
        """Whether the user is an instructor of any of the courses (communication: who may
        talk)."""
        return await _catalog(uow).courses.teaches_any(user_id, course_ids)

    async def lesson_in_course(self, uow: Transaction, lesson_id: UUID) -> LessonInCourse | None:
        return await _catalog(uow).courses.lesson_in_course(lesson_id)

    async def outline(self, uow: Transaction, course_id: UUID) -> list[OutlineEntry]:
        """The course's lessons in order, with whether each counts towards progress."""
        return await _catalog(uow).courses.outline(course_id)

    async def lesson_to_edit(
        self, uow: Transaction, actor: Actor, lesson_id: UUID
    ) -> LessonInCourse | None:
        """The lesson, its course locked, for one of the course's instructors to change what
        another context keeps for it (its quiz, its assignment): an edit of the course, which
        leaves review states as an edit in the catalog does."""
        catalog = _catalog(uow)
        course = await catalog.courses.get_by_lesson(lesson_id, for_update=True)
        if course is None:
            return None
        # What learning keeps of a lesson (its quiz, its assignment) has no revision of its own.
        await self._deps.course_to_edit(catalog, actor, course, staged=False)
        return LessonInCourse.of(course, lesson_id)

    async def deny(self, actor: Actor, course: CourseFacts, message: str) -> NoReturn:
        """Refuses an actor who may not act on ``course``: who cannot even see it is told it
        does not exist."""
        await self._deps.deny(actor, course, message)

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
