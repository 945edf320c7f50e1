"""Study streaks: runs of consecutive local days on which a student learned."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta


def current_streak(days: Iterable[date], today: date) -> int:
    """Consecutive days learned ending today, or yesterday (a streak is not lost before the day
    is over)."""
    learned = set(days)
    day = today if today in learned else today - timedelta(days=1)
    streak = 0
    while day in learned:
        streak += 1
        day -= timedelta(days=1)
    return streak
