"""The catalog cache serves repeated public reads from memory for its TTL, forgets everything
when told the catalog changed, and never caches what depends on the viewer."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from elearn.adapters.catalog_cache import CachedCatalogQueries
from elearn.application.catalog.ports import CourseFilter, CourseSort
from elearn.application.paging import Page


class CountingQueries:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    async def published_courses(
        self, filters: CourseFilter, sort: CourseSort, *, limit: int, cursor: str | None
    ) -> Page[Any]:
        self.calls.append(("page", (filters, sort, limit, cursor)))
        return Page(items=[len(self.calls)], next_cursor=None)

    async def course_detail(self, key: UUID | str) -> Any:
        self.calls.append(("detail", key))
        return {"key": key, "call": len(self.calls)}

    async def instructor_courses(self, user_id: UUID, status: Any, **kw: Any) -> Page[Any]:
        self.calls.append(("mine", user_id))
        return Page(items=[], next_cursor=None)


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def cached(ttl: float = 1.0) -> tuple[CachedCatalogQueries, CountingQueries, FakeTime]:
    inner, time = CountingQueries(), FakeTime()
    return CachedCatalogQueries(inner, ttl_seconds=ttl, clock=time), inner, time  # type: ignore[arg-type]


async def test_a_repeated_page_is_served_from_memory_until_the_ttl_passes() -> None:
    cache, inner, time = cached(ttl=1.0)
    first = await cache.published_courses(CourseFilter(), CourseSort.NEWEST, limit=20, cursor=None)
    time.now += 0.999
    again = await cache.published_courses(CourseFilter(), CourseSort.NEWEST, limit=20, cursor=None)
    assert again is first and len(inner.calls) == 1
    time.now += 0.001
    await cache.published_courses(CourseFilter(), CourseSort.NEWEST, limit=20, cursor=None)
    assert len(inner.calls) == 2


async def test_different_filters_sorts_sizes_and_cursors_are_different_entries() -> None:
    cache, inner, _ = cached()
    for filters, sort, limit, cursor in [
        (CourseFilter(), CourseSort.NEWEST, 20, None),
        (CourseFilter(q="python"), CourseSort.NEWEST, 20, None),
        (CourseFilter(), CourseSort.POPULAR, 20, None),
        (CourseFilter(), CourseSort.NEWEST, 10, None),
        (CourseFilter(), CourseSort.NEWEST, 20, "abc"),
    ]:
        await cache.published_courses(filters, sort, limit=limit, cursor=cursor)
    assert len(inner.calls) == 5


async def test_invalidate_forgets_every_entry() -> None:
    cache, inner, _ = cached(ttl=60)
    course_id = uuid4()
    await cache.course_detail(course_id)
    await cache.published_courses(CourseFilter(), CourseSort.NEWEST, limit=20, cursor=None)
    cache.invalidate()
    await cache.course_detail(course_id)
    await cache.published_courses(CourseFilter(), CourseSort.NEWEST, limit=20, cursor=None)
    assert [kind for kind, _ in inner.calls] == ["detail", "page", "detail", "page"]


async def test_an_instructors_own_list_is_never_cached() -> None:
    cache, inner, _ = cached(ttl=60)
    user_id = uuid4()
    for _ in range(2):
        await cache.instructor_courses(user_id, None, limit=20, cursor=None)
    assert inner.calls == [("mine", user_id), ("mine", user_id)]


async def test_the_cache_never_grows_past_its_bound() -> None:
    inner, time = CountingQueries(), FakeTime()
    cache = CachedCatalogQueries(inner, ttl_seconds=60, max_entries=3, clock=time)  # type: ignore[arg-type]
    for key in range(10):
        await cache.course_detail(str(key))
    assert len(cache._answers) <= 3


async def test_concurrent_misses_run_one_query() -> None:
    import asyncio

    inner, time = CountingQueries(), FakeTime()
    release = asyncio.Event()
    original = inner.course_detail

    async def slow_detail(key: UUID | str) -> Any:
        await release.wait()
        return await original(key)

    inner.course_detail = slow_detail  # type: ignore[method-assign]
    cache = CachedCatalogQueries(inner, ttl_seconds=60, clock=time)  # type: ignore[arg-type]
    waiting = [asyncio.ensure_future(cache.course_detail("same")) for _ in range(20)]
    await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*waiting)
    assert len(inner.calls) == 1
    assert all(result is results[0] for result in results)


async def test_a_load_finished_after_an_invalidation_is_not_kept() -> None:
    import asyncio

    inner, time = CountingQueries(), FakeTime()
    release = asyncio.Event()
    original = inner.course_detail

    async def slow_detail(key: UUID | str) -> Any:
        await release.wait()
        return await original(key)

    inner.course_detail = slow_detail  # type: ignore[method-assign]
    cache = CachedCatalogQueries(inner, ttl_seconds=60, clock=time)  # type: ignore[arg-type]
    loading = asyncio.ensure_future(cache.course_detail("x"))
    await asyncio.sleep(0)
    cache.invalidate()  # the course changed while its old state was being read
    release.set()
    await loading
    await cache.course_detail("x")
    assert len(inner.calls) == 2
