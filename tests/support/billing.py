"""Payments over HTTP, for the tests of every context: paid courses, the sandbox checkout, the
books checked to balance."""

from __future__ import annotations

from typing import Any

from tests.support.catalog import published_course

CHECKOUT = "/api/v1/checkout"
TRIAL_BALANCE = "/api/v1/admin/ledger/trial-balance"


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
    assert started["checkout_url"].endswith(f"/sandbox/checkout/{started['order_id']}")
    page = await client.get(f"/sandbox/checkout/{started['order_id']}")
    assert page.status_code == 200 and "Sandbox checkout" in page.text
    pressed = await client.post(f"/sandbox/checkout/{started['order_id']}/{outcome}")
    assert pressed.status_code == 200, pressed.text
    response = await client.get(f"/api/v1/me/orders/{started['order_id']}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


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
