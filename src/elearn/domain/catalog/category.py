"""Categories: a small tree that courses are filed under."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from uuid import UUID

from elearn.domain.shared.errors import Conflict, RuleViolation

MAX_CATEGORY_NAME = 80
MAX_CATEGORY_DESCRIPTION = 2000
MAX_ICON_LENGTH = 64
MAX_CATEGORY_DEPTH = 4


class CategoryTaken(Conflict):
    code = "category-taken"


class CategoryInUse(Conflict):
    code = "category-in-use"


class CategoryCycle(RuleViolation):
    code = "category-cycle"


class CategoryTooDeep(RuleViolation):
    code = "category-too-deep"


class InvalidCategory(RuleViolation):
    code = "invalid-category"


@dataclasses.dataclass(kw_only=True, eq=False)
class Category:
    id: UUID
    name: str
    slug: str
    description: str = ""
    icon: str | None = None
    parent_id: UUID | None = None
    created_at: datetime
    updated_at: datetime

    def __post_init__(self) -> None:
        self.name = category_name(self.name)
        if len(self.description) > MAX_CATEGORY_DESCRIPTION:
            raise InvalidCategory(f"a description is at most {MAX_CATEGORY_DESCRIPTION} characters")
        if self.icon is not None and not 0 < len(self.icon) <= MAX_ICON_LENGTH:
            raise InvalidCategory(f"an icon name is 1 to {MAX_ICON_LENGTH} characters")


def category_name(name: str) -> str:
    name = " ".join(name.split())
    if not 0 < len(name) <= MAX_CATEGORY_NAME:
        raise InvalidCategory(f"a category name is 1 to {MAX_CATEGORY_NAME} characters")
    return name


def check_parent(
    category_id: UUID, parent_id: UUID | None, parents: Mapping[UUID, UUID | None]
) -> None:
    """Refuses a parent that would put ``category_id`` inside its own subtree, or a tree deeper
    than MAX_CATEGORY_DEPTH levels. ``parents`` maps every category to its parent."""
    depth = 1
    current = parent_id
    while current is not None:
        if current == category_id:
            raise CategoryCycle("a category cannot sit inside itself or its own sub-categories")
        depth += 1
        if depth > MAX_CATEGORY_DEPTH:
            raise CategoryTooDeep(f"categories nest at most {MAX_CATEGORY_DEPTH} levels deep")
        current = parents.get(current)
    if depth + _height_below(category_id, parents) - 1 > MAX_CATEGORY_DEPTH:
        raise CategoryTooDeep(f"categories nest at most {MAX_CATEGORY_DEPTH} levels deep")


def _height_below(category_id: UUID, parents: Mapping[UUID, UUID | None]) -> int:
    children: dict[UUID, list[UUID]] = {}
    for child, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(child)
    height, level, frontier = 1, 1, [category_id]
    seen = {category_id}
    while frontier:
        frontier = [c for p in frontier for c in children.get(p, []) if c not in seen]
        seen.update(frontier)
        if frontier:
            level += 1
            height = level
    return height
