"""Helpers for tutoring HTTP tests: the app served on the test's loop with a movable clock, a
tutor with a rate, subjects, languages, a time zone and weekly hours, finding slots, booking
and paying, the calendar feed and the mail outbox."""

from __future__ import annotations

import asyncio
import contextlib
import email.message
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import msgspec
from icalendar import Calendar
from tests.fakes import FixedClock
from tests.support.apps import app_for
from tests.support.billing import pay_by_sandbox_card
from tests.support.identity import mails_to

from elearn.adapters.jobs.broker import build_broker
from elearn.entrypoints.bootstrap import Container, bootstrap
from elearn.entrypoints.settings import Settings

BOOKINGS = "/api/v1/bookings"
TUTORS = "/api/v1/tutors"
AVAILABILITY = "/api/v1/me/availability"
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
RATE = 4000  # 40.00 USD an hour
WEEKDAYS = range(5)


def tutoring_settings(settings: Settings, **overrides: Any) -> Settings:
    """The test settings with access tokens that outlive the clock moves of a test (a day)."""
    return msgspec.structs.replace(settings, jwt_access_ttl_seconds=86_400, **overrides)


@contextlib.asynccontextmanager
async def served(
    settings: Settings, clock: FixedClock, *, run_background: bool = True
) -> AsyncIterator[tuple[httpx.AsyncClient, Container]]:
    """The app on this loop (so gathered requests really overlap) with ``clock`` as its time.
    With ``run_background`` the in-process worker sends mail (on the system clock, as the
    worker builds its own container); without, nothing runs behind the test's back."""
    container = bootstrap(
        settings,
        overrides={"clock": clock},
        **({} if run_background else {"broker": build_broker(None)}),
    )
    app = app_for(settings, container=container, run_background=run_background)
    try:
        async with (
            app.lifespan(),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver.local"
            ) as client,
        ):
            yield client, container
    finally:
        await container.dispose()


async def user_id(client: Any, headers: dict[str, str]) -> str:
    response = await client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


# ---- time ------------------------------------------------------------------------------------
def next_weekday(after: datetime, weekday: int, *, days_ahead: int, zone: ZoneInfo) -> date:
    """The first ``weekday`` (0 Monday) in ``zone`` at least ``days_ahead`` days after ``after``."""
    day = after.astimezone(zone).date() + timedelta(days=days_ahead)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def at(day: date, clock_time: str, zone: ZoneInfo = BERLIN) -> datetime:
    """The UTC instant of a local wall-clock time (``"09:30"``) on ``day`` in ``zone``."""
    hours, minutes = map(int, clock_time.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=zone).astimezone(UTC)


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def iso(value: datetime) -> str:
    return value.isoformat()


# ---- tutors ----------------------------------------------------------------------------------
def weekly(
    start: str = "09:00", end: str = "12:00", days: Iterable[int] = WEEKDAYS
) -> list[dict[str, Any]]:
    return [{"weekday": day, "start": start, "end": end} for day in days]


async def make_tutor(
    client: Any,
    headers: dict[str, str],
    *,
    rate: int = RATE,
    currency: str = "USD",
    subjects: Iterable[str] = ("Maths", "Physics"),
    languages: Iterable[str] = ("en", "de"),
    time_zone: str = "Europe/Berlin",
    meeting_url: str | None = None,
    windows: list[dict[str, Any]] | None = None,
    durations: Iterable[int] = (30, 60),
    buffer_minutes: int = 0,
    **rules: Any,
) -> dict[str, Any]:
    """Sets the tutor's profile (rate, subjects, languages, zone, meeting link) and weekly
    hours; answers the availability as stored."""
    profile: dict[str, Any] = {
        "hourly_rate_amount": rate,
        "hourly_rate_currency": currency,
        "subjects": list(subjects),
        "languages": list(languages),
        "time_zone": time_zone,
    }
    if meeting_url is not None:
        profile["meeting_url"] = meeting_url
    response = await client.patch("/api/v1/me", json={"tutor": profile}, headers=headers)
    assert response.status_code == 200, response.text
    response = await client.put(
        AVAILABILITY,
        json={
            "time_zone": time_zone,
            "windows": weekly() if windows is None else windows,
            "durations": list(durations),
            "buffer_minutes": buffer_minutes,
            **rules,
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def free_slots(
    client: Any, tutor_id: str, start: datetime, end: datetime, duration: int = 60
) -> list[datetime]:
    response = await client.get(
        f"{TUTORS}/{tutor_id}/slots",
        params={"from": iso(start), "to": iso(end), "duration": duration},
    )
    assert response.status_code == 200, response.text
    return [parse_time(value) for value in response.json()["starts"]]


# ---- bookings --------------------------------------------------------------------------------
def booking_body(tutor_id: str, starts_at: datetime, duration: int = 60) -> dict[str, Any]:
    return {"tutor_id": tutor_id, "starts_at": iso(starts_at), "duration_minutes": duration}


async def book(
    client: Any, headers: dict[str, str], tutor_id: str, starts_at: datetime, duration: int = 60
) -> dict[str, Any]:
    response = await client.post(
        BOOKINGS, json=booking_body(tutor_id, starts_at, duration), headers=headers
    )
    assert response.status_code == 201, response.text
    booking = response.json()
    assert booking["status"] == "held", booking
    return booking  # type: ignore[no-any-return]


async def get_booking(client: Any, headers: dict[str, str], booking_id: str) -> dict[str, Any]:
    response = await client.get(f"{BOOKINGS}/{booking_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def pay_by_card(client: Any, headers: dict[str, str], booking_id: str) -> dict[str, Any]:
    """Pays a held booking through the sandbox checkout; answers the booking, confirmed."""
    response = await client.post(
        f"{BOOKINGS}/{booking_id}/pay", json={"method": "card"}, headers=headers
    )
    assert response.status_code == 200, response.text
    payment = response.json()
    assert payment["checkout_url"].endswith(f"/sandbox/checkout/{payment['order_id']}")
    pressed = await client.post(f"/sandbox/checkout/{payment['order_id']}/succeed")
    assert pressed.status_code == 200, pressed.text
    booking = await get_booking(client, headers, booking_id)
    assert booking["status"] == "confirmed", booking
    assert booking["order_id"] == payment["order_id"]
    return booking


async def pay_with_credits(client: Any, headers: dict[str, str], booking_id: str) -> dict[str, Any]:
    response = await client.post(
        f"{BOOKINGS}/{booking_id}/pay", json={"method": "credits"}, headers=headers
    )
    assert response.status_code == 200, response.text
    payment = response.json()
    assert payment["checkout_url"] is None
    assert payment["booking"]["status"] == "confirmed", payment
    return payment["booking"]  # type: ignore[no-any-return]


async def book_and_pay(
    client: Any,
    headers: dict[str, str],
    tutor_id: str,
    starts_at: datetime,
    duration: int = 60,
    *,
    method: str = "card",
) -> dict[str, Any]:
    held = await book(client, headers, tutor_id, starts_at, duration)
    if method == "card":
        return await pay_by_card(client, headers, held["id"])
    return await pay_with_credits(client, headers, held["id"])


async def top_up(client: Any, headers: dict[str, str], amount: int) -> None:
    order = await pay_by_sandbox_card(client, headers, {"kind": "wallet_topup", "amount": amount})
    assert order["status"] == "succeeded", order


async def wallet(client: Any, headers: dict[str, str], currency: str = "USD") -> int:
    response = await client.get("/api/v1/me/wallet", headers=headers)
    assert response.status_code == 200, response.text
    return sum(b["amount"] for b in response.json() if b["currency"] == currency)


async def order_of(client: Any, headers: dict[str, str], order_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/me/orders/{order_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def earnings(client: Any, headers: dict[str, str], currency: str = "USD") -> dict[str, int]:
    response = await client.get("/api/v1/me/earnings", headers=headers)
    assert response.status_code == 200, response.text
    for balance in response.json()["balances"]:
        if balance["currency"] == currency:
            return balance  # type: ignore[no-any-return]
    return {"pending": 0, "available": 0, "on_hold": 0, "total_earned": 0, "paid_out": 0}


async def my_bookings(client: Any, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = await client.get(
        "/api/v1/me/bookings", params={"limit": 100, **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


# ---- calendar and mail -----------------------------------------------------------------------
async def calendar_url(client: Any, headers: dict[str, str]) -> str:
    """A new private feed URL, as a path the test client can fetch."""
    response = await client.post("/api/v1/me/calendar-token", headers=headers)
    assert response.status_code == 201, response.text
    url = httpx.URL(response.json()["url"])
    assert url.path == "/api/v1/me/calendar.ics"
    return f"{url.path}?{url.query.decode()}"


async def calendar_events(client: Any, url: str) -> dict[str, Any]:
    """The feed's events by booking id (read from their UIDs)."""
    response = await client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    events = {}
    for event in Calendar.from_ical(response.content).walk("VEVENT"):
        uid = str(event["UID"])
        assert uid.startswith("booking-"), uid
        events[uid.removeprefix("booking-").split("@")[0]] = event
    return events


def spoken(moment: datetime, zone: ZoneInfo) -> str:
    """How an English email writes ``moment`` to a reader in ``zone``."""
    local = moment.astimezone(zone)
    hour = local.hour % 12 or 12
    noon = "AM" if local.hour < 12 else "PM"
    return f"{local:%A, %B} {local.day}, {local.year}, {hour}:{local:%M} {noon} ({zone.key})"


async def mail_with(
    settings: Settings, address: str, subject: str, text: str, *, timeout: float = 15
) -> email.message.Message:
    """Waits for an email to ``address`` whose subject holds ``subject`` and whose text holds
    ``text`` (other emails, such as reminders, may come in between)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        for message in await mails_to(settings, address, count=0):
            if subject.lower() in (message["Subject"] or "").lower() and text in text_of(message):
                return message
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no email to {address} about {subject!r} with {text!r}")
        await asyncio.sleep(0.05)


def text_of(message: email.message.Message) -> str:
    parts = []
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                parts.append(payload.decode(part.get_content_charset() or "utf-8"))
    return "\n".join(parts)
