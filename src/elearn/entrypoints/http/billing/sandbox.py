"""The sandbox's checkout page (payments_backend=sandbox, the embedded default).

A stand-in for the provider's hosted page: it shows what is being paid and two buttons that
complete or fail the payment through the same event path a Stripe webhook takes. Anyone holding
the order's link may press them, as anyone holding a real checkout link may pay: there is no
money here. The routes do not exist when Stripe takes the payments.
"""

from __future__ import annotations

from html import escape
from typing import Literal
from uuid import UUID

from litestar import Controller, MediaType, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from elearn.application.billing.checkout import origin_of
from elearn.application.billing.deps import OrderNotFound
from elearn.domain.billing.order import Order, OrderStatus
from elearn.domain.shared.money import Currency
from elearn.entrypoints.billing import Billing

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sandbox checkout</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}}
form{{display:inline}}button{{font-size:1rem;padding:.6rem 1.2rem}}</style></head>
<body><h1>Sandbox checkout</h1>
<p>No money moves here: this page stands in for the payment provider.</p>
<p>Order <code>{order_id}</code>: <strong>{amount}</strong> ({kind}).</p>
<p>Status: <strong>{status}</strong></p>
{buttons}{back}
</body></html>"""

_BUTTONS = """<form method="post" action="/sandbox/checkout/{order_id}/succeed">
<button type="submit">Pay</button></form>
<form method="post" action="/sandbox/checkout/{order_id}/fail">
<button type="submit">Decline</button></form>"""


_POLICY = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"


def _policy(order: Order) -> str:
    """The page's CSP: its forms post to itself, and the redirect that follows may go to the
    shop's return pages (browsers check form-action on redirects too)."""
    origins = dict.fromkeys(
        origin
        for origin in (origin_of(url) for url in (order.success_url, order.cancel_url) if url)
        if origin is not None
    )
    return " ".join((_POLICY, *origins))


def _page(order: Order, exponent: int) -> Response[str]:
    buttons = _BUTTONS.format(order_id=order.id) if order.status is OrderStatus.PENDING else ""
    back_to = order.success_url if order.is_paid else order.cancel_url
    html = _PAGE.format(
        order_id=order.id,
        amount=escape(Currency(order.amount.currency, exponent).format(order.amount)),
        kind=escape(order.kind.value.replace("_", " ")),
        status=escape(order.status.value),
        buttons=buttons,
        back=f'<p><a href="{escape(back_to)}">Back to the shop</a></p>' if back_to else "",
    )
    return Response(
        html,
        media_type=MediaType.HTML,
        headers={"Cache-Control": "no-store", "Content-Security-Policy": _policy(order)},
    )


def _back(order: Order, exponent: int) -> Response[str]:
    """After a button, as the provider's page does: back to the shop's success URL once paid,
    to its cancel URL otherwise (both checked against the allowed origins when the checkout
    was opened); this page again when the checkout named none."""
    back_to = order.success_url if order.is_paid else order.cancel_url
    if back_to is None:
        return _page(order, exponent)
    return Redirect(back_to, status_code=303, headers={"Cache-Control": "no-store"})


class SandboxCheckoutController(Controller):
    path = "/sandbox/checkout"
    include_in_schema = False

    @get("/{order_id:uuid}")
    async def page(self, order_id: FromPath[UUID], billing: Billing) -> Response[str]:
        order = await billing.sandbox_checkout.order(order_id)
        return _page(order, billing.deps.currency(order.amount.currency).exponent)

    @post("/{order_id:uuid}/{outcome:str}", status_code=200)
    async def finish(
        self, order_id: FromPath[UUID], outcome: FromPath[str], billing: Billing
    ) -> Response[str]:
        if outcome not in ("succeed", "fail"):
            raise OrderNotFound()
        chosen: Literal["succeed", "fail"] = "succeed" if outcome == "succeed" else "fail"
        order = await billing.sandbox_checkout(order_id, chosen)
        return _back(order, billing.deps.currency(order.amount.currency).exponent)
