"""Searching text the same way in every context: PostgreSQL full-text search over a stored
``tsvector`` (the ``simple`` configuration: no stemming, no stop words, for text in many
languages), and on SQLite every word of the query found (case-folded) in one of the columns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, literal_column, or_

_MAX_WORDS = 10


def escape_like(text: str) -> str:
    """``text`` matched literally inside a LIKE pattern with ``escape="\\"``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_words(q: str) -> list[str]:
    """The words of a query, case-folded, at most ten, without bare quotes and dashes."""
    return [word for word in q.casefold().split() if word.strip("\"'-")][:_MAX_WORDS]


def contains_word(column: Any, word: str) -> ColumnElement[bool]:
    return func.casefold(column).like(f"%{escape_like(word)}%", escape="\\")


def document_query(q: str) -> ColumnElement[Any]:
    return func.plainto_tsquery(literal_column("'simple'"), q)


def text_matches(
    q: str, dialect: str, *, document: str, columns: Sequence[Any]
) -> ColumnElement[bool]:
    """PostgreSQL: the ``document`` column (``table.search_document``) matches the query;
    elsewhere every word is in one of ``columns``."""
    if dialect == "postgresql":
        return literal_column(document).op("@@")(document_query(q))
    words = search_words(q)
    if not words:
        return false()
    return and_(*(or_(*(contains_word(c, word) for c in columns)) for word in words))
