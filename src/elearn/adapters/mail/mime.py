"""Turns an application `EmailMessage` into a standard-library MIME message (one place)."""

from __future__ import annotations

import email.policy
import email.utils
from datetime import UTC, datetime
from email.message import EmailMessage as MimeMessage

from elearn.application.mail import EmailMessage

# 7bit transfer encoding: non-ASCII bodies become quoted-printable or base64, so the message
# goes through any SMTP server, including ones without 8BITMIME. Lines end in LF; smtplib
# turns them into CRLF on the wire.
POLICY = email.policy.default.clone(cte_type="7bit")


def address_of(value: str) -> str:
    """The bare addr-spec of ``"Name <user@example.com>"`` or ``"user@example.com"``."""
    return email.utils.parseaddr(value)[1]


def check_sender(sender: str) -> str:
    if any(ch in sender for ch in "\r\n\x00"):
        raise ValueError("sender contains a line break")
    if "@" not in address_of(sender):
        raise ValueError(f"sender is not an email address: {sender!r}")
    return sender


def build_mime_message(
    message: EmailMessage, *, sender: str, now: datetime | None = None
) -> MimeMessage:
    """An RFC 5322 message with Date and Message-ID; multipart/alternative when HTML is given."""
    sent_at = now if now is not None else datetime.now(UTC)
    mime = MimeMessage(policy=POLICY)
    mime["From"] = sender
    mime["To"] = ", ".join(message.to)
    mime["Subject"] = message.subject
    mime["Date"] = email.utils.format_datetime(sent_at.astimezone(UTC))
    # The sender's domain, not socket.getfqdn(): no DNS lookup, and stable across hosts.
    domain = address_of(sender).rpartition("@")[2]
    mime["Message-ID"] = email.utils.make_msgid(domain=domain)
    if message.reply_to is not None:
        mime["Reply-To"] = message.reply_to
    for name, value in message.headers.items():
        mime[name] = value
    mime.set_content(message.text_body)
    if message.html_body is not None:
        mime.add_alternative(message.html_body, subtype="html")
    return mime
