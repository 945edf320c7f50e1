"""Keyset pagination shared by every context's read-side queries.

A cursor is the urlsafe base64 of ``[sort instant (ISO 8601), id]`` of the last item of a page;
pages run newest first (instant DESC, id DESC), so the next page holds what sorts strictly after
that pair (``oldest_first_after`` runs the other way, for queues). Rows inserted meanwhile never
shift a page, unlike offsets.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import Row, Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from elearn.application.paging import InvalidCursor, Page

T = TypeVar("T")
_MAX_CURSOR_LENGTH = 200


def encode_cursor(at: datetime, item_id: UUID) -> str:
    raw = json.dumps([at.isoformat(), str(item_id)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """Raises InvalidCursor for anything this module did not make."""
    try:
        if len(cursor) > _MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at_text, id_text = json.loads(raw)
        at = datetime.fromisoformat(at_text)
        if at.tzinfo is None:
            raise ValueError("a cursor's instant carries its offset")
        # In UTC here, as the database compares it: an offset that carries the instant past
        # datetime's range (0001-01-01T00:00+14:00) is no cursor we made, not a server error.
        return at.astimezone(UTC), UUID(id_text)
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError) as error:
        raise InvalidCursor("this cursor is not one we gave out") from error


def newest_first_after(
    stmt: Select[Any],
    cursor: str | None,
    at_column: InstrumentedAttribute[datetime],
    id_column: InstrumentedAttribute[UUID],
) -> Select[Any]:
    stmt = stmt.order_by(at_column.desc(), id_column.desc())
    if cursor is None:
        return stmt
    at, item_id = decode_cursor(cursor)
    return stmt.where(or_(at_column < at, and_(at_column == at, id_column < item_id)))


def oldest_first_after(
    stmt: Select[Any],
    cursor: str | None,
    at_column: InstrumentedAttribute[datetime] | InstrumentedAttribute[datetime | None],
    id_column: InstrumentedAttribute[UUID],
) -> Select[Any]:
    """A queue's order: the longest waiting first. ``at_column`` must not be NULL in the rows
    the statement selects."""
    stmt = stmt.order_by(at_column.asc(), id_column.asc())
    if cursor is None:
        return stmt
    at, item_id = decode_cursor(cursor)
    return stmt.where(or_(at_column > at, and_(at_column == at, id_column > item_id)))


async def fetch_page(
    sessions: async_sessionmaker[AsyncSession],
    stmt: Select[Any],
    limit: int,
    to_item: Callable[[Row[Any]], T],
    cursor_of: Callable[[Row[Any]], tuple[datetime, UUID]],
) -> Page[T]:
    """One page of a statement ordered by ``newest_first_after`` or ``oldest_first_after``: a
    row more than asked tells whether another page follows."""
    if limit < 1:
        raise ValueError("a page holds at least one item")
    async with sessions() as session:
        rows: Sequence[Row[Any]] = (await session.execute(stmt.limit(limit + 1))).all()
    next_cursor = encode_cursor(*cursor_of(rows[limit - 1])) if len(rows) > limit else None
    return Page(items=[to_item(row) for row in rows[:limit]], next_cursor=next_cursor)
