"""The realtime port: what the application asks of live delivery to connected people.

A use case never pushes inside its transaction: what must reach people live is recorded as an
outbox event, and a handler publishes it after commit. Where every millisecond counts (a new
message), the use case also publishes it itself just after its commit, under a ``once`` key the
handler publishes with too: whichever comes second is dropped, so the event is in each person's
history exactly once, and still published by the handler if the process died between the commit
and its own publish. Publishing is best effort and fast: a person who is not connected simply
misses the live copy (they read it from its store later, or a socket that reconnects resumes
from the last event id it saw).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Protocol, TypeAlias
from uuid import UUID

from elearn.application.actor import Actor

__all__ = ["LiveSessions", "RealtimePublisher", "SocketMessageHandler", "SocketReply"]


class RealtimePublisher(Protocol):
    async def publish(
        self,
        audience: Collection[UUID],
        event_type: str,
        payload: Mapping[str, object],
        *,
        once: str | None = None,
    ) -> None:
        """Sends the event (``event_type`` with ``payload``) to every live socket of each
        person in ``audience`` (the people it is for; the publisher adds no one), and keeps it
        in each person's bounded history for a socket that resumes. ``once`` names an event
        that two publishers both publish (a use case at its commit, and the outbox's handler
        after it): the first publish under the key goes out, the second is dropped and the key
        forgotten (so keys do not pile up; a key never published twice lasts as long as the
        history)."""
        ...

    async def published_once(self, once: str) -> bool:
        """Whether an event went out under ``once`` already. True settles the key as the second
        publish would have (it is forgotten), so the second publisher may skip building its
        copy; False changes nothing (it still publishes under the key, and whichever comes
        first goes out)."""
        ...

    async def connected(self, people: Collection[UUID]) -> set[UUID]:
        """Those of ``people`` who hold at least one live socket now (to hold back an email
        about what they are reading live)."""
        ...


class LiveSessions(Protocol):
    async def end_session(self, person: UUID, session_id: UUID) -> None:
        """Closes every open socket of that sign-in of the person, in whichever process holds
        it (a socket only checks its sign-in when it opens; this ends the ones already open)."""
        ...


# What a handler answers the socket that sent it a message: a frame for that socket only
# (``{"type": ..., ...}``), or None. Anything for other people goes through the publisher.
SocketReply: TypeAlias = Mapping[str, object] | None

# A client→server socket message of one type, registered by a module under that type
# (``Module.socket_messages``): called with the socket's authenticated caller and the message
# as sent (``type`` included). It raises the application's and domain's errors like any use
# case (the socket answers them as error frames), and ``ValueError``/``KeyError``/``TypeError``
# for a message it cannot read.
SocketMessageHandler: TypeAlias = Callable[[Actor, Mapping[str, object]], Awaitable[SocketReply]]
