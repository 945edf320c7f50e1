"""A support ticket: what a customer asked, where it stands, who works on it and its deadlines.

The life of a ticket::

    open ─assign→ assigned ─ask customer→ waiting_on_customer ─customer answers→ assigned
                  assigned ─resolve→ resolved ─close→ closed
                  resolved ─reopen (the customer, within the reopen window)→ open

An assigned ticket whose agent never answered goes back to ``open`` when the agent leaves
(``return_to_queue``); one left waiting on the customer too long is closed by the platform
(``close_unanswered``). Every move emits ``TicketStatusChanged``; every other move is refused
with ``IllegalTransition``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from elearn.domain.shared.errors import Conflict, IllegalTransition, RuleViolation
from elearn.domain.shared.events import DomainEvent, RecordsEvents

# Each event a move records gets its own id from here.
NewId = Callable[[], UUID]

SUBJECT_MAX = 200
BODY_MAX = 10_000
COMMENT_MAX = 2_000


class TicketStatus(StrEnum):
    OPEN = "open"
    ASSIGNED = "assigned"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


# An agent's load: the tickets that hold one of their places.
ACTIVE_STATUSES = frozenset({TicketStatus.ASSIGNED, TicketStatus.WAITING_ON_CUSTOMER})


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for the most pressing: the order of the queue."""
        return _PRIORITY_RANK[self]


_PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.MEDIUM: 2, Priority.LOW: 3}


class Category(StrEnum):
    """What a ticket is about, and the skills an agent declares."""

    PAYMENT = "payment"
    ACCOUNT = "account"
    TECHNICAL = "technical"
    COURSE = "course"
    TUTORING = "tutoring"
    OTHER = "other"


class SlaKind(StrEnum):
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


@dataclass(frozen=True, slots=True)
class SlaTargets:
    """How long, per priority, a ticket may wait for its first answer and for its resolution."""

    first_response: Mapping[Priority, timedelta]
    resolution: Mapping[Priority, timedelta]

    def __post_init__(self) -> None:
        for name, targets in (
            ("first response", self.first_response),
            ("resolution", self.resolution),
        ):
            missing = set(Priority) - set(targets)
            if missing:
                raise ValueError(f"no {name} target for {sorted(p.value for p in missing)}")
            if any(target <= timedelta(0) for target in targets.values()):
                raise ValueError(f"{name} targets are positive")


@dataclasses.dataclass(frozen=True, kw_only=True)
class TicketOpened(DomainEvent):
    event_type = "support.ticket_opened"
    ticket_id: UUID
    customer_id: UUID
    category: str
    priority: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class TicketAssigned(DomainEvent):
    """Tell the agent (a new ticket is theirs) and the customer (someone is on it)."""

    event_type = "support.ticket_assigned"
    ticket_id: UUID
    customer_id: UUID
    agent_id: UUID
    previous_agent_id: UUID | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class TicketStatusChanged(DomainEvent):
    event_type = "support.ticket_status_changed"
    ticket_id: UUID
    customer_id: UUID
    agent_id: UUID | None
    previous_status: str
    status: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class AutoCloseWarned(DomainEvent):
    """Tell the customer their ticket closes soon unless they answer."""

    event_type = "support.auto_close_warned"
    ticket_id: UUID
    customer_id: UUID
    closes_at: datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class SlaBreached(DomainEvent):
    """Tell the team leads (managers) and the assigned agent that a deadline passed."""

    event_type = "support.sla_breached"
    ticket_id: UUID
    kind: str
    priority: str
    due_at: datetime
    agent_id: UUID | None
    recipient_ids: tuple[UUID, ...] = ()


@dataclasses.dataclass(frozen=True, kw_only=True)
class TicketRated(DomainEvent):
    event_type = "support.ticket_rated"
    ticket_id: UUID
    agent_id: UUID | None
    score: int


class AlreadyRated(Conflict):
    code = "ticket-already-rated"


class ReopenWindowOver(Conflict):
    code = "reopen-window-over"


def clean_text(value: str, *, field: str, max_length: int) -> str:
    text = value.strip()
    if not text:
        raise RuleViolation(f"the {field} must not be blank", code="invalid-ticket")
    if len(text) > max_length:
        raise RuleViolation(
            f"the {field} is at most {max_length} characters", code="invalid-ticket"
        )
    return text


@dataclass(kw_only=True, eq=False)
class Ticket(RecordsEvents):
    id: UUID
    customer_id: UUID
    subject: str
    category: Category
    priority: Priority
    status: TicketStatus
    created_at: datetime
    updated_at: datetime
    first_response_due: datetime
    resolution_due: datetime
    assignee_id: UUID | None = None
    assigned_at: datetime | None = None
    first_responded_at: datetime | None = None
    waiting_since: datetime | None = None
    auto_close_warned_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    first_response_breached_at: datetime | None = None
    resolution_breached_at: datetime | None = None
    rating_score: int | None = None
    rating_comment: str | None = None

    @classmethod
    def open(
        cls,
        *,
        ticket_id: UUID,
        customer_id: UUID,
        subject: str,
        category: Category,
        priority: Priority,
        now: datetime,
        sla: SlaTargets,
        new_id: NewId,
    ) -> Ticket:
        ticket = cls(
            id=ticket_id,
            customer_id=customer_id,
            subject=clean_text(subject, field="subject", max_length=SUBJECT_MAX),
            category=category,
            priority=priority,
            status=TicketStatus.OPEN,
            created_at=now,
            updated_at=now,
            first_response_due=now + sla.first_response[priority],
            resolution_due=now + sla.resolution[priority],
        )
        ticket.record(
            TicketOpened(
                event_id=new_id(),
                occurred_at=now,
                ticket_id=ticket_id,
                customer_id=customer_id,
                category=category.value,
                priority=priority.value,
            )
        )
        return ticket

    # ---- who sees what ---------------------------------------------------------------------
    @property
    def is_active(self) -> bool:
        """Holds one of its agent's places."""
        return self.status in ACTIVE_STATUSES

    @property
    def is_queued(self) -> bool:
        return self.status is TicketStatus.OPEN

    @property
    def is_answered(self) -> bool:
        return self.first_responded_at is not None

    # ---- moves -----------------------------------------------------------------------------
    def assign(self, agent_id: UUID, *, now: datetime, new_id: NewId) -> None:
        """Routing's pick or an agent's hand-over. A ticket waiting on its customer keeps
        waiting under its new agent."""
        if self.status not in (TicketStatus.OPEN, *ACTIVE_STATUSES):
            raise IllegalTransition("ticket", self.status.value, "assign")
        if self.assignee_id == agent_id:
            raise IllegalTransition("ticket", f"{self.status.value} to that agent", "assign")
        previous = self.assignee_id
        self.assignee_id = agent_id
        self.assigned_at = now
        self.record(
            TicketAssigned(
                event_id=new_id(),
                occurred_at=now,
                ticket_id=self.id,
                customer_id=self.customer_id,
                agent_id=agent_id,
                previous_agent_id=previous,
            )
        )
        if self.status is TicketStatus.OPEN:
            self._move(TicketStatus.ASSIGNED, now=now, new_id=new_id)
        else:
            self.updated_at = now

    def return_to_queue(self, *, now: datetime, new_id: NewId) -> None:
        """Its agent left before answering: the ticket is routed again."""
        if self.status is not TicketStatus.ASSIGNED or self.is_answered:
            raise IllegalTransition("ticket", self.status.value, "return to the queue")
        self._move(TicketStatus.OPEN, now=now, new_id=new_id)
        self.assignee_id = None
        self.assigned_at = None

    def wait_on_customer(self, *, now: datetime, new_id: NewId) -> None:
        self._require(TicketStatus.ASSIGNED, "wait on the customer of")
        self.waiting_since = now
        self.auto_close_warned_at = None
        self._move(TicketStatus.WAITING_ON_CUSTOMER, now=now, new_id=new_id)

    def resume(self, *, now: datetime, new_id: NewId) -> None:
        """The customer answered (or the agent takes it back up)."""
        self._require(TicketStatus.WAITING_ON_CUSTOMER, "resume")
        self.waiting_since = None
        self.auto_close_warned_at = None
        self._move(TicketStatus.ASSIGNED, now=now, new_id=new_id)

    def resolve(self, *, now: datetime, new_id: NewId) -> None:
        self._require(TicketStatus.ASSIGNED, "resolve")
        self.resolved_at = now
        self._move(TicketStatus.RESOLVED, now=now, new_id=new_id)

    def close(self, *, now: datetime, new_id: NewId) -> None:
        self._require(TicketStatus.RESOLVED, "close")
        self.closed_at = now
        self._move(TicketStatus.CLOSED, now=now, new_id=new_id)

    def close_unanswered(self, *, now: datetime, wait: timedelta, new_id: NewId) -> None:
        """The platform closes a ticket its customer left unanswered for ``wait``."""
        self._require(TicketStatus.WAITING_ON_CUSTOMER, "close unanswered")
        if self.waiting_since is None or now < self.waiting_since + wait:
            raise IllegalTransition("ticket", "waiting for less long", "close unanswered")
        self.waiting_since = None
        self.closed_at = now
        self._move(TicketStatus.CLOSED, now=now, new_id=new_id)

    def reopen(self, *, now: datetime, window: timedelta, new_id: NewId) -> None:
        """The customer was not helped after all: within ``window`` of the resolution the ticket
        goes back to routing (its deadlines stay those of the first opening)."""
        self._require(TicketStatus.RESOLVED, "reopen")
        if self.resolved_at is None or now > self.resolved_at + window:
            raise ReopenWindowOver(
                f"a ticket can be reopened within {_days(window)} of its resolution"
            )
        self.resolved_at = None
        self._move(TicketStatus.OPEN, now=now, new_id=new_id)
        self.assignee_id = None
        self.assigned_at = None

    # ---- what happens around the moves --------------------------------------------------------
    def note_agent_reply(self, now: datetime) -> None:
        if self.first_responded_at is None:
            self.first_responded_at = now
        self.updated_at = now

    def note_customer_reply(self, *, now: datetime, new_id: NewId) -> None:
        """A customer's answer brings a ticket waiting on them back to its agent."""
        if self.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            raise IllegalTransition("ticket", self.status.value, "add a message to")
        if self.status is TicketStatus.WAITING_ON_CUSTOMER:
            self.resume(now=now, new_id=new_id)
        else:
            self.updated_at = now

    def require_open_conversation(self) -> None:
        if self.status is TicketStatus.CLOSED:
            raise IllegalTransition("ticket", self.status.value, "add a message to")

    def change_priority(self, priority: Priority, *, now: datetime, sla: SlaTargets) -> None:
        """Deadlines follow the priority, counted from when the ticket was opened."""
        if self.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            raise IllegalTransition("ticket", self.status.value, "change the priority of")
        self.priority = priority
        self.first_response_due = self.created_at + sla.first_response[priority]
        self.resolution_due = self.created_at + sla.resolution[priority]
        self.updated_at = now

    def rate(self, score: int, comment: str | None, *, now: datetime, new_id: NewId) -> None:
        if self.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            raise IllegalTransition("ticket", self.status.value, "rate")
        if self.rating_score is not None:
            raise AlreadyRated("this ticket was rated already")
        if not 1 <= score <= 5:
            raise RuleViolation("a rating is from 1 to 5", code="invalid-ticket")
        self.rating_score = score
        self.rating_comment = (
            clean_text(comment, field="comment", max_length=COMMENT_MAX) if comment else None
        )
        self.record(
            TicketRated(
                event_id=new_id(),
                occurred_at=now,
                ticket_id=self.id,
                agent_id=self.assignee_id,
                score=score,
            )
        )

    def warn_of_auto_close(self, *, now: datetime, wait: timedelta, new_id: NewId) -> bool:
        """Once per wait: the customer is told the ticket closes at ``waiting_since + wait``."""
        if (
            self.status is not TicketStatus.WAITING_ON_CUSTOMER
            or self.waiting_since is None
            or self.auto_close_warned_at is not None
        ):
            return False
        self.auto_close_warned_at = now
        self.record(
            AutoCloseWarned(
                event_id=new_id(),
                occurred_at=now,
                ticket_id=self.id,
                customer_id=self.customer_id,
                closes_at=self.waiting_since + wait,
            )
        )
        return True

    def breached(self, now: datetime) -> list[SlaKind]:
        """The deadlines this ticket has passed and that were not flagged yet."""
        kinds = []
        if (
            self.first_responded_at is None
            and self.first_response_breached_at is None
            and self.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
            and now >= self.first_response_due
        ):
            kinds.append(SlaKind.FIRST_RESPONSE)
        if (
            self.resolution_breached_at is None
            and self.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
            and now >= self.resolution_due
        ):
            kinds.append(SlaKind.RESOLUTION)
        return kinds

    def flag_breach(
        self, kind: SlaKind, *, now: datetime, recipients: tuple[UUID, ...], new_id: NewId
    ) -> None:
        if kind is SlaKind.FIRST_RESPONSE:
            self.first_response_breached_at = now
            due = self.first_response_due
        else:
            self.resolution_breached_at = now
            due = self.resolution_due
        self.record(
            SlaBreached(
                event_id=new_id(),
                occurred_at=now,
                ticket_id=self.id,
                kind=kind.value,
                priority=self.priority.value,
                due_at=due,
                agent_id=self.assignee_id,
                recipient_ids=recipients,
            )
        )

    # ---- helpers -------------------------------------------------------------------------------
    def _require(self, status: TicketStatus, action: str) -> None:
        if self.status is not status:
            raise IllegalTransition("ticket", self.status.value, action)

    def _move(self, status: TicketStatus, *, now: datetime, new_id: NewId) -> None:
        previous = self.status
        self.status = status
        self.updated_at = now
        self.record(
            TicketStatusChanged(
                event_id=new_id(),
                occurred_at=now,
                ticket_id=self.id,
                customer_id=self.customer_id,
                agent_id=self.assignee_id,
                previous_status=previous.value,
                status=status.value,
            )
        )


def message_time(now: datetime, message_id: UUID, last: tuple[datetime, UUID] | None) -> datetime:
    """When a new message of a ticket is posted: server time, but never before the ticket's
    last message, and a microsecond after it when the two would otherwise share an instant with
    the new id sorting first. So ``(time, id)`` orders a ticket's messages totally, in the order
    they were posted (the ticket is locked while one is added)."""
    if last is None:
        return now
    last_at, last_id = last
    at = max(now, last_at)
    if (at, message_id) <= (last_at, last_id):
        at = last_at + timedelta(microseconds=1)
    return at


def _days(window: timedelta) -> str:
    days = window / timedelta(days=1)
    return f"{days:g} day" + ("" if days == 1 else "s")


@dataclasses.dataclass(frozen=True, kw_only=True)
class TicketMessagePosted(DomainEvent):
    """A message of the conversation (never an internal note): the other side is told, live
    and, when not connected, by notification."""

    event_type = "support.message_posted"
    ticket_id: UUID
    message_id: UUID
    author_id: UUID
    customer_id: UUID
    agent_id: UUID | None
    # Who must hear of it: the customer for an agent's message, the agent for the customer's.
    recipient_ids: tuple[UUID, ...] = ()


# ---- attachments ---------------------------------------------------------------------------------
MAX_ATTACHMENTS = 10


class InvalidAttachment(RuleViolation):
    code = "invalid-attachment"


@dataclass(kw_only=True, eq=False)
class TicketUpload:
    """A file someone uploaded to send with their next ticket message: theirs alone until a
    message carries it, then part of that ticket's conversation for good."""

    id: UUID
    uploader_id: UUID
    key: str
    media_type: str
    size: int
    filename: str | None
    uploaded_at: datetime
    ticket_id: UUID | None = None
    message_id: UUID | None = None

    @property
    def is_sent(self) -> bool:
        return self.message_id is not None

    def attach(self, *, sender: UUID, ticket_id: UUID, message_id: UUID) -> None:
        if self.uploader_id != sender or self.is_sent:
            raise InvalidAttachment("attach files you uploaded and have not sent yet")
        self.ticket_id = ticket_id
        self.message_id = message_id


def check_attachment_ids(attachment_ids: Sequence[UUID]) -> None:
    if len(attachment_ids) > MAX_ATTACHMENTS or len(set(attachment_ids)) != len(attachment_ids):
        raise InvalidAttachment(f"at most {MAX_ATTACHMENTS} different files a message")
