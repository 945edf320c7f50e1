"""Dashboards answered again from the process's cache: the same viewer within the TTL (and,
once expired, while one reload runs), identical concurrent requests sharing one load, a recount
in this process forgetting them at once, and the viewer's right to the dashboard checked before
any cached answer is given."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest
from tests.integration.usecases.world import World

from elearn.application.analytics.dashboards import (
    AnalyticsDeps,
    GetInstructorDashboard,
    GetPlatformDashboard,
    RangeQuery,
)
from elearn.application.analytics.rollups import ForgettingDashboards
from elearn.application.caching import SingleFlightCache
from elearn.application.errors import NotFound, PermissionDenied
from elearn.domain.analytics.metrics import Family
from elearn.domain.analytics.series import slot_of

TTL = 60.0


class _Seconds:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class _CountingReader:
    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self.calls = 0

    async def many(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        await asyncio.sleep(0)  # let concurrent callers arrive while the load runs
        return await self._reader.many(*args, **kwargs)


def _cached_deps(world: World, seconds: _Seconds) -> AnalyticsDeps:
    deps = world.container.analytics.deps
    return replace(
        deps, answers=SingleFlightCache(ttl_seconds=TTL, clock=seconds, serve_stale=True)
    )


async def _enrolled_today(world: World, dashboard: GetPlatformDashboard, actor: Any) -> int:
    return sum((await dashboard(actor, RangeQuery())).enrollments.datasets[0].data)


async def _recount_now(world: World) -> None:
    await world.container.analytics.refresh_recent()


async def test_a_viewer_is_answered_from_the_cache_until_the_ttl_ends(world: World) -> None:
    seconds = _Seconds()
    platform = GetPlatformDashboard(_cached_deps(world, seconds))
    course, _ = await world.published_course()
    await world.container.learning.enroll(world.student, course.id)
    await _recount_now(world)
    assert await _enrolled_today(world, platform, world.admin) == 1

    await world.container.learning.enroll(world.classmate, course.id)
    await _recount_now(world)  # another process's cache: this one is not told
    seconds.now = TTL - 0.5
    assert await _enrolled_today(world, platform, world.admin) == 1
    seconds.now = TTL + 0.5  # expired: answered as it was while one reload runs
    assert await _enrolled_today(world, platform, world.admin) == 1
    for _ in range(50):  # the reload is a few statements on SQLite
        await asyncio.sleep(0.01)
        if await _enrolled_today(world, platform, world.admin) == 2:
            break
    assert await _enrolled_today(world, platform, world.admin) == 2


async def test_a_recount_in_this_process_forgets_the_cached_dashboards(world: World) -> None:
    deps = _cached_deps(world, _Seconds())
    platform = GetPlatformDashboard(deps)
    keeper = ForgettingDashboards(world.container.analytics.keeper, deps.answers)
    course, _ = await world.published_course()
    assert await _enrolled_today(world, platform, world.admin) == 0

    await world.container.learning.enroll(world.student, course.id)
    slot = slot_of(world.clock.now())
    await keeper.recompute((Family.LEARNING,), slot, slot + 1)
    assert await _enrolled_today(world, platform, world.admin) == 1


async def test_identical_requests_at_once_share_one_load(world: World) -> None:
    reader = _CountingReader(world.container.analytics.deps.rollups)
    deps = replace(_cached_deps(world, _Seconds()), rollups=reader)
    platform = GetPlatformDashboard(deps)
    answers = await asyncio.gather(*(platform(world.admin, RangeQuery()) for _ in range(10)))
    assert all(answer == answers[0] for answer in answers)
    assert reader.calls == 2  # one dashboard's two statements over the rollups, not twenty


async def test_viewers_never_share_an_answer_and_rights_come_before_the_cache(
    world: World,
) -> None:
    deps = _cached_deps(world, _Seconds())
    platform, instructor = GetPlatformDashboard(deps), GetInstructorDashboard(deps)
    course, _ = await world.published_course()
    query = RangeQuery(course_id=course.id)
    assert (await instructor(world.tutor, query)).courses == 1
    await platform(world.admin, RangeQuery())

    with pytest.raises(NotFound):  # the course is not among those cotutor teaches
        await instructor(world.cotutor, query)
    with pytest.raises(PermissionDenied):
        await platform(world.student, RangeQuery())
    # The manager's answer is their own load (their time zone may differ), not the admin's.
    reader = _CountingReader(deps.rollups)
    await GetPlatformDashboard(replace(deps, rollups=reader))(world.manager, RangeQuery())
    assert reader.calls == 2
