"""What support use cases need: the support stores, its read side and its policy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from elearn.application.paging import Page
from elearn.application.ports import Transaction
from elearn.domain.support.agents import Agent, Presence
from elearn.domain.support.routing import AgentLoad
from elearn.domain.support.tickets import (
    Category,
    Priority,
    SlaTargets,
    Ticket,
    TicketStatus,
    TicketUpload,
)


@dataclass(frozen=True, slots=True)
class TicketMessage:
    id: UUID
    ticket_id: UUID
    author_id: UUID
    from_agent: bool
    internal: bool  # a note agents see and the customer never does
    body: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CannedResponse:
    id: UUID
    title: str
    body: str
    category: Category | None
    created_by: UUID
    created_at: datetime


class TicketRepository(Protocol):
    async def add(self, ticket: Ticket) -> None: ...

    async def get(self, ticket_id: UUID, *, for_update: bool = False) -> Ticket | None: ...

    async def queued(self, *, limit: int) -> list[Ticket]:
        """Open tickets, locked, most pressing first."""
        ...

    async def unanswered_of(self, agent_id: UUID) -> list[Ticket]:
        """The agent's assigned tickets nobody has answered yet, locked."""
        ...

    async def active_of(self, agent_id: UUID) -> list[Ticket]:
        """The agent's assigned and waiting tickets, as this transaction sees them."""
        ...

    async def waiting_since_before(self, cutoff: datetime, *, limit: int) -> list[Ticket]: ...

    async def resolved_before(self, cutoff: datetime, *, limit: int) -> list[Ticket]: ...

    async def past_deadline(self, now: datetime, *, limit: int) -> list[Ticket]:
        """Tickets still being worked on with a deadline passed and not flagged."""
        ...


class MessageRepository(Protocol):
    async def add(self, message: TicketMessage) -> None: ...

    async def get(self, message_id: UUID) -> TicketMessage | None: ...

    async def last_mark(self, ticket_id: UUID) -> tuple[datetime, UUID] | None:
        """The (time, id) of the ticket's latest message or note, the place the next one
        follows."""
        ...


class AttachmentRepository(Protocol):
    async def add(self, upload: TicketUpload) -> None: ...

    async def get(self, upload_id: UUID, *, for_update: bool = False) -> TicketUpload | None: ...

    async def save(self, upload: TicketUpload) -> None:
        """Writes what ``attach`` changed."""
        ...


@dataclass(frozen=True, slots=True)
class TicketAttachmentGrant:
    """What a signed download link allows: one person, one file of one ticket, until then."""

    viewer_id: UUID
    ticket_id: UUID
    attachment_id: UUID
    expires_at: datetime


class TicketAttachmentLinks(Protocol):
    def sign(self, grant: TicketAttachmentGrant) -> str: ...

    def verifies(self, grant: TicketAttachmentGrant, signature: str) -> bool: ...


class AgentRepository(Protocol):
    async def add(self, agent: Agent) -> None: ...

    async def get(self, agent_id: UUID, *, for_update: bool = False) -> Agent | None: ...

    async def loads(self) -> list[AgentLoad]:
        """Every agent with their active tickets as this transaction sees them."""
        ...


class CannedResponseRepository(Protocol):
    async def add(self, response: CannedResponse) -> None: ...


class SupportStore(Protocol):
    tickets: TicketRepository
    messages: MessageRepository
    attachments: AttachmentRepository
    agents: AgentRepository
    canned_responses: CannedResponseRepository

    async def lock_routing(self) -> None:
        """Held until commit: one routing decision at a time across every process, so loads
        read under it stay true until the assignments made from them are committed."""
        ...


class SupportUnitOfWork(Transaction, Protocol):
    support: SupportStore


# ---- read side ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TicketAttachmentView:
    id: UUID
    filename: str | None
    media_type: str
    size: int
    # A download link signed for the reader, for a few minutes; none on the upload's answer.
    url: str | None = None


@dataclass(frozen=True, slots=True)
class MessageView:
    id: UUID
    author_id: UUID
    author_role: str  # customer or agent
    internal: bool
    body: str
    created_at: datetime
    attachments: list[TicketAttachmentView] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TicketSummary:
    """A ticket as lists show it; every field is the ticket's own, under the same name."""

    id: UUID
    customer_id: UUID
    subject: str
    category: Category
    priority: Priority
    status: TicketStatus
    assignee_id: UUID | None
    created_at: datetime
    updated_at: datetime
    first_response_due: datetime
    resolution_due: datetime
    first_responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    rating_score: int | None
    rating_comment: str | None

    @classmethod
    def of(cls, ticket: Ticket) -> TicketSummary:
        return cls(**_shown(ticket))


@dataclass(frozen=True, slots=True)
class TicketView(TicketSummary):
    """A ticket with its conversation, oldest first (internal notes only for agents): a list's
    item and a ticket's page never disagree on a field."""

    messages: list[MessageView] = field(default_factory=list)

    @classmethod
    def with_messages(cls, ticket: Ticket, messages: list[MessageView]) -> TicketView:
        return cls(**_shown(ticket), messages=messages)


def _shown(ticket: Ticket) -> dict[str, Any]:
    return {name: getattr(ticket, name) for name in _SUMMARY_FIELDS}


_SUMMARY_FIELDS = tuple(f.name for f in fields(TicketSummary))


@dataclass(frozen=True, slots=True)
class AgentView:
    id: UUID
    presence: Presence
    categories: list[Category]
    capacity: int
    active_tickets: int
    last_assigned_at: datetime | None


@dataclass(frozen=True, slots=True)
class CannedResponseView:
    id: UUID
    title: str
    body: str
    category: Category | None
    created_by: UUID
    created_at: datetime


class SupportQueries(Protocol):
    async def tickets_of(
        self, customer_id: UUID, *, limit: int, cursor: str | None
    ) -> Page[TicketSummary]: ...

    async def queue(self, agent_id: UUID, *, limit: int, cursor: str | None) -> Page[TicketSummary]:
        """Unassigned tickets and the agent's own active ones, most pressing first."""
        ...

    async def messages_of(self, ticket_id: UUID, *, internal: bool) -> list[MessageView]:
        """Oldest first; internal notes only when ``internal``."""
        ...

    async def canned_responses(
        self, *, category: Category | None, limit: int, cursor: str | None
    ) -> Page[CannedResponseView]: ...


@dataclass(frozen=True, slots=True)
class SupportPolicy:
    sla: SlaTargets
    # How long after its resolution a customer may reopen a ticket (then it is closed).
    reopen_days: int = 7
    # How long a ticket waits on its customer before it is closed, and the warning before.
    auto_close_days: int = 7
    auto_close_warning_hours: int = 24
    default_capacity: int = 5
    # How long a signed download link to a ticket's file stays valid.
    attachment_link_seconds: int = 300

    @property
    def reopen_window(self) -> timedelta:
        return timedelta(days=self.reopen_days)

    @property
    def auto_close_after(self) -> timedelta:
        return timedelta(days=self.auto_close_days)

    @property
    def warn_after(self) -> timedelta:
        return self.auto_close_after - timedelta(hours=self.auto_close_warning_hours)


def sla_from_minutes(
    first_response: Mapping[Priority, int], resolution: Mapping[Priority, int]
) -> SlaTargets:
    return SlaTargets(
        first_response={p: timedelta(minutes=m) for p, m in first_response.items()},
        resolution={p: timedelta(minutes=m) for p, m in resolution.items()},
    )


__all__: Sequence[str] = [
    "AgentRepository",
    "AgentView",
    "AttachmentRepository",
    "CannedResponse",
    "CannedResponseRepository",
    "CannedResponseView",
    "MessageRepository",
    "MessageView",
    "SupportPolicy",
    "SupportQueries",
    "SupportStore",
    "SupportUnitOfWork",
    "TicketAttachmentGrant",
    "TicketAttachmentLinks",
    "TicketAttachmentView",
    "TicketMessage",
    "TicketRepository",
    "TicketSummary",
    "TicketView",
]
