"""What every context's personal-data adapter shares: rows as JSON-ready records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from sqlalchemy import Executable, Row
from sqlalchemy.ext.asyncio import AsyncSession


def plain(value: Any) -> Any:
    """A column's value as JSON holds it: ids and instants as text (RFC 3339 with offset)."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def record(row: Row[Any] | Mapping[str, Any], *, drop: Iterable[str] = ()) -> dict[str, Any]:
    mapping = row._mapping if isinstance(row, Row) else row
    dropped = set(drop)
    return {str(key): plain(value) for key, value in mapping.items() if key not in dropped}


def money(amount: int | None, currency: str | None) -> dict[str, Any] | None:
    """Money as every answer of the API spells it."""
    if amount is None or currency is None:
        return None
    return {"amount": amount, "currency": currency}


async def write(session: AsyncSession, statement: Executable) -> int:
    """Runs an UPDATE or DELETE as plain SQL (objects the session holds are not touched) and
    answers how many rows it changed."""
    result = await session.execute(statement, execution_options={"synchronize_session": False})
    return int(getattr(result, "rowcount", 0) or 0)
