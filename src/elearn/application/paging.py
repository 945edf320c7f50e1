"""Keyset pages shared by every context's lists: a page of items and the opaque cursor of the
next one."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Generic, TypeVar

from elearn.application.errors import FieldError, InvalidParameter

T = TypeVar("T")

MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


class InvalidCursor(ValueError):
    """A cursor this list did not give out (read side adapters raise it)."""


def check_limit(limit: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidParameter(
            "the page size is out of range",
            errors=[FieldError("limit", f"is between 1 and {MAX_PAGE_SIZE}")],
        )


async def page_of(query: Awaitable[Page[T]]) -> Page[T]:
    """Runs a page query, turning a foreign cursor into a field error."""
    try:
        return await query
    except InvalidCursor:
        raise InvalidParameter(
            "the cursor is not one this list gave out",
            errors=[FieldError("cursor", "is invalid; start again from the first page")],
        ) from None
