"""k-anonymity of counts per group: a group is named only with at least five people."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from elearn.domain.analytics.cohorts import MIN_GROUP_SIZE, fold_small_groups


def test_five_is_named_and_four_is_folded() -> None:
    folded = fold_small_groups([("five", 5), ("four", 4)])
    assert folded.named == [("five", 5)]
    assert folded.other == 4
    assert MIN_GROUP_SIZE == 5


def test_named_groups_come_largest_first_ties_in_the_order_given() -> None:
    folded = fold_small_groups([("a", 5), ("b", 9), ("c", 5), ("d", 1), ("e", 0)])
    assert folded.named == [("b", 9), ("a", 5), ("c", 5)]
    assert folded.other == 1 and folded.total == 20


def test_no_groups_no_people() -> None:
    folded = fold_small_groups([])
    assert (folded.named, folded.other, folded.total) == ([], 0, 0)


def test_a_negative_count_or_threshold_is_a_bug() -> None:
    with pytest.raises(ValueError):
        fold_small_groups([("a", -1)])
    with pytest.raises(ValueError):
        fold_small_groups([("a", 1)], min_group_size=0)


@given(
    st.dictionaries(st.text(max_size=5), st.integers(min_value=0, max_value=50), max_size=30),
    st.integers(min_value=1, max_value=12),
)
def test_no_named_group_is_small_and_nobody_is_lost(counts: dict[str, int], k: int) -> None:
    folded = fold_small_groups(counts.items(), min_group_size=k)
    assert all(count >= k for _, count in folded.named)
    assert folded.total == sum(counts.values())
    assert folded.other == sum(count for count in counts.values() if count < k)
    assert {key for key, _ in folded.named} == {key for key, n in counts.items() if n >= k}
    assert [n for _, n in folded.named] == sorted((n for _, n in folded.named), reverse=True)
