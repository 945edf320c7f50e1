"""Counting people by a group they belong to without singling anyone out.

An instructor sees how many of their students come from each institution, but a group smaller
than ``MIN_GROUP_SIZE`` would let them guess who is in it (the one student from a small college
is a person, not a statistic). Such groups are folded into one "other" count (k-anonymity with
k = 5): an institution is named only with at least five of the viewer's students.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

MIN_GROUP_SIZE = 5

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class FoldedCounts(Generic[K]):
    """The groups large enough to name, largest first, and the people of every smaller one."""

    named: list[tuple[K, int]]
    other: int

    @property
    def total(self) -> int:
        return sum(count for _, count in self.named) + self.other


def fold_small_groups(
    counts: Iterable[tuple[K, int]], *, min_group_size: int = MIN_GROUP_SIZE
) -> FoldedCounts[K]:
    """Groups with at least ``min_group_size`` people kept (largest first, ties in the order
    given), every smaller one added to ``other``. Empty groups count for nothing."""
    if min_group_size < 1:
        raise ValueError("a group to name holds at least one person")
    named: list[tuple[K, int]] = []
    other = 0
    for key, count in counts:
        if count < 0:
            raise ValueError("a group cannot hold fewer than no people")
        if count >= min_group_size:
            named.append((key, count))
        else:
            other += count
    named.sort(key=lambda item: -item[1])
    return FoldedCounts(named=named, other=other)
