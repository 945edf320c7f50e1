"""A password hashed with older (weaker) parameters is re-hashed at the next good login."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from tests.conftest import make_settings
from tests.support.identity import PASSWORD, login, register_student

from elearn.adapters.jobs.broker import build_broker
from elearn.domain.identity.email import EmailAddress
from elearn.entrypoints.bootstrap import bootstrap
from elearn.entrypoints.settings import Settings

CURRENT_PARAMETERS = "$argon2id$v=19$m=19456,t=2,p=1$"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """The production cost: the suite's cheap test hashes would otherwise be the current ones."""
    return make_settings(
        tmp_path, database_url, password_hash_time_cost=2, password_hash_memory_kib=19 * 1024
    )


async def test_an_old_hash_is_upgraded_at_login(client: Any, settings: Settings) -> None:
    await register_student(client, "legacy@example.com")
    weak_hash = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    ours = bootstrap(settings, broker=build_broker(None))
    try:
        async with ours.uow() as uow:
            user = await uow.users.get_by_email(EmailAddress("legacy@example.com"))
            assert user is not None and user.password_hash.startswith(CURRENT_PARAMETERS)
            user.upgrade_password_hash(weak_hash)
            await uow.commit()

        await login(client, "legacy@example.com")

        async with ours.uow() as uow:
            user = await uow.users.get_by_email(EmailAddress("legacy@example.com"))
        assert user is not None
        assert user.password_hash != weak_hash
        assert user.password_hash.startswith(CURRENT_PARAMETERS)
        await login(client, "legacy@example.com")  # and the upgraded hash still verifies
    finally:
        await ours.dispose()
