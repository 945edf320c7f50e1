"""The seeded platform the tests that walk the whole API share, built once per test process."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.support.contract_world import ContractWorld, build_contract_world


@dataclass(frozen=True)
class SeededPlatform:
    world: ContractWorld
    # The database as seeded: tests copy it, so each starts from the same state and ids.
    database: Path
    directory: Path

    def copy(self, name: str) -> tuple[Path, str]:
        """A fresh copy of the seeded database, and a var directory beside it holding a copy of
        the files the seeding stored (what the seeded rows name)."""
        target = self.directory / f"{name}.db"
        shutil.copyfile(self.database, target)
        files = self.directory / "var" / "files"
        if files.is_dir():
            shutil.copytree(files, self.directory / name / "var" / "files", dirs_exist_ok=True)
        return self.directory / name, f"sqlite+aiosqlite:///{target}"


@pytest.fixture(scope="session")
def seeded_platform(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> SeededPlatform:
    directory = tmp_path_factory.mktemp("contract")
    seeded = directory / "seeded.db"
    shutil.copyfile(sqlite_template, seeded)
    world = asyncio.run(build_contract_world(directory, f"sqlite+aiosqlite:///{seeded}"))
    return SeededPlatform(world=world, database=seeded, directory=directory)
