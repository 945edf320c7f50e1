"""The sandbox's checkout page (payments_backend=sandbox, the embedded default).

A stand-in for the provider's hosted page: it shows what is being paid and two buttons that
complete or fail the payment through the same event path a Stripe webhook takes. They act for
the order's buyer only: signed in as them, or holding the signed, expiring link checkout handed
out (`?token=`), which the buttons carry along; an order id alone answers 404. The routes do not
exist when Stripe takes the payments.
"""

from __future__ import annotations

from html import escape
from typing import Annotated, Literal
from urllib.parse import quote
from uuid import UUID

from litestar import Controller, MediaType, Response, get, post
from litestar.di import Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect

from elearn.application.billing.checkout import origin_of
from elearn.application.billing.deps import OrderNotFound
from elearn.domain.billing.order import Order, OrderStatus
from elearn.domain.shared.money import Currency
from elearn.entrypoints.billing import Billing
from elearn.entrypoints.http.auth import CurrentActor, provide_actor

# The signed link's token, as checkout handed it out.
LinkToken = Annotated[str | None, QueryParameter(max_length=128)]

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

_BUTTONS = """<form method="post" action="/sandbox/checkout/{order_id}/succeed{link}">
<button type="submit">Pay</button></form>
<form method="post" action="/sandbox/checkout/{order_id}/fail{link}">
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


def _page(order: Order, exponent: int, token: str | None) -> Response[str]:
    link = escape(f"?token={quote(token, safe='')}") if token else ""
    buttons = (
        _BUTTONS.format(order_id=order.id, link=link) if order.status is OrderStatus.PENDING else ""
    )
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


def _back(order: Order, exponent: int, token: str | None) -> Response[str]:
    """After a button, as the provider's page does: back to the shop's success URL once paid,
    to its cancel URL otherwise (both checked against the allowed origins when the checkout
    was opened); this page again when the checkout named none."""
    back_to = order.success_url if order.is_paid else order.cancel_url
    if back_to is None:
        return _page(order, exponent, token)
    return Redirect(back_to, status_code=303, headers={"Cache-Control": "no-store"})


class SandboxCheckoutController(Controller):
    path = "/sandbox/checkout"
    include_in_schema = False
    # Outside /api/v1, whose router provides the caller to its routes.
    dependencies = {"actor": Provide(provide_actor)}

    @get("/{order_id:uuid}")
    async def page(
        self, order_id: FromPath[UUID], actor: CurrentActor, billing: Billing, token: LinkToken
    ) -> Response[str]:
        order = await billing.sandbox_checkout.order(actor, order_id, link_token=token)
        return _page(order, billing.deps.currency(order.amount.currency).exponent, token)

    @post("/{order_id:uuid}/{outcome:str}", status_code=200)
    async def finish(
        self,
        order_id: FromPath[UUID],
        outcome: FromPath[str],
        actor: CurrentActor,
        billing: Billing,
        token: LinkToken,
    ) -> Response[str]:
        if outcome not in ("succeed", "fail"):
            raise OrderNotFound()
        chosen: Literal["succeed", "fail"] = "succeed" if outcome == "succeed" else "fail"
        order = await billing.sandbox_checkout(actor, order_id, chosen, link_token=token)
        return _back(order, billing.deps.currency(order.amount.currency).exponent, token)
