"""Your own account over HTTP, on SQLite and PostgreSQL: profile changes that are all valid or
change nothing, strict bodies, and avatars judged by their bytes and size."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from tests.support.identity import (
    PASSWORD,
    bearer,
    login,
    png,
    problem,
    register_student,
)

from elearn.adapters.jobs.broker import build_broker
from elearn.application.actor import Actor
from elearn.application.identity.accounts import CreateAccount
from elearn.domain.identity.roles import Role
from elearn.entrypoints.bootstrap import bootstrap
from elearn.entrypoints.settings import Settings

ME = "/api/v1/me"
AVATAR = "/api/v1/me/avatar"
MiB = 1024 * 1024


def stored_files(settings: Settings) -> list[Path]:
    root = settings.effective_storage_dir
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


async def test_student_profile_changes(client: Any) -> None:
    await register_student(client, "profile@example.com")
    session = await login(client, "profile@example.com")
    changed = await client.patch(
        ME,
        json={
            "full_name": "  Pro File  ",
            "student": {
                "time_zone": "Europe/Berlin",
                "preferred_currency": "eur",
                "country": "de",
                "language": "de",
                "bio": "Line one\nline two",
            },
        },
        headers=bearer(session),
    )
    assert changed.status_code == 200, changed.text
    me = (await client.get(ME, headers=bearer(session))).json()
    assert me["full_name"] == "Pro File"
    assert me["tutor_profile"] is None
    profile = me["student_profile"]
    assert (profile["time_zone"], profile["preferred_currency"]) == ("Europe/Berlin", "EUR")
    assert (profile["country"], profile["language"]) == ("DE", "de")
    assert profile["bio"] == "Line one\nline two" and profile["institution"] is None
    assert changed.json() == me

    refused = await client.patch(
        ME,
        json={
            "full_name": "Someone Else",
            "student": {
                "time_zone": "Mars/Base",
                "preferred_currency": "XYZ",
                "country": "ZZ",
                "language": "fr",
            },
        },
        headers=bearer(session),
    )
    body = problem(refused, 422)
    fields = sorted(error["field"] for error in body["errors"])
    assert fields == ["student.country", "student.preferred_currency", "student.time_zone"]
    assert (await client.get(ME, headers=bearer(session))).json() == me

    for student, field in [
        ({"time_zone": "Europe"}, "student.time_zone"),  # a directory of zones, not a zone
        ({"time_zone": "../../etc/passwd"}, "student.time_zone"),
        ({"time_zone": ""}, "student.time_zone"),
        ({"preferred_currency": "DEM"}, "student.preferred_currency"),  # withdrawn
        ({"language": "xx"}, "student.language"),
        ({"country": "EU"}, "student.country"),
        ({"bio": "bell\x07"}, "student.bio"),
    ]:
        body = problem(
            await client.patch(ME, json={"student": student}, headers=bearer(session)), 422
        )
        assert [error["field"] for error in body["errors"]] == [field], body
    name = problem(await client.patch(ME, json={"full_name": "   "}, headers=bearer(session)), 422)
    assert [error["field"] for error in name["errors"]] == ["full_name"]

    tutor_fields = await client.patch(
        ME, json={"tutor": {"headline": "Teacher now", "time_zone": "UTC"}}, headers=bearer(session)
    )
    body = problem(tutor_fields, 422)
    assert sorted(e["field"] for e in body["errors"]) == ["tutor.headline", "tutor.time_zone"]

    for sneaky in [
        {"role": "admin"},
        {"email_verified": True},
        {"email": "other@example.com"},
        {"student": {"role": "admin"}},
        {"tutor": {"rating_average": 5}},
        {"tutor_approval": "approved"},
    ]:
        problem(await client.patch(ME, json=sneaky, headers=bearer(session)), 400)
    for malformed in [{"full_name": ""}, {"student": {"bio": "x" * 2001}}, {"student": "DE"}]:
        problem(await client.patch(ME, json=malformed, headers=bearer(session)), 400)
    as_json = {**bearer(session), "Content-Type": "application/json"}
    problem(await client.patch(ME, content=b'{"full_name": ', headers=as_json), 400)
    problem(await client.patch(ME, json={"full_name": "Anon"}), 401)
    assert (await client.get(ME, headers=bearer(session))).json() == me


async def test_tutor_profile_changes(client: Any, settings: Settings) -> None:
    container = bootstrap(settings, broker=build_broker(None))
    try:
        await container.identity.create_account(
            Actor.system(), CreateAccount("teacher@example.com", PASSWORD, "Tea Cher", Role.TUTOR)
        )
    finally:
        await container.dispose()
    session = await login(client, "teacher@example.com")
    changed = await client.patch(
        ME,
        json={
            "tutor": {
                "headline": "Physics",
                "subjects": ["mechanics", "Mechanics ", "optics"],
                "languages": ["en", "de-AT"],
                "hourly_rate": {"amount": 4500, "currency": "USD"},
                "time_zone": "America/New_York",
                "meeting_url": "https://meet.example.com/room",
            }
        },
        headers=bearer(session),
    )
    assert changed.status_code == 200, changed.text
    profile = changed.json()["tutor_profile"]
    assert profile["subjects"] == ["mechanics", "optics"]
    assert profile["hourly_rate"] == {"amount": 4500, "currency": "USD"}

    for tutor, fields in [
        ({"hourly_rate": {"amount": 100, "currency": "XXX"}}, ["tutor.hourly_rate.currency"]),
        ({"hourly_rate": {"amount": 100, "currency": "ZZZ"}}, ["tutor.hourly_rate.currency"]),
        ({"meeting_url": "http://meet.example.com"}, ["tutor.meeting_url"]),
        ({"meeting_url": "https://user:pw@meet.example.com"}, ["tutor.meeting_url"]),
        ({"meeting_url": "javascript:alert(1)"}, ["tutor.meeting_url"]),
        ({"languages": ["en", "klingon"]}, ["tutor.languages[1]"]),
        ({"subjects": ["ok", " "]}, ["tutor.subjects[1]"]),
    ]:
        body = problem(await client.patch(ME, json={"tutor": tutor}, headers=bearer(session)), 422)
        assert sorted(e["field"] for e in body["errors"]) == fields, body
    problem(
        await client.patch(ME, json={"student": {"country": "DE"}}, headers=bearer(session)), 422
    )
    # The shape of money is checked before any rule: 400 naming the field.
    for rate in (
        {"amount": -1, "currency": "USD"},
        {"amount": 10**12, "currency": "USD"},
        {"amount": 4500, "currency": "usd"},
        {"amount": 4500},
        4500,
    ):
        body = problem(
            await client.patch(ME, json={"tutor": {"hourly_rate": rate}}, headers=bearer(session)),
            400,
        )
        assert body["errors"][0]["field"].startswith("tutor.hourly_rate"), body
    # The flat pair of fields the API took before is gone.
    problem(
        await client.patch(
            ME,
            json={"tutor": {"hourly_rate_amount": 4500, "hourly_rate_currency": "USD"}},
            headers=bearer(session),
        ),
        400,
    )
    assert (await client.get(ME, headers=bearer(session))).json()["tutor_profile"] == profile


async def test_avatars_are_judged_by_their_bytes(client: Any, settings: Settings) -> None:
    await register_student(client, "face@example.com")
    session = await login(client, "face@example.com")

    def upload(name: str, data: bytes, media_type: str = "image/png") -> dict[str, Any]:
        return {"files": {"file": (name, data, media_type)}, "headers": bearer(session)}

    first = await client.put(AVATAR, **upload("me.png", png()))
    assert first.status_code == 200, first.text
    url = first.json()["avatar_url"]
    assert url.startswith("/api/v1/images/avatar/") and first.json()["media_type"] == "image/png"
    key = url.removeprefix("/api/v1/images/")
    assert (await client.get(ME, headers=bearer(session))).json()["avatar_url"] == url
    # The URL serves the image itself, to anyone (a tutor's face is on their public page).
    served = await client.get(url)
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert served.content == png()
    assert len(stored_files(settings)) == 1

    for name, data in [
        ("me.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><circle r="1"/></svg>'),
        ("me.png", b"<?xml version='1.0'?><svg/>"),
        ("me.html", b"<html><script>alert(1)</script></html>"),
        ("me.png", png(b"Comment\x00<script>alert(1)</script>")),  # a PNG hiding markup
        ("me.pdf", b"%PDF-1.4\n%%EOF\n"),  # a document, not an image
        ("me.png", b"just some text"),
    ]:
        problem(await client.put(AVATAR, **upload(name, data)), 415, "unsupported-media-type")
    problem(await client.put(AVATAR, **upload("big.png", png() + b"\x00" * (5 * MiB))), 413)
    problem(await client.put(AVATAR, **upload("huge.png", png() + b"\x00" * (7 * MiB))), 413)
    problem(await client.put(AVATAR, **upload("empty.png", b"")), 422)
    problem(await client.put(AVATAR, json={"file": "aGVsbG8="}, headers=bearer(session)), 415)
    problem(
        await client.put(
            AVATAR, files={"picture": ("me.png", png(), "image/png")}, headers=bearer(session)
        ),
        400,
    )
    problem(await client.put(AVATAR, files={"file": ("me.png", png(), "image/png")}), 401)
    assert (await client.get(ME, headers=bearer(session))).json()["avatar_url"] == url
    assert [
        p.relative_to(settings.effective_storage_dir).as_posix() for p in stored_files(settings)
    ] == [key]

    second = await client.put(AVATAR, **upload("again.png", png()))
    assert second.status_code == 200
    new_key = second.json()["avatar_url"].removeprefix("/api/v1/images/")
    assert new_key != key
    # The previous image is gone; only the new one is kept.
    assert [
        p.relative_to(settings.effective_storage_dir).as_posix() for p in stored_files(settings)
    ] == [new_key]
    assert uuid.UUID(hex=Path(new_key).stem)
