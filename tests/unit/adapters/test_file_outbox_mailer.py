from __future__ import annotations

import email
import email.policy
import stat
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage as MimeMessage
from pathlib import Path

import pytest

from elearn.adapters.mail.file_outbox import (
    DEFAULT_OUTBOX_DIR,
    OUTBOX_DIR_ENV,
    FileOutboxMailer,
    outbox_dir_from_env,
)
from elearn.application.mail import EmailMessage, InvalidEmailMessage, MailDeliveryError

SENDER = "Elearn <no-reply@elearn.test>"


def read(path: Path) -> MimeMessage:
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, MimeMessage)
    return parsed


def outbox_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.eml"))


def all_names(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def plain_message(**overrides: object) -> EmailMessage:
    fields: dict[str, object] = {
        "to": ("ada@example.com",),
        "subject": "Welcome to Elearn",
        "text_body": "Hello Ada,\n\nWelcome.\n",
    }
    fields.update(overrides)
    return EmailMessage(**fields)  # type: ignore[arg-type]


async def test_a_sent_message_is_written_as_an_eml_file(tmp_path: Path) -> None:
    outbox = tmp_path / "var" / "outbox"  # created on first send
    mailer = FileOutboxMailer(outbox, sender=SENDER)

    await mailer.send(plain_message(reply_to="support@elearn.test"))

    [path] = outbox_files(outbox)
    parsed = read(path)
    assert parsed["From"] == SENDER
    assert parsed["To"] == "ada@example.com"
    assert parsed["Subject"] == "Welcome to Elearn"
    assert parsed["Reply-To"] == "support@elearn.test"
    assert parsed["Date"] is not None
    assert parsed["Message-ID"].endswith("@elearn.test>")
    assert not parsed.is_multipart()
    assert parsed.get_content_type() == "text/plain"
    assert parsed.get_content() == "Hello Ada,\n\nWelcome.\n"


async def test_html_makes_a_multipart_alternative_message(tmp_path: Path) -> None:
    mailer = FileOutboxMailer(tmp_path, sender=SENDER)

    await mailer.send(
        plain_message(
            to=("ada@example.com", "Grace Hopper <grace@example.com>"),
            html_body="<p>Hello Ada, welcome.</p>",
        )
    )

    [path] = outbox_files(tmp_path)
    parsed = read(path)
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed["To"] == "ada@example.com, Grace Hopper <grace@example.com>"
    text, html = parsed.iter_parts()
    assert isinstance(text, MimeMessage) and isinstance(html, MimeMessage)
    assert text.get_content_type() == "text/plain"
    assert text.get_content() == "Hello Ada,\n\nWelcome.\n"
    assert html.get_content_type() == "text/html"
    assert html.get_content() == "<p>Hello Ada, welcome.</p>\n"


async def test_non_ascii_survives_the_round_trip(tmp_path: Path) -> None:
    mailer = FileOutboxMailer(tmp_path, sender=SENDER)

    await mailer.send(
        plain_message(subject="Bienvenue, Zoë — café ☕", text_body="Grüße, Zoë ☕\n")
    )

    raw = outbox_files(tmp_path)[0].read_bytes()
    assert raw.isascii()  # 7bit-safe for any relay
    parsed = read(outbox_files(tmp_path)[0])
    assert parsed["Subject"] == "Bienvenue, Zoë — café ☕"
    assert parsed.get_content() == "Grüße, Zoë ☕\n"


async def test_extra_headers_are_written(tmp_path: Path) -> None:
    mailer = FileOutboxMailer(tmp_path, sender=SENDER)

    await mailer.send(plain_message(headers={"List-Unsubscribe": "<https://elearn.test/u>"}))

    assert read(outbox_files(tmp_path)[0])["List-Unsubscribe"] == "<https://elearn.test/u>"


async def test_two_sends_make_two_files_sorted_by_time(tmp_path: Path) -> None:
    times = iter(
        [datetime(2026, 11, 22, 10, 15, tzinfo=UTC), datetime(2026, 11, 22, 10, 16, tzinfo=UTC)]
    )
    mailer = FileOutboxMailer(tmp_path, sender=SENDER, clock=lambda: next(times))

    await mailer.send(plain_message(subject="first"))
    await mailer.send(plain_message(subject="second"))

    files = outbox_files(tmp_path)
    assert [read(path)["Subject"] for path in files] == ["first", "second"]
    assert files[0].name.startswith("20261122T101500.000000Z-")
    assert read(files[0])["Date"] == "Sun, 22 Nov 2026 10:15:00 +0000"
    # No temporary file left behind.
    assert all_names(tmp_path) == [path.name for path in files]


async def test_same_instant_sends_do_not_collide(tmp_path: Path) -> None:
    instant = datetime(2026, 11, 22, 10, 15, tzinfo=UTC)
    mailer = FileOutboxMailer(tmp_path, sender=SENDER, clock=lambda: instant)

    for _ in range(5):
        await mailer.send(plain_message())

    assert len(outbox_files(tmp_path)) == 5
    assert len({read(p)["Message-ID"] for p in outbox_files(tmp_path)}) == 5


async def test_file_names_use_utc_whatever_the_clock_zone(tmp_path: Path) -> None:
    paris = datetime(2026, 11, 22, 12, 15, tzinfo=timezone(timedelta(hours=1)))
    mailer = FileOutboxMailer(tmp_path, sender=SENDER, clock=lambda: paris)

    await mailer.send(plain_message())

    assert outbox_files(tmp_path)[0].name.startswith("20261122T111500.000000Z-")


async def test_outbox_files_are_private(tmp_path: Path) -> None:
    mailer = FileOutboxMailer(tmp_path / "outbox", sender=SENDER)

    await mailer.send(plain_message())

    mode = stat.S_IMODE(outbox_files(tmp_path / "outbox")[0].stat().st_mode)
    assert mode & 0o077 == 0


async def test_an_unwritable_outbox_is_a_delivery_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    mailer = FileOutboxMailer(blocker / "outbox", sender=SENDER)

    with pytest.raises(MailDeliveryError, match="outbox"):
        await mailer.send(plain_message())


def test_outbox_directory_comes_from_the_environment() -> None:
    assert outbox_dir_from_env({}) == DEFAULT_OUTBOX_DIR == Path("var/outbox")
    assert outbox_dir_from_env({OUTBOX_DIR_ENV: "  "}) == DEFAULT_OUTBOX_DIR
    assert outbox_dir_from_env({OUTBOX_DIR_ENV: "/srv/mail"}) == Path("/srv/mail")


@pytest.mark.parametrize("sender", ["no-reply", "a@b.c\r\nBcc: x@y.z", ""])
def test_the_sender_must_be_an_address(tmp_path: Path, sender: str) -> None:
    with pytest.raises(ValueError):
        FileOutboxMailer(tmp_path, sender=sender)


# EmailMessage validation: header injection and other messages that must not go out.


@pytest.mark.parametrize(
    "overrides",
    [
        {"subject": "Hello\r\nBcc: victim@example.com"},
        {"subject": "Hello\nBcc: victim@example.com"},
        {"subject": "Hello\rBcc: victim@example.com"},
        {"to": ("ada@example.com\r\nBcc: victim@example.com",)},
        {"to": ("ada@example.com", "grace@example.com\n")},
        {"reply_to": "support@elearn.test\r\nBcc: victim@example.com"},
        {"headers": {"X-Tag": "a\r\nBcc: victim@example.com"}},
        {"headers": {"X-Tag\r\nBcc": "victim@example.com"}},
        {"headers": {"X Tag": "value"}},
        {"headers": {"X-Tag:": "value"}},
    ],
)
def test_email_message_refuses_header_injection(overrides: dict[str, object]) -> None:
    with pytest.raises(InvalidEmailMessage):
        plain_message(**overrides)


@pytest.mark.parametrize(
    "overrides",
    [
        {"to": ()},
        {"to": "ada@example.com"},
        {"to": ("not-an-address",)},
        {"subject": "   "},
        {"headers": {"Bcc": "victim@example.com"}},
        {"headers": {"from": "ceo@elearn.test"}},
    ],
)
def test_email_message_refuses_what_cannot_be_sent(overrides: dict[str, object]) -> None:
    with pytest.raises(InvalidEmailMessage):
        plain_message(**overrides)


def test_email_message_is_immutable_and_normalised() -> None:
    headers = {"X-Tag": "welcome"}
    message = plain_message(to=["ada@example.com"], headers=headers)
    headers["X-Tag"] = "changed"

    assert message.to == ("ada@example.com",)
    assert message.headers == {"X-Tag": "welcome"}
    with pytest.raises(TypeError):
        message.headers["X-Tag"] = "x"  # type: ignore[index]
    assert isinstance(InvalidEmailMessage("x"), ValueError)
