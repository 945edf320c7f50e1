"""Turns domain events into outbox payloads and back."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from elearn.domain.shared.events import DomainEvent


class UnknownEventType(LookupError):
    pass


class EventCodec:
    """Encodes events to JSON-safe dicts and decodes them by their stable ``event_type``."""

    def __init__(self, event_classes: Iterable[type[DomainEvent]]) -> None:
        self._classes: dict[str, type[DomainEvent]] = {}
        for cls in event_classes:
            if cls.event_type in self._classes and self._classes[cls.event_type] is not cls:
                raise ValueError(f"two event classes share the type {cls.event_type!r}")
            self._classes[cls.event_type] = cls

    @classmethod
    def for_all_events(cls) -> EventCodec:
        """Every concrete DomainEvent subclass that has been imported."""
        return cls(_concrete_subclasses(DomainEvent))

    def encode(self, event: DomainEvent) -> dict[str, Any]:
        return msgspec.to_builtins(event)

    def decode(self, event_type: str, payload: dict[str, Any]) -> DomainEvent:
        try:
            cls = self._classes[event_type]
        except KeyError:
            raise UnknownEventType(event_type) from None
        return msgspec.convert(payload, cls, strict=False)


def _concrete_subclasses(base: type[DomainEvent]) -> list[type[DomainEvent]]:
    found: list[type[DomainEvent]] = []
    for sub in base.__subclasses__():
        if sub.__dict__.get("event_type"):
            found.append(sub)
        found.extend(_concrete_subclasses(sub))
    return found
