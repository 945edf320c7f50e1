"""The mailer port: what the application asks of email, whatever carries it.

Use cases never send mail inside a request. They record an outbox message in their unit of
work; a worker renders it with `EmailTemplates` and hands it to a `Mailer` after commit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Protocol
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from elearn.application.errors import ApplicationError

__all__ = [
    "EmailMessage",
    "EmailTemplateError",
    "EmailTemplates",
    "InvalidEmailMessage",
    "MailAbout",
    "MailDeliveryError",
    "Mailer",
    "PersonalMailer",
    "SendRegardless",
    "UnknownEmailTemplate",
    "in_zone",
]


class InvalidEmailMessage(ApplicationError, ValueError):
    """A message that must not be sent as it is: no recipient, or a header that could inject."""

    code = "invalid-email-message"


class MailDeliveryError(ApplicationError):
    """The message could not be handed over to the mail system.

    ``retryable`` is true for failures that may pass on their own (network down, timeout, a
    4xx reply): a worker retries those with back-off. It is false for failures that need a
    person (bad credentials, a 5xx refusal, an untrusted certificate).
    """

    code = "mail-delivery-failed"

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class EmailTemplateError(ApplicationError):
    """A template could not be rendered (a missing context variable, a syntax error)."""

    code = "email-template-error"


class UnknownEmailTemplate(EmailTemplateError, LookupError):
    code = "unknown-email-template"


# Headers the mailer writes itself; letting callers set them would let them forge or duplicate.
_RESERVED_HEADERS = frozenset(
    {
        "bcc",
        "cc",
        "content-transfer-encoding",
        "content-type",
        "date",
        "from",
        "message-id",
        "mime-version",
        "reply-to",
        "sender",
        "subject",
        "to",
    }
)
# RFC 5322 field name: printable US-ASCII except colon.
_HEADER_NAME = re.compile(r"[!-9;-~]+")
_LINE_BREAKS = ("\r", "\n", "\x00")


def _has_line_break(value: str) -> bool:
    return any(ch in value for ch in _LINE_BREAKS)


def _check_address(value: str, what: str) -> None:
    if _has_line_break(value):
        raise InvalidEmailMessage(f"{what} contains a line break")
    if "@" not in value or not value.strip():
        raise InvalidEmailMessage(f"{what} is not an email address: {value!r}")


def _empty_headers() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class EmailMessage:
    """One email to send. Headers are single-line by construction (no header injection)."""

    to: tuple[str, ...]
    subject: str
    text_body: str
    html_body: str | None = None
    reply_to: str | None = None
    headers: Mapping[str, str] = field(default_factory=_empty_headers, hash=False)

    def __post_init__(self) -> None:
        if isinstance(self.to, str):
            raise InvalidEmailMessage("to must be a sequence of addresses, not one string")
        to = tuple(self.to)
        if not to:
            raise InvalidEmailMessage("an email needs at least one recipient")
        for address in to:
            _check_address(address, "recipient")
        if _has_line_break(self.subject):
            raise InvalidEmailMessage("subject contains a line break")
        if not self.subject.strip():
            raise InvalidEmailMessage("subject is empty")
        if self.reply_to is not None:
            _check_address(self.reply_to, "reply-to")
        headers = dict(self.headers)
        for name, value in headers.items():
            if not _HEADER_NAME.fullmatch(name):
                raise InvalidEmailMessage(f"invalid header name: {name!r}")
            if name.lower() in _RESERVED_HEADERS:
                raise InvalidEmailMessage(f"header {name} is set by the mailer")
            if _has_line_break(value):
                raise InvalidEmailMessage(f"header {name} contains a line break")
        object.__setattr__(self, "to", to)
        object.__setattr__(self, "headers", MappingProxyType(headers))


class Mailer(Protocol):
    """Hands a message to the mail system. Raises `MailDeliveryError` when it cannot."""

    async def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True, slots=True)
class MailAbout:
    """Whom an email is for and what it tells them, so that their notification preferences
    decide whether and when it goes: ``category`` is a notification category (``booking``,
    ``payment``...), ``source_key`` names what it is about (the event's id), one email per key
    and person."""

    person_id: UUID
    category: str
    source_key: str


class PersonalMailer(Protocol):
    """Sends an email a person may have turned off, or wants later (quiet hours, a digest).
    Emails every person must get whatever they chose (account security) go to a `Mailer`."""

    async def send(self, message: EmailMessage, about: MailAbout) -> None: ...


class SendRegardless:
    """A `PersonalMailer` for an application without notification preferences: sends at once."""

    def __init__(self, mailer: Mailer) -> None:
        self._mailer = mailer

    async def send(self, message: EmailMessage, about: MailAbout) -> None:
        await self._mailer.send(message)


def in_zone(moment: datetime, zone: str) -> datetime:
    """``moment`` on the clocks of the recipient's zone; UTC when the name is not a zone."""
    try:
        return moment.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return moment.astimezone(UTC)


class EmailTemplates(Protocol):
    """Renders a named template into a message.

    Raises `UnknownEmailTemplate` for a name it does not have and `EmailTemplateError` when
    the context lacks a variable the template uses.
    """

    def render(
        self,
        template: str,
        context: Mapping[str, object],
        *,
        to: Sequence[str],
        language: str | None = None,
    ) -> EmailMessage:
        """``language`` is the recipient's (a BCP 47 tag such as ``de`` or ``pt-BR``): the
        message is in it when the template has a translation, in English otherwise."""
        ...
