"""Errors raised by use cases (as opposed to business rules, which raise domain errors)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class ApplicationError(Exception):
    code: str = "application-error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.code


class NotFound(ApplicationError):
    """The object does not exist, or the actor may not know it exists (HTTP 404)."""

    code = "not-found"


class NotAuthenticated(ApplicationError):
    code = "not-authenticated"


class PermissionDenied(ApplicationError):
    """The actor is known but may not do this (HTTP 403)."""

    code = "permission-denied"


class RateLimited(ApplicationError):
    code = "rate-limited"

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str


class InvalidInput(ApplicationError):
    """Input that is well-formed but wrong field by field (HTTP 422)."""

    code = "invalid-input"

    def __init__(self, message: str, *, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(message)
        self.errors = tuple(errors)


class InvalidParameter(InvalidInput):
    """A query parameter the API cannot work with: out of range, contradicting another, or a
    cursor it never gave out (HTTP 400)."""

    code = "invalid-parameter"


class Gone(ApplicationError):
    """The thing existed but is no longer available, and will not be again (HTTP 410)."""

    code = "gone"


class PayloadTooLarge(ApplicationError):
    code = "payload-too-large"


class UnsupportedMediaType(ApplicationError):
    code = "unsupported-media-type"


class PaymentRequired(ApplicationError):
    """The thing is sold, not given (HTTP 402): ``checkout_item`` is what to buy at checkout."""

    code = "payment-required"

    def __init__(self, message: str, *, checkout_item: dict[str, str]) -> None:
        super().__init__(message)
        self.checkout_item = checkout_item


class ServiceUnavailable(ApplicationError):
    """A service we depend on did not answer; the same request can be sent again (HTTP 503)."""

    code = "service-unavailable"
