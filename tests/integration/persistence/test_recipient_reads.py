"""Whom identity's api addresses, on SQLite and PostgreSQL: the account with the time zone and
language of the profile it presents, in one statement (every receipt and notification asks),
and as the asking transaction holds it when that transaction changed the account or a profile
and has not written them yet (the session does not autoflush)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID

import pytest
from tests.conftest import make_settings
from tests.support.identity import seed_accounts
from tests.support.statements import Statements

from elearn.adapters.jobs.broker import build_broker
from elearn.application.identity.api import IdentityApi, Recipient
from elearn.domain.identity.profiles import StudentProfile, TutorProfile
from elearn.domain.identity.roles import Role
from elearn.entrypoints.bootstrap import Container, bootstrap
from elearn.entrypoints.settings import Settings


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
async def people(settings: Settings) -> list[UUID]:
    return await seed_accounts(
        settings, ("student@mail.test", Role.STUDENT), ("tutor@mail.test", Role.TUTOR)
    )


@pytest.fixture
async def container(settings: Settings, people: list[UUID]) -> AsyncIterator[Container]:
    built = bootstrap(settings, broker=build_broker(None))
    try:
        yield built
    finally:
        await built.dispose()


async def test_a_recipient_is_read_in_one_statement_with_the_profile_it_presents(
    container: Container, people: list[UUID]
) -> None:
    student_id, tutor_id = people
    async with container.uow() as uow:
        await uow.profiles.save_student(
            StudentProfile(user_id=student_id, language="fr", time_zone="Asia/Tokyo")
        )
        await uow.profiles.save_tutor(
            TutorProfile(user_id=tutor_id, languages=("de", "en"), time_zone="Europe/Berlin")
        )
        await uow.commit()
    api = IdentityApi(container.identity.deps)

    async with container.uow(read_only=True) as uow:
        with Statements(container.engine) as statements:
            student = await api.recipient(uow, student_id)
        tutor = await api.recipient(uow, tutor_id)
        nobody = await api.recipient(uow, container.ids.new_id())

    sent = await statements.settled()
    assert len(sent) == 1, sent
    assert student == Recipient(student_id, "student@mail.test", "student", "Asia/Tokyo", "fr")
    # A tutor reads best the first language they teach in.
    assert tutor == Recipient(tutor_id, "tutor@mail.test", "tutor", "Europe/Berlin", "de")
    assert nobody is None


async def test_a_recipient_is_answered_as_the_asking_transaction_changed_it(
    container: Container, people: list[UUID]
) -> None:
    student_id, _ = people
    api = IdentityApi(container.identity.deps)
    async with container.uow() as uow:
        user = await uow.users.get(student_id, for_update=True)
        assert user is not None
        user.rename("Renamed Student")
        await uow.profiles.save_student(
            StudentProfile(user_id=student_id, language="pt", time_zone="America/Sao_Paulo")
        )
        found = await api.recipient(uow, student_id)

    assert found == Recipient(
        student_id, "student@mail.test", "Renamed Student", "America/Sao_Paulo", "pt"
    )
