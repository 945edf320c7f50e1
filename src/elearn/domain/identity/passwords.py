"""The password policy (NIST SP 800-63B): length, not common, not the email's name; no
composition rules, never truncated."""

from __future__ import annotations

from collections.abc import Container

from elearn.domain.identity.email import EmailAddress
from elearn.domain.shared.errors import RuleViolation

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
# A local part shorter than this matches too many passwords by chance to be worth refusing.
_MIN_LOCAL_PART_TO_CHECK = 3


class WeakPassword(RuleViolation):
    code = "weak-password"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("the password " + "; ".join(problems))
        self.problems = problems


def password_problems(
    password: str, *, email: EmailAddress | None, common_passwords: Container[str]
) -> list[str]:
    """What is wrong with ``password``, in words; empty when it is acceptable."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"has more than {MAX_PASSWORD_LENGTH} characters")
    if not password.strip():
        problems.append("is only spaces")
    lowered = password.casefold()
    if lowered in common_passwords:
        problems.append("is one of the most common passwords")
    if email is not None:
        local = email.local_part.casefold()
        if len(local) >= _MIN_LOCAL_PART_TO_CHECK and local in lowered:
            problems.append("contains the name of your email address")
    return problems


def check_password(
    password: str, *, email: EmailAddress | None, common_passwords: Container[str]
) -> None:
    problems = password_problems(password, email=email, common_passwords=common_passwords)
    if problems:
        raise WeakPassword(problems)
