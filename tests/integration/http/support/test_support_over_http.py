"""The support desk over HTTP, on SQLite and PostgreSQL: a student's urgent payment ticket lands
on the online agent with the payment skill and the most room, they talk, the agent adds a note
the student never sees, resolves, and the student rates; the queue, agents' settings and canned
responses; and every bad path answering the problem that names what is wrong, changing nothing."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.identity import PDF, bearer, login, problem, seed_accounts

from elearn.domain.identity.roles import Role
from elearn.entrypoints.settings import Settings

TICKETS = "/api/v1/support/tickets"
AGENT_ME = "/api/v1/support/agents/me"
QUEUE = "/api/v1/support/queue"
CANNED = "/api/v1/support/canned-responses"
PEOPLE = (
    ("student", Role.STUDENT),
    ("classmate", Role.STUDENT),
    ("tutor", Role.TUTOR),
    ("payments", Role.MANAGER),
    ("busy", Role.MANAGER),
    ("tech", Role.ADMIN),
)


async def _desk(client: Any, settings: Settings) -> dict[str, dict[str, str]]:
    await seed_accounts(settings, *((f"{name}@support.test", role) for name, role in PEOPLE))
    return {name: bearer(await login(client, f"{name}@support.test")) for name, _ in PEOPLE}


async def _agent(client: Any, who: dict[str, str], **settings: Any) -> dict[str, Any]:
    response = await client.put(AGENT_ME, json=settings, headers=who)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_an_urgent_payment_ticket_is_routed_answered_noted_resolved_and_rated(
    client: Any, settings: Settings
) -> None:
    people = await _desk(client, settings)
    student, payments, busy, tech = (
        people["student"], people["payments"], people["busy"], people["tech"]
    )  # fmt: skip
    # Two payment agents online, one already busy; a technical agent.
    busy_agent = await _agent(client, busy, presence="online", categories=["payment"], capacity=1)
    await client.post(
        TICKETS,
        json={"subject": "Card declined", "category": "payment", "body": "Help"},
        headers=people["classmate"],
    )
    payments_agent = await _agent(
        client, payments, presence="online", categories=["payment", "account"], capacity=3
    )
    await _agent(client, tech, presence="online", categories=["technical"], capacity=5)
    assert payments_agent["active_tickets"] == 0

    opened = await client.post(
        TICKETS,
        json={
            "subject": "Charged twice",
            "category": "payment",
            "priority": "urgent",
            "body": "My card shows two charges.",
        },
        headers=student,
    )
    assert opened.status_code == 201, opened.text
    ticket = opened.json()
    assert (ticket["status"], ticket["assignee_id"]) == ("assigned", payments_agent["id"])
    assert ticket["assignee_id"] != busy_agent["id"]
    url = f"{TICKETS}/{ticket['id']}"

    reply = await client.post(f"{url}/messages", json={"body": "Refunding one."}, headers=payments)
    assert reply.status_code == 201, reply.text
    assert reply.json()["author_role"] == "agent"
    note = await client.post(
        f"{url}/internal-notes", json={"body": "Duplicate capture, ledger ok"}, headers=payments
    )
    assert note.status_code == 201 and note.json()["internal"] is True
    thanks = await client.post(f"{url}/messages", json={"body": "Thanks!"}, headers=student)
    assert thanks.status_code == 201

    # Every way the student reads the ticket leaves the note out; agents see it.
    as_student = (await client.get(url, headers=student)).json()
    as_agent = (await client.get(url, headers=tech)).json()
    assert "Duplicate capture" not in str(as_student)
    assert [m["internal"] for m in as_student["messages"]] == [False, False, False]
    assert sum(m["internal"] for m in as_agent["messages"]) == 1
    listed = (await client.get(TICKETS, headers=student)).json()
    assert [t["id"] for t in listed["items"]] == [ticket["id"]]
    assert "Duplicate capture" not in str(listed)
    assert as_student["first_responded_at"] is not None

    resolved = await client.post(f"{url}/status", json={"status": "resolved"}, headers=payments)
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    rated = await client.post(
        f"{url}/rating", json={"score": 5, "comment": "Quick"}, headers=student
    )
    assert rated.status_code == 200 and rated.json()["rating_score"] == 5
    problem(
        await client.post(f"{url}/rating", json={"score": 4}, headers=student),
        409,
        "ticket-already-rated",
    )
    # The agent's place is free again.
    assert (await client.get(AGENT_ME, headers=payments)).json()["active_tickets"] == 0


async def test_the_queue_agents_and_canned_responses(client: Any, settings: Settings) -> None:
    people = await _desk(client, settings)
    payments = people["payments"]
    # Nobody online: tickets wait, most pressing first in the queue.
    ids = {}
    for priority in ("low", "urgent", "medium"):
        response = await client.post(
            TICKETS,
            json={"subject": priority, "category": "payment", "priority": priority, "body": "x"},
            headers=people["student"],
        )
        assert response.json()["status"] == "open"
        ids[priority] = response.json()["id"]
    queue = (await client.get(QUEUE, headers=payments)).json()
    assert [t["id"] for t in queue["items"]] == [ids["urgent"], ids["medium"], ids["low"]]
    first_page = (await client.get(QUEUE, params={"limit": 2}, headers=payments)).json()
    rest = await client.get(
        QUEUE, params={"limit": 2, "cursor": first_page["next_cursor"]}, headers=payments
    )
    assert [t["id"] for t in rest.json()["items"]] == [ids["low"]]
    assert rest.json()["next_cursor"] is None

    # Coming online with room for two takes the two most pressing at once.
    me = await _agent(client, payments, presence="online", categories=["payment"], capacity=2)
    assert me["active_tickets"] == 2
    urgent = (await client.get(f"{TICKETS}/{ids['urgent']}", headers=payments)).json()
    assert urgent["assignee_id"] == me["id"]
    low = (await client.get(f"{TICKETS}/{ids['low']}", headers=payments)).json()
    assert low["status"] == "open"

    written = await client.post(
        CANNED,
        json={"title": "Refund timing", "body": "Refunds take 5 days.", "category": "payment"},
        headers=payments,
    )
    assert written.status_code == 201, written.text
    listed = await client.get(CANNED, params={"category": "payment"}, headers=people["tech"])
    assert [c["title"] for c in listed.json()["items"]] == ["Refund timing"]
    assert (await client.get(CANNED, params={"category": "account"}, headers=payments)).json()[
        "items"
    ] == []


async def test_bad_paths_answer_the_problem_that_names_them_and_change_nothing(
    client: Any, settings: Settings
) -> None:
    people = await _desk(client, settings)
    student, classmate, tutor, payments = (
        people["student"], people["classmate"], people["tutor"], people["payments"]
    )  # fmt: skip
    me = await _agent(client, payments, presence="online", categories=["payment"], capacity=1)
    body = {"subject": "Help", "category": "payment", "body": "x"}
    ticket = (await client.post(TICKETS, json=body, headers=student)).json()
    url = f"{TICKETS}/{ticket['id']}"

    # Not signed in, not yours, not an agent.
    problem(await client.post(TICKETS, json=body), 401)
    problem(await client.get(url), 401)
    problem(await client.get(url, headers=classmate), 404, "ticket-not-found")
    problem(
        await client.get(f"{TICKETS}/{uuid.uuid4()}", headers=payments), 404, "ticket-not-found"
    )
    problem(
        await client.post(f"{url}/messages", json={"body": "hi"}, headers=classmate),
        404,
        "ticket-not-found",
    )
    for path, payload in (
        ("internal-notes", {"body": "peek"}),
        ("priority", {"priority": "low"}),
        ("assign", {"agent_id": me["id"]}),
    ):
        problem(
            await client.post(f"{url}/{path}", json=payload, headers=student), 403, "not-an-agent"
        )
    for route in (AGENT_ME, QUEUE, CANNED):
        problem(await client.get(route, headers=tutor), 403, "not-an-agent")
    problem(
        await client.put(
            AGENT_ME, json={"presence": "online", "categories": [], "capacity": 1}, headers=student
        ),
        403,
        "not-an-agent",
    )
    problem(await client.post(f"{url}/status", json={"status": "resolved"}, headers=student), 403)

    # Shape (400) and meaning (422).
    problem(await client.post(TICKETS, json={**body, "category": "weather"}, headers=student), 400)
    problem(await client.post(TICKETS, json={**body, "owner": "me"}, headers=student), 400)
    problem(await client.post(TICKETS, json={**body, "subject": ""}, headers=student), 400)
    problem(
        await client.post(TICKETS, json={**body, "subject": "   "}, headers=student),
        422,
        "invalid-ticket",
    )
    problem(await client.post(f"{url}/rating", json={"score": 6}, headers=student), 400)
    problem(
        await client.put(
            AGENT_ME,
            json={"presence": "online", "categories": [], "capacity": 51},
            headers=payments,
        ),
        400,
    )
    problem(await client.get(QUEUE, params={"cursor": "nonsense"}, headers=payments), 400)
    problem(await client.get(TICKETS, params={"limit": 0}, headers=student), 400)

    # Illegal moves (409) change nothing.
    problem(
        await client.post(f"{url}/status", json={"status": "closed"}, headers=payments),
        409,
        "illegal-transition",
    )
    problem(
        await client.post(f"{url}/status", json={"status": "open"}, headers=student),
        409,
        "illegal-transition",
    )
    problem(await client.post(f"{url}/rating", json={"score": 5}, headers=student), 409)
    problem(
        await client.post(f"{url}/assign", json={"agent_id": str(uuid.uuid4())}, headers=payments),
        404,
        "agent-not-found",
    )
    other = (await client.post(TICKETS, json=body, headers=classmate)).json()
    assert other["status"] == "open"  # the only agent is full
    problem(
        await client.post(
            f"{TICKETS}/{other['id']}/assign", json={"agent_id": me["id"]}, headers=payments
        ),
        409,
        "agent-at-capacity",
    )
    after = (await client.get(url, headers=payments)).json()
    assert (after["status"], after["assignee_id"], after["rating_score"]) == (
        "assigned",
        me["id"],
        None,
    )
    # A closed ticket takes no more messages.
    await client.post(f"{url}/status", json={"status": "resolved"}, headers=payments)
    await client.post(f"{url}/status", json={"status": "closed"}, headers=student)
    problem(
        await client.post(f"{url}/messages", json={"body": "one more"}, headers=student),
        409,
        "illegal-transition",
    )


async def test_files_go_with_a_ticket_and_its_messages_behind_links_signed_per_reader(
    client: Any, settings: Settings
) -> None:
    people = await _desk(client, settings)
    student, classmate, payments = people["student"], people["classmate"], people["payments"]
    await _agent(client, payments, presence="online", categories=["payment"], capacity=3)

    async def upload(who: dict[str, str], name: str, content: bytes) -> dict[str, Any]:
        response = await client.post(
            "/api/v1/support/attachments", files={"file": (name, content, "image/png")}, headers=who
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    # The type is read from the bytes, whatever the client says.
    receipt = await upload(student, "receipt.pdf", PDF)
    assert (receipt["media_type"], receipt["url"]) == ("application/pdf", None)
    refused = await client.post(
        "/api/v1/support/attachments",
        files={"file": ("x.png", b"<script>alert(1)</script>", "image/png")},
        headers=student,
    )
    assert refused.status_code == 415, refused.text
    # Someone else's upload is not the student's to send.
    others = await upload(classmate, "mine.pdf", PDF)
    opening = {"subject": "Charged twice", "category": "payment", "body": "See receipt"}
    bad = await client.post(
        TICKETS, json={**opening, "attachment_ids": [others["id"]]}, headers=student
    )
    problem(bad, 422, "invalid-attachment")

    opened = await client.post(
        TICKETS, json={**opening, "attachment_ids": [receipt["id"]]}, headers=student
    )
    assert opened.status_code == 201, opened.text
    ticket = opened.json()
    (sent,) = ticket["messages"][0]["attachments"]
    assert sent["id"] == receipt["id"] and sent["url"].startswith(
        f"{TICKETS}/{ticket['id']}/attachments/{receipt['id']}?"
    )
    # Sent once: not again.
    again = await client.post(
        f"{TICKETS}/{ticket['id']}/messages",
        json={"body": "Again", "attachment_ids": [receipt["id"]]},
        headers=student,
    )
    problem(again, 422, "invalid-attachment")

    downloaded = await client.get(sent["url"], headers=student)
    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.content == PDF
    assert downloaded.headers["content-type"] == "application/pdf"
    # The student's link serves no one else, not even an agent of the ticket.
    problem(await client.get(sent["url"], headers=payments), 403, "attachment-link-invalid")
    # The agent reads the ticket with links of their own, and answers with a file.
    seen = (await client.get(f"{TICKETS}/{ticket['id']}", headers=payments)).json()
    agent_url = seen["messages"][0]["attachments"][0]["url"]
    assert (await client.get(agent_url, headers=payments)).status_code == 200
    statement = await upload(payments, "statement.pdf", PDF)
    answer = await client.post(
        f"{TICKETS}/{ticket['id']}/messages",
        json={"body": "Refund statement", "attachment_ids": [statement["id"]]},
        headers=payments,
    )
    assert answer.status_code == 201, answer.text
    assert [a["id"] for a in answer.json()["attachments"]] == [statement["id"]]
    final = (await client.get(f"{TICKETS}/{ticket['id']}", headers=student)).json()
    assert [len(m["attachments"]) for m in final["messages"]] == [1, 1]
    # A stranger to the ticket is told it does not exist.
    problem(await client.get(agent_url, headers=classmate), 403, "attachment-link-invalid")
