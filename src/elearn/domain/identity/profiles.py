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


def pick_institution(profile: StudentProfile | TutorProfile, institution_id: UUID | None) -> None:
    """Points the profile at an institution of the list (None: at none). A student's picking
    replaces what they once typed, which was only ever shown as unverified."""
    profile.institution_id = institution_id
    if isinstance(profile, StudentProfile):
        profile.unverified_institution = None


@dataclasses.dataclass(kw_only=True, eq=False)
class StudentProfile:
    user_id: UUID
    bio: str = ""
    language: str | None = None
    country: str | None = None
    time_zone: str = "UTC"
    preferred_currency: str | None = None
    institution_id: UUID | None = None
    # Typed before institutions were a list; shown as unverified until one is picked.
    unverified_institution: str | None = None
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
    institution_id: UUID | None = None
