"""Live delivery across processes through Redis: any number of API processes hold sockets, and
any process (an API's outbox relay, an ``elearn worker``) publishes.

Each person has a capped Redis stream, their history, and a pub/sub channel that Litestar
channels (the pub/sub backend) subscribes the API processes holding their sockets to. One
script adds an event to the stream and publishes the frame carrying the stream's id, so ids and
delivery order agree for every publisher. (The channels stream backend keeps history too, but
reads every subscribed stream in one polling loop per process; pub/sub wakes only for events.)

Which sockets a person holds is a sorted set per person (socket id → when it expires, renewed by
each heartbeat): a process that dies stops counting within a heartbeat or two.
"""

from __future__ import annotations

import re
import time
from collections.abc import Collection, Mapping
from contextlib import AbstractAsyncContextManager
from uuid import UUID

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from redis.asyncio import Redis

from elearn.adapters.realtime.hub import (
    BoundedSubscriber,
    InvalidEventId,
    Replay,
    SocketHub,
    channel_of,
    channels_plugin,
    distinct,
    event_tail,
    frame_of,
    live_subscription,
    session_ended_frame,
)

__all__ = ["RedisRealtimeHub"]

# KEYS: each person's history stream from KEYS[first] on. ARGV: the history length, its time
# to live (ms), the frame's tail, then each person's channel. The frame starts with the id the
# stream gave.
_PUBLISH_TO_EACH = """
local tail = ARGV[3]
for i = first, #KEYS do
  local id = redis.call('XADD', KEYS[i], 'MAXLEN', ARGV[1], '*', 't', tail)
  redis.call('PEXPIRE', KEYS[i], ARGV[2])
  redis.call('PUBLISH', ARGV[3 + i - first + 1], '{"id":"' .. id .. '"' .. tail)
end
return 1
"""
_PUBLISH = "local first = 1\n" + _PUBLISH_TO_EACH
# The same under the ``once`` key KEYS[1]: the first publish sets it (for as long as the
# history) and publishes; the second finds it, deletes it and publishes nothing (0). One script:
# two publishers racing publish once.
_PUBLISH_ONCE = (
    "if redis.call('DEL', KEYS[1]) == 1 then return 0 end\n"
    "redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])\n"
    "local first = 2\n" + _PUBLISH_TO_EACH
)

# KEYS[1]: the person's sockets. ARGV: socket id, limit, time to live (ms). Server time, so
# processes with skewed clocks agree on what has expired.
_JOIN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false
   and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""

# KEYS: people's socket sets; answers 1 for each that holds a live socket, else 0.
_CONNECTED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local answer = {}
for i, key in ipairs(KEYS) do
  answer[i] = redis.call('ZCOUNT', KEYS[i], '(' .. now, '+inf') > 0 and 1 or 0
end
return answer
"""

_EVENT_ID = re.compile(r"([0-9]{1,15})-([0-9]{1,15})")
# People per script call: one call blocks Redis while it runs; big audiences go in slices.
_SLICE = 500


def _id_key(event_id: str) -> tuple[int, int]:
    ms, _, seq = event_id.partition("-")
    return int(ms), int(seq or 0)


class RedisRealtimeHub(SocketHub):
    def __init__(
        self,
        client: Redis,
        *,
        history: int = 100,
        history_seconds: int = 86_400,
        backlog: int = 256,
        prefix: str = "elearn:rt:",
    ) -> None:
        self._client = client
        self._history_size = history
        self._history_ms = history_seconds * 1000
        self._prefix = prefix
        self._publish = client.register_script(_PUBLISH)
        self._publish_once = client.register_script(_PUBLISH_ONCE)
        self._join = client.register_script(_JOIN)
        self._connected = client.register_script(_CONNECTED)
        self._backlog = backlog
        self._plugin: ChannelsPlugin | None = None

    def _history_key(self, person: UUID) -> str:
        return f"{self._prefix}history:{person.hex}"

    def _sockets_key(self, person: UUID) -> str:
        return f"{self._prefix}sockets:{person.hex}"

    # ---- the publisher port -------------------------------------------------------------------
    async def publish(
        self,
        audience: Collection[UUID],
        event_type: str,
        payload: Mapping[str, object],
        *,
        once: str | None = None,
    ) -> None:
        tail = event_tail(event_type, payload)
        people = distinct(audience)
        for start in range(0, len(people), _SLICE):
            chunk = people[start : start + _SLICE]
            args: list[bytes | str | int] = [self._history_size, self._history_ms, tail]
            args.extend(map(channel_of, chunk))
            keys = [self._history_key(p) for p in chunk]
            if once is None or start > 0:
                await self._publish(keys=keys, args=args)
            elif not await self._publish_once(keys=[self._once_key(once), *keys], args=args):
                return  # the second publish under that key

    async def published_once(self, once: str) -> bool:
        # As the second publish does: the first set the key, the second deletes it.
        return bool(await self._client.delete(self._once_key(once)))

    def _once_key(self, key: str) -> str:
        return f"{self._prefix}once:{key}"

    async def end_session(self, person: UUID, session_id: UUID) -> None:
        # Straight to the channel: the processes holding the person's sockets hear it; it is
        # no event, so it stays out of the history.
        await self._client.publish(channel_of(person), session_ended_frame(session_id))

    async def connected(self, people: Collection[UUID]) -> set[UUID]:
        asked = distinct(people)
        found: set[UUID] = set()
        for start in range(0, len(asked), _SLICE):
            chunk = asked[start : start + _SLICE]
            flags = await self._connected(keys=[self._sockets_key(p) for p in chunk])
            found.update(person for person, flag in zip(chunk, flags, strict=True) if flag)
        return found

    # ---- the socket side ----------------------------------------------------------------------
    async def start(self) -> None:
        if self._plugin is not None:
            return
        plugin = channels_plugin(
            RedisChannelsPubSubBackend(redis=self._client), backlog=self._backlog
        )
        await plugin.__aenter__()
        self._plugin = plugin

    async def stop(self) -> None:
        plugin, self._plugin = self._plugin, None
        if plugin is not None:
            await plugin.__aexit__(None, None, None)

    def live(self, person: UUID) -> AbstractAsyncContextManager[BoundedSubscriber]:
        if self._plugin is None:
            raise RuntimeError("the hub is not started in this process")
        return live_subscription(self._plugin, person)

    async def missed(self, person: UUID, after: str) -> Replay:
        if not _EVENT_ID.fullmatch(after):
            raise InvalidEventId(after)
        key = self._history_key(person)
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.xrange(key, min=f"({after}", max="+")
            pipe.xinfo_stream(key)
            entries, info = await pipe.execute(raise_on_error=False)
        if isinstance(info, Exception):
            # No history (nothing published to them within its time to live): complete when
            # the id is younger than that, as nothing after it can have been lost.
            if _id_key(after)[0] > time.time() * 1000:
                raise InvalidEventId(after)
            return Replay([], complete=_id_key(after)[0] >= time.time() * 1000 - self._history_ms)
        last = _text(info["last-generated-id"])
        if _id_key(after) > _id_key(last):
            raise InvalidEventId(after)
        frames = [frame_of(_text(event_id), fields[b"t"]) for event_id, fields in entries]
        # Trimming drops the oldest: what follows ``after`` is all there when ``after`` is no
        # older than the first entry kept, or nothing was ever trimmed.
        trimmed = int(info["entries-added"]) > int(info["length"])
        first_kept = _text(info["recorded-first-entry-id"])
        return Replay(frames, complete=not trimmed or _id_key(after) >= _id_key(first_kept))

    async def join(self, person: UUID, socket_id: str, *, limit: int, ttl_seconds: float) -> bool:
        admitted = await self._join(
            keys=[self._sockets_key(person)], args=[socket_id, limit, int(ttl_seconds * 1000)]
        )
        return bool(admitted)

    async def renew(self, person: UUID, socket_id: str, *, ttl_seconds: float) -> None:
        # A renewal never counts against the limit: the socket is in already.
        await self._join(
            keys=[self._sockets_key(person)], args=[socket_id, 2**31, int(ttl_seconds * 1000)]
        )

    async def leave(self, person: UUID, socket_id: str) -> None:
        await self._client.zrem(self._sockets_key(person), socket_id)


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
