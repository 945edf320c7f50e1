"""Billing requests that must be refused, on both databases: malformed or out-of-range bodies,
bad headers and paths, the wrong person asking, or a state that does not allow it. Each answers
a 4xx problem (field errors where a field is at fault), never a 500, and changes nothing: no
order, refund or withdrawal appears and the trial balance stays as it was.

Each test runs a table of bad requests and reports every mismatch at once."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from tests.fakes import FixedClock
from tests.support.billing import (
    CHECKOUT,
    TRIAL_BALANCE,
    balance_of,
    books_balance,
    paid_course,
    pay_by_sandbox_card,
    usd,
)
from tests.support.catalog import (
    create_course,
    headers_of,
    published_course,
    seed_people,
)
from tests.support.identity import (
    PROBLEM,
    bearer,
    login,
    problem,
    register_student,
)

from elearn.adapters.jobs.broker import build_broker
from elearn.entrypoints.bootstrap import bootstrap
from elearn.entrypoints.settings import Settings

WITHDRAWALS = "/api/v1/me/withdrawals"
ADMIN_ORDERS = "/api/v1/admin/orders"
ADMIN_REFUNDS = "/api/v1/admin/refunds"
ADMIN_WITHDRAWALS = "/api/v1/admin/withdrawals"
TOO_LONG_REASON = "x" * 501
# Not valid as a uuid path segment: the route does not match (404), or it is refused (400).
NOT_FOUND_OR_BAD = (400, 404)
_NO_BODY = object()


@dataclass(frozen=True)
class Bad:
    """One request that must be refused: with ``status``, and ``code`` and a field error
    naming ``field`` where given."""

    what: str
    method: str
    url: str
    status: int | tuple[int, ...]
    code: str | None = None
    field: str | None = None
    json: Any = _NO_BODY
    content: bytes | None = None
    headers: dict[str, Any] = dataclasses.field(default_factory=dict)
    params: dict[str, Any] | None = None


async def refusals(client: Any, cases: list[Bad]) -> list[str]:
    """Sends every case; answers what each did wrong (nothing, when all is well)."""
    wrong = []
    for case in cases:
        extra: dict[str, Any] = {"headers": case.headers}
        if case.json is not _NO_BODY:
            extra["json"] = case.json
        if case.content is not None:
            extra["content"] = case.content
        if case.params is not None:
            extra["params"] = case.params
        response = await client.request(case.method, case.url, **extra)
        expected = case.status if isinstance(case.status, tuple) else (case.status,)
        said = f"{case.what}: {case.method} {case.url} answered {response.status_code}"
        if response.status_code not in expected:
            wrong.append(f"{said}, expected {case.status}: {response.text[:300]}")
            continue
        if not response.headers.get("content-type", "").startswith(PROBLEM):
            wrong.append(f"{said} but not as a problem: {response.text[:300]}")
            continue
        body = response.json()
        if case.code is not None and body.get("code") != case.code:
            wrong.append(f"{said} with code {body.get('code')}, expected {case.code}")
        if case.field is not None and not any(
            case.field in error["field"] for error in body.get("errors") or []
        ):
            wrong.append(f"{said} with no error on {case.field}: {body.get('errors')}")
    return wrong


async def user_id(client: Any, headers: dict[str, str]) -> str:
    response = await client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def trial_balance(client: Any, admin: dict[str, str]) -> dict[str, Any]:
    response = await client.get(TRIAL_BALANCE, headers=admin)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def items(client: Any, url: str, headers: dict[str, str], **params: Any) -> list[Any]:
    response = await client.get(url, params={"limit": 100, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def with_key(headers: dict[str, str], key: str | bytes) -> dict[str, Any]:
    return {**headers, "Idempotency-Key": key}


def bad_keys(method: str, url: str, headers: dict[str, str], json: Any = _NO_BODY) -> list[Bad]:
    """The Idempotency-Key header is 1 to 255 printable ASCII characters."""
    return [
        Bad(f"key {name}", method, url, 400, json=json, headers=with_key(headers, key))
        for name, key in (
            ("of 256 characters", "k" * 256),
            ("not ASCII", "clé-à-molette".encode()),
            ("with a space", "two words"),
            ("with a control character", b"tab\there"),
            ("empty", ""),
        )
    ]


# ---- checkout and credit purchases -----------------------------------------------------------
async def test_bad_checkouts_and_credit_purchases_are_refused_and_change_nothing(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor, manager, admin, student = [
        await headers_of(client, name) for name in ("tutor", "manager", "admin", "student")
    ]
    await register_student(client, "fresh@billing.test")
    unverified = bearer(await login(client, "fresh@billing.test"))
    paid = (await paid_course(client, tutor, manager, 5000, title="Paid"))["id"]
    free = (await published_course(client, tutor, manager, title="Free"))["id"]
    draft = (
        await create_course(
            client, tutor, title="Draft", free=False, price={"amount": 5000, "currency": "USD"}
        )
    )["id"]
    before = await trial_balance(client, admin)

    def checkout(what: str, item: Any, status: int, code: str | None = None, **kw: Any) -> Bad:
        return Bad(what, "POST", CHECKOUT, status, code, json={"item": item}, **kw)

    def topup(what: str, status: int, field: str | None = None, **item: Any) -> Bad:
        body = {"kind": "wallet_topup", "amount": 5000, **item}
        return checkout(what, body, status, field=field, headers=student)

    def course(what: str, course_id: Any, status: int, code: str | None = None, **kw: Any) -> Bad:
        kw.setdefault("headers", student)
        return checkout(what, {"kind": "course", "course_id": course_id}, status, code, **kw)

    def purchase(what: str, key: str, status: int, code: str | None = None, **kw: Any) -> Bad:
        kw.setdefault("headers", student)
        url = f"/api/v1/courses/{key}/purchase-with-credits"
        return Bad(what, "POST", url, status, code, **kw)

    good_item = {"kind": "course", "course_id": paid}
    cases = [
        # The body's shape: 400, naming the field.
        Bad("no item", "POST", CHECKOUT, 400, field="item", json={}, headers=student),
        Bad(
            "unknown field",
            "POST",
            CHECKOUT,
            400,
            field="coupon",
            json={"item": good_item, "coupon": "FREE"},
            headers=student,
        ),
        checkout(
            "unknown item field",
            {**good_item, "amount": 1},
            400,
            field="amount",
            headers=student,
        ),
        checkout("unknown kind", {"kind": "gift_card", "amount": 5000}, 400, headers=student),
        checkout("no kind", {"course_id": paid}, 400, headers=student),
        checkout("item not an object", "course", 400, headers=student),
        Bad("body a list", "POST", CHECKOUT, 400, json=[good_item], headers=student),
        Bad(
            "body null",
            "POST",
            CHECKOUT,
            400,
            content=b"null",
            headers={**student, "Content-Type": "application/json"},
        ),
        Bad(
            "malformed JSON",
            "POST",
            CHECKOUT,
            400,
            "malformed-body",
            content=b'{"item": ',
            headers={**student, "Content-Type": "application/json"},
        ),
        Bad(
            "form body",
            "POST",
            CHECKOUT,
            415,
            content=b"item=course",
            headers={**student, "Content-Type": "application/x-www-form-urlencoded"},
        ),
        topup("zero", 400, "amount", amount=0),
        topup("negative", 400, "amount", amount=-500),
        topup("beyond any sum", 400, "amount", amount=10**13),
        topup("as a fraction", 400, "amount", amount=50.5),
        topup("as a boolean", 400, "amount", amount=True),
        topup("null", 400, "amount", amount=None),
        topup("lower-case currency", 400, "currency", currency="usd"),
        topup("two-letter currency", 400, "currency", currency="US"),
        topup("currency not a string", 400, "currency", currency=840),
        # Well-formed but wrong: 422, naming the field.
        topup("no-currency code XXX", 422, "currency", currency="XXX"),
        topup("unknown currency ZZZ", 422, "currency", currency="ZZZ"),
        topup("below 1.00", 422, "amount", amount=99),
        topup("above the maximum top-up", 422, "amount", amount=100_001),
        topup("far above the maximum top-up", 422, "amount", amount=10**12),
        # Which course.
        course("empty course id", "", 400, field="course_id"),
        course("course id of 201 characters", "c" * 201, 400, field="course_id"),
        course("course id a number", 5000, 400, field="course_id"),
        course("course id null", None, 400, field="course_id"),
        course("unknown course", str(uuid4()), 404, "course-not-found"),
        course("unknown slug", "no-such-course", 404, "course-not-found"),
        course("NUL in the slug", "bad\x00slug", 400, "malformed-body"),
        course("a draft", draft, 404, "course-not-found"),
        course("a free course", free, 422, field="course_id"),
        course("one's own course", paid, 403, "own-course", headers=tutor),
        course("unverified buyer", paid, 403, "email-not-verified", headers=unverified),
        checkout(
            "unverified top-up",
            {"kind": "wallet_topup", "amount": 5000},
            403,
            "email-not-verified",
            headers=unverified,
        ),
        course("anonymous", paid, 401, headers={}),
        *bad_keys("POST", CHECKOUT, student, json={"item": good_item}),
        # Buying with credits.
        purchase("an empty wallet", paid, 422, "insufficient-funds"),
        purchase("unknown course", str(uuid4()), 404, "course-not-found"),
        purchase("unknown slug", "no-such-course", 404, "course-not-found"),
        purchase("a draft", draft, 404, "course-not-found"),
        purchase("a free course", free, 422),
        purchase("one's own course", paid, 403, "own-course", headers=tutor),
        purchase("unverified buyer", paid, 403, "email-not-verified", headers=unverified),
        purchase("anonymous", paid, 401, headers={}),
        purchase("NUL in the path", "bad%00slug", 400),
        *bad_keys("POST", f"/api/v1/courses/{paid}/purchase-with-credits", student),
    ]
    assert await refusals(client, cases) == []

    assert await items(client, ADMIN_ORDERS, admin) == []
    assert await trial_balance(client, admin) == before
    assert (await client.get("/api/v1/me/wallet", headers=student)).json() == {
        "items": [],
        "next_cursor": None,
    }
    assert await items(client, "/api/v1/me/enrollments", student) == []


# ---- refunds, withdrawals and an admin's decisions -------------------------------------------
async def release_earnings_a_week_later(settings: Settings) -> None:
    later = bootstrap(
        settings,
        broker=build_broker(None),
        overrides={"clock": FixedClock(datetime.now(UTC) + timedelta(days=8))},
    )
    try:
        assert await later.billing.release_cleared_earnings() == 1
    finally:
        await later.dispose()


async def test_bad_refunds_withdrawals_and_decisions_are_refused_and_change_nothing(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor, manager, admin, student = [
        await headers_of(client, name) for name in ("tutor", "manager", "admin", "student")
    ]
    tutor_id = await user_id(client, tutor)
    course = await paid_course(client, tutor, manager, 10_000, title="Paid")
    sale = await pay_by_sandbox_card(client, student, {"kind": "course", "course_id": course["id"]})
    assert sale["status"] == "succeeded"
    response = await client.post(
        CHECKOUT, json={"item": {"kind": "wallet_topup", "amount": 2000}}, headers=student
    )
    assert response.status_code == 201, response.text
    unpaid = response.json()["order_id"]
    await release_earnings_a_week_later(settings)
    response = await client.post("/api/v1/me/payout-account", headers=tutor)
    assert response.status_code == 200, response.text
    before = await books_balance(client, admin)
    assert balance_of(before, "tutor_available", tutor_id) == 8500
    orders_before = await items(client, ADMIN_ORDERS, admin)

    refund_url = f"/api/v1/admin/payments/{sale['id']}/refund"

    def refund(what: str, body: Any, status: int, code: str | None = None, **kw: Any) -> Bad:
        kw.setdefault("headers", admin)
        kw.setdefault("url", refund_url)
        return Bad(what, "POST", kw.pop("url"), status, code, json=body, **kw)

    def withdraw(what: str, body: Any, status: int, code: str | None = None, **kw: Any) -> Bad:
        kw.setdefault("headers", tutor)
        return Bad(what, "POST", WITHDRAWALS, status, code, json=body, **kw)

    fine = {"reason": "asked within the guarantee"}
    cases = [
        # A refund's body.
        refund("no reason", {}, 400, field="reason"),
        refund("empty reason", {"reason": ""}, 400, field="reason"),
        refund("blank reason", {"reason": "   "}, 422, field="reason"),
        refund("reason too long", {"reason": TOO_LONG_REASON}, 400, field="reason"),
        refund("reason a number", {"reason": 5}, 400, field="reason"),
        refund("unknown field", {**fine, "notify": True}, 400, field="notify"),
        refund("a bare integer", {**fine, "amount": 100}, 400, field="amount"),
        refund("no currency", {**fine, "amount": {"amount": 100}}, 400, field="amount.currency"),
        refund("zero", {**fine, "amount": usd(0)}, 422, "invalid-refund"),
        refund("negative", {**fine, "amount": usd(-1)}, 400, field="amount.amount"),
        refund("as a fraction", {**fine, "amount": usd(1.5)}, 400, field="amount.amount"),
        refund("beyond any sum", {**fine, "amount": usd(10**13)}, 400, field="amount.amount"),
        refund("more than was paid", {**fine, "amount": usd(10_001)}, 422, "invalid-refund"),
        refund(
            "in another currency",
            {**fine, "amount": {"amount": 100, "currency": "EUR"}},
            422,
            "currency-mismatch",
            field="amount.currency",
        ),
        refund(
            "in lower case",
            {**fine, "amount": {"amount": 100, "currency": "usd"}},
            400,
            field="amount.currency",
        ),
        # Which payment, and who asks.
        refund("an unpaid order", fine, 409, url=f"/api/v1/admin/payments/{unpaid}/refund"),
        refund(
            "an unknown order",
            fine,
            404,
            "order-not-found",
            url=f"/api/v1/admin/payments/{uuid4()}/refund",
        ),
        refund(
            "not an order id",
            fine,
            NOT_FOUND_OR_BAD,
            url="/api/v1/admin/payments/not-an-id/refund",
        ),
        refund("by the student", fine, 403, headers=student),
        refund("by the tutor", fine, 403, headers=tutor),
        refund("by a manager", fine, 403, headers=manager),
        refund("anonymous", fine, 401, headers={}),
        # A withdrawal's body.
        withdraw("no amount", {}, 400, field="amount"),
        withdraw("zero", {"amount": 0}, 400, field="amount"),
        withdraw("negative", {"amount": -2000}, 400, field="amount"),
        withdraw("as a fraction", {"amount": 20.5}, 400, field="amount"),
        withdraw("beyond any sum", {"amount": 10**13}, 400, field="amount"),
        withdraw("unknown field", {"amount": 2000, "iban": "X"}, 400, field="iban"),
        withdraw("lower-case currency", {"amount": 2000, "currency": "usd"}, 400),
        withdraw("unknown currency", {"amount": 2000, "currency": "ZZZ"}, 422, field="currency"),
        withdraw("no-currency code", {"amount": 2000, "currency": "XXX"}, 422, field="currency"),
        withdraw("below the minimum", {"amount": 999}, 422, field="amount"),
        withdraw("above what is available", {"amount": 8501}, 422, "insufficient-funds"),
        withdraw(
            "a currency never earned in",
            {"amount": 2000, "currency": "EUR"},
            422,
            "insufficient-funds",
        ),
        withdraw("by a student", {"amount": 2000}, 403, "not-a-tutor", headers=student),
        withdraw("by a manager", {"amount": 2000}, 403, "not-a-tutor", headers=manager),
        withdraw("by an admin", {"amount": 2000}, 403, "not-a-tutor", headers=admin),
        withdraw("anonymous", {"amount": 2000}, 401, headers={}),
        Bad(
            "payout account of a student",
            "POST",
            "/api/v1/me/payout-account",
            403,
            "not-a-tutor",
            headers=student,
        ),
        *bad_keys("POST", WITHDRAWALS, tutor, json={"amount": 2000}),
    ]
    assert await refusals(client, cases) == []
    assert await items(client, ADMIN_REFUNDS, admin) == []
    assert await items(client, ADMIN_WITHDRAWALS, admin) == []
    assert await items(client, ADMIN_ORDERS, admin) == orders_before
    assert await trial_balance(client, admin) == before

    # An admin's decision on a withdrawal.
    response = await client.post(WITHDRAWALS, json={"amount": 2000}, headers=tutor)
    assert response.status_code == 201, response.text
    withdrawal = response.json()["id"]
    held = await books_balance(client, admin)
    approve_url = f"{ADMIN_WITHDRAWALS}/{withdrawal}/approve"
    reject_url = f"{ADMIN_WITHDRAWALS}/{withdrawal}/reject"
    refused = {"reason": "the bank details look wrong"}

    def reject(what: str, body: Any, status: int, code: str | None = None, **kw: Any) -> Bad:
        kw.setdefault("headers", admin)
        return Bad(what, "POST", kw.pop("url", reject_url), status, code, json=body, **kw)

    cases = [
        Bad("approve by the tutor", "POST", approve_url, 403, headers=tutor),
        Bad("approve by a student", "POST", approve_url, 403, headers=student),
        Bad("approve by a manager", "POST", approve_url, 403, headers=manager),
        Bad("approve anonymous", "POST", approve_url, 401),
        Bad(
            "approve an unknown withdrawal",
            "POST",
            f"{ADMIN_WITHDRAWALS}/{uuid4()}/approve",
            404,
            "withdrawal-not-found",
            headers=admin,
        ),
        Bad(
            "approve not a withdrawal id",
            "POST",
            f"{ADMIN_WITHDRAWALS}/12345/approve",
            NOT_FOUND_OR_BAD,
            headers=admin,
        ),
        reject("no reason", {}, 400, field="reason"),
        reject("empty reason", {"reason": ""}, 400, field="reason"),
        reject("blank reason", {"reason": " \n "}, 422, field="reason"),
        reject("reason too long", {"reason": TOO_LONG_REASON}, 400, field="reason"),
        reject("unknown field", {**refused, "notify": False}, 400, field="notify"),
        reject("by the tutor", refused, 403, headers=tutor),
        reject("by a student", refused, 403, headers=student),
        reject("by a manager", refused, 403, headers=manager),
        reject("anonymous", refused, 401, headers={}),
        reject(
            "an unknown withdrawal",
            refused,
            404,
            "withdrawal-not-found",
            url=f"{ADMIN_WITHDRAWALS}/{uuid4()}/reject",
        ),
    ]
    assert await refusals(client, cases) == []
    assert [w["status"] for w in await items(client, ADMIN_WITHDRAWALS, admin)] == ["requested"]
    assert await trial_balance(client, admin) == held

    # Decided once: deciding again is a conflict (the worker may be paying it out meanwhile).
    response = await client.post(approve_url, headers=admin)
    assert response.status_code == 200, response.text
    problem(await client.post(approve_url, headers=admin), 409)
    problem(await client.post(reject_url, json=refused, headers=admin), 409)
    [decided] = await items(client, ADMIN_WITHDRAWALS, admin)
    assert decided["status"] in ("approved", "paid")
    assert decided["reason"] is None


# ---- webhooks, the sandbox's pages and the lists ---------------------------------------------
async def test_webhooks_sandbox_pages_and_lists_refuse_bad_input(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    admin, student = [await headers_of(client, name) for name in ("admin", "student")]
    response = await client.post(
        CHECKOUT, json={"item": {"kind": "wallet_topup", "amount": 2000}}, headers=student
    )
    assert response.status_code == 201, response.text
    pending = response.json()["order_id"]
    before = await trial_balance(client, admin)

    webhook = "/api/v1/webhooks/stripe"
    event = b'{"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {}}}'
    cases = [
        # The sandbox takes no Stripe webhooks at all.
        Bad(
            "webhook unsigned",
            "POST",
            webhook,
            400,
            "invalid-webhook",
            content=event,
            headers={"Content-Type": "application/json"},
        ),
        Bad(
            "webhook signed",
            "POST",
            webhook,
            400,
            "invalid-webhook",
            content=event,
            headers={"Content-Type": "application/json", "Stripe-Signature": "t=1,v1=00"},
        ),
        Bad("webhook empty", "POST", webhook, 400),
        # The sandbox's page and buttons, for orders that are not there.
        Bad("page of an unknown order", "GET", f"/sandbox/checkout/{uuid4()}", 404),
        Bad("pay an unknown order", "POST", f"/sandbox/checkout/{uuid4()}/succeed", 404),
        Bad("page of not an order id", "GET", "/sandbox/checkout/nope", NOT_FOUND_OR_BAD),
        Bad("an unknown button", "POST", f"/sandbox/checkout/{pending}/refund", 404),
        # One's orders.
        Bad("an unknown order", "GET", f"/api/v1/me/orders/{uuid4()}", 404, headers=student),
        Bad("not an order id", "GET", "/api/v1/me/orders/42", NOT_FOUND_OR_BAD, headers=student),
        Bad(
            "another's order",
            "GET",
            f"/api/v1/me/orders/{pending}",
            404,
            headers=await headers_of(client, "tutor"),
        ),
    ]
    lists = {
        "/api/v1/me/wallet/transactions": student,
        "/api/v1/me/orders": student,
        "/api/v1/me/earnings": student,
        WITHDRAWALS: student,
        ADMIN_ORDERS: admin,
        "/api/v1/admin/payments": admin,
        ADMIN_REFUNDS: admin,
        ADMIN_WITHDRAWALS: admin,
    }
    foreign_cursors = (
        "garbage",
        "c" * 301,
        "eyJhIjoxfQ",  # {"a":1}
        "WyJub3QgYSB0aW1lIiwiMSJd",  # ["not a time","1"]
        "WyIyMDI1LTAxLTAxVDAwOjAwOjAwIiwiMSJd",  # a time without its offset
    )
    for url, headers in lists.items():
        for params in (
            {"limit": 0},
            {"limit": 101},
            {"limit": -1},
            {"limit": "ten"},
            {"limit": 1.5},
            *({"cursor": cursor} for cursor in foreign_cursors),
        ):
            name = next(iter(params))
            cases.append(
                Bad(f"{params}", "GET", url, 400, field=name, headers=headers, params=params)
            )
    filters = [
        (WITHDRAWALS, student, {"status": "pending"}),
        (ADMIN_ORDERS, admin, {"status": "paid"}),
        (ADMIN_ORDERS, admin, {"buyer_id": "someone"}),
        (ADMIN_ORDERS, admin, {"kind": "gift"}),
        (ADMIN_ORDERS, admin, {"method": "cash"}),
        ("/api/v1/admin/payments", admin, {"status": "SUCCEEDED"}),
        ("/api/v1/admin/payments", admin, {"method": "cheque"}),
        (ADMIN_REFUNDS, admin, {"status": "done"}),
        (ADMIN_REFUNDS, admin, {"order_id": "42"}),
        (ADMIN_WITHDRAWALS, admin, {"status": "open"}),
        (ADMIN_WITHDRAWALS, admin, {"tutor_id": "tutor"}),
    ]
    cases += [
        Bad(f"{params}", "GET", url, 400, field=next(iter(params)), headers=headers, params=params)
        for url, headers, params in filters
    ]
    # Admin lists are for admins.
    cases += [
        Bad(f"{url} by a student", "GET", url, 403, headers=student)
        for url in (
            ADMIN_ORDERS,
            "/api/v1/admin/payments",
            ADMIN_REFUNDS,
            ADMIN_WITHDRAWALS,
            TRIAL_BALANCE,
        )
    ]
    assert await refusals(client, cases) == []

    order = (await client.get(f"/api/v1/me/orders/{pending}", headers=student)).json()
    assert order["status"] == "pending"
    assert await trial_balance(client, admin) == before


# ---- amounts that are not JSON integers ------------------------------------------------------
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # parsing, not storage
async def test_amounts_sent_as_strings_or_floats_are_refused(
    client: Any, settings: Settings
) -> None:
    await seed_people(settings)
    tutor, admin, student = [await headers_of(client, n) for n in ("tutor", "admin", "student")]
    topup = await pay_by_sandbox_card(client, student, {"kind": "wallet_topup", "amount": 5000})
    before = await trial_balance(client, admin)
    orders_before = await items(client, ADMIN_ORDERS, admin)
    refund_url = f"/api/v1/admin/payments/{topup['id']}/refund"
    not_integers = ("5000", "1e3", "5000.0", 5000.0, 1e3)
    small_not_integers = ("100", "1e2", "100.0", 100.0, 1e2)  # each refundable on its own
    cases = [
        *(
            Bad(
                f"top-up of {amount!r}",
                "POST",
                CHECKOUT,
                400,
                field="amount",
                json={"item": {"kind": "wallet_topup", "amount": amount}},
                headers=student,
            )
            for amount in not_integers
        ),
        *(
            Bad(
                f"refund of {amount!r}",
                "POST",
                refund_url,
                400,
                field="amount.amount",
                json={"reason": "asked", "amount": {"amount": amount, "currency": "USD"}},
                headers=admin,
            )
            for amount in small_not_integers
        ),
        *(
            Bad(
                f"withdrawal of {amount!r}",
                "POST",
                WITHDRAWALS,
                400,
                field="amount",
                json={"amount": amount},
                headers=tutor,
            )
            for amount in not_integers
        ),
    ]
    assert await refusals(client, cases) == []
    assert await items(client, ADMIN_ORDERS, admin) == orders_before
    assert await items(client, ADMIN_REFUNDS, admin) == []
    assert await trial_balance(client, admin) == before
