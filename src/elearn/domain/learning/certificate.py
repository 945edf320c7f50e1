"""Certificates: proof that a student completed a course.

One per enrollment, however often the completion is reported. It carries a serial that people
quote and a verification code that anyone may check: verification reveals only whether the
certificate is valid, whose it is, the course and the date, never an email or an id.

The names on it are copied when it is issued: a certificate states what was true that day.
"""

from __future__ import annotations

import dataclasses
import secrets
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from elearn.domain.shared.events import DomainEvent

# Without look-alikes (0/O, 1/I/L), so a code read from paper is typed right.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 16  # 31**16 ≈ 7e23: not guessable
SERIAL_RANDOM_LENGTH = 8


def new_verification_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))


def new_serial(issued_at: datetime) -> str:
    """``EL-2026-7KQ2M9XH``: the year reads well on paper; the random part keeps serials unique
    without a shared counter (the store's unique index settles the rare collision)."""
    tail = "".join(secrets.choice(_ALPHABET) for _ in range(SERIAL_RANDOM_LENGTH))
    return f"EL-{issued_at.year}-{tail}"


def normalized_code(code: str) -> str:
    """A code as typed or pasted: any case, with dashes and white space anywhere."""
    return "".join(c for c in code if c != "-" and not c.isspace()).upper()


@dataclasses.dataclass(frozen=True, kw_only=True)
class CertificateIssued(DomainEvent):
    """A completed enrollment's certificate exists (its PDF stored): the student may fetch it."""

    event_type: ClassVar[str] = "learning.certificate_issued"
    certificate_id: UUID
    user_id: UUID
    course_id: UUID
    course_title: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Certificate:
    id: UUID
    enrollment_id: UUID
    user_id: UUID
    course_id: UUID
    serial: str
    verification_code: str
    student_name: str
    course_title: str
    instructor_names: tuple[str, ...]
    issued_at: datetime
    pdf_key: str | None = None
    revoked_at: datetime | None = None

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None
