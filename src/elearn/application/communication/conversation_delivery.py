"""What leaves the process after a conversation changed: live events to the two people (outbox
handlers, after commit; a new message also straight from its use case, just after its commit),
and the email digest of messages left unread.

The digest runs periodically: in one transaction it picks, per person, the messages unread for
15 minutes and not emailed before, moves that person's emailed marks past them and records one
``UnreadMessagesDigestDue`` event; the email leaves through the outbox after commit. A person
holding a live socket is skipped (they read there), and looked at again on the next run.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Collection
from datetime import timedelta
from uuid import UUID

from elearn.application.communication.conversation_deps import ConversationDeps, message_view
from elearn.application.communication.conversation_ports import MessageView
from elearn.domain.communication.conversations import (
    ConversationRead,
    Message,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    preview_of,
)
from elearn.domain.communication.digest import UnreadMessage, due_for_digest
from elearn.domain.shared.events import DomainEvent

logger = logging.getLogger(__name__)

# Conversations one digest run looks at (the rest wait for the next run).
_DIGEST_BATCH = 500
_MESSAGES_PER_CONVERSATION = 200


def message_payload(view: MessageView) -> dict[str, object]:
    """A message as the socket carries it (the same fields as the HTTP answer)."""
    return {
        "conversation_id": str(view.conversation_id),
        "message": {
            "id": str(view.id),
            "conversation_id": str(view.conversation_id),
            "sender_id": str(view.sender_id),
            "body": view.body,
            "sent_at": view.sent_at.isoformat(),
            "edited_at": None if view.edited_at is None else view.edited_at.isoformat(),
            "deleted": view.deleted,
            "attachments": [
                {
                    "id": str(a.id),
                    "filename": a.filename,
                    "content_type": a.content_type,
                    "size": a.size,
                }
                for a in view.attachments
            ],
        },
    }


def posted_once_key(message_id: UUID) -> str:
    """The ``once`` key ``message.created`` is published under, by the use case and by the
    outbox's handler alike (its two publishers): the message reaches each person's history
    once."""
    return f"message.created:{message_id}"


async def publish_posted(
    deps: ConversationDeps, message: Message, participants: Collection[UUID]
) -> None:
    """``message.created`` to both people, just after the commit that stored the message: the
    live copy leaves without waiting for the outbox. Best effort: when the hub fails, the
    outbox's handler publishes it still (the sender is not told of a failure after the message
    is stored)."""
    try:
        await deps.realtime.publish(
            participants,
            "message.created",
            message_payload(message_view(message)),
            once=posted_once_key(message.id),
        )
    except Exception:
        logger.warning(
            "message %s: live publish failed, left to the outbox", message.id, exc_info=True
        )


class PublishConversationEvent:
    """The outbox handler that tells both people live: ``message.created``, ``message.updated``,
    ``message.deleted`` (the message as it is now) and ``conversation.read`` (a receipt). Both:
    the sender's other devices follow too."""

    _LIVE_TYPES: dict[type[DomainEvent], str] = {
        MessagePosted: "message.created",
        MessageEdited: "message.updated",
        MessageDeleted: "message.deleted",
    }

    def __init__(self, deps: ConversationDeps) -> None:
        self._deps = deps

    async def __call__(self, event: DomainEvent) -> None:
        deps = self._deps
        if isinstance(event, ConversationRead):
            await deps.realtime.publish(
                event.participant_ids,
                "conversation.read",
                {
                    "conversation_id": str(event.conversation_id),
                    "reader_id": str(event.reader_id),
                    "up_to_message_id": str(event.up_to_message_id),
                },
            )
            return
        live_type = self._LIVE_TYPES[type(event)]
        assert isinstance(event, MessagePosted | MessageEdited | MessageDeleted)
        if isinstance(event, MessagePosted) and await self._sent_by_its_use_case(event):
            return
        async with deps.uow(read_only=True) as uow:
            message = await uow.conversations.messages.get(event.message_id)
            conversation = await uow.conversations.conversations.get(event.conversation_id)
        if message is None or conversation is None:
            return  # erased since
        await deps.realtime.publish(
            conversation.participants,
            live_type,
            message_payload(message_view(message)),
            # The use case published it already, unless its process died first.
            once=posted_once_key(message.id) if isinstance(event, MessagePosted) else None,
        )

    async def _sent_by_its_use_case(self, event: MessagePosted) -> bool:
        """Whether the use case published the message already, as it does unless its process
        died or the hub failed first: then there is nothing to read nor publish here (one
        transaction and two reads less for every message)."""
        try:
            return await self._deps.realtime.published_once(posted_once_key(event.message_id))
        except Exception:
            logger.warning("message %s: hub unreachable, publishing anyway", event.message_id)
            return False


@dataclasses.dataclass(frozen=True, kw_only=True)
class DigestEntry:
    conversation_id: UUID
    sender_id: UUID
    unread: int
    preview: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class UnreadMessagesDigestDue(DomainEvent):
    event_type = "conversations.unread_digest_due"
    recipient_id: UUID
    entries: tuple[DigestEntry, ...]


class QueueUnreadDigests:
    """The periodic job: one digest per person with messages unread past the delay, never one
    they read in time, never one emailed before, never while they are connected."""

    def __init__(self, deps: ConversationDeps) -> None:
        self._deps = deps

    async def __call__(self) -> int:
        deps = self._deps
        now = deps.clock.now()
        since = now - timedelta(days=deps.policy.digest_horizon_days)
        async with deps.uow(read_only=True) as uow:
            if not await uow.conversations.conversations.with_undigested(since, limit=1):
                return 0
        async with deps.uow() as uow:
            repository = uow.conversations.conversations
            conversations = await repository.with_undigested(since, limit=_DIGEST_BATCH)
            people = {p for c in conversations for p in c.participants}
            live = await deps.realtime.connected(people)
            entries: defaultdict[UUID, list[DigestEntry]] = defaultdict(list)
            for conversation in conversations:
                for person in conversation.participants:
                    if person in live:
                        continue
                    floor = max(
                        (m for m in (conversation.read_mark(person),
                                     conversation.emailed_mark(person)) if m is not None),
                        default=None,
                    )  # fmt: skip
                    messages = await uow.conversations.messages.after(
                        conversation.id, floor, limit=_MESSAGES_PER_CONVERSATION
                    )
                    due = due_for_digest(
                        (UnreadMessage(m.mark, m.sender_id, m.is_deleted) for m in messages),
                        recipient=person,
                        read=conversation.read_mark(person),
                        emailed=conversation.emailed_mark(person),
                        now=now,
                        delay=deps.digest_delay,
                    )
                    if not due:
                        continue
                    conversation.emailed_up_to(person, due[-1].mark)
                    last = next(m for m in messages if m.id == due[-1].mark.message_id)
                    entries[person].append(
                        DigestEntry(
                            conversation_id=conversation.id,
                            sender_id=conversation.other(person),
                            unread=len(due),
                            preview=preview_of(last.body),
                        )
                    )
            for person, person_entries in entries.items():
                uow.publish(
                    UnreadMessagesDigestDue(
                        event_id=deps.ids.new_id(),
                        occurred_at=now,
                        recipient_id=person,
                        entries=tuple(person_entries),
                    )
                )
            await uow.commit()
        return len(entries)


class SendUnreadDigest:
    """The outbox handler that emails one person's digest: who wrote, how many messages, the
    last one's first words, and where to read them."""

    def __init__(self, deps: ConversationDeps) -> None:
        self._deps = deps

    async def __call__(self, event: DomainEvent) -> None:
        assert isinstance(event, UnreadMessagesDigestDue)
        deps = self._deps
        async with deps.uow(read_only=True) as uow:
            facts = await deps.identity.user(uow, event.recipient_id)
            person = await deps.identity.recipient(uow, event.recipient_id)
            senders = await deps.queries.names({entry.sender_id for entry in event.entries})
        if facts is None or person is None or not facts.is_active:
            return
        context: dict[str, object] = {
            "full_name": person.full_name,
            "unread": sum(entry.unread for entry in event.entries),
            "conversations": [
                {
                    "sender_name": senders.get(entry.sender_id, "someone"),
                    "unread": entry.unread,
                    "preview": entry.preview,
                }
                for entry in event.entries
            ],
            "messages_url": deps.policy.links.messages(),
        }
        message = deps.templates.render(
            "unread_messages", context, to=[person.email], language=person.language
        )
        await deps.mailer.send(message)
