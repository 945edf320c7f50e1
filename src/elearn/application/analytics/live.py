"""Live counters for staff dashboards: today's figures (the UTC day so far) on the realtime
socket as they move.

After the rollups are refreshed the job publishes ``platform.kpis`` to the staff who hold a
socket, and only when a counter changed since this process last published; a staff client may
also ask for the current figures at any time with the socket message ``platform.kpis``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta

from elearn.application.actor import Actor
from elearn.application.analytics.dashboards import AnalyticsDeps
from elearn.application.authorization import Permission
from elearn.application.realtime import RealtimePublisher
from elearn.domain.analytics.metrics import Metric
from elearn.domain.analytics.series import slot_of
from elearn.domain.identity.roles import Role

KPIS = "platform.kpis"
_COUNTS = (Metric.SIGNUPS, Metric.ENROLLMENTS, Metric.REFUNDS, Metric.ACTIVE_PEOPLE)
_MONEY = (Metric.GMV, Metric.PLATFORM_REVENUE, Metric.REFUNDED_AMOUNT)


async def todays_kpis(deps: AnalyticsDeps) -> dict[str, object]:
    now = deps.clock.now()
    midnight = datetime.combine(now.date(), time(), UTC)
    # To the next midnight: today's active people are kept in the slot of noon.
    rows = await deps.rollups.many(
        (*_COUNTS, *_MONEY),
        (slot_of(midnight),),
        slot_of(midnight + timedelta(days=1)),
        per_dimension=False,
    )
    kpis: dict[str, object] = {"day": now.date().isoformat(), "as_of": now.isoformat()}
    for metric in _COUNTS:
        kpis[metric.value] = sum(value for _, _, _, value in rows[metric])
    for metric in _MONEY:
        per_currency: dict[str, int] = {}
        for _, _, currency, value in rows[metric]:
            per_currency[currency] = per_currency.get(currency, 0) + value
        kpis[metric.value] = [
            {"amount": amount, "currency": currency}
            for currency, amount in sorted(per_currency.items())
        ]
    return kpis


class PublishPlatformKpis:
    def __init__(self, deps: AnalyticsDeps, realtime: RealtimePublisher) -> None:
        self._deps = deps
        self._realtime = realtime
        self._last: Mapping[str, object] | None = None

    async def __call__(self) -> None:
        kpis = await todays_kpis(self._deps)
        counters = {k: v for k, v in kpis.items() if k != "as_of"}
        if counters == self._last:
            return
        async with self._deps.uow(read_only=True) as uow:
            staff = [
                *await self._deps.identity.active_ids_with_role(uow, Role.MANAGER),
                *await self._deps.identity.active_ids_with_role(uow, Role.ADMIN),
            ]
        watching = await self._realtime.connected(staff)
        if watching:
            await self._realtime.publish(watching, KPIS, kpis)
        self._last = counters

    async def snapshot(self, actor: Actor) -> dict[str, object]:
        """The socket message ``{"type": "platform.kpis"}``: staff only."""
        self._deps.authorizer.require(actor, Permission.VIEW_PLATFORM_ANALYTICS)
        return {"type": KPIS, **await todays_kpis(self._deps)}
