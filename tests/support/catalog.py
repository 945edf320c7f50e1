"""Courses over HTTP, for the tests of every context: accounts of every role at catalog.test,
and courses built, submitted, approved and published."""

from __future__ import annotations

from typing import Any

from elearn.adapters.jobs.broker import build_broker
from elearn.domain.identity.roles import Role
from elearn.entrypoints.bootstrap import bootstrap
from elearn.entrypoints.settings import Settings
from tests.support.identity import bearer, login, seed_accounts

COURSES = "/api/v1/courses"


async def approve_tutors(settings: Settings, *emails: str) -> None:
    """Approves tutor accounts directly, as staff deciding their applications would."""
    from elearn.domain.identity.email import EmailAddress

    container = bootstrap(settings, broker=build_broker(None))
    try:
        async with container.uow() as uow:
            for email in emails:
                user = await uow.users.get_by_email(EmailAddress(email), for_update=True)
                assert user is not None
                user.approve_as_tutor(container.clock.now())
            await uow.commit()
    finally:
        await container.dispose()


async def seed_people(settings: Settings) -> None:
    """tutor@ and cotutor@ (approved tutors), pending@ (a tutor not yet approved), manager@,
    admin@ and student@, all at ``catalog.test`` with verified emails."""
    await seed_accounts(
        settings,
        ("tutor@catalog.test", Role.TUTOR),
        ("cotutor@catalog.test", Role.TUTOR),
        ("pending@catalog.test", Role.TUTOR),
        ("manager@catalog.test", Role.MANAGER),
        ("admin@catalog.test", Role.ADMIN),
        ("student@catalog.test", Role.STUDENT),
    )
    await approve_tutors(settings, "tutor@catalog.test", "cotutor@catalog.test")


async def headers_of(client: Any, name: str) -> dict[str, str]:
    return bearer(await login(client, f"{name}@catalog.test"))


async def create_course(client: Any, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"title": "Python for Beginners", "description": "Learn Python.", "free": True}
    body.update(fields)
    response = await client.post(COURSES, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def add_section(
    client: Any, headers: dict[str, str], course_id: str, title: str = "Basics"
) -> dict[str, Any]:
    response = await client.post(
        f"{COURSES}/{course_id}/sections", json={"title": title}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def add_lesson(
    client: Any, headers: dict[str, str], section_id: str, **fields: Any
) -> dict[str, Any]:
    body = {"kind": "text", "title": "Hello", "text": "# Hello", "duration_seconds": 300}
    body.update(fields)
    response = await client.post(
        f"/api/v1/sections/{section_id}/lessons", json=body, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def move(
    client: Any, headers: dict[str, str], course_id: str, action: str, **body: Any
) -> Any:
    return await client.post(f"{COURSES}/{course_id}/{action}", json=body or None, headers=headers)


async def published_course(
    client: Any, tutor: dict[str, str], manager: dict[str, str], **fields: Any
) -> dict[str, Any]:
    """A course with one section and one lesson, submitted, approved and published."""
    course = await create_course(client, tutor, **fields)
    section = await add_section(client, tutor, course["id"])
    await add_lesson(client, tutor, section["id"])
    for headers, action in ((tutor, "submit"), (manager, "approve"), (manager, "publish")):
        response = await move(client, headers, course["id"], action)
        assert response.status_code == 200, response.text
    response = await client.get(f"{COURSES}/{course['id']}", headers=tutor)
    return response.json()  # type: ignore[no-any-return]


async def add_co_instructor(
    client: Any, owner: dict[str, str], course_id: str, invitee: dict[str, str]
) -> str:
    """Invites ``invitee`` to co-teach the course and accepts as them (the only way anyone
    becomes a co-instructor); answers their user id."""
    me = await client.get("/api/v1/me", headers=invitee)
    assert me.status_code == 200, me.text
    invitee_id = str(me.json()["id"])
    invited = await client.post(
        f"{COURSES}/{course_id}/invitations", json={"user_id": invitee_id}, headers=owner
    )
    assert invited.status_code == 201, invited.text
    accepted = await client.post(
        f"/api/v1/course-invitations/{invited.json()['id']}/accept", headers=invitee
    )
    assert accepted.status_code == 200, accepted.text
    return invitee_id
