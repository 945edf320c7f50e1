"""Domain events: facts in the past tense, recorded by aggregates and published via the outbox."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import ClassVar
from uuid import UUID


@dataclasses.dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Base of every event. Subclasses are frozen dataclasses named in the past tense.

    ``event_type`` is the stable public name used in the outbox and by handlers; it must not
    change once events of that type have been stored.
    """

    event_type: ClassVar[str] = ""
    event_id: UUID
    occurred_at: datetime

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        event_type = cls.__dict__.get("event_type")
        if not isinstance(event_type, str) or not event_type.strip():
            raise TypeError(f"{cls.__name__} must declare a stable event_type")


class RecordsEvents:
    """Mixin for aggregates: collect events raised by domain methods until the unit of work
    takes them."""

    _pending_events: list[DomainEvent]

    def record(self, event: DomainEvent) -> None:
        try:
            self._pending_events.append(event)
        except AttributeError:
            self._pending_events = [event]

    def pull_events(self) -> list[DomainEvent]:
        events = getattr(self, "_pending_events", [])
        self._pending_events = []
        return events
