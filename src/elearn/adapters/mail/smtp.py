"""A mailer that hands messages to an SMTP server (STARTTLS, implicit TLS or plain; AUTH).

Runs the standard library's blocking ``smtplib`` in a thread, one connection per message: it
is called by a worker draining the outbox, never inside a request.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from typing import Literal, get_args

from elearn.adapters.mail.mime import address_of, build_mime_message, check_sender
from elearn.application.mail import EmailMessage, MailDeliveryError

__all__ = ["SmtpMailer", "SmtpSecurity"]

SmtpSecurity = Literal["none", "starttls", "tls"]

logger = logging.getLogger(__name__)


class SmtpMailer:
    """Sends each message over its own SMTP connection.

    ``security``: ``"starttls"`` (submission, port 587) upgrades the connection and fails if
    the server does not offer STARTTLS, never falling back to plain text; ``"tls"`` (port 465)
    speaks TLS from the first byte; ``"none"`` is for a local relay or a test server.
    Certificates are verified against the system store unless ``ssl_context`` says otherwise.
    Credentials are refused over ``"none"`` unless ``allow_plaintext_auth`` is set.
    """

    __slots__ = (
        "_host",
        "_local_hostname",
        "_password",
        "_port",
        "_security",
        "_sender",
        "_ssl_context",
        "_timeout",
        "_username",
    )

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        security: SmtpSecurity = "starttls",
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
        allow_plaintext_auth: bool = False,
        local_hostname: str | None = None,
    ) -> None:
        if security not in get_args(SmtpSecurity):
            raise ValueError(f"security must be one of {get_args(SmtpSecurity)}, not {security!r}")
        if (username is None) != (password is None):
            raise ValueError("give both an SMTP username and a password, or neither")
        if username is not None and security == "none" and not allow_plaintext_auth:
            raise ValueError(
                "refusing to send SMTP credentials without TLS; use security='starttls' or "
                "'tls', or set allow_plaintext_auth=True for a trusted local relay"
            )
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self._host = host
        self._port = port
        self._sender = check_sender(sender)
        self._username = username
        self._password = password
        self._security: SmtpSecurity = security
        self._timeout = timeout
        self._ssl_context = ssl_context
        self._local_hostname = local_hostname

    def __repr__(self) -> str:
        password = None if self._password is None else "***"
        return (
            f"SmtpMailer(host={self._host!r}, port={self._port}, security={self._security!r}, "
            f"sender={self._sender!r}, username={self._username!r}, password={password!r})"
        )

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._send_blocking, message)

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context if self._ssl_context is not None else ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        if self._security == "tls":
            return smtplib.SMTP_SSL(
                self._host,
                self._port,
                local_hostname=self._local_hostname,
                timeout=self._timeout,
                context=self._context(),
            )
        return smtplib.SMTP(
            self._host, self._port, local_hostname=self._local_hostname, timeout=self._timeout
        )

    def _send_blocking(self, message: EmailMessage) -> None:
        mime = build_mime_message(message, sender=self._sender)
        envelope_from = address_of(self._sender)
        envelope_to = [address_of(address) for address in message.to]
        server = f"{self._host}:{self._port}"
        try:
            with self._connect() as client:
                if self._security == "starttls":
                    client.ehlo()
                    client.starttls(context=self._context())
                    client.ehlo()
                if self._username is not None and self._password is not None:
                    self._login(client, server)
                refused = client.send_message(mime, from_addr=envelope_from, to_addrs=envelope_to)
        except MailDeliveryError:
            raise
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise MailDeliveryError(
                f"{server} refused every recipient: {self._describe_refusals(exc.recipients)}",
                retryable=all(400 <= code < 500 for code in codes),
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise MailDeliveryError(
                f"{server} does not support what the mailer needs: {exc}", retryable=False
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise MailDeliveryError(
                f"{server} replied {exc.smtp_code} {self._reply_text(exc.smtp_error)}",
                retryable=400 <= exc.smtp_code < 500,
            ) from exc
        except ssl.SSLCertVerificationError as exc:
            raise MailDeliveryError(
                f"TLS certificate of {server} not trusted: {exc.verify_message}", retryable=False
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise MailDeliveryError(
                f"cannot deliver mail through {server}: {type(exc).__name__}: {exc}"
            ) from exc
        if refused:
            # Some recipients got it: retrying would send them a duplicate.
            raise MailDeliveryError(
                f"{server} refused some recipients: {self._describe_refusals(refused)}",
                retryable=False,
            )
        logger.info(
            "mail sent",
            extra={"smtp_server": server, "message_id": mime["Message-ID"]},
        )

    def _login(self, client: smtplib.SMTP, server: str) -> None:
        assert self._username is not None and self._password is not None
        try:
            client.login(self._username, self._password)
        except smtplib.SMTPAuthenticationError as exc:
            # Not chained: the original carries the server's reply to the credentials.
            raise MailDeliveryError(
                f"{server} rejected the credentials of SMTP user {self._username!r} "
                f"({exc.smtp_code})",
                retryable=False,
            ) from None

    def _reply_text(self, reply: bytes | str) -> str:
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        if self._password:
            text = text.replace(self._password, "***")
        return text

    def _describe_refusals(self, refusals: dict[str, tuple[int, bytes]]) -> str:
        return "; ".join(
            f"{address}: {code} {self._reply_text(reply)}"
            for address, (code, reply) in refusals.items()
        )
