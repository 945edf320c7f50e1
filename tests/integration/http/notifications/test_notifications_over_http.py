"""The notification center over HTTP, on SQLite and PostgreSQL, with the app's own worker: a
student who switched email off for bookings books and pays a lesson, and gets the booking in
the center only while the receipt still comes by email and the tutor gets both; then the
center's routes and preferences, and every bad input answering a problem."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from tests.fakes import FixedClock
from tests.integration.http.tutoring.helpers import (
    BERLIN,
    at,
    book_and_pay,
    mail_with,
    make_tutor,
    next_weekday,
    served,
    text_of,
    tutoring_settings,
    user_id,
    weekly,
)
from tests.support.catalog import headers_of, published_course, seed_people
from tests.support.identity import mails_to, problem

from elearn.adapters.jobs.broker import build_broker
from elearn.application.communication.notifications import NotificationDraft
from elearn.domain.communication.notifications import Category
from elearn.entrypoints.bootstrap import bootstrap
from elearn.entrypoints.settings import Settings

NOTIFICATIONS = "/api/v1/me/notifications"
PREFERENCES = "/api/v1/me/notification-preferences"
STUDENT_MAIL, TUTOR_MAIL = "student@catalog.test", "tutor@catalog.test"


async def wait_for(
    client: Any, headers: dict[str, str], count: int, **params: Any
) -> list[dict[str, Any]]:
    """The caller's notifications, once there are ``count`` (made by the app's worker)."""
    for _ in range(300):
        response = await client.get(NOTIFICATIONS, params=params, headers=headers)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        if len(items) >= count:
            return items
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {count} notifications: {items}")


async def test_a_student_with_booking_email_off_gets_the_booking_in_app_only(
    settings: Settings,
) -> None:
    settings = tutoring_settings(settings)
    await seed_people(settings)
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    async with served(settings, clock) as (client, _container):
        tutor = await headers_of(client, "tutor")
        student = await headers_of(client, "student")
        await make_tutor(client, tutor, windows=weekly("09:00", "13:00"))
        turned_off = await client.put(
            PREFERENCES, json={"channels": {"booking": {"email": False}}}, headers=student
        )
        assert turned_off.status_code == 200, turned_off.text
        assert turned_off.json()["channels"]["booking"] == {
            "in_app": True,
            "email": False,
            "push": True,
        }
        monday = next_weekday(clock.now(), 0, days_ahead=4, zone=BERLIN)
        booking = await book_and_pay(
            client, student, await user_id(client, tutor), at(monday, "10:00")
        )

        # The tutor: the booking in the center and by email.
        (tutor_note,) = await wait_for(client, tutor, 1, category="booking")
        assert tutor_note["link"] == {"type": "booking", "id": booking["id"]}
        assert tutor_note["title"] == "Lesson confirmed" and tutor_note["read_at"] is None
        await mail_with(settings, TUTOR_MAIL, "is confirmed", "")
        # The student: the hold, the booking and the payment in the center, the receipt by
        # email only.
        notes = await wait_for(client, student, 3)
        assert sorted(n["title"] for n in notes) == [
            "Lesson confirmed",
            "Lesson held for you",
            "Payment received",
        ]
        assert {n["category"] for n in notes} == {"booking", "payment"}
        await mail_with(settings, STUDENT_MAIL, "receipt", "")
        # Each email of the event went out once, in the handler that also decided the student's.
        sent = [m["Subject"] for m in await mails_to(settings, STUDENT_MAIL, count=0)]
        assert not [s for s in sent if "is confirmed" in s], sent
        assert len([s for s in sent if "receipt" in s.lower()]) == 1, sent
        tutor_mails = await mails_to(settings, TUTOR_MAIL, count=0)
        assert len([m for m in tutor_mails if "is confirmed" in m["Subject"]]) == 1
        assert "Lesson confirmed" not in [m["Subject"] for m in tutor_mails]
        assert "confirmed" in text_of(
            next(m for m in tutor_mails if "is confirmed" in m["Subject"])
        )

        count = await client.get(f"{NOTIFICATIONS}/unread-count", headers=student)
        assert count.json() == {"unread": 3}
        booking_notes = [n["id"] for n in notes if n["category"] == "booking"]
        read = await client.post(
            f"{NOTIFICATIONS}/read", json={"ids": booking_notes}, headers=student
        )
        assert read.status_code == 200, read.text
        assert read.json() == {"marked": 2, "unread": 1}
        unread = await wait_for(client, student, 1, unread="true")
        assert [n["category"] for n in unread] == ["payment"]
        everything = await client.post(f"{NOTIFICATIONS}/read", json={"all": True}, headers=student)
        assert everything.json() == {"marked": 1, "unread": 0}
        # The tutor's notification stays unread: each reads only their own.
        assert (await client.get(f"{NOTIFICATIONS}/unread-count", headers=tutor)).json() == {
            "unread": 1
        }
        problem(
            await client.post(
                f"{NOTIFICATIONS}/read", json={"ids": [tutor_note["id"]]}, headers=student
            ),
            404,
            "notification-not-found",
        )


async def test_the_center_pages_and_refuses_bad_input(client: Any, settings: Settings) -> None:
    await seed_people(settings)
    student = await headers_of(client, "student")
    me = uuid.UUID(await user_id(client, student))
    # Made on the test's own loop and connections, as the outbox handlers would.
    container = bootstrap(settings, broker=build_broker(None))
    try:
        await container.notifications.notify(
            [
                NotificationDraft(
                    recipient_id=me,
                    category=Category.COURSE if n % 2 else Category.ACCOUNT,
                    title=f"Number {n}",
                    body="",
                    source_key=f"source-{n}",
                )
                for n in range(5)
            ]
        )
    finally:
        await container.dispose()
    first = await client.get(NOTIFICATIONS, params={"limit": 2}, headers=student)
    assert first.status_code == 200, first.text
    page = first.json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = await client.get(
        NOTIFICATIONS, params={"limit": 100, "cursor": page["next_cursor"]}, headers=student
    )
    assert len(rest.json()["items"]) == 3 and rest.json()["next_cursor"] is None
    ids = {n["id"] for n in page["items"]} | {n["id"] for n in rest.json()["items"]}
    assert len(ids) == 5
    courses = await client.get(NOTIFICATIONS, params={"category": "course"}, headers=student)
    assert {n["category"] for n in courses.json()["items"]} == {"course"}
    assert len(courses.json()["items"]) == 2

    # Not signed in.
    problem(await client.get(NOTIFICATIONS), 401)
    problem(await client.get(f"{NOTIFICATIONS}/unread-count"), 401)
    problem(await client.post(f"{NOTIFICATIONS}/read", json={"all": True}), 401)
    problem(await client.get(PREFERENCES), 401)
    problem(await client.put(PREFERENCES, json={}), 401)
    # Bad parameters and bodies: nothing changes.
    for params in (
        {"limit": 0},
        {"cursor": "nonsense"},
        {"category": "gossip"},
        {"unread": "maybe"},
    ):
        problem(await client.get(NOTIFICATIONS, params=params, headers=student), 400)
    read = f"{NOTIFICATIONS}/read"
    problem(await client.post(read, json={}, headers=student), 422, "invalid-input")
    problem(
        await client.post(read, json={"ids": [str(uuid.uuid4())], "all": True}, headers=student),
        422,
        "invalid-input",
    )
    problem(await client.post(read, json={"ids": ["not-a-uuid"]}, headers=student), 400)
    problem(await client.post(read, json={"ids": [], "extra": 1}, headers=student), 400)
    problem(
        await client.post(
            read, json={"ids": [str(uuid.uuid4()) for _ in range(101)]}, headers=student
        ),
        400,
    )
    problem(
        await client.post(read, json={"ids": [str(uuid.uuid4())]}, headers=student),
        404,
        "notification-not-found",
    )
    for body in (
        {"channels": {"course": {"in_app": False}}},
        {"time_zone": "Nowhere/Special"},
        {"quiet_hours": {"start": "22:00", "end": "22:00"}},
    ):
        problem(
            await client.put(PREFERENCES, json=body, headers=student), 422, "invalid-preferences"
        )
    for body in (
        {"channels": {"gossip": {"email": False}}},
        {"channels": {"course": {"fax": False}}},
        {"email_digest": "weekly"},
        {"quiet_hours": {"start": "25:00", "end": "07:00"}},
        {"quiet_hours": {"start": "22:00"}},
        {"surprise": True},
    ):
        problem(await client.put(PREFERENCES, json=body, headers=student), 400)
    unchanged = (await client.get(PREFERENCES, headers=student)).json()
    assert unchanged["quiet_hours"] is None and unchanged["email_digest"] == "off"
    assert (await client.get(f"{NOTIFICATIONS}/unread-count", headers=student)).json() == {
        "unread": 5
    }

    saved = await client.put(
        PREFERENCES,
        json={
            "email_digest": "daily",
            "quiet_hours": {"start": "22:30", "end": "06:45"},
            "time_zone": "Asia/Kolkata",
            "channels": {"announcement": {"push": False}},
        },
        headers=student,
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["quiet_hours"] == {"start": "22:30", "end": "06:45"}
    assert saved.json()["time_zone"] == "Asia/Kolkata"
    assert (await client.get(PREFERENCES, headers=student)).json() == saved.json()


async def test_an_instructors_announcement_reaches_the_students_center_and_inbox(
    settings: Settings,
) -> None:
    await seed_people(settings)
    async with served(settings, FixedClock(datetime.now(UTC).replace(microsecond=0))) as (
        client,
        _container,
    ):
        tutor, manager = await headers_of(client, "tutor"), await headers_of(client, "manager")
        student, cotutor = await headers_of(client, "student"), await headers_of(client, "cotutor")
        course = await published_course(client, tutor, manager, title="Astronomy")
        enrolled = await client.post(f"/api/v1/courses/{course['id']}/enroll", headers=student)
        assert enrolled.status_code in (200, 201), enrolled.text
        announcements = f"/api/v1/courses/{course['id']}/announcements"

        posted = await client.post(
            announcements, json={"title": "Week 2", "body": "Bring a telescope."}, headers=tutor
        )
        assert posted.status_code == 201, posted.text
        (note,) = await wait_for(client, student, 1, category="announcement")
        assert note["title"] == "Astronomy: Week 2" and note["body"] == "Bring a telescope."
        assert note["link"] == {"type": "announcement", "id": posted.json()["id"]}
        mail = await mail_with(settings, STUDENT_MAIL, "Astronomy: Week 2", "Bring a telescope.")
        assert mail["To"] == STUDENT_MAIL
        listed = await client.get(announcements, headers=student)
        assert [a["id"] for a in listed.json()["items"]] == [posted.json()["id"]]
        by_slug = await client.get(
            f"/api/v1/courses/{course['slug']}/announcements", headers=manager
        )
        assert by_slug.json() == listed.json()

        # Not an instructor, not a student of it, nobody, nothing that exists, bad bodies.
        problem(
            await client.post(announcements, json={"title": "x", "body": "y"}, headers=student), 403
        )
        problem(
            await client.post(announcements, json={"title": "x", "body": "y"}, headers=cotutor), 403
        )
        problem(await client.get(announcements, headers=cotutor), 403)
        problem(await client.get(announcements), 401)
        problem(
            await client.get(f"/api/v1/courses/{uuid.uuid4()}/announcements", headers=tutor),
            404,
            "course-not-found",
        )
        for body in (
            {"title": "", "body": "y"},
            {"title": "x"},
            {"title": "x", "body": "y", "z": 1},
        ):
            problem(await client.post(announcements, json=body, headers=tutor), 400)
        problem(
            await client.post(announcements, json={"title": "   ", "body": "y"}, headers=tutor),
            422,
            "invalid-announcement",
        )
        assert len((await client.get(announcements, headers=tutor)).json()["items"]) == 1


PUSH = "/api/v1/me/push-subscriptions"


async def test_a_browser_subscribes_to_push_and_unsubscribes(
    client: Any, settings: Settings
) -> None:
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    await seed_people(settings)
    student = await headers_of(client, "student")
    problem(await client.get(f"{PUSH}/vapid-key"), 401, "not-authenticated")
    key = await client.get(f"{PUSH}/vapid-key", headers=student)
    assert key.status_code == 200, key.text
    assert len(base64.urlsafe_b64decode(key.json()["public_key"] + "=")) == 65
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    endpoint = "https://fcm.googleapis.com/fcm/send/a-browser"
    body = {
        "endpoint": endpoint,
        "expirationTime": None,
        "keys": {"p256dh": b64(point), "auth": b64(b"0123456789abcdef")},
    }
    made = await client.post(PUSH, json=body, headers=student)
    assert made.status_code == 201, made.text
    assert made.json()["endpoint"] == endpoint and set(made.json()) == {
        "id",
        "endpoint",
        "created_at",
    }
    bad_keys = {**body, "keys": {"p256dh": b64(point[:40]), "auth": b64(b"0123456789abcdef")}}
    problem(
        await client.post(PUSH, json=bad_keys, headers=student), 422, "invalid-push-subscription"
    )
    elsewhere = {**body, "endpoint": "https://internal.example/admin"}
    problem(await client.post(PUSH, json=elsewhere, headers=student), 422, "unknown-push-service")
    gone = await client.delete(PUSH, params={"endpoint": endpoint}, headers=student)
    assert gone.status_code == 204, gone.text
    problem(
        await client.delete(PUSH, params={"endpoint": endpoint}, headers=student),
        404,
        "push-subscription-not-found",
    )
