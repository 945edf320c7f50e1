"""Accounts and mail over HTTP, for the tests of every context: sign up, sign in, seed verified
accounts, read links from the mail outbox, check problem answers; sample PNG and PDF bytes."""

from __future__ import annotations

import asyncio
import email
import re
import struct
import uuid
import zlib
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from elearn.adapters.jobs.broker import build_broker
from elearn.application.actor import Actor
from elearn.application.identity.accounts import CreateAccount
from elearn.domain.identity.roles import Role
from elearn.entrypoints.bootstrap import bootstrap
from elearn.entrypoints.settings import Settings

PASSWORD = "a long and unusual secret"


def text_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text part")


async def mails_to(
    settings: Settings, address: str, *, count: int = 1, timeout: float = 15
) -> list[Message]:
    """Waits until ``count`` emails to ``address`` are in the outbox (sent by the app's worker)."""
    deadline = asyncio.get_running_loop().time() + timeout
    outbox = settings.effective_mail_outbox_dir
    while True:
        found = []
        for path in sorted(outbox.glob("*.eml")) if outbox.exists() else []:
            message = email.message_from_bytes(Path(path).read_bytes())
            if address in (message["To"] or ""):
                found.append(message)
        if len(found) >= count:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{len(found)} emails to {address}, expected {count}")
        await asyncio.sleep(0.05)


async def token_from_mail(
    settings: Settings, address: str, subject_contains: str, *, nth: int = 1
) -> str:
    """The ``token`` query parameter of the link in the nth matching email."""
    deadline = asyncio.get_running_loop().time() + 15
    while True:
        messages = [
            m
            for m in await mails_to(settings, address, count=1)
            if subject_contains.lower() in m["Subject"].lower()
        ]
        if len(messages) >= nth:
            break
        assert asyncio.get_running_loop().time() < deadline, f"no email '{subject_contains}' #{nth}"
        await asyncio.sleep(0.05)
    text = text_of(messages[nth - 1])
    link = re.search(r"https?://\S+token=\S+", text)
    assert link, text
    return unquote(parse_qs(urlparse(link.group(0)).query)["token"][0])


async def register_student(
    client: Any, address: str, *, password: str = PASSWORD
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/auth/register/student",
        json={"email": address, "password": password, "full_name": "Stu Dent"},
    )
    assert response.status_code == 201, response.text
    return response.json()


async def login(
    client: Any, address: str, *, password: str = PASSWORD, **extra: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/auth/login", json={"email": address, "password": password, **extra}
    )
    assert response.status_code == 200, response.text
    return response.json()


def bearer(session: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['access_token']}"}


PROBLEM = "application/problem+json"


PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"


def png(extra: bytes = b"") -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1x1, greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + (chunk(b"tEXt", extra) if extra else b"")
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


async def seed_accounts(settings: Settings, *accounts: tuple[str, Role]) -> list[uuid.UUID]:
    """Verified accounts with ``PASSWORD``, created on the test's own loop and connections."""
    container = bootstrap(settings, broker=build_broker(None))
    try:
        return [
            await container.identity.create_account(
                Actor.system(), CreateAccount(email, PASSWORD, email.split("@")[0], role)
            )
            for email, role in accounts
        ]
    finally:
        await container.dispose()


def problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    if code is not None:
        assert body["code"] == code, body
    return body
