"""A support agent as routing sees them: presence, skills and how many tickets they take at once.

Who may be an agent is the application's call (staff); the domain only keeps an agent's
settings consistent and says what changed for routing when they change.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from elearn.domain.shared.errors import RuleViolation
from elearn.domain.shared.events import DomainEvent
from elearn.domain.support.tickets import Category

MAX_CAPACITY = 50


class Presence(StrEnum):
    ONLINE = "online"
    AWAY = "away"  # keeps their tickets, takes no new ones
    OFFLINE = "offline"  # their unanswered tickets go back to routing


@dataclasses.dataclass(frozen=True, kw_only=True)
class AgentPresenceChanged(DomainEvent):
    """An agent came online or stepped away (``away``, ``offline``): the people in the live
    chats of the tickets they keep see them join or leave."""

    event_type = "support.agent_presence_changed"
    agent_id: UUID
    presence: str
    previous_presence: str
    # (ticket id, customer id) of each ticket the agent keeps after the change.
    tickets: tuple[tuple[UUID, UUID], ...] = ()


@dataclass(frozen=True, slots=True)
class AgentChange:
    """What an update means for routing."""

    may_take_more: bool  # came online or raised capacity: pull the queue
    went_offline: bool  # return their unanswered tickets


@dataclass(kw_only=True, eq=False)
class Agent:
    id: UUID  # the agent's user id
    presence: Presence = Presence.OFFLINE
    categories: frozenset[Category] = field(default_factory=frozenset)
    capacity: int = 5
    last_assigned_at: datetime | None = None
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        _check_capacity(self.capacity)

    @property
    def takes_tickets(self) -> bool:
        return self.presence is Presence.ONLINE

    def update(
        self,
        *,
        presence: Presence,
        categories: frozenset[Category],
        capacity: int,
        now: datetime,
    ) -> AgentChange:
        _check_capacity(capacity)
        came_online = presence is Presence.ONLINE and self.presence is not Presence.ONLINE
        more_room = capacity > self.capacity
        new_skills = bool(categories - self.categories)
        went_offline = presence is Presence.OFFLINE and self.presence is not Presence.OFFLINE
        self.presence = presence
        self.categories = frozenset(categories)
        self.capacity = capacity
        self.updated_at = now
        return AgentChange(
            may_take_more=self.takes_tickets and (came_online or more_room or new_skills),
            went_offline=went_offline,
        )

    def note_assignment(self, now: datetime) -> None:
        self.last_assigned_at = now


def _check_capacity(capacity: int) -> None:
    if not 0 <= capacity <= MAX_CAPACITY:
        raise RuleViolation(
            f"an agent's capacity is from 0 to {MAX_CAPACITY} tickets", code="invalid-agent"
        )
