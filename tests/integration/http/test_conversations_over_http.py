"""Conversations over HTTP on SQLite and PostgreSQL: a chat between staff and a student, 20
concurrent sends under one Idempotency-Key storing one message, a blocked person's message
refused with nothing stored, who may not talk, and every bad input answering a problem."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from tests.support.identity import PDF, bearer, login, problem, seed_accounts

from elearn.domain.identity.roles import Role
from elearn.entrypoints.settings import Settings

CONVERSATIONS = "/api/v1/conversations"
REPORTS = "/api/v1/admin/conversation-reports"


async def _people(client: Any, settings: Settings) -> dict[str, Any]:
    names = ("manager", "student", "classmate", "admin")
    roles = (Role.MANAGER, Role.STUDENT, Role.STUDENT, Role.ADMIN)
    ids = await seed_accounts(
        settings, *((f"{name}@chat.test", role) for name, role in zip(names, roles, strict=True))
    )
    people: dict[str, Any] = {}
    for name, user_id in zip(names, ids, strict=True):
        people[name] = {"id": str(user_id), "h": bearer(await login(client, f"{name}@chat.test"))}
    return people


async def _start(client: Any, sender: dict[str, Any], recipient: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(
        CONVERSATIONS,
        json={"participant_id": recipient["id"], "body": "Hello <b>there</b>"},
        headers=sender["h"],
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_two_people_chat_read_and_page(client: Any, settings: Settings) -> None:
    p = await _people(client, settings)
    started = await _start(client, p["manager"], p["student"])
    assert started["with_person"]["id"] == p["student"]["id"]
    assert started["last_message"]["body"] == "Hello <b>there</b>"  # kept as text
    url = f"{CONVERSATIONS}/{started['id']}"

    reply = await client.post(f"{url}/messages", json={"body": "Hi!"}, headers=p["student"]["h"])
    assert reply.status_code == 201, reply.text
    listed = (await client.get(CONVERSATIONS, headers=p["manager"]["h"])).json()
    (item,) = listed["items"]
    assert (item["unread_count"], item["last_message"]["body"]) == (1, "Hi!")

    read = await client.post(
        f"{url}/read", json={"up_to_message_id": reply.json()["id"]}, headers=p["manager"]["h"]
    )
    assert read.status_code == 200 and read.json()["unread_count"] == 0
    theirs = (await client.get(url, headers=p["student"]["h"])).json()
    assert theirs["their_read_up_to"] == reply.json()["id"]

    page = (
        await client.get(f"{url}/messages", params={"limit": 1}, headers=p["student"]["h"])
    ).json()
    assert [m["body"] for m in page["items"]] == ["Hi!"]
    rest = await client.get(
        f"{url}/messages", params={"cursor": page["next_cursor"]}, headers=p["student"]["h"]
    )
    assert [m["body"] for m in rest.json()["items"]] == ["Hello <b>there</b>"]


async def test_twenty_concurrent_sends_with_one_key_store_one_message(
    client: Any, settings: Settings
) -> None:
    p = await _people(client, settings)
    url = f"{CONVERSATIONS}/{(await _start(client, p['manager'], p['student']))['id']}"
    headers = {**p["student"]["h"], "Idempotency-Key": f"send-{uuid.uuid4()}"}

    async def send() -> Any:
        return await client.post(f"{url}/messages", json={"body": "once"}, headers=headers)

    answers = await asyncio.gather(*(send() for _ in range(20)))
    ok = [a for a in answers if a.status_code == 201]
    assert ok, [a.text for a in answers]
    # Any that ran while the first was still in flight answered 409 idempotency-key-in-use.
    for answer in answers:
        if answer.status_code != 201:
            problem(answer, 409, "idempotency-key-in-use")
    assert len({a.json()["id"] for a in ok}) == 1
    messages = (await client.get(f"{url}/messages", headers=p["student"]["h"])).json()["items"]
    assert [m["body"] for m in messages].count("once") == 1

    reused = await client.post(f"{url}/messages", json={"body": "other"}, headers=headers)
    problem(reused, 409, "idempotency-key-reused")


async def test_a_blocked_persons_message_is_refused_and_nothing_stored(
    client: Any, settings: Settings
) -> None:
    p = await _people(client, settings)
    url = f"{CONVERSATIONS}/{(await _start(client, p['manager'], p['student']))['id']}"
    blocked = await client.post(f"{url}/block", headers=p["student"]["h"])
    assert blocked.status_code == 200 and blocked.json()["blocked_by_me"]
    for who in ("manager", "student"):
        refused = await client.post(f"{url}/messages", json={"body": "hey"}, headers=p[who]["h"])
        problem(refused, 403, "conversation-blocked")
    messages = (await client.get(f"{url}/messages", headers=p["manager"]["h"])).json()["items"]
    assert len(messages) == 1

    report = await client.post(f"{url}/report", json={"reason": "Spam"}, headers=p["student"]["h"])
    assert report.status_code == 201, report.text
    staff = await client.get(REPORTS, headers=p["manager"]["h"])
    assert [r["id"] for r in staff.json()["items"]] == [report.json()["id"]]
    one = await client.get(f"{REPORTS}/{report.json()['id']}", headers=p["admin"]["h"])
    assert one.json()["messages"][0]["body"] == "Hello <b>there</b>"
    problem(await client.get(REPORTS, headers=p["student"]["h"]), 403)


async def test_who_may_not_talk_and_bad_input_answer_problems(
    client: Any, settings: Settings
) -> None:
    p = await _people(client, settings)
    student, classmate = p["student"], p["classmate"]
    two_students = await client.post(
        CONVERSATIONS, json={"participant_id": classmate["id"], "body": "hi"}, headers=student["h"]
    )
    problem(two_students, 403, "may-not-converse")
    nobody = await client.post(
        CONVERSATIONS,
        json={"participant_id": str(uuid.uuid4()), "body": "hi"},
        headers=student["h"],
    )
    problem(nobody, 404, "user-not-found")
    problem(await client.get(CONVERSATIONS), 401)

    conversation = await _start(client, p["manager"], student)
    url = f"{CONVERSATIONS}/{conversation['id']}"
    problem(await client.get(url, headers=classmate["h"]), 404, "conversation-not-found")
    problem(
        await client.post(f"{url}/messages", json={"body": "x"}, headers=classmate["h"]),
        404,
        "conversation-not-found",
    )
    too_long = await client.post(f"{url}/messages", json={"body": "x" * 5001}, headers=student["h"])
    problem(too_long, 400)
    unknown = await client.post(
        f"{url}/messages", json={"body": "x", "html": True}, headers=student["h"]
    )
    problem(unknown, 400)
    nul = await client.post(f"{url}/messages", json={"body": "a\x00b"}, headers=student["h"])
    problem(nul, 400, "malformed-body")
    for body in ("", "   ", "bell\x07"):
        blank = await client.post(f"{url}/messages", json={"body": body}, headers=student["h"])
        problem(blank, 422, "invalid-message")
    foreign = await client.get(
        f"{url}/messages", params={"before": str(uuid.uuid4())}, headers=student["h"]
    )
    problem(foreign, 404, "message-not-found")
    cursor = await client.get(f"{url}/messages", params={"cursor": "nope"}, headers=student["h"])
    problem(cursor, 400, "invalid-parameter")
    mine = conversation["last_message"]["id"]
    not_mine = await client.patch(
        f"{url}/messages/{mine}", json={"body": "edited"}, headers=student["h"]
    )
    problem(not_mine, 403, "not-your-message")
    gone = await client.delete(f"{url}/messages/{mine}", headers=p["manager"]["h"])
    assert gone.status_code == 200 and gone.json()["deleted"], gone.text
    again = await client.patch(
        f"{url}/messages/{mine}", json={"body": "back"}, headers=p["manager"]["h"]
    )
    problem(again, 409, "message-deleted")
    read_foreign = await client.post(
        f"{url}/read", json={"up_to_message_id": str(uuid.uuid4())}, headers=student["h"]
    )
    problem(read_foreign, 404, "message-not-found")
    blank_report = await client.post(f"{url}/report", json={"reason": " "}, headers=student["h"])
    problem(blank_report, 422, "invalid-report")


async def test_a_file_is_sent_and_downloaded_by_signed_links_bound_to_each_person(
    client: Any, settings: Settings
) -> None:
    p = await _people(client, settings)
    url = f"{CONVERSATIONS}/{(await _start(client, p['manager'], p['student']))['id']}"
    uploaded = await client.post(
        f"{url}/attachments",
        files={"file": ("notes.pdf", PDF, "application/octet-stream")},
        headers=p["manager"]["h"],
    )
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["content_type"] == "application/pdf"  # sniffed, not as claimed
    html = await client.post(
        f"{url}/attachments",
        files={"file": ("page.pdf", b"<html><script>x</script></html>", "application/pdf")},
        headers=p["manager"]["h"],
    )
    problem(html, 415)
    # Someone else's upload, or one already sent, cannot be attached.
    foreign = await client.post(
        f"{url}/messages",
        json={"attachment_ids": [uploaded.json()["id"]]},
        headers=p["student"]["h"],
    )
    problem(foreign, 422, "invalid-attachment")
    sent = await client.post(
        f"{url}/messages",
        json={"attachment_ids": [uploaded.json()["id"]]},
        headers=p["manager"]["h"],
    )
    assert sent.status_code == 201, sent.text
    again = await client.post(
        f"{url}/messages",
        json={"attachment_ids": [uploaded.json()["id"]]},
        headers=p["manager"]["h"],
    )
    problem(again, 422, "invalid-attachment")

    listed = (await client.get(f"{url}/messages", headers=p["student"]["h"])).json()["items"]
    link = listed[0]["attachments"][0]["url"]
    download = await client.get(link, headers=p["student"]["h"])
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    problem(await client.get(link), 401)
    problem(await client.get(link, headers=p["manager"]["h"]), 403, "attachment-link-invalid")
    forged = link.replace("signature=", "signature=x")
    problem(await client.get(forged, headers=p["student"]["h"]), 403, "attachment-link-invalid")

    deleted = await client.delete(f"{url}/messages/{sent.json()['id']}", headers=p["manager"]["h"])
    assert deleted.json()["attachments"] == []
    problem(await client.get(link, headers=p["student"]["h"]), 404, "attachment-not-found")
