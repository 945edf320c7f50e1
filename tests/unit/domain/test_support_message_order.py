"""A ticket's messages in posting order: each new one is placed at server time but after the
last, so ``(time, id)`` is a total order that matches the order they were posted in, even when
the clock stands still or goes back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from elearn.domain.support.tickets import message_time

START = datetime(2026, 1, 1, 12, tzinfo=UTC)


@settings(max_examples=60)
@given(
    st.lists(
        st.tuples(st.integers(min_value=-2, max_value=2), st.uuids()),
        min_size=1,
        max_size=30,
        unique_by=lambda step: step[1],
    )
)
def test_each_message_sorts_after_every_earlier_one(steps: list[tuple[int, UUID]]) -> None:
    """Clock steps of -2..2 µs (still, back, forward) and random ids."""
    now, last = START, None
    placed: list[tuple[datetime, UUID]] = []
    for step, message_id in steps:
        now += timedelta(microseconds=step)
        at = message_time(now, message_id, last)
        assert at >= now  # never before server time
        last = (at, message_id)
        placed.append(last)
    assert placed == sorted(placed)
    assert len(set(placed)) == len(placed)


def test_the_same_instant_keeps_server_time_when_the_id_sorts_after() -> None:
    small, large = UUID(int=1), UUID(int=2)
    assert message_time(START, large, (START, small)) == START
    assert message_time(START, small, (START, large)) == START + timedelta(microseconds=1)
    assert message_time(START, small, None) == START
    later = START + timedelta(seconds=1)
    assert message_time(later, small, (START, large)) == later
