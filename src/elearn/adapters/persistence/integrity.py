"""Turns database constraint violations into the domain conflicts they stand for."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from sqlalchemy.exc import IntegrityError

from elearn.domain.shared.errors import Conflict, DomainError

# constraint name (as named by the metadata's naming convention) → the domain error it means.
# Each context declares its own, next to its tables.
ConstraintErrors = Mapping[str, Callable[[], DomainError]]

_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: ([\w.]+(?:, [\w.]+)*)")


def constraint_name(error: IntegrityError) -> str | None:
    orig = error.orig
    # asyncpg reports the constraint by name (through SQLAlchemy's adapter, on __cause__).
    for candidate in (orig, getattr(orig, "__cause__", None)):
        name = getattr(candidate, "constraint_name", None)
        if name:
            return str(name)
    # SQLite only says which columns: rebuild the conventional name uq_<table>_<column>.
    match = _SQLITE_UNIQUE.search(str(orig))
    if match:
        first = match.group(1).split(", ")[0]
        table, column = first.split(".", 1)
        return f"uq_{table}_{column}"
    return None


def domain_error_for(error: IntegrityError, known: ConstraintErrors) -> DomainError:
    name = constraint_name(error)
    factory = known.get(name or "")
    if factory is not None:
        return factory()
    return Conflict("the change conflicts with existing data")
