"""The sandbox checkout page acts only for the order's buyer (issue 15, finding 15): signed in
as the buyer, or holding the signed, order-bound, expiring link that checkout handed out. An
order id alone, anonymous or signed in as somebody else, neither shows the page nor pays or
declines anything, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tests.support.billing import CHECKOUT, paid_course
from tests.support.catalog import headers_of, seed_people
from tests.support.identity import problem

from elearn.entrypoints.settings import Settings


async def start_checkout(
    client: Any, buyer: dict[str, str], course: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(
        CHECKOUT, json={"item": {"kind": "course", "course_id": course["id"]}}, headers=buyer
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def local(url: str) -> str:
    """The path and query of an absolute URL, as the test client asks for it."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


async def order_status(client: Any, buyer: dict[str, str], order_id: str) -> str:
    response = await client.get(f"/api/v1/me/orders/{order_id}", headers=buyer)
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


async def test_an_order_id_alone_opens_and_pays_nothing(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor, manager, student, other = [
        await headers_of(client, name) for name in ("tutor", "manager", "student", "pending")
    ]
    course = await paid_course(client, tutor, manager, 4900, title="Not Yours To Pay")
    started = await start_checkout(client, student, course)
    order_id = started["order_id"]
    bare = f"/sandbox/checkout/{order_id}"
    link = urlsplit(started["checkout_url"])
    assert link.path == bare and link.query, started["checkout_url"]

    # Anonymous, or signed in as someone else, with the order id and nothing more.
    for headers in ({}, other, tutor):
        assert (await client.get(bare, headers=headers)).status_code == 404
        for outcome in ("succeed", "fail"):
            problem(await client.post(f"{bare}/{outcome}", headers=headers), 404, "order-not-found")
    # A link forged, or signed for another order, is no better.
    other_order = await start_checkout(
        client, student, await paid_course(client, tutor, manager, 1500, title="Another One")
    )
    for forged in (
        f"{bare}?token=AAAA",
        f"{bare}?{urlsplit(other_order['checkout_url']).query}",
        f"{bare}?token=",
    ):
        path, _, query = forged.partition("?")
        assert (await client.get(forged)).status_code == 404
        problem(await client.post(f"{path}/succeed?{query}"), 404, "order-not-found")
    assert await order_status(client, student, order_id) == "pending"

    # The link checkout handed out works without signing in; its buttons carry it along.
    page = await client.get(local(started["checkout_url"]))
    assert page.status_code == 200 and "Sandbox checkout" in page.text
    assert f'action="{bare}/succeed?{link.query}"' in page.text
    pressed = await client.post(f"{bare}/succeed?{link.query}")
    assert pressed.status_code == 200, pressed.text
    assert await order_status(client, student, order_id) == "succeeded"


async def test_the_signed_in_buyer_needs_no_link(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor, manager, student = [
        await headers_of(client, name) for name in ("tutor", "manager", "student")
    ]
    course = await paid_course(client, tutor, manager, 2500, title="Mine To Decline")
    started = await start_checkout(client, student, course)
    bare = f"/sandbox/checkout/{started['order_id']}"

    page = await client.get(bare, headers=student)
    assert page.status_code == 200, page.text
    declined = await client.post(f"{bare}/fail", headers=student)
    assert declined.status_code == 200, declined.text
    assert await order_status(client, student, started["order_id"]) == "failed"
