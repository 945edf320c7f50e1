"""What conversation use cases need: the conversations' own stores and read side, the views
they answer, and the policy they follow."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from elearn.application.links import FrontEndLinks
from elearn.application.paging import Page
from elearn.application.ports import Transaction
from elearn.domain.communication.conversations import (
    AttachmentUpload,
    Conversation,
    ConversationReport,
    Mark,
    Message,
)


# ---- write side --------------------------------------------------------------------------------
class ConversationRepository(Protocol):
    async def add(self, conversation: Conversation) -> None: ...

    async def get(
        self, conversation_id: UUID, *, for_update: bool = False
    ) -> Conversation | None: ...

    async def between(self, a: UUID, b: UUID, *, for_update: bool = False) -> Conversation | None:
        """The one conversation of the pair, if they have one."""
        ...

    async def with_undigested(self, since: datetime, limit: int) -> list[Conversation]:
        """Conversations active since ``since`` where a side has messages after both its read
        and its emailed marks (a superset: the digest rule picks exactly)."""
        ...


class MessageRepository(Protocol):
    async def add(self, message: Message) -> None: ...

    async def get(self, message_id: UUID, *, for_update: bool = False) -> Message | None: ...

    async def after(self, conversation_id: UUID, mark: Mark | None, *, limit: int) -> list[Message]:
        """The conversation's messages after ``mark`` (all when None), oldest first."""
        ...

    async def latest(self, conversation_id: UUID, count: int) -> list[Message]:
        """The last ``count`` messages, oldest first."""
        ...


class ReportRepository(Protocol):
    async def add(self, report: ConversationReport) -> None: ...

    async def get(self, report_id: UUID) -> ConversationReport | None: ...


class AttachmentRepository(Protocol):
    async def add(self, upload: AttachmentUpload) -> None: ...

    async def get(
        self, upload_id: UUID, *, for_update: bool = False
    ) -> AttachmentUpload | None: ...


class ConversationStore(Protocol):
    @property
    def conversations(self) -> ConversationRepository: ...

    @property
    def messages(self) -> MessageRepository: ...

    @property
    def reports(self) -> ReportRepository: ...

    @property
    def attachments(self) -> AttachmentRepository: ...


class ConversationsUnitOfWork(Transaction, Protocol):
    """The conversations module's unit of work: its own stores and nothing else."""

    conversations: ConversationStore


class SendRateLimiter(Protocol):
    """The platform's rate-limit store, as sending messages uses it."""

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        """Counts one attempt; the seconds to wait when over ``limit`` in the window."""
        ...


@dataclass(frozen=True, slots=True)
class AttachmentGrant:
    """What a signed attachment link allows: one person, one file of one conversation, until
    ``expires_at``."""

    viewer_id: UUID
    conversation_id: UUID
    attachment_id: UUID
    expires_at: datetime


class AttachmentLinks(Protocol):
    def sign(self, grant: AttachmentGrant) -> str:
        """The signature a download link carries for the grant."""
        ...

    def verifies(self, grant: AttachmentGrant, signature: str) -> bool: ...


# ---- views -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PersonView:
    id: UUID
    full_name: str


@dataclass(frozen=True, slots=True)
class AttachmentView:
    id: UUID
    filename: str | None
    content_type: str
    size: int
    # A download link signed for the person it was given to, for a few minutes (null on the
    # socket: each person's link differs; the messages list gives it).
    url: str | None = None


@dataclass(frozen=True, slots=True)
class MessageView:
    id: UUID
    conversation_id: UUID
    sender_id: UUID
    # Plain text, exactly as written: a client shows it as text (links may be made clickable),
    # never as HTML. Empty once deleted.
    body: str
    sent_at: datetime
    edited_at: datetime | None
    deleted: bool
    attachments: list[AttachmentView] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ConversationView:
    id: UUID
    with_person: PersonView
    started_at: datetime
    last_message_at: datetime | None
    last_message: MessageView | None
    unread_count: int
    # Read receipts: how far the other person has read (a message id), and you.
    their_read_up_to: UUID | None
    my_read_up_to: UUID | None
    blocked: bool
    blocked_by_me: bool


@dataclass(frozen=True, slots=True)
class ConversationRow:
    """A conversation as the list reads it, for one person."""

    conversation: Conversation
    other: PersonView
    last_message: Message | None
    unread_count: int


class MessageDirection(StrEnum):
    OLDER = "older"  # newest first, going back
    NEWER = "newer"  # oldest first, going on


@dataclass(frozen=True, slots=True)
class ReportedMessageView:
    id: UUID
    sender_id: UUID
    body: str
    sent_at: datetime
    deleted: bool


@dataclass(frozen=True, slots=True)
class ReportView:
    id: UUID
    conversation_id: UUID
    reporter_id: UUID
    reported_id: UUID
    reason: str
    reported_at: datetime
    messages: list[ReportedMessageView]


class ConversationQueries(Protocol):
    async def conversations_of(
        self, user_id: UUID, *, limit: int, cursor: str | None
    ) -> Page[ConversationRow]:
        """Newest activity first, with the other person and what ``user_id`` has not read."""
        ...

    async def conversation_of(
        self, user_id: UUID, conversation_id: UUID
    ) -> ConversationRow | None: ...

    async def messages(
        self,
        conversation_id: UUID,
        *,
        direction: MessageDirection,
        anchor: Mark | None,
        limit: int,
        cursor: str | None,
        until: Mark | None = None,
    ) -> Page[Message]:
        """Messages strictly before (older) or after (newer) ``anchor`` or the cursor; going
        newer, strictly before ``until`` when given."""
        ...

    async def reports(self, *, limit: int, cursor: str | None) -> Page[ConversationReport]: ...

    async def names(self, people: Collection[UUID]) -> dict[UUID, str]: ...


@dataclass(frozen=True, slots=True)
class ConversationPolicy:
    messages_per_minute: int = 30
    digest_delay_minutes: int = 15
    # The digest looks at conversations active this recently (a bound on what each run reads).
    digest_horizon_days: int = 7
    attachment_link_seconds: int = 300
    links: FrontEndLinks = field(default_factory=FrontEndLinks)
