"""The realtime port: what the application asks of live delivery to connected people.

A use case never pushes inside its transaction: what must reach people live is recorded as an
outbox event, and a handler publishes it after commit. Publishing is best effort and fast: a
person who is not connected simply misses the live copy (they read it from its store later, or
a socket that reconnects resumes from the last event id it saw).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Protocol
from uuid import UUID

__all__ = ["RealtimePublisher"]


class RealtimePublisher(Protocol):
    async def publish(
        self, audience: Collection[UUID], event_type: str, payload: Mapping[str, object]
    ) -> None:
        """Sends ``{type: event_type, ...payload}`` to every live socket of each person in
        ``audience`` (the people it is for; the publisher adds no one)."""
        ...

    async def connected(self, people: Collection[UUID]) -> set[UUID]:
        """Those of ``people`` who hold at least one live socket now (to hold back an email
        about what they are reading live)."""
        ...
