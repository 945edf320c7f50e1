"""What admins read: orders and payments, refunds, and the ledger's trial balance."""

from __future__ import annotations

from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.authorization import Permission
from elearn.application.billing.deps import BillingDeps, OrderNotFound
from elearn.application.billing.ports import (
    MyOrderView,
    OrderFilters,
    OrderView,
    RefundView,
    TrialBalance,
)
from elearn.application.paging import Page, check_limit, page_of
from elearn.domain.billing.order import RefundStatus


class ListOrders:
    def __init__(self, deps: BillingDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, filters: OrderFilters, *, limit: int = 20, cursor: str | None = None
    ) -> Page[OrderView]:
        self._deps.authorizer.authorize(actor, Permission.VIEW_ANY_ORDER)
        check_limit(limit)
        return await page_of(self._deps.queries.orders(filters, limit=limit, cursor=cursor))


class GetOrder:
    """An order as its buyer sees it: the buyer their own, staff who may see any order every
    one (the split and the payee are in the staff's lists)."""

    def __init__(self, deps: BillingDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, order_id: UUID) -> MyOrderView:
        view = await self._deps.queries.order(order_id)
        if view is None:
            raise OrderNotFound()
        if view.buyer_id != actor.user_id:
            self._deps.authorizer.authorize(
                actor, Permission.VIEW_ANY_ORDER, otherwise=OrderNotFound()
            )
        return view.for_buyer()


class ListMyOrders:
    def __init__(self, deps: BillingDeps) -> None:
        self._deps = deps

    async def __call__(
        self, actor: Actor, *, limit: int = 20, cursor: str | None = None
    ) -> Page[MyOrderView]:
        buyer_id = require_signed_in(actor)
        check_limit(limit)
        page = await page_of(
            self._deps.queries.orders(OrderFilters(buyer_id=buyer_id), limit=limit, cursor=cursor)
        )
        return Page([view.for_buyer() for view in page.items], page.next_cursor)


class ListRefunds:
    def __init__(self, deps: BillingDeps) -> None:
        self._deps = deps

    async def __call__(
        self,
        actor: Actor,
        *,
        order_id: UUID | None = None,
        status: RefundStatus | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[RefundView]:
        self._deps.authorizer.authorize(actor, Permission.VIEW_REFUNDS)
        check_limit(limit)
        return await page_of(
            self._deps.queries.refunds(order_id, status, limit=limit, cursor=cursor)
        )


class GetTrialBalance:
    """Every account's balance, and each currency's total (zero when the books balance)."""

    def __init__(self, deps: BillingDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor) -> TrialBalance:
        self._deps.authorizer.authorize(actor, Permission.VIEW_TRIAL_BALANCE)
        return await self._deps.queries.trial_balance()
