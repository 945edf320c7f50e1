"""The unread-message digest: which messages to email a person about, and when.

A message is emailed to its recipient once it has stayed unread for the delay (15 minutes), in
one digest per person that groups everything then due; never a message they have read, never
one emailed before, never while they hold a live socket (they read it there: their read
receipts tell, and the next run looks again once they are gone).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from elearn.domain.communication.conversations import Mark

DIGEST_DELAY = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class UnreadMessage:
    """A message as the digest sees it, for one recipient."""

    mark: Mark
    sender_id: UUID
    deleted: bool = False


def due_for_digest(
    messages: Iterable[UnreadMessage],
    *,
    recipient: UUID,
    read: Mark | None,
    emailed: Mark | None,
    now: datetime,
    delay: timedelta = DIGEST_DELAY,
) -> list[UnreadMessage]:
    """The messages of one conversation to put in ``recipient``'s digest now, in order."""
    return sorted(
        (
            message
            for message in messages
            if message.sender_id != recipient
            and not message.deleted
            and (read is None or message.mark > read)
            and (emailed is None or message.mark > emailed)
            and message.mark.at + delay <= now
        ),
        key=lambda message: message.mark,
    )
