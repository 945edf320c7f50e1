"""Medians of review times from a histogram of durations, within the documented error of the
exact (lower) median; minutes of time cut at bucket bounds, against counting minute by minute;
utilisation in whole percent."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from elearn.domain.analytics.durations import (
    BIN_BOUNDS,
    BINS,
    MEDIAN_RELATIVE_ERROR,
    bin_middle,
    duration_bin,
    median_of_bins,
)
from elearn.domain.analytics.utilisation import minutes_per_bucket, utilisation_percent

YEAR = 366 * 24 * 3600


@pytest.mark.parametrize(
    ("seconds", "index"),
    [(-5, 0), (0, 0), (59, 0), (60, 1), (64, 1), (65, 2), (BIN_BOUNDS[-1], BINS - 1)],
)
def test_a_duration_falls_in_the_bin_whose_bounds_hold_it(seconds: int, index: int) -> None:
    assert duration_bin(seconds) == index


def test_the_bins_reach_past_a_year_and_the_error_is_about_five_percent() -> None:
    assert BIN_BOUNDS[-1] > YEAR and list(BIN_BOUNDS) == sorted(set(BIN_BOUNDS))
    assert 0.04 < MEDIAN_RELATIVE_ERROR < 0.05


def test_no_decisions_have_no_median_and_one_has_its_own_bin() -> None:
    assert median_of_bins([]) is None
    assert median_of_bins([(duration_bin(3600), 1)]) == bin_middle(duration_bin(3600))


@given(st.lists(st.integers(0, YEAR), min_size=1, max_size=60))
def test_the_median_of_the_bins_is_within_the_error_of_the_exact_lower_median(
    durations: list[int],
) -> None:
    exact = sorted(durations)[(len(durations) + 1) // 2 - 1]
    counts = [(duration_bin(d), 1) for d in durations]
    answered = median_of_bins(counts)
    assert answered is not None
    if exact < BIN_BOUNDS[0]:
        assert abs(answered - exact) <= 30
    else:
        assert abs(answered - exact) <= MEDIAN_RELATIVE_ERROR * exact + 1


@given(st.lists(st.integers(0, YEAR), min_size=1, max_size=40), st.integers(1, 5))
def test_bins_summed_from_any_split_give_the_same_median(durations: list[int], parts: int) -> None:
    """What rollups do: each slot keeps its own bins, a range sums them."""
    whole = [(duration_bin(d), 1) for d in durations]
    split = [(duration_bin(d), 1) for d in durations[::parts]] + [
        (duration_bin(d), 1) for i, d in enumerate(durations) if i % parts
    ]
    assert median_of_bins(whole) == median_of_bins(split)


T0 = datetime(2026, 3, 28, tzinfo=UTC)


def _minute(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


@st.composite
def _stretches_and_bounds(draw: st.DrawFn) -> tuple[list[tuple[int, int]], list[int]]:
    edges = sorted(draw(st.sets(st.integers(-200, 3000), max_size=20)))
    stretches = list(zip(edges[::2], edges[1::2], strict=False))
    bounds = sorted(draw(st.sets(st.integers(0, 2800), min_size=2, max_size=8)))
    return stretches, bounds


@given(_stretches_and_bounds())
def test_minutes_per_bucket_equal_counting_minute_by_minute(
    case: tuple[list[tuple[int, int]], list[int]],
) -> None:
    stretches, bounds = case
    expected = [
        sum(1 for m in range(low, high) if any(s <= m < e for s, e in stretches))
        for low, high in itertools.pairwise(bounds)
    ]
    answered = minutes_per_bucket(
        [(_minute(s), _minute(e)) for s, e in stretches], [_minute(b) for b in bounds]
    )
    assert answered == expected


def test_a_stretch_across_a_bound_counts_in_both_buckets_and_nothing_outside() -> None:
    bounds = [_minute(0), _minute(60), _minute(120)]
    assert minutes_per_bucket([(_minute(-30), _minute(90))], bounds) == [60, 30]
    assert minutes_per_bucket([(_minute(120), _minute(200))], bounds) == [0, 0]


@pytest.mark.parametrize(
    ("booked", "offered", "percent"),
    [(0, 0, 0), (60, 0, 0), (0, 480, 0), (60, 480, 13), (1, 200, 1), (1, 201, 0), (5, 5, 100)],
)
def test_utilisation_is_whole_percent_rounded_half_up(
    booked: int, offered: int, percent: int
) -> None:
    assert utilisation_percent(booked, offered) == percent
