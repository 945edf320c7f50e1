"""A checkout names where the payment page sends the buyer back (`success_url`, `cancel_url`):
only on an allowed origin (the public URL's and the front ends' by default), and the sandbox's
page goes there after Pay or Decline, as the provider's does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient
from tests.conftest import make_settings
from tests.support.apps import app_for
from tests.support.billing import CHECKOUT
from tests.support.catalog import headers_of, seed_people
from tests.support.identity import problem

from elearn.entrypoints.billing import checkout_return_origins
from elearn.entrypoints.settings import Settings, SettingsError, load_settings

SHOP = "https://shop.example"
TOP_UP = {"kind": "wallet_topup", "amount": 2500, "currency": "USD"}


@pytest.fixture
def shop_settings(settings: Settings) -> Settings:
    # The front end is a CORS origin; no return origins are configured, so the default holds.
    return msgspec.structs.replace(settings, cors_allowed_origins=[SHOP])


@pytest.fixture
async def shop_client(shop_settings: Settings) -> AsyncIterator[Any]:
    async with AsyncTestClient(
        app=app_for(shop_settings), base_url="http://testserver.local"
    ) as client:
        yield client


async def checkout(client: Any, headers: dict[str, str], **urls: str) -> Any:
    return await client.post(CHECKOUT, json={"item": TOP_UP, **urls}, headers=headers)


async def my_orders(client: Any, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/me/orders", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


async def test_the_sandbox_page_sends_the_buyer_back_to_the_shop(
    shop_client: Any, shop_settings: Settings
) -> None:
    await seed_people(shop_settings)
    student = await headers_of(shop_client, "student")
    paid_page, cart = f"{SHOP}/orders/thanks?from=checkout", f"{SHOP}/cart"

    started = await checkout(shop_client, student, success_url=paid_page, cancel_url=cart)
    assert started.status_code == 201, started.text
    order_id = started.json()["order_id"]
    page = await shop_client.get(f"/sandbox/checkout/{order_id}")
    assert page.status_code == 200
    # The redirect after a button goes to the shop: the page's CSP lets its forms lead there.
    policy = page.headers["content-security-policy"]
    assert "form-action 'self' https://shop.example" in policy, policy
    pressed = await shop_client.post(
        f"/sandbox/checkout/{order_id}/succeed", follow_redirects=False
    )
    assert (pressed.status_code, pressed.headers["location"]) == (303, paid_page)
    (order,) = await my_orders(shop_client, student)
    assert (order["id"], order["status"]) == (order_id, "succeeded")
    # Coming back to the page later offers the way back too.
    assert f'href="{SHOP}/orders/thanks?from=checkout"' in (
        await shop_client.get(f"/sandbox/checkout/{order_id}")
    ).text.replace("&amp;", "&")

    declined = await checkout(shop_client, student, success_url=paid_page, cancel_url=cart)
    declined_id = declined.json()["order_id"]
    pressed = await shop_client.post(
        f"/sandbox/checkout/{declined_id}/fail", follow_redirects=False
    )
    assert (pressed.status_code, pressed.headers["location"]) == (303, cart)
    statuses = {o["id"]: o["status"] for o in await my_orders(shop_client, student)}
    assert statuses[declined_id] == "failed"

    # The platform's own public URL is allowed as well; without URLs the page stays the page.
    own = await checkout(
        shop_client, student, success_url=f"{shop_settings.public_url}/api/v1/me/orders"
    )
    assert own.status_code == 201, own.text
    plain = (await checkout(shop_client, student)).json()["order_id"]
    pressed = await shop_client.post(f"/sandbox/checkout/{plain}/succeed", follow_redirects=False)
    assert pressed.status_code == 200 and "Sandbox checkout" in pressed.text


@pytest.mark.parametrize(
    ("urls", "status", "fields"),
    [
        ({"success_url": "https://evil.example/phish"}, 422, ["success_url"]),
        ({"cancel_url": "https://shop.example.evil.example/"}, 422, ["cancel_url"]),
        ({"success_url": "http://shop.example/thanks"}, 422, ["success_url"]),  # not https
        ({"success_url": "https://shop.example:8443/thanks"}, 422, ["success_url"]),
        ({"success_url": "https://user@shop.example/thanks"}, 422, ["success_url"]),
        ({"success_url": "javascript:alert(1)"}, 422, ["success_url"]),
        ({"success_url": "/orders/thanks"}, 422, ["success_url"]),
        ({"success_url": "https://shop.example/a b"}, 422, ["success_url"]),
        (
            {"success_url": "https://evil.example/", "cancel_url": "ftp://shop.example/"},
            422,
            ["cancel_url", "success_url"],
        ),
        ({"success_url": "https://shop.example/" + "a" * 2048}, 400, ["success_url"]),
        ({"success_url": ""}, 400, ["success_url"]),
        ({"cancel_url": 42}, 400, ["cancel_url"]),
    ],
)
async def test_a_return_url_off_the_allowed_origins_is_refused_and_nothing_is_ordered(
    shop_client: Any, shop_settings: Settings, urls: dict[str, Any], status: int, fields: list[str]
) -> None:
    await seed_people(shop_settings)
    student = await headers_of(shop_client, "student")

    body = problem(await checkout(shop_client, student, **urls), status)

    assert sorted(e["field"] for e in body["errors"]) == fields, body
    if status == 422:
        assert body["code"] == "return-url-not-allowed"
    assert await my_orders(shop_client, student) == []


def test_return_origins_default_to_the_public_url_and_the_front_ends(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        "sqlite+aiosqlite://",
        public_url="https://API.example:443/base",
        frontend_url="https://www.example/app",
        cors_allowed_origins=[
            "https://app.example",
            "http://localhost:5173",
            "https://www.example",
        ],
    )
    assert checkout_return_origins(settings) == (
        "https://api.example",
        "https://www.example",
        "https://app.example",
        "http://localhost:5173",
    )
    only = msgspec.structs.replace(settings, checkout_return_origins=["https://shop.example:8443"])
    assert checkout_return_origins(only) == ("https://shop.example:8443",)


@pytest.mark.parametrize(
    "value", ["shop.example", "https://shop.example/path", "ftp://shop.example", "https://"]
)
def test_a_return_origin_that_is_not_an_origin_stops_the_process(value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(
            environ={"ELEARN_CHECKOUT_RETURN_ORIGINS": f"https://ok.example,{value}"},
            env_file=None,
        )
    assert str(refused.value).startswith("ELEARN_CHECKOUT_RETURN_ORIGINS:")
