"""A mailer that writes every message as an ``.eml`` file: the embedded default.

Open the files with any mail client, or read them in tests. Nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from elearn.adapters.mail.mime import build_mime_message, check_sender
from elearn.application.mail import EmailMessage, MailDeliveryError

__all__ = ["DEFAULT_OUTBOX_DIR", "OUTBOX_DIR_ENV", "FileOutboxMailer", "outbox_dir_from_env"]

OUTBOX_DIR_ENV = "ELEARN_MAIL_OUTBOX_DIR"
DEFAULT_OUTBOX_DIR = Path("var/outbox")

logger = logging.getLogger(__name__)


def outbox_dir_from_env(environ: Mapping[str, str] | None = None) -> Path:
    """``$ELEARN_MAIL_OUTBOX_DIR`` if set and not blank, else ``var/outbox``."""
    env = os.environ if environ is None else environ
    value = env.get(OUTBOX_DIR_ENV, "").strip()
    return Path(value) if value else DEFAULT_OUTBOX_DIR


def _utcnow() -> datetime:
    return datetime.now(UTC)


class FileOutboxMailer:
    """Writes each message to ``<directory>/<UTC timestamp>-<uuid>.eml``.

    Names sort by time and never collide. A file appears whole or not at all (written to a
    temporary name, then renamed), and is readable by its owner only: mails carry
    verification and reset links.
    """

    __slots__ = ("_clock", "_directory", "_sender")

    def __init__(
        self,
        directory: Path,
        *,
        sender: str,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._directory = Path(directory)
        self._sender = check_sender(sender)
        self._clock = clock

    @property
    def directory(self) -> Path:
        return self._directory

    def __repr__(self) -> str:
        return f"FileOutboxMailer(directory={str(self._directory)!r}, sender={self._sender!r})"

    async def send(self, message: EmailMessage) -> None:
        try:
            path = await asyncio.to_thread(self._write, message)
        except OSError as exc:
            raise MailDeliveryError(
                f"cannot write to the mail outbox {self._directory}: {exc.strerror or exc}"
            ) from exc
        logger.info("mail written to outbox", extra={"path": str(path)})

    def _write(self, message: EmailMessage) -> Path:
        now = self._clock().astimezone(UTC)
        data = build_mime_message(message, sender=self._sender, now=now).as_bytes()
        name = f"{now:%Y%m%dT%H%M%S.%f}Z-{uuid.uuid4().hex}.eml"
        self._directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Leading dot and .tmp suffix: readers globbing *.eml never see a half-written file.
        fd, tmp_name = tempfile.mkstemp(dir=self._directory, prefix=".", suffix=".eml.tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            target = self._directory / name
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return target
