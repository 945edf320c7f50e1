"""The desk's periodic jobs: deadlines flagged to the team leads, tickets left waiting on their
customer warned and then closed, resolved tickets closed once they can no longer be reopened."""

from __future__ import annotations

from elearn.application.identity.api import Role
from elearn.application.support.deps import SupportDeps
from elearn.application.support.routing import Router

_BATCH = 200


class FlagSlaBreaches:
    """Every deadline passed is flagged once, to the managers (the team leads) and the agent."""

    def __init__(self, deps: SupportDeps, router: Router) -> None:
        self._deps = deps

    async def __call__(self) -> int:
        deps = self._deps
        now = deps.clock.now()
        # Most runs find nothing: they look without taking the write lock (SQLite has one).
        async with deps.uow(read_only=True) as uow:
            if not await uow.support.tickets.past_deadline(now, limit=1):
                return 0
        flagged = 0
        async with deps.uow() as uow:
            leads = await deps.identity.active_ids_with_role(uow, Role.MANAGER)
            for ticket in await uow.support.tickets.past_deadline(now, limit=_BATCH):
                recipients = tuple(dict.fromkeys([*leads, *filter(None, [ticket.assignee_id])]))
                for kind in ticket.breached(now):
                    ticket.flag_breach(kind, now=now, recipients=recipients, new_id=deps.ids.new_id)
                    flagged += 1
            await uow.commit()
        return flagged


class CloseIdleTickets:
    """A ticket waiting on its customer is closed after the wait (its customer warned the given
    hours before); a resolved ticket is closed once the reopen window is over. Closing frees
    the agent's place: the queue is pulled."""

    def __init__(self, deps: SupportDeps, router: Router) -> None:
        self._deps = deps
        self._router = router

    async def __call__(self) -> int:
        deps = self._deps
        policy = deps.policy
        now = deps.clock.now()
        async with deps.uow(read_only=True) as uow:
            tickets = uow.support.tickets
            if not (
                await tickets.waiting_since_before(now - policy.warn_after, limit=1)
                or await tickets.resolved_before(now - policy.reopen_window, limit=1)
            ):
                return 0
        changed = 0
        async with deps.uow() as uow:
            await uow.support.lock_routing()
            tickets = uow.support.tickets
            freed = False
            for ticket in await tickets.waiting_since_before(now - policy.warn_after, limit=_BATCH):
                assert ticket.waiting_since is not None
                if now >= ticket.waiting_since + policy.auto_close_after:
                    ticket.close_unanswered(
                        now=now, wait=policy.auto_close_after, new_id=deps.ids.new_id
                    )
                    freed = True
                    changed += 1
                elif ticket.warn_of_auto_close(
                    now=now, wait=policy.auto_close_after, new_id=deps.ids.new_id
                ):
                    changed += 1
            for ticket in await tickets.resolved_before(now - policy.reopen_window, limit=_BATCH):
                ticket.close(now=now, new_id=deps.ids.new_id)
                changed += 1
            if freed:
                await self._router.pull_queue(uow)
            await uow.commit()
        return changed
