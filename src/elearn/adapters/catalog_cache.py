"""A short-lived, in-process cache of the catalog's public reads: the hottest path of the
platform answers the same few pages to everyone.

Entries live ``ttl_seconds`` (a second by default). A change committed in this process clears
the cache at once (``invalidate``, called by the unit of work), so an author always reads their
own writes; another API process sees the change within the TTL. Only what is the same for every
viewer is cached: catalog pages, course details before the viewer's visibility is applied,
categories and tags. An instructor's own list and the review history are never cached.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar
from uuid import UUID

from elearn.application.caching import SingleFlightCache
from elearn.application.catalog.ports import (
    CatalogQueries,
    CategoryView,
    CourseCard,
    CourseDetail,
    CourseFilter,
    CourseSort,
    CourseStatusCounts,
    InvitationView,
    OwnCourseCard,
    RevisionCard,
    StaffCourseCard,
    TagCount,
    TransitionView,
)
from elearn.application.paging import Page
from elearn.domain.catalog.co_instructors import InvitationStatus
from elearn.domain.catalog.course import CourseStatus
from elearn.domain.catalog.revision import RevisionStatus

T = TypeVar("T")


class CachedCatalogQueries:
    def __init__(
        self,
        queries: CatalogQueries,
        *,
        ttl_seconds: float,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._queries = queries
        self._answers = SingleFlightCache(
            ttl_seconds=ttl_seconds, max_entries=max_entries, clock=clock
        )

    def invalidate(self) -> None:
        self._answers.invalidate()

    async def _cached(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        return await self._answers.get(key, load)

    # ---- cached -------------------------------------------------------------------------------
    async def published_courses(
        self, filters: CourseFilter, sort: CourseSort, *, limit: int, cursor: str | None
    ) -> Page[CourseCard]:
        return await self._cached(
            ("page", filters, sort, limit, cursor),
            lambda: self._queries.published_courses(filters, sort, limit=limit, cursor=cursor),
        )

    async def course_detail(self, key: UUID | str) -> CourseDetail | None:
        return await self._cached(("detail", key), lambda: self._queries.course_detail(key))

    async def categories(self) -> list[CategoryView]:
        return await self._cached(("categories",), self._queries.categories)

    async def tags(self, *, prefix: str | None, limit: int) -> list[TagCount]:
        return await self._cached(
            ("tags", prefix, limit), lambda: self._queries.tags(prefix=prefix, limit=limit)
        )

    async def course_id_for_slug(self, slug: str) -> UUID | None:
        return await self._cached(("slug", slug), lambda: self._queries.course_id_for_slug(slug))

    # ---- per viewer or per author: never cached -----------------------------------------------
    async def instructor_courses(
        self, user_id: UUID, status: CourseStatus | None, *, limit: int, cursor: str | None
    ) -> Page[OwnCourseCard]:
        return await self._queries.instructor_courses(user_id, status, limit=limit, cursor=cursor)

    async def course_history(self, course_id: UUID) -> list[TransitionView]:
        return await self._queries.course_history(course_id)

    async def staff_courses(
        self,
        status: CourseStatus | None,
        instructor_id: UUID | None,
        *,
        limit: int,
        cursor: str | None,
    ) -> Page[StaffCourseCard]:
        return await self._queries.staff_courses(status, instructor_id, limit=limit, cursor=cursor)

    async def course_status_counts(self) -> CourseStatusCounts:
        return await self._queries.course_status_counts()

    async def invitation(self, invitation_id: UUID) -> InvitationView | None:
        return await self._queries.invitation(invitation_id)

    async def invitations(
        self,
        *,
        course_id: UUID | None = None,
        invitee_id: UUID | None = None,
        status: InvitationStatus | None = None,
        limit: int,
        cursor: str | None,
    ) -> Page[InvitationView]:
        return await self._queries.invitations(
            course_id=course_id, invitee_id=invitee_id, status=status, limit=limit, cursor=cursor
        )

    async def revisions(
        self, status: RevisionStatus | None, *, limit: int, cursor: str | None
    ) -> Page[RevisionCard]:
        return await self._queries.revisions(status, limit=limit, cursor=cursor)
