"""SmtpMailer against a real SMTP server (aiosmtpd) listening on loopback."""

from __future__ import annotations

import email
import email.policy
import logging
import shutil
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage as MimeMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from elearn.adapters.mail.smtp import SmtpMailer
from elearn.application.mail import EmailMessage, MailDeliveryError

HOST = "127.0.0.1"
SENDER = "Elearn <no-reply@elearn.test>"
USERNAME = "mailer"
PASSWORD = "s3cret-Pa55word-never-logged"


class RecordingHandler:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.logins: list[bytes | None] = []

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        self.logins.append(session.login_data)
        return "250 Message accepted for delivery"

    def only_message(self) -> tuple[Envelope, MimeMessage]:
        [envelope] = self.envelopes
        assert isinstance(envelope.content, bytes)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, MimeMessage)
        return envelope, parsed


def authenticator(
    server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USERNAME.encode()
        and auth_data.password == PASSWORD.encode()
    )
    # handled=False: let aiosmtpd send the 535 reply itself.
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class SmtpServer:
    port: int
    handler: RecordingHandler


ServerFactory = Callable[..., SmtpServer]


@pytest.fixture
def smtp_server() -> Iterator[ServerFactory]:
    controllers: list[Controller] = []

    def start(**smtp_options: Any) -> SmtpServer:
        handler = RecordingHandler()
        port = free_port()
        controller = Controller(handler, hostname=HOST, port=port, **smtp_options)
        controller.start()
        controllers.append(controller)
        return SmtpServer(port=port, handler=handler)

    yield start
    for controller in controllers:
        controller.stop()


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A throwaway self-signed certificate for 127.0.0.1, made with the openssl CLI."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-nodes", "-days", "1",
            "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-keyout", str(key), "-out", str(cert),
            "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return Certificate(cert=cert, key=key)


def message(**overrides: Any) -> EmailMessage:
    fields: dict[str, Any] = {
        "to": ("ada@example.com", "Grace Hopper <grace@example.com>"),
        "subject": "Confirm your email address",
        "text_body": "Hello Ada,\n\nOpen https://elearn.test/verify?t=1 to confirm.\n",
        "html_body": '<p>Hello Ada, <a href="https://elearn.test/verify?t=1">confirm</a>.</p>',
    }
    fields.update(overrides)
    return EmailMessage(**fields)


async def test_delivers_over_plain_smtp(smtp_server: ServerFactory) -> None:
    server = smtp_server()
    mailer = SmtpMailer(HOST, server.port, sender=SENDER, security="none")

    await mailer.send(message(reply_to="support@elearn.test"))

    envelope, received = server.handler.only_message()
    assert envelope.mail_from == "no-reply@elearn.test"
    assert envelope.rcpt_tos == ["ada@example.com", "grace@example.com"]
    assert received["From"] == SENDER
    assert received["To"] == "ada@example.com, Grace Hopper <grace@example.com>"
    assert received["Subject"] == "Confirm your email address"
    assert received["Reply-To"] == "support@elearn.test"
    assert received["Date"] is not None
    assert received["Message-ID"].endswith("@elearn.test>")
    assert received["Bcc"] is None
    assert received.get_content_type() == "multipart/alternative"
    text, html = received.iter_parts()
    assert isinstance(text, MimeMessage) and isinstance(html, MimeMessage)
    # CRLF on the wire, as SMTP requires.
    assert (
        text.get_content()
        == "Hello Ada,\r\n\r\nOpen https://elearn.test/verify?t=1 to confirm.\r\n"
    )
    assert html.get_content_type() == "text/html"
    assert 'href="https://elearn.test/verify?t=1"' in html.get_content()


async def test_delivers_non_ascii_text(smtp_server: ServerFactory) -> None:
    server = smtp_server()
    mailer = SmtpMailer(HOST, server.port, sender=SENDER, security="none")

    await mailer.send(message(subject="Bienvenue, Zoë ☕", text_body="Grüße ☕\n", html_body=None))

    _, received = server.handler.only_message()
    assert received["Subject"] == "Bienvenue, Zoë ☕"
    assert received.get_content() == "Grüße ☕\n"  # base64: line ends decode as sent


async def test_logs_in_with_the_right_credentials(smtp_server: ServerFactory) -> None:
    server = smtp_server(authenticator=authenticator, auth_require_tls=False)
    mailer = SmtpMailer(
        HOST,
        server.port,
        sender=SENDER,
        username=USERNAME,
        password=PASSWORD,
        security="none",
        allow_plaintext_auth=True,
    )

    await mailer.send(message())

    assert server.handler.logins == [USERNAME.encode()]


async def test_wrong_credentials_fail_without_leaking_the_password(
    smtp_server: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = smtp_server(authenticator=authenticator, auth_require_tls=False)
    wrong_password = "wrong-" + PASSWORD
    mailer = SmtpMailer(
        HOST,
        server.port,
        sender=SENDER,
        username=USERNAME,
        password=wrong_password,
        security="none",
        allow_plaintext_auth=True,
    )

    with pytest.raises(MailDeliveryError) as caught:
        await mailer.send(message())

    error = caught.value
    assert error.retryable is False
    assert "credentials" in str(error)
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None:
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    for text in [*(str(e) for e in chain), *(repr(e) for e in chain), caplog.text, repr(mailer)]:
        assert wrong_password not in text
    assert server.handler.envelopes == []


def test_credentials_are_refused_over_plain_text_by_default() -> None:
    with pytest.raises(ValueError, match="TLS"):
        SmtpMailer(HOST, 25, sender=SENDER, username=USERNAME, password=PASSWORD, security="none")


async def test_starttls_with_login(smtp_server: ServerFactory, certificate: Certificate) -> None:
    server = smtp_server(
        tls_context=certificate.server_context(),
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    mailer = SmtpMailer(
        HOST,
        server.port,
        sender=SENDER,
        username=USERNAME,
        password=PASSWORD,
        security="starttls",
        ssl_context=certificate.client_context(),
    )

    await mailer.send(message())

    _, received = server.handler.only_message()
    assert received["Subject"] == "Confirm your email address"
    assert server.handler.logins == [USERNAME.encode()]


async def test_starttls_verifies_the_certificate_by_default(
    smtp_server: ServerFactory, certificate: Certificate
) -> None:
    server = smtp_server(tls_context=certificate.server_context(), require_starttls=True)
    mailer = SmtpMailer(HOST, server.port, sender=SENDER, security="starttls")

    with pytest.raises(MailDeliveryError, match="certificate") as caught:
        await mailer.send(message())

    assert caught.value.retryable is False
    assert server.handler.envelopes == []


async def test_starttls_never_falls_back_to_plain_text(smtp_server: ServerFactory) -> None:
    server = smtp_server()  # offers no STARTTLS
    mailer = SmtpMailer(HOST, server.port, sender=SENDER, security="starttls")

    with pytest.raises(MailDeliveryError, match="STARTTLS"):
        await mailer.send(message())

    assert server.handler.envelopes == []


async def test_implicit_tls(smtp_server: ServerFactory, certificate: Certificate) -> None:
    server = smtp_server(ssl_context=certificate.server_context())
    mailer = SmtpMailer(
        HOST,
        server.port,
        sender=SENDER,
        security="tls",
        ssl_context=certificate.client_context(),
    )

    await mailer.send(message())

    envelope, _ = server.handler.only_message()
    assert envelope.rcpt_tos == ["ada@example.com", "grace@example.com"]


async def test_a_closed_port_is_a_retryable_delivery_error() -> None:
    mailer = SmtpMailer(HOST, free_port(), sender=SENDER, security="none", timeout=2.0)

    with pytest.raises(MailDeliveryError) as caught:
        await mailer.send(message())

    assert caught.value.retryable is True
    assert f"{HOST}:" in str(caught.value)


async def test_a_refused_recipient_is_a_delivery_error(smtp_server: ServerFactory) -> None:
    class RefusingHandler(RecordingHandler):
        async def handle_RCPT(
            self, server: Any, session: Session, envelope: Envelope, address: str, options: Any
        ) -> str:
            return "550 5.1.1 No such user"

    handler = RefusingHandler()
    port = free_port()
    controller = Controller(handler, hostname=HOST, port=port)
    controller.start()
    try:
        mailer = SmtpMailer(HOST, port, sender=SENDER, security="none")
        with pytest.raises(MailDeliveryError, match="No such user") as caught:
            await mailer.send(message())
    finally:
        controller.stop()

    assert caught.value.retryable is False
