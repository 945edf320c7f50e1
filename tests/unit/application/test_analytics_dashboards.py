"""A student's average quiz score per bucket: whole percent, half up, 0 where none."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from elearn.application.analytics.dashboards import average_percent


@pytest.mark.parametrize(
    ("permille", "count", "percent"),
    [(0, 0, 0), (0, 3, 0), (1000, 1, 100), (994, 1, 99), (995, 1, 100), (1875, 2, 94)],
)
def test_the_average_score_is_whole_percent_rounded_half_up(
    permille: int, count: int, percent: int
) -> None:
    assert average_percent(permille, count) == percent


@given(st.lists(st.integers(0, 1000), min_size=1, max_size=50))
def test_the_average_is_within_half_a_percent_of_the_exact_one(scores: list[int]) -> None:
    exact = sum(scores) / len(scores) / 10
    assert abs(average_percent(sum(scores), len(scores)) - exact) <= 0.5
