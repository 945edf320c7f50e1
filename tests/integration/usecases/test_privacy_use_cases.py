"""A person's data, exported and erased (issue 15, privacy): the archive holds every context's
part and the person's files; an erasure waits out its grace period, can be cancelled, and once
carried out leaves neither name nor address anywhere while the books stay exactly as they were."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select
from tests.integration.usecases.world import World, email_of
from tests.support.identity import PASSWORD, PDF, png

from elearn.adapters.persistence.models.privacy import ErasureRow
from elearn.application.actor import Actor
from elearn.application.catalog.authoring import NewLesson
from elearn.application.errors import Gone, InvalidInput, NotFound, PermissionDenied
from elearn.application.files import Upload
from elearn.application.identity.account import SetAvatar, StudentProfileChanges, UpdateAccount
from elearn.application.identity.admin import AuditLogQuery
from elearn.application.identity.institutions import InstitutionSearch, NewInstitution
from elearn.application.identity.ports import AuditFilter
from elearn.application.identity.sessions import InvalidCredentials, LoginCommand
from elearn.application.learning.lessons import ProgressReport
from elearn.application.privacy.erasure import AlreadyErased, EraseMeCommand, ErasureNotFound
from elearn.application.privacy.exports import ExportFailed, ExportNotReady
from elearn.domain.catalog.course import LessonKind
from elearn.domain.learning.assignment import Assignment, FileKind
from elearn.domain.shared.money import Money
from elearn.entrypoints.modules import table_metadata

FULL_NAME = "Zelda Quintessa-Privacy"
PRICE = 2500
# Finished outbox messages are purged after 7 days, well inside the grace period.
_SHARED_QUEUES = {"outbox_messages", "outbox_deliveries"}


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _id(actor: Actor) -> UUID:
    assert actor.user_id is not None
    return actor.user_id


async def student_with_history(world: World) -> UUID:
    """The student buys a paid course with credits, hands in an essay as a PDF, sets an avatar
    and a distinctive name. Answers the course's id."""
    c = world.container
    draft, lesson_id = await world.draft_course(
        free=False,
        price=Money(PRICE, "USD"),
        lesson=NewLesson(kind=LessonKind.ASSIGNMENT, title="Essay"),
    )
    await c.learning.set_assignment(
        world.tutor,
        lesson_id,
        Assignment("Write a haiku.", allowed_file_kinds=frozenset({FileKind.PDF})),
    )
    course = await world.publish(draft.id)
    await world.top_up(world.student, 5000)
    await c.billing.purchase_with_credits(world.student, course.id)
    await c.learning.submit_work(
        world.student, lesson_id, "an old silent pond", [Upload(_chunks(PDF), "haiku.pdf")]
    )
    await c.identity.set_avatar(world.student, SetAvatar(_chunks(png()), "me.png"))
    await c.identity.update_account(world.student, UpdateAccount(full_name=FULL_NAME))
    return course.id


async def read_archive(world: World, export_id: UUID, actor: Actor) -> zipfile.ZipFile:
    archive = await world.container.privacy.export_archive(actor, export_id)
    data = b"".join([chunk async for chunk in world.container.storage.read(archive.key)])
    assert len(data) == archive.size
    return zipfile.ZipFile(io.BytesIO(data))


async def exported(world: World, requester: Actor | None = None) -> zipfile.ZipFile:
    privacy = world.container.privacy
    requested = await privacy.request_export(
        requester or world.student, None if requester is None else _id(world.student)
    )
    await privacy.build_export.build(requested.id)
    return await read_archive(world, requested.id, requester or world.student)


def section(archive: zipfile.ZipFile, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(archive.read(f"{name}.json"))
    return loaded


async def stored(world: World, key: str) -> bool:
    try:
        await world.container.storage.size(key)
    except NotFound:
        return False
    return True


async def database_text(world: World) -> str:
    """Every row of every table (the shared outbox queues aside), as one lower-case text."""
    parts: list[str] = []
    async with world.container.engine.connect() as connection:
        for table in table_metadata().sorted_tables:
            if table.name not in _SHARED_QUEUES:
                parts.append(repr((await connection.execute(table.select())).all()))
    return "\n".join(parts).lower()


# ---- export ------------------------------------------------------------------------------------
async def test_an_export_holds_every_part_of_the_platform_and_the_persons_files(
    world: World,
) -> None:
    course_id = await student_with_history(world)

    archive = await exported(world)

    names = set(archive.namelist())
    assert {"identity.json", "learning.json", "billing.json", "tutoring.json"} <= names
    manifest = section(archive, "manifest")
    assert manifest["user_id"] == str(_id(world.student))
    assert manifest["files_missing_from_storage"] == []
    account = section(archive, "identity")["account"]
    assert (account["email"], account["full_name"]) == (email_of("student"), FULL_NAME)
    learning = section(archive, "learning")
    assert [e["course_id"] for e in learning["enrollments"]] == [str(course_id)]
    assert [s["text"] for s in learning["submissions"]] == ["an old silent pond"]
    orders = section(archive, "billing")["orders"]
    kinds = sorted((o["kind"], o["amount"]["amount"], o["amount"]["currency"]) for o in orders)
    assert kinds == sorted([("course", PRICE, "USD"), ("wallet_topup", 5000, "USD")])
    wallet_lines = section(archive, "billing")["ledger_lines"]
    assert sum(line["amount"]["amount"] for line in wallet_lines) == 5000 - PRICE
    files = {name: archive.read(name) for name in names if name.startswith("files/")}
    assert [data for name, data in files.items() if name.endswith("haiku.pdf")] == [PDF]
    assert [data for name, data in files.items() if name.endswith("-avatar.png")] == [png()]
    # Audit entries about the person say what happened, not which staff member did it.
    audit = section(archive, "identity")["audit_entries"]
    assert audit and all("actor_id" not in entry for entry in audit)


async def test_the_archive_is_for_its_person_and_admins_only(world: World) -> None:
    privacy = world.container.privacy
    requested = await privacy.request_export(world.student)
    await privacy.build_export.build(requested.id)

    for stranger in (world.classmate, world.manager, world.tutor):
        with pytest.raises(NotFound):
            await privacy.export_archive(stranger, requested.id)
    archive = await read_archive(world, requested.id, world.admin)
    assert section(archive, "identity")["account"]["email"] == email_of("student")


async def test_only_admins_export_someone_else(world: World) -> None:
    privacy = world.container.privacy
    for actor in (world.manager, world.classmate, world.tutor):
        with pytest.raises(PermissionDenied):
            await privacy.request_export(actor, _id(world.student))
    archive = await exported(world, requester=world.admin)
    assert section(archive, "identity")["account"]["email"] == email_of("student")


async def test_an_export_is_not_ready_until_built_and_gone_once_expired(world: World) -> None:
    privacy = world.container.privacy
    requested = await privacy.request_export(world.student)
    again = await privacy.request_export(world.student)
    assert again.id == requested.id  # one export at a time
    with pytest.raises(ExportNotReady):
        await privacy.export_archive(world.student, requested.id)

    await privacy.build_export.build(requested.id)
    await privacy.build_export.build(requested.id)  # a redelivered event changes nothing
    (ready,) = (await privacy.my_exports(world.student)).items
    assert ready.download_url is not None and ready.expires_at is not None
    assert ready.expires_at - ready.requested_at == timedelta(days=7)
    archive = await privacy.export_archive(world.student, requested.id)

    world.clock.advance(timedelta(days=7))
    with pytest.raises(Gone):
        await privacy.export_archive(world.student, requested.id)
    assert await privacy.purge_expired_exports() == 1
    assert not await stored(world, archive.key)
    (expired,) = (await privacy.my_exports(world.student)).items
    assert expired.download_url is None
    assert await privacy.purge_expired_exports() == 0


async def test_an_export_for_an_unknown_account_is_refused(world: World) -> None:
    with pytest.raises(NotFound):
        await world.container.privacy.request_export(world.admin, UUID(int=7))


# ---- erasure -----------------------------------------------------------------------------------
async def test_an_erasure_after_its_grace_period_leaves_no_name_or_address_and_the_books_as_they_were(  # noqa: E501
    world: World,
) -> None:
    c = world.container
    await student_with_history(world)
    before = await world.books_balance()
    archive = await exported(world)
    student_files = [n for n in archive.namelist() if n.startswith("files/")]
    assert len(student_files) == 2
    async with c.engine.connect() as connection:
        avatar_key = (
            await connection.execute(
                select(text_column("users", "avatar_key")).where(
                    text_column("users", "id") == _id(world.student)
                )
            )
        ).scalar_one()

    scheduled = await c.privacy.erase_me(world.student, EraseMeCommand(password=PASSWORD))
    assert scheduled.due_at - scheduled.requested_at == timedelta(days=14)

    world.clock.advance(timedelta(days=14) - timedelta(seconds=1))
    assert await c.privacy.erase_due_people() == 0
    assert email_of("student") in await database_text(world)

    world.clock.advance(timedelta(seconds=1))
    assert await c.privacy.erase_due_people() == 1
    assert await c.privacy.erase_due_people() == 0  # once

    everything = await database_text(world)
    assert email_of("student") not in everything
    assert FULL_NAME.lower() not in everything
    assert "an old silent pond" not in everything
    assert await world.books_balance() == before
    assert not await stored(world, avatar_key)
    with pytest.raises(InvalidCredentials):
        await c.identity.login(
            Actor.anonymous(ip="203.0.113.9"), LoginCommand(email_of("student"), PASSWORD)
        )
    async with c.engine.connect() as connection:
        (record,) = (
            await connection.execute(
                select(ErasureRow).where(ErasureRow.user_id == _id(world.student))
            )
        ).all()
    assert record.status == "done" and record.requested_by == _id(world.student)
    assert record.summary["identity"]["accounts"] == 1
    assert record.summary["learning"]["submissions"] == 1
    assert record.summary["billing"]["orders_kept"] == 2
    assert record.summary["privacy"]["export_archives"] == 1
    # The money records stay, under the account's id.
    assert await world.wallet_balance(world.student) == 5000 - PRICE


def text_column(table: str, column: str) -> Any:
    return table_metadata().tables[table].c[column]


async def test_erasing_oneself_needs_the_password_or_a_recent_sign_in(world: World) -> None:
    privacy = world.container.privacy
    with pytest.raises(InvalidInput) as wrong:
        await privacy.erase_me(world.student, EraseMeCommand(password="not my password"))
    assert [e.field for e in wrong.value.errors] == ["password"]
    with pytest.raises(InvalidInput) as missing:
        await privacy.erase_me(world.student, EraseMeCommand())
    assert [e.field for e in missing.value.errors] == ["password"]
    with pytest.raises(ErasureNotFound):
        await privacy.my_erasure(world.student)

    await world.container.identity.login(
        Actor.anonymous(ip="203.0.113.9"), LoginCommand(email_of("student"), PASSWORD)
    )
    world.clock.advance(timedelta(minutes=9))
    scheduled = await privacy.erase_me(world.student, EraseMeCommand())
    assert (await privacy.my_erasure(world.student)).id == scheduled.id
    # Asking again answers the same erasure: its date does not move.
    world.clock.advance(timedelta(days=1))
    assert (await privacy.erase_me(world.student, EraseMeCommand(password=PASSWORD))).due_at == (
        scheduled.due_at
    )


async def test_a_recent_sign_in_is_minutes_old_at_most(world: World) -> None:
    await world.container.identity.login(
        Actor.anonymous(ip="203.0.113.9"), LoginCommand(email_of("student"), PASSWORD)
    )
    world.clock.advance(timedelta(minutes=11))
    with pytest.raises(InvalidInput):
        await world.container.privacy.erase_me(world.student, EraseMeCommand())


async def test_signing_in_during_the_grace_period_cancels_the_erasure(world: World) -> None:
    c = world.container
    await c.privacy.erase_me(world.student, EraseMeCommand(password=PASSWORD))
    world.clock.advance(timedelta(days=3))
    await c.identity.login(
        Actor.anonymous(ip="203.0.113.9"), LoginCommand(email_of("student"), PASSWORD)
    )

    world.clock.advance(timedelta(days=30))
    assert await c.privacy.erase_due_people() == 0

    account = await c.identity.get_account(world.student)
    assert account.email == email_of("student")
    with pytest.raises(ErasureNotFound):
        await c.privacy.my_erasure(world.student)


async def test_a_person_cancels_their_erasure(world: World) -> None:
    privacy = world.container.privacy
    await privacy.erase_me(world.student, EraseMeCommand(password=PASSWORD))

    cancelled = await privacy.cancel_my_erasure(world.student)

    assert cancelled.status == "cancelled"
    with pytest.raises(ErasureNotFound):
        await privacy.cancel_my_erasure(world.student)
    world.clock.advance(timedelta(days=15))
    assert await privacy.erase_due_people() == 0
    # And may ask again later.
    again = await privacy.erase_me(world.student, EraseMeCommand(password=PASSWORD))
    assert again.id != cancelled.id


async def test_an_admin_erases_a_person_at_once_on_request(world: World) -> None:
    privacy = world.container.privacy
    with pytest.raises(PermissionDenied):
        await privacy.erase_user(world.manager, _id(world.classmate), immediately=True)

    pending = await privacy.request_export(world.classmate)

    done = await privacy.erase_user(world.admin, _id(world.classmate), immediately=True)

    # No archive is built for someone erased meanwhile.
    await privacy.build_export.build(pending.id)
    (failed,) = (await privacy.my_exports(world.classmate)).items
    assert (failed.id, failed.status.value) == (pending.id, "failed")

    assert done.status == "done" and done.erased_at is not None
    assert email_of("classmate") not in await database_text(world)
    with pytest.raises(AlreadyErased):
        await privacy.erase_user(world.admin, _id(world.classmate), immediately=False)
    log = await world.container.identity.read_audit_log(
        world.admin, AuditLogQuery(filters=AuditFilter(target_id=done.user_id), limit=100)
    )
    actions = {entry.action.value for entry in log.items if entry.target_id == done.user_id}
    assert {"privacy.erasure_scheduled", "privacy.user_erased"} <= actions


async def test_an_export_whose_job_died_does_not_block_the_next_one(world: World) -> None:
    privacy = world.container.privacy
    stuck = await privacy.request_export(world.student)
    world.clock.advance(timedelta(days=1, seconds=1))

    fresh = await privacy.request_export(world.student)

    assert fresh.id != stuck.id
    with pytest.raises(ExportFailed):
        await privacy.export_archive(world.student, stuck.id)
    await privacy.build_export.build(stuck.id)  # a late delivery builds nothing
    statuses = {e.id: e.status.value for e in (await privacy.my_exports(world.student)).items}
    assert statuses == {stuck.id: "failed", fresh.id: "pending"}


async def test_an_erased_tutors_name_leaves_their_courses_and_their_students_certificates(
    world: World,
) -> None:
    c = world.container
    tutor_name = "Quentin Tarrow-Privacy"
    await c.identity.update_account(world.tutor, UpdateAccount(full_name=tutor_name))
    course, lesson_id = await world.published_course()
    enrollment = await c.learning.enroll(world.student, course.id)
    await c.learning.record_progress(world.student, lesson_id, ProgressReport(completed=True))
    certificate = await c.learning.issue_certificate.issue(enrollment.id)
    assert certificate is not None and certificate.instructor_names == (tutor_name,)
    assert tutor_name.lower() in await database_text(world)

    await c.privacy.erase_user(world.admin, _id(world.tutor), immediately=True)

    everything = await database_text(world)
    assert tutor_name.lower() not in everything
    assert f"'{email_of('tutor')}'" not in everything  # quoted: cotutor@ is someone else
    shown = await c.catalog.get_course(world.student, str(course.id))
    assert tutor_name not in repr(shown)


async def test_the_institution_is_exported_and_erasure_clears_it(world: World) -> None:
    c = world.container
    institution = await c.identity.create_institution(
        world.manager, NewInstitution("Universität Wien", "AT", ["univie.ac.at"])
    )
    await c.identity.update_account(
        world.student,
        UpdateAccount(student=StudentProfileChanges(institution_id=institution.id)),
    )

    profile = section(await exported(world), "identity")["student_profile"]
    assert profile["institution_id"] == str(institution.id)
    assert profile["institution"] == {
        "id": str(institution.id),
        "name": "Universität Wien",
        "country": "AT",
    }

    await c.privacy.erase_me(world.student, EraseMeCommand(password=PASSWORD))
    world.clock.advance(timedelta(days=14))
    assert await c.privacy.erase_due_people() == 1
    async with c.engine.connect() as connection:
        picked = (
            await connection.execute(
                select(text_column("student_profiles", "institution_id")).where(
                    text_column("student_profiles", "user_id") == _id(world.student)
                )
            )
        ).scalar_one()
    assert picked is None
    # The institution itself is reference data, not the person's: it stays.
    assert (await c.identity.list_institutions(world.manager, InstitutionSearch())).items
