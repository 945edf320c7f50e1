"""Running Alembic from code: ``elearn migrate``, ``elearn serve`` and the tests use this."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config


def find_migrations_dir(configured: str = "") -> Path:
    candidates = [Path(configured)] if configured else []
    candidates += [
        Path(__file__).resolve().parents[4] / "migrations",  # a source checkout (src layout)
        Path.cwd() / "migrations",  # an installed package run from the project directory
    ]
    for candidate in candidates:
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError(
        "no Alembic migrations found; run from the project directory or set ELEARN_MIGRATIONS_DIR"
    )


def alembic_config(database_url: str, migrations_dir: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("path_separator", "os")
    config.attributes["database_url"] = database_url
    return config


async def upgrade(database_url: str, migrations_dir: Path, revision: str = "head") -> None:
    # Alembic's env runs its own event loop, so keep it off ours.
    await asyncio.to_thread(command.upgrade, alembic_config(database_url, migrations_dir), revision)


async def downgrade(database_url: str, migrations_dir: Path, revision: str) -> None:
    await asyncio.to_thread(
        command.downgrade, alembic_config(database_url, migrations_dir), revision
    )


# What migrations create on PostgreSQL alone, beside the models (which cannot express it for
# both databases): the full-text search documents of courses and forum threads and their
# indexes. Schema comparison leaves these out.
POSTGRES_ONLY_OBJECTS = frozenset(
    {
        ("column", "search_document"),
        ("index", "ix_courses_search_document"),
        ("index", "ix_forum_threads_search_document"),
    }
)


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    return (type_, name) not in POSTGRES_ONLY_OBJECTS
