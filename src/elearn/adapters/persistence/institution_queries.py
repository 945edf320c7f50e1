"""Searching the list of institutions: two statements per page (the institutions, then their
domains), the same on SQLite and PostgreSQL.

Names are matched on ``name_key``, which the domain computes (accents removed, case folded), so
both databases agree on what matches without ``unaccent`` or ICU collations. The list is
reference data of a few tens of thousands of rows at most: a ``LIKE '%word%'`` over it is
cheap, and a name's prefix walks ``ix_institutions_name_key_id``.

A cursor is the urlsafe base64 of ``[filters fingerprint, rank, name_key, id]``: rank 0 for a
name starting with the query or a domain matched, 1 for a name only holding it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, case, exists, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from elearn.adapters.persistence.models.identity import InstitutionDomainRow, InstitutionRow
from elearn.adapters.persistence.text_search import escape_like
from elearn.application.identity.ports import InstitutionFilter, InstitutionView
from elearn.application.paging import InvalidCursor, Page
from elearn.domain.identity.institutions import domain_suffixes, search_key

_MAX_CURSOR_LENGTH = 400
_MAX_WORDS = 10
_I = InstitutionRow
_D = InstitutionDomainRow


def _fingerprint(filters: InstitutionFilter) -> str:
    raw = json.dumps([filters.q, filters.country, filters.email_domain, filters.active])
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


def _encode(filters: InstitutionFilter, rank: int, key: str, item_id: UUID) -> str:
    raw = json.dumps([_fingerprint(filters), rank, key, str(item_id)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(filters: InstitutionFilter, cursor: str) -> tuple[int, str, UUID]:
    try:
        if len(cursor) > _MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        fingerprint, rank, key, id_text = json.loads(raw)
        if fingerprint != _fingerprint(filters):
            raise ValueError("a cursor of another search")
        if rank not in (0, 1) or isinstance(rank, bool) or not isinstance(key, str):
            raise ValueError("not a position in this list")
        return rank, key, UUID(id_text)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as error:
        raise InvalidCursor("this cursor is not one we gave out") from error


def _has_domain(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(_D.institution_id == _I.id, condition)


def _conditions(filters: InstitutionFilter) -> tuple[list[ColumnElement[bool]], Any]:
    """The WHERE clauses and the rank expression of a search."""
    where: list[ColumnElement[bool]] = []
    rank: Any = literal(0)
    if filters.active is not None:
        where.append(_I.retired_at.is_(None) if filters.active else _I.retired_at.is_not(None))
    if filters.country is not None:
        where.append(_I.country == filters.country)
    if filters.email_domain is not None:
        where.append(_has_domain(_D.domain.in_(domain_suffixes(filters.email_domain))))
    key = search_key(filters.q or "")
    if key:
        words = key.split()[:_MAX_WORDS]
        name_holds = and_(
            *(_I.name_key.like(f"%{escape_like(word)}%", escape="\\") for word in words)
        )
        starts = _I.name_key.like(f"{escape_like(key)}%", escape="\\")
        matches: list[ColumnElement[bool]] = [name_holds]
        domain_match: ColumnElement[bool] | None = None
        if len(words) == 1 and "." in key:
            # A domain typed whole (``tum.de``, ``cs.tum.de``) or its beginning (``tum.d``).
            domain = key.strip(".")
            domain_match = _has_domain(
                or_(
                    _D.domain.in_(domain_suffixes(domain)),
                    _D.domain.like(f"{escape_like(domain)}%", escape="\\"),
                )
            )
            matches.append(domain_match)
        where.append(or_(*matches))
        first = or_(starts, domain_match) if domain_match is not None else starts
        rank = case((first, 0), else_=1)
    return where, rank


class SqlaInstitutionQueries:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def institutions(
        self, filters: InstitutionFilter, *, limit: int, cursor: str | None
    ) -> Page[InstitutionView]:
        where, rank = _conditions(filters)
        ranked = rank.label("rank")
        stmt = select(_I, ranked).where(*where)
        if cursor is not None:
            after_rank, after_key, after_id = _decode(filters, cursor)
            stmt = stmt.where(
                or_(
                    rank > after_rank,
                    and_(
                        rank == after_rank,
                        or_(
                            _I.name_key > after_key,
                            and_(_I.name_key == after_key, _I.id > after_id),
                        ),
                    ),
                )
            )
        stmt = stmt.order_by(ranked, _I.name_key, _I.id).limit(limit + 1)
        async with self._sessions() as session:
            # Selecting the rows loads their domains in one more statement (``selectin``).
            rows = (await session.execute(stmt)).all()
        page = rows[:limit]
        items = [
            InstitutionView(
                id=row.id,
                name=row.name,
                country=row.country,
                domains=tuple(d.domain for d in row.domain_rows),
                active=row.retired_at is None,
                retired_at=row.retired_at,
                created_at=row.created_at,
                updated_at=row.updated_at,
            )
            for row, _ in page
        ]
        next_cursor = None
        if len(rows) > limit:
            last, last_rank = page[-1]
            next_cursor = _encode(filters, int(last_rank), last.name_key, last.id)
        return Page(items=items, next_cursor=next_cursor)
