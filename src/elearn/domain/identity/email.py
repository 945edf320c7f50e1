from __future__ import annotations

import re
from dataclasses import dataclass

from elearn.domain.shared.errors import RuleViolation

# Deliberately permissive: the only real proof of an address is the verification email.
# Control characters are refused too: NUL breaks PostgreSQL text, others hide in mail headers.
_SHAPE = re.compile(r"[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+")
MAX_EMAIL_LENGTH = 254


class InvalidEmail(RuleViolation):
    code = "invalid-email"


@dataclass(frozen=True, slots=True)
class EmailAddress:
    """An email address, normalised: trimmed and lower-cased, so equality is case-insensitive."""

    value: str

    def __post_init__(self) -> None:
        if not isinstance(self.value, str):
            raise InvalidEmail("an email address is text")
        normalised = self.value.strip().lower()
        if len(normalised) > MAX_EMAIL_LENGTH:
            raise InvalidEmail(f"an email address has at most {MAX_EMAIL_LENGTH} characters")
        if not _SHAPE.fullmatch(normalised):
            raise InvalidEmail(f"{self.value!r} is not an email address")
        object.__setattr__(self, "value", normalised)

    @property
    def local_part(self) -> str:
        return self.value.rsplit("@", 1)[0]

    def __str__(self) -> str:
        return self.value
