"""Smoke: a tutor sets hours, a student finds a slot, books, pays with sandbox card, cancels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.integration.http.billing.helpers import books_balance
from tests.integration.http.catalog.helpers import headers_of, seed_people

from elearn.entrypoints.settings import Settings


async def test_smoke(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    tutor = await headers_of(client, "tutor")
    student = await headers_of(client, "student")
    admin = await headers_of(client, "admin")
    r = await client.patch(
        "/api/v1/me",
        json={"tutor": {"hourly_rate_amount": 4000, "hourly_rate_currency": "USD", "subjects": ["Maths"], "time_zone": "Europe/Berlin"}},
        headers=tutor,
    )
    print(r.status_code, r.text[:300])
    r = await client.put(
        "/api/v1/me/availability",
        json={
            "time_zone": "Europe/Berlin",
            "windows": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(7)],
            "durations": [30, 60],
            "buffer_minutes": 10,
        },
        headers=tutor,
    )
    assert r.status_code == 200, r.text
    me = (await client.get("/api/v1/me", headers=tutor)).json()
    r = await client.get("/api/v1/tutors", params={"subject": "maths"})
    assert r.status_code == 200, r.text
    print(r.json())
    start = datetime.now(UTC) + timedelta(days=3)
    r = await client.get(
        f"/api/v1/tutors/{me['id']}/slots",
        params={"from": start.isoformat(), "to": (start + timedelta(days=1)).isoformat(), "duration": 60},
    )
    assert r.status_code == 200, r.text
    slots = r.json()["starts"]
    assert slots, r.json()
    r = await client.post(
        "/api/v1/bookings",
        json={"tutor_id": me["id"], "starts_at": slots[0], "duration_minutes": 60},
        headers=student,
    )
    assert r.status_code == 201, r.text
    booking = r.json()
    assert booking["status"] == "held" and booking["amount"] == 4000
    r = await client.post(
        "/api/v1/bookings",
        json={"tutor_id": me["id"], "starts_at": slots[0], "duration_minutes": 60},
        headers=student,
    )
    assert r.status_code == 409 and r.json()["code"] == "slot-unavailable", r.text
    r = await client.post(f"/api/v1/bookings/{booking['id']}/pay", json={"method": "card"}, headers=student)
    assert r.status_code == 200, r.text
    pay = r.json()
    r = await client.post(f"/sandbox/checkout/{pay['order_id']}/succeed")
    assert r.status_code == 200, r.text
    r = await client.get(f"/api/v1/bookings/{booking['id']}", headers=student)
    assert r.json()["status"] == "confirmed", r.text
    assert r.json()["meeting_url"]
    await books_balance(client, admin)
    r = await client.post(f"/api/v1/bookings/{booking['id']}/cancel", json={"reason": "ill"}, headers=student)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled_by_student"
    trial = await books_balance(client, admin)
    print(trial)
    r = await client.post("/api/v1/me/calendar-token", headers=student)
    assert r.status_code == 201, r.text
    url = r.json()["url"]
    r = await client.get(url.replace("http://127.0.0.1:8000", ""))
    assert r.status_code == 200, r.text
    assert b"BEGIN:VCALENDAR" in r.content
    print(r.text)
