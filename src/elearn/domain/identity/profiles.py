"""What students and tutors say about themselves. Rating and approval are read-only here."""

from __future__ import annotations

import dataclasses
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from elearn.domain.shared.errors import RuleViolation
from elearn.domain.shared.money import Money


class InvalidTimeZone(RuleViolation):
    code = "invalid-time-zone"


def valid_time_zone(name: str) -> str:
    """An IANA zone name such as ``Europe/Berlin``."""
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        raise InvalidTimeZone(f"{name!r} is not an IANA time zone")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a directory: OSError
        raise InvalidTimeZone(f"{name!r} is not an IANA time zone") from None
    return name


@dataclasses.dataclass(kw_only=True, eq=False)
class StudentProfile:
    user_id: UUID
    bio: str = ""
    language: str | None = None
    country: str | None = None
    time_zone: str = "UTC"
    preferred_currency: str | None = None
    institution: str | None = None
    onboarding: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(kw_only=True, eq=False)
class TutorProfile:
    user_id: UUID
    bio: str = ""
    headline: str = ""
    subjects: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    hourly_rate: Money | None = None
    time_zone: str = "UTC"
    meeting_url: str | None = None
    rating_average: float | None = None
    rating_count: int = 0
