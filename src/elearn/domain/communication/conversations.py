"""Conversations between two people: who may talk, the order of their messages, how far each has
read, and blocks.

A conversation is between exactly two people, once per pair. Its messages are totally ordered by
(server time, id): a message never sorts before one the conversation already holds, even if the
server's clock stepped back. Each side's read mark only moves forward. A block by either side
stops new messages both ways at once, until the one who blocked lifts it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from elearn.domain.shared.errors import Conflict, Forbidden, RuleViolation
from elearn.domain.shared.events import DomainEvent, RecordsEvents

MAX_BODY_LENGTH = 5_000
PREVIEW_LENGTH = 140
EDIT_WINDOW = timedelta(minutes=15)
REPORTED_MESSAGES = 20
MAX_ATTACHMENTS = 10
# Characters a database cannot store in text (PostgreSQL refuses NUL) and that no person types.
_FORBIDDEN_CHARACTERS = frozenset(chr(code) for code in range(32)) - set("\n\r\t")


# ---- who may talk ------------------------------------------------------------------------------
class Standing(StrEnum):
    """What a person is, as far as talking goes."""

    STUDENT = "student"
    TUTOR = "tutor"
    STAFF = "staff"


@dataclass(frozen=True, slots=True)
class Party:
    id: UUID
    standing: Standing


@dataclass(frozen=True, slots=True)
class Ties:
    """What binds a student to a tutor: a booking between them in any state but expired, or an
    enrollment of the student in one of the tutor's courses."""

    shares_booking: bool = False
    enrolled_with_tutor: bool = False

    @property
    def any(self) -> bool:
        return self.shares_booking or self.enrolled_with_tutor


def may_converse(first: Party, second: Party, ties: Callable[[UUID, UUID], Ties]) -> bool:
    """Staff may talk with anyone (and be answered); a student and a tutor when tied
    (``ties(student_id, tutor_id)``); no one else, and no one with themselves."""
    if first.id == second.id:
        return False
    if Standing.STAFF in (first.standing, second.standing):
        return True
    by_standing = {first.standing: first.id, second.standing: second.id}
    if by_standing.keys() != {Standing.STUDENT, Standing.TUTOR}:
        return False
    return ties(by_standing[Standing.STUDENT], by_standing[Standing.TUTOR]).any


class MayNotConverse(Forbidden):
    code = "may-not-converse"

    def __init__(self) -> None:
        super().__init__(
            "you may message a tutor you booked or whose course you take, your students, or staff"
        )


# ---- the order of messages ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True, order=True)
class Mark:
    """A place in a conversation's order: a message's (server time, id)."""

    at: datetime
    message_id: UUID


def message_body(text: str, *, has_attachments: bool = False) -> str:
    """Plain text as the person wrote it (never rendered as HTML), at most 5,000 characters;
    empty only when files come with it."""
    if len(text) > MAX_BODY_LENGTH:
        raise InvalidMessage(f"a message is at most {MAX_BODY_LENGTH} characters")
    if any(char in _FORBIDDEN_CHARACTERS for char in text):
        raise InvalidMessage("a message holds no control characters but line breaks and tabs")
    if not text.strip() and not has_attachments:
        raise InvalidMessage("a message says something, or carries a file")
    return text


def preview_of(body: str) -> str:
    flat = " ".join(body.split())
    return flat if len(flat) <= PREVIEW_LENGTH else flat[: PREVIEW_LENGTH - 1] + "…"


class InvalidMessage(RuleViolation):
    code = "invalid-message"


class ConversationBlocked(Forbidden):
    code = "conversation-blocked"

    def __init__(self) -> None:
        super().__init__("this conversation is blocked: no new messages either way")


class ConversationStartedMeanwhile(Conflict):
    """Two requests started the same pair's conversation at once (one conversation per pair
    refused the second): trying again finds the first's."""

    code = "conversation-started-meanwhile"

    def __init__(self) -> None:
        super().__init__("this conversation was started at the same moment; try again")


class NotAParticipant(Forbidden):
    code = "not-a-participant"


# ---- events ------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, kw_only=True)
class MessagePosted(DomainEvent):
    """For live delivery and for the notifications module (a new-message notification)."""

    event_type = "conversations.message_posted"
    conversation_id: UUID
    message_id: UUID
    sender_id: UUID
    recipient_ids: tuple[UUID, ...]
    preview: str
    sent_at: datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class MessageEdited(DomainEvent):
    event_type = "conversations.message_edited"
    conversation_id: UUID
    message_id: UUID
    participant_ids: tuple[UUID, ...]


@dataclasses.dataclass(frozen=True, kw_only=True)
class MessageDeleted(DomainEvent):
    event_type = "conversations.message_deleted"
    conversation_id: UUID
    message_id: UUID
    participant_ids: tuple[UUID, ...]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ConversationRead(DomainEvent):
    """A read receipt: the other side sees how far ``reader_id`` has read."""

    event_type = "conversations.conversation_read"
    conversation_id: UUID
    reader_id: UUID
    up_to_message_id: UUID
    participant_ids: tuple[UUID, ...]


# ---- the conversation --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Attachment:
    """A stored file a message carries (kept by storage; this is its record)."""

    id: UUID
    key: str
    media_type: str
    size: int
    filename: str | None


class InvalidAttachment(RuleViolation):
    code = "invalid-attachment"


@dataclass(kw_only=True, eq=False)
class AttachmentUpload:
    """A file a participant uploaded to a conversation, waiting to be sent with one of their
    messages (then it belongs to that message, and to no other)."""

    id: UUID
    conversation_id: UUID
    uploader_id: UUID
    key: str
    media_type: str
    size: int
    filename: str | None
    uploaded_at: datetime
    message_id: UUID | None = None

    def attach(self, *, sender: UUID, conversation_id: UUID, message_id: UUID) -> Attachment:
        if (
            self.uploader_id != sender
            or self.conversation_id != conversation_id
            or self.message_id is not None
        ):
            raise InvalidAttachment(
                "attach files you uploaded to this conversation and have not sent yet"
            )
        self.message_id = message_id
        return Attachment(self.id, self.key, self.media_type, self.size, self.filename)


@dataclass(kw_only=True, eq=False)
class Message(RecordsEvents):
    id: UUID
    conversation_id: UUID
    sender_id: UUID
    body: str
    sent_at: datetime
    attachments: tuple[Attachment, ...] = ()
    edited_at: datetime | None = None
    deleted_at: datetime | None = None

    @property
    def mark(self) -> Mark:
        return Mark(self.sent_at, self.id)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def edit(
        self, by: UUID, body: str, *, now: datetime, event_id: UUID, participants: Sequence[UUID]
    ) -> None:
        """The sender, within 15 minutes of sending, and not after deleting it."""
        self._check_change(by, now, "edit")
        self.body = message_body(body, has_attachments=bool(self.attachments))
        self.edited_at = now
        self.record(
            MessageEdited(
                event_id=event_id,
                occurred_at=now,
                conversation_id=self.conversation_id,
                message_id=self.id,
                participant_ids=tuple(participants),
            )
        )

    def delete(
        self, by: UUID, *, now: datetime, event_id: UUID, participants: Sequence[UUID]
    ) -> tuple[str, ...]:
        """Leaves a tombstone: the message keeps its place, without its words or files.
        Answers the storage keys of the files it carried, to delete."""
        self._check_change(by, now, "delete")
        keys = tuple(attachment.key for attachment in self.attachments)
        self.body = ""
        self.attachments = ()
        self.deleted_at = now
        self.record(
            MessageDeleted(
                event_id=event_id,
                occurred_at=now,
                conversation_id=self.conversation_id,
                message_id=self.id,
                participant_ids=tuple(participants),
            )
        )
        return keys

    def _check_change(self, by: UUID, now: datetime, action: str) -> None:
        if by != self.sender_id:
            raise Forbidden(f"only its sender may {action} a message", code="not-your-message")
        if self.is_deleted:
            raise Conflict("this message was deleted", code="message-deleted")
        if now - self.sent_at > EDIT_WINDOW:
            raise Conflict(
                f"a message may be changed for {EDIT_WINDOW.seconds // 60} minutes after sending",
                code="edit-window-closed",
            )


@dataclass(kw_only=True, eq=False)
class Conversation(RecordsEvents):
    """Between ``first_id`` and ``second_id`` (the smaller id first: one conversation per
    pair). Per side: how far they have read, up to where unread messages were emailed to them,
    and since when they block the other."""

    id: UUID
    first_id: UUID
    second_id: UUID
    started_at: datetime
    last_message_at: datetime | None = None
    last_message_id: UUID | None = None
    first_read: Mark | None = None
    second_read: Mark | None = None
    first_emailed: Mark | None = None
    second_emailed: Mark | None = None
    first_blocked_at: datetime | None = None
    second_blocked_at: datetime | None = None

    @classmethod
    def between(cls, conversation_id: UUID, a: UUID, b: UUID, *, now: datetime) -> Conversation:
        if a == b:
            raise InvalidMessage("a conversation is between two people")
        first, second = sorted((a, b))
        return cls(id=conversation_id, first_id=first, second_id=second, started_at=now)

    @property
    def participants(self) -> tuple[UUID, UUID]:
        return (self.first_id, self.second_id)

    def has(self, person: UUID | None) -> bool:
        return person in self.participants

    def other(self, person: UUID) -> UUID:
        self._side(person)
        return self.second_id if person == self.first_id else self.first_id

    @property
    def last_activity_at(self) -> datetime:
        return self.last_message_at or self.started_at

    @property
    def last_mark(self) -> Mark | None:
        if self.last_message_at is None or self.last_message_id is None:
            return None
        return Mark(self.last_message_at, self.last_message_id)

    # ---- reading --------------------------------------------------------------------------------
    def read_mark(self, person: UUID) -> Mark | None:
        return self.first_read if self._side(person) == 0 else self.second_read

    def emailed_mark(self, person: UUID) -> Mark | None:
        return self.first_emailed if self._side(person) == 0 else self.second_emailed

    def read_up_to(self, reader: UUID, message: Message, *, now: datetime, event_id: UUID) -> bool:
        """Moves the reader's mark to ``message`` if that is further on; never backwards.
        Answers whether it moved (a receipt goes to the other side only then)."""
        if message.conversation_id != self.id:
            raise InvalidMessage("that message is not in this conversation")
        side = self._side(reader)
        current = self.read_mark(reader)
        if current is not None and message.mark <= current:
            return False
        if side == 0:
            self.first_read = message.mark
        else:
            self.second_read = message.mark
        self.record(
            ConversationRead(
                event_id=event_id,
                occurred_at=now,
                conversation_id=self.id,
                reader_id=reader,
                up_to_message_id=message.id,
                participant_ids=self.participants,
            )
        )
        return True

    def emailed_up_to(self, person: UUID, mark: Mark) -> None:
        """Unread messages up to ``mark`` were emailed to ``person``: never again."""
        current = self.emailed_mark(person)
        if current is not None and mark <= current:
            return
        if self._side(person) == 0:
            self.first_emailed = mark
        else:
            self.second_emailed = mark

    # ---- blocks ---------------------------------------------------------------------------------
    @property
    def is_blocked(self) -> bool:
        return self.first_blocked_at is not None or self.second_blocked_at is not None

    def blocked_by(self, person: UUID) -> bool:
        at = self.first_blocked_at if self._side(person) == 0 else self.second_blocked_at
        return at is not None

    def block(self, by: UUID, *, now: datetime) -> None:
        if self.blocked_by(by):
            return
        if self._side(by) == 0:
            self.first_blocked_at = now
        else:
            self.second_blocked_at = now

    def unblock(self, by: UUID) -> None:
        """Lifts ``by``'s own block; the other side's, if any, stays."""
        if self._side(by) == 0:
            self.first_blocked_at = None
        else:
            self.second_blocked_at = None

    # ---- posting --------------------------------------------------------------------------------
    def post(
        self,
        *,
        message_id: UUID,
        sender: UUID,
        body: str,
        now: datetime,
        event_id: UUID,
        attachments: tuple[Attachment, ...] = (),
    ) -> Message:
        """A new message, last in the conversation's order; its sender has read up to it."""
        recipient = self.other(sender)
        if self.is_blocked:
            raise ConversationBlocked()
        text = message_body(body, has_attachments=bool(attachments))
        # Server time, but never before the last message: the order is total and only grows.
        sent_at = now if self.last_message_at is None else max(now, self.last_message_at)
        message = Message(
            id=message_id,
            conversation_id=self.id,
            sender_id=sender,
            body=text,
            sent_at=sent_at,
            attachments=attachments,
        )
        last = self.last_mark
        if last is not None and message.mark <= last:
            # Same instant and a smaller id: a microsecond later keeps the order total.
            message.sent_at = last.at + timedelta(microseconds=1)
        self.last_message_at, self.last_message_id = message.sent_at, message.id
        if self._side(sender) == 0:
            self.first_read = message.mark
        else:
            self.second_read = message.mark
        self.record(
            MessagePosted(
                event_id=event_id,
                occurred_at=now,
                conversation_id=self.id,
                message_id=message.id,
                sender_id=sender,
                recipient_ids=(recipient,),
                preview=preview_of(text),
                sent_at=message.sent_at,
            )
        )
        return message

    def _side(self, person: UUID) -> int:
        if person == self.first_id:
            return 0
        if person == self.second_id:
            return 1
        raise NotAParticipant("you are not in this conversation")


# ---- reports -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ReportedMessage:
    id: UUID
    sender_id: UUID
    body: str
    sent_at: datetime
    deleted: bool


@dataclass(kw_only=True, eq=False)
class ConversationReport:
    """A participant's report to staff, with the last messages as they were when reported."""

    id: UUID
    conversation_id: UUID
    reporter_id: UUID
    reported_id: UUID
    reason: str
    reported_at: datetime
    messages: tuple[ReportedMessage, ...] = ()
