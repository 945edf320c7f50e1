"""Payments over HTTP, for the tests of every context: paid courses, the sandbox checkout, the
books checked to balance."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tests.support.catalog import published_course

CHECKOUT = "/api/v1/checkout"
TRIAL_BALANCE = "/api/v1/admin/ledger/trial-balance"


def usd(amount: float) -> dict[str, Any]:
    """Money as the API writes it (a float only to send what must be refused)."""
    return {"amount": amount, "currency": "USD"}


async def paid_course(
    client: Any, tutor: dict[str, str], manager: dict[str, str], amount: int, **fields: Any
) -> dict[str, Any]:
    return await published_course(
        client,
        tutor,
        manager,
        free=False,
        price={"amount": amount, "currency": fields.pop("currency", "USD")},
        **fields,
    )


async def pay_by_sandbox_card(
    client: Any, headers: dict[str, str], item: dict[str, Any], outcome: str = "succeed"
) -> dict[str, Any]:
    """Checks out and presses the sandbox page's button; answers the order afterwards."""
    response = await client.post(CHECKOUT, json={"item": item}, headers=headers)
    assert response.status_code == 201, response.text
    started = response.json()
    page = await client.get(sandbox_page(started))
    assert page.status_code == 200 and "Sandbox checkout" in page.text
    pressed = await client.post(sandbox_button(started, outcome))
    assert pressed.status_code == 200, pressed.text
    response = await client.get(f"/api/v1/me/orders/{started['order_id']}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def sandbox_page(started: dict[str, Any]) -> str:
    """The path and query of the sandbox checkout link an answer (a checkout, a booking's card
    payment) handed out: its signed token is what lets the page act without signing in."""
    link = urlsplit(started["checkout_url"])
    assert link.path == f"/sandbox/checkout/{started['order_id']}", link
    assert link.query.startswith("token="), link
    return f"{link.path}?{link.query}"


def sandbox_button(started: dict[str, Any], outcome: str = "succeed") -> str:
    """The sandbox page's Pay (``succeed``) or Decline (``fail``) button, with the link's token."""
    path, _, query = sandbox_page(started).partition("?")
    return f"{path}/{outcome}?{query}"


async def books_balance(client: Any, admin: dict[str, str]) -> dict[str, Any]:
    """The trial balance, checked to sum to zero in every currency."""
    response = await client.get(TRIAL_BALANCE, headers=admin)
    assert response.status_code == 200, response.text
    balance = response.json()
    assert balance["balanced"], balance
    assert all(total["total"]["amount"] == 0 for total in balance["totals"]), balance
    return balance  # type: ignore[no-any-return]


def balance_of(
    trial: dict[str, Any], kind: str, owner_id: str | None, currency: str = "USD"
) -> int:
    for account in trial["accounts"]:
        if (
            account["kind"] == kind
            and account["owner_id"] == owner_id
            and account["balance"]["currency"] == currency
        ):
            return int(account["balance"]["amount"])
    return 0
