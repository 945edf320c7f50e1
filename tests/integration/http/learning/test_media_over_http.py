"""Lesson media over HTTP, on SQLite and PostgreSQL: signed, short-lived links bound to their
holder, the lesson and the very file; refused (403 `media-token-invalid`, saying nothing more)
when expired, forged, someone else's, revoked or outdated by a new upload; and single byte
ranges for players that seek."""

from __future__ import annotations

import logging
import secrets
import struct
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.integration.http.learning.helpers import LESSONS, VIDEO, enroll, upload_video
from tests.support.catalog import (
    add_lesson,
    add_section,
    approve_tutors,
    create_course,
    headers_of,
    move,
    seed_people,
)
from tests.support.identity import PDF, problem, seed_accounts

from elearn.adapters.security.media_tokens import HmacMediaTokens
from elearn.application.learning.ports import MediaGrant, MediaSubject
from elearn.domain.identity.roles import Role
from elearn.entrypoints.http.learning import routes as learning_routes
from elearn.entrypoints.settings import Settings

MEDIA = "/api/v1/media"
# Another MP4 of the same length, with other bytes: what a tutor uploads to replace VIDEO.
NEW_VIDEO = (
    struct.pack(">I", 24)
    + b"ftypisom"
    + b"\x00\x00\x02\x00"
    + b"isomavc1"
    + bytes(reversed(range(256))) * 40
)


def app_tokens(settings: Settings) -> HmacMediaTokens:
    """Media tokens signed as the app signs them."""
    return HmacMediaTokens(settings.media_signing_key or settings.jwt_secret)


def token_of(url: str) -> str:
    assert url.startswith(f"{MEDIA}/"), url
    return url.removeprefix(f"{MEDIA}/")


def refused(response: Any, *secrets_: str) -> dict[str, Any]:
    """A 403 `media-token-invalid` that says nothing about why, and repeats neither the token
    nor the storage key anywhere in the answer."""
    body = problem(response, 403, "media-token-invalid")
    assert body["detail"] == "this media link is not valid; open the lesson again for a new one"
    assert body["instance"] == f"{MEDIA}/[redacted]"
    for secret in secrets_:
        assert secret not in response.text
        assert all(secret not in value for value in response.headers.values())
    assert "content-range" not in response.headers
    return body


def app_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What the app logged (the test client's own httpx log shows the URLs it requests)."""
    return [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]


async def user_id(client: Any, headers: dict[str, str]) -> uuid.UUID:
    response = await client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200, response.text
    return uuid.UUID(response.json()["id"])


async def media_of(client: Any, headers: dict[str, str], lesson_id: str) -> dict[str, Any]:
    response = await client.get(f"{LESSONS}/{lesson_id}", headers=headers)
    assert response.status_code == 200, response.text
    media: dict[str, Any] = response.json()["media"]
    assert media is not None
    return media


# ---- signed tokens ---------------------------------------------------------------------------
async def test_a_media_link_serves_its_holder_only_while_they_may_open_that_file(
    client: Any, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await seed_people(settings)
    tutor, cotutor, manager, admin, student = [
        await headers_of(client, name)
        for name in ("tutor", "cotutor", "manager", "admin", "student")
    ]
    student_id, cotutor_id = await user_id(client, student), await user_id(client, cotutor)
    course = await create_course(client, tutor, title="Signed Media")
    section = await add_section(client, tutor, course["id"])
    video = await add_lesson(
        client, tutor, section["id"], kind="video", title="Intro", text=None, duration_seconds=100
    )
    await upload_video(client, tutor, video["id"])
    for headers, action in ((tutor, "submit"), (manager, "approve"), (manager, "publish")):
        response = await move(client, headers, course["id"], action)
        assert response.status_code == 200, response.text
    enrollment = await enroll(client, student, course["id"])

    # The link: signed for the student, this lesson and this file, for five minutes.
    before = datetime.now(UTC)
    media = await media_of(client, student, video["id"])
    url, token = media["url"], token_of(media["url"])
    grant = app_tokens(settings).read(token, datetime.now(UTC))
    assert (grant.user_id, grant.subject, grant.subject_id) == (
        student_id,
        MediaSubject.LESSON,
        uuid.UUID(video["id"]),
    )
    key = grant.key
    assert key
    # The storage key is nowhere in plain sight: not in the lesson, nor in the outline.
    for shown in (f"{LESSONS}/{video['id']}", f"/api/v1/courses/{course['id']}"):
        assert key not in (await client.get(shown, headers=student)).text
    expires_at = datetime.fromisoformat(media["expires_at"])
    assert (
        before + timedelta(seconds=299) <= expires_at <= datetime.now(UTC) + timedelta(seconds=301)
    )
    assert abs(grant.expires_at - expires_at) < timedelta(seconds=1)
    assert (media["content_type"], media["filename"], media["size"]) == (
        "video/mp4",
        "intro.mp4",
        len(VIDEO),
    )

    # The holder streams the exact bytes; a player without headers too.
    for headers in (student, {}):
        streamed = await client.get(url, headers=headers)
        assert streamed.status_code == 200, streamed.text
        assert streamed.content == VIDEO
        assert streamed.headers["content-type"] == "video/mp4"
        assert streamed.headers["content-length"] == str(len(VIDEO))
        assert streamed.headers["accept-ranges"] == "bytes"
        assert streamed.headers["cache-control"] == "private, max-age=300"
        assert streamed.headers["x-content-type-options"] == "nosniff"
    # Anyone else signed in is refused, even who could open the lesson themselves.
    for headers in (cotutor, manager, admin, tutor):
        refused(await client.get(url, headers=headers), key, token)

    # Expiry: a token is good until its expiry, and dead from then on.
    tokens = app_tokens(settings)
    now = datetime.now(UTC)

    def signed(
        holder: uuid.UUID | None = student_id,
        *,
        lesson: str = video["id"],
        file_key: str = key,
        expires_at: datetime = now + timedelta(minutes=1),
        by: HmacMediaTokens = tokens,
    ) -> str:
        grant = MediaGrant(holder, MediaSubject.LESSON, uuid.UUID(lesson), file_key, expires_at)
        return f"{MEDIA}/{by.issue(grant)}"

    fresh = await client.get(signed(), headers=student)
    assert (fresh.status_code, fresh.content) == (200, VIDEO)  # the helper signs like the app
    for moment in (
        now - timedelta(seconds=2),
        now - timedelta(days=1),
        datetime(2000, 1, 1, tzinfo=UTC),
    ):
        expired = signed(expires_at=moment)
        refused(await client.get(expired, headers=student), key, token_of(expired))
        refused(await client.get(expired), key, token_of(expired))

    # Forgeries: a changed signature or payload, garbage, another secret, spliced tokens.
    payload, signature = token.split(".")
    other_payload, other_signature = token_of(signed(expires_at=now + timedelta(minutes=2))).split(
        "."
    )

    def flip(text: str, at: int) -> str:
        return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]

    forged = [
        f"{payload}.{flip(signature, 10)}",
        f"{payload}.{flip(signature, len(signature) - 1)}",
        f"{flip(payload, 5)}.{signature}",
        f"{flip(payload, len(payload) - 3)}.{signature}",
        f"{payload}.{other_signature}",
        f"{other_payload}.{signature}",
        payload,
        f"{payload}.",
        f".{signature}",
        f"{payload}.{signature}.{signature}",
        f"{payload}={signature}",
        "garbage",
        secrets.token_urlsafe(64),
        f"{secrets.token_urlsafe(80)}.{secrets.token_urlsafe(32)}",
        token_of(signed(by=HmacMediaTokens("another secret that is long enough " * 2))),
    ]
    for fake in forged:
        assert fake != token
        refused(await client.get(f"{MEDIA}/{fake}", headers=student), key, fake)
        refused(await client.get(f"{MEDIA}/{fake}"), key, fake)
    too_long = f"{payload}.{'A' * 2048}"
    refused(await client.get(f"{MEDIA}/{too_long}", headers=student), key, too_long)

    # Well signed but not what the holder may have: every grant is checked again on use.
    for grant_url in (
        signed(cotutor_id),  # not enrolled, not an instructor of this course
        signed(None),  # an anonymous grant, for a lesson that is no free preview
        signed(file_key="lesson_media/another-file.mp4"),  # not this lesson's file
        signed(uuid.uuid4()),  # nobody
    ):
        refused(await client.get(grant_url), key, token_of(grant_url))

    # A new upload retires the old links once it is live (staff approve the published
    # course's revision): the key no longer matches.
    tutor_url = (await media_of(client, tutor, video["id"]))["url"]
    replaced = await client.put(
        f"{LESSONS}/{video['id']}/file",
        files={"file": ("better.mp4", NEW_VIDEO, "video/mp4")},
        headers=tutor,
    )
    assert replaced.status_code == 200, replaced.text
    still = await client.get(url, headers=student)
    assert (still.status_code, still.content) == (200, VIDEO)
    for headers, action in ((tutor, "revision/submit"), (manager, "revision/approve")):
        response = await move(client, headers, course["id"], action)
        assert response.status_code == 200, response.text
    for old, headers in ((url, student), (tutor_url, tutor)):
        refused(await client.get(old, headers=headers), key, token_of(old))
    media = await media_of(client, student, video["id"])
    assert media["url"] != url
    assert (media["filename"], media["size"]) == ("better.mp4", len(NEW_VIDEO))
    streamed = await client.get(media["url"], headers=student)
    assert (streamed.status_code, streamed.content) == (200, NEW_VIDEO)
    new_key = app_tokens(settings).read(token_of(media["url"]), datetime.now(UTC)).key
    assert new_key != key

    # A revoked student's link dies at once.
    revoked = await client.post(
        f"/api/v1/admin/enrollments/{enrollment['id']}/revoke", json={}, headers=admin
    )
    assert revoked.status_code == 200, revoked.text
    refused(await client.get(media["url"], headers=student), new_key, token_of(media["url"]))
    refused(await client.get(media["url"]), new_key, token_of(media["url"]))

    # Nothing the app logged (the access log included) holds a token or a storage key.
    records = app_records(caplog)
    media_lines = [r for r in records if r.name == "elearn.access" and MEDIA in r.getMessage()]
    assert len(media_lines) > 40, "the access log was not captured"
    assert all(f"GET {MEDIA}/[redacted] " in r.getMessage() for r in media_lines)
    for record in records:
        logged = f"{record.getMessage()} {record.__dict__}"
        for secret in (key, new_key, token, token_of(media["url"]), payload, signature):
            assert secret not in logged, record


async def test_media_tokens_stay_out_of_problems_and_logs(
    client: Any, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    grant = MediaGrant(
        uuid.uuid4(),
        MediaSubject.LESSON,
        uuid.uuid4(),
        "lesson_media/some-file.mp4",
        datetime.now(UTC) - timedelta(minutes=1),
    )
    token = app_tokens(settings).issue(grant)
    for headers in ({}, {"Authorization": "Bearer not-a-session"}, {"Range": "bytes=0-9"}):
        response = await client.get(f"{MEDIA}/{token}", headers=headers)
        if "Authorization" in headers:  # a bad bearer is refused before the token is read
            problem(response, 401)
            assert token not in response.text
        else:
            refused(response, token, "some-file")
    records = app_records(caplog)
    assert [r.getMessage().split()[:3] for r in records if r.name == "elearn.access"] == [
        ["GET", f"{MEDIA}/[redacted]", status] for status in ("403", "401", "403")
    ]
    for record in records:
        assert token not in f"{record.getMessage()} {record.__dict__}", record


async def test_a_link_to_a_lesson_that_is_gone_is_refused_like_any_other(
    client: Any, settings: Settings
) -> None:
    """An anonymous free-preview link, well signed and unexpired, to a lesson deleted since
    (or of a course unpublished since)."""
    grant = MediaGrant(
        None,
        MediaSubject.LESSON,
        uuid.uuid4(),
        "lesson_media/some-file.mp4",
        datetime.now(UTC) + timedelta(minutes=5),
    )
    response = await client.get(f"{MEDIA}/{app_tokens(settings).issue(grant)}")
    refused(response)


# ---- byte ranges -----------------------------------------------------------------------------
async def tutor_with_files(
    client: Any, settings: Settings
) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
    """A tutor (the only account: one password hash) with a draft course holding a video lesson
    (VIDEO) and a PDF lesson (PDF); the draft's lessons are open to its tutor."""
    await seed_accounts(settings, ("tutor@catalog.test", Role.TUTOR))
    await approve_tutors(settings, "tutor@catalog.test")
    tutor = await headers_of(client, "tutor")
    course = await create_course(client, tutor, title="Ranges")
    section = await add_section(client, tutor, course["id"])
    video = await add_lesson(client, tutor, section["id"], kind="video", title="Clip", text=None)
    await upload_video(client, tutor, video["id"])
    notes = await add_lesson(client, tutor, section["id"], kind="pdf", title="Notes", text=None)
    stored = await client.put(
        f"{LESSONS}/{notes['id']}/file",
        files={"file": ("notes.pdf", PDF, "application/pdf")},
        headers=tutor,
    )
    assert stored.status_code == 200, stored.text
    return tutor, video, notes


async def test_media_answers_single_byte_ranges(
    client: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    tutor, video, notes = await tutor_with_files(client, settings)
    url = (await media_of(client, tutor, video["id"]))["url"]
    size = len(VIDEO)
    huge = "9" * 30

    async def fetch(range_header: str | None) -> Any:
        headers = {**tutor, **({"Range": range_header} if range_header is not None else {})}
        response = await client.get(url, headers=headers)
        return response

    # Satisfiable single ranges: 206 with exactly those bytes.
    partial = {
        "bytes=0-9": (0, 9),
        "bytes=100-199": (100, 199),
        "bytes=4000-4000": (4000, 4000),
        "bytes=100-": (100, size - 1),
        "bytes=0-": (0, size - 1),
        f"bytes={size - 1}-": (size - 1, size - 1),
        "bytes=-50": (size - 50, size - 1),
        "bytes=-1": (size - 1, size - 1),
        f"bytes=-{size + 100}": (0, size - 1),  # a suffix longer than the file: all of it
        f"bytes=10000-{size + 5000}": (10000, size - 1),  # an end past the file is clamped
        f"bytes=5-{huge}": (5, size - 1),
    }
    # Small ranges are read whole and answered as one body, larger ones streamed: the same
    # answers either way.
    for whole_up_to in (learning_routes.WHOLE_RANGE_BYTES, 0):
        monkeypatch.setattr(learning_routes, "WHOLE_RANGE_BYTES", whole_up_to)
        for header, (first, last) in partial.items():
            response = await fetch(header)
            assert response.status_code == 206, (header, response.status_code)
            assert response.headers["content-range"] == f"bytes {first}-{last}/{size}", header
            assert response.headers["content-length"] == str(last - first + 1), header
            assert response.headers["accept-ranges"] == "bytes"
            assert response.headers["content-type"] == "video/mp4"
            assert response.content == VIDEO[first : last + 1], header
    monkeypatch.undo()
    assert (await fetch("bytes=0-9")).content == VIDEO[:10]
    assert (await fetch("bytes=-50")).content == VIDEO[-50:]

    # Wholly past the end, or asking for nothing: 416 with the size.
    # (An open-ended range past the end: test_an_open_range_past_the_end_is_not_satisfiable.)
    for header in (f"bytes={size}-{size}", f"bytes={size + 1000}-{size + 2000}", "bytes=-0"):
        response = await fetch(header)
        problem(response, 416, "range-not-satisfiable")
        assert response.headers["content-range"] == f"bytes */{size}", header
        assert token_of(url) not in response.text

    # What a single byte range is not (several ranges, other units, nonsense) is ignored.
    ignored: tuple[str | None, ...] = (
        None,
        "",
        "bytes=abc",
        "bytes=-",
        "bytes=9-0",
        "bytes=0-1,5-9",
        "bytes=0-9, 20-29",
        "items=0-9",
        "bytes 0-9",
        "bytes=0x10-20",
        "bytes=-1-2",
    )
    for ignored_header in ignored:
        response = await fetch(ignored_header)
        assert response.status_code == 200, (ignored_header, response.status_code)
        assert response.content == VIDEO, ignored_header
        assert response.headers["content-length"] == str(size)
        assert response.headers["accept-ranges"] == "bytes"
        assert "content-range" not in response.headers, ignored_header

    # A PDF lesson: its type, shown inline with its name, and ranges too.
    media = await media_of(client, tutor, notes["id"])
    assert (media["content_type"], media["filename"], media["size"]) == (
        "application/pdf",
        "notes.pdf",
        len(PDF),
    )
    whole = await client.get(media["url"])
    assert whole.status_code == 200, whole.text
    assert whole.content == PDF
    assert whole.headers["content-type"] == "application/pdf"
    assert whole.headers["content-disposition"] == (
        "inline; filename=\"notes.pdf\"; filename*=UTF-8''notes.pdf"
    )
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["x-content-type-options"] == "nosniff"
    head = await client.get(media["url"], headers={"Range": "bytes=0-3"})
    assert (head.status_code, head.content) == (206, b"%PDF")
    assert head.headers["content-range"] == f"bytes 0-3/{len(PDF)}"
    assert head.headers["content-disposition"].startswith("inline")
    beyond = await client.get(
        media["url"], headers={"Range": f"bytes={len(PDF) + 5}-{len(PDF) + 9}"}
    )
    problem(beyond, 416, "range-not-satisfiable")
    assert beyond.headers["content-range"] == f"bytes */{len(PDF)}"
    # A video's link does not open the PDF, nor the reverse: each is bound to its lesson.
    video_grant = app_tokens(settings).read(token_of(url), datetime.now(UTC))
    pdf_grant = app_tokens(settings).read(token_of(media["url"]), datetime.now(UTC))
    crossed = MediaGrant(
        video_grant.user_id,
        MediaSubject.LESSON,
        video_grant.subject_id,
        pdf_grant.key,
        video_grant.expires_at,
    )
    refused(await client.get(f"{MEDIA}/{app_tokens(settings).issue(crossed)}"), pdf_grant.key)


async def test_an_open_range_past_the_end_is_not_satisfiable(
    client: Any, settings: Settings
) -> None:
    tutor, video, notes = await tutor_with_files(client, settings)
    for lesson, size in ((video, len(VIDEO)), (notes, len(PDF))):
        url = (await media_of(client, tutor, lesson["id"]))["url"]
        for header in (f"bytes={size}-", f"bytes={size + 1}-", f"bytes={'9' * 30}-"):
            response = await client.get(url, headers={"Range": header})
            assert response.status_code == 416, (header, response.status_code)
            problem(response, 416, "range-not-satisfiable")
            assert response.headers["content-range"] == f"bytes */{size}", header
