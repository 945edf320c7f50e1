"""Domain errors. Each carries a stable ``code`` that the HTTP layer turns into a problem type."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A business rule refused the operation.

    ``code`` is stable and machine-readable (kebab-case); the message is for humans.
    """

    code: str = "domain-error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.code

    def __reduce__(self) -> tuple[Any, ...]:
        # Keeps ``code`` and other attributes through pickle and copy (workers, test runners).
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(cls: type[DomainError], args: tuple[Any, ...], state: dict[str, Any]) -> DomainError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class RuleViolation(DomainError):
    """Valid input that a rule rejects (HTTP 422)."""

    code = "rule-violation"


class Conflict(DomainError):
    """The operation conflicts with the current state: a duplicate, a double booking (HTTP 409)."""

    code = "conflict"


class IllegalTransition(Conflict):
    """A state machine was asked for a move it does not allow."""

    code = "illegal-transition"

    def __init__(self, machine: str, current: str, action: str) -> None:
        super().__init__(f"cannot {action} a {machine} that is {current}")
        self.machine = machine
        self.current = current
        self.action = action


class Forbidden(DomainError):
    """The rules do not let this actor do this now (HTTP 403), e.g. an unverified email."""

    code = "forbidden"
