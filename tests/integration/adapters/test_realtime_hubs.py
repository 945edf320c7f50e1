"""The two realtime hubs (process memory, Redis) against one contract: per-person history
bounded and in order, a resume that gives exactly the events after the id it names (and says
when the history no longer reaches back), ids never given refused, a person's sockets counted up
to the limit, presence, and of an event's two publishes under one ``once`` key one kept and sent."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from elearn.adapters.realtime.hub import CONTROL_PREFIX, InvalidEventId, SocketHub
from elearn.adapters.realtime.local import LocalRealtimeHub
from elearn.adapters.realtime.redis import RedisRealtimeHub
from elearn.adapters.realtime.tickets import RedisRealtimeTickets
from elearn.application.realtime_tickets import TicketGrant


@pytest.fixture(params=["memory", "redis"])
def make_hub(request: pytest.FixtureRequest) -> Callable[[int], object]:
    """Builds a hub with a history of the given length (each on its own key prefix)."""
    if request.param == "memory":

        @asynccontextmanager
        async def memory(history: int) -> AsyncIterator[SocketHub]:
            yield LocalRealtimeHub(history=history)

        return memory
    redis_url: str = request.getfixturevalue("redis_url")

    @asynccontextmanager
    async def redis(history: int) -> AsyncIterator[SocketHub]:
        client = Redis.from_url(redis_url)
        prefix = f"elearn-test:{uuid.uuid4().hex}:"
        try:
            yield RedisRealtimeHub(client, history=history, prefix=prefix)
        finally:
            await forget(client, prefix)

    return redis


async def forget(client: Redis, prefix: str) -> None:
    """Deletes the test's keys and closes its client."""
    keys = [key async for key in client.scan_iter(match=prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def data_of(frame: bytes) -> dict[str, object]:
    decoded: dict[str, object] = json.loads(frame)
    return decoded


# ---- resume: a property over publishing sequences --------------------------------------------
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    history=st.integers(min_value=1, max_value=6),
    # Each step publishes to alice, to bob, or to both.
    steps=st.lists(st.sampled_from(["alice", "bob", "both"]), min_size=1, max_size=15),
    data=st.data(),
)
def test_a_resume_gives_exactly_the_events_after_the_id_and_says_when_some_were_trimmed(
    make_hub: Callable[[int], object], history: int, steps: list[str], data: st.DataObject
) -> None:
    async def scenario() -> None:
        async with make_hub(history) as hub:  # type: ignore[attr-defined]
            alice, bob = uuid.uuid4(), uuid.uuid4()
            for number, step in enumerate(steps):
                audience = {"alice": [alice], "bob": [bob], "both": [alice, bob]}[step]
                await hub.publish(audience, "tick", {"n": number})
            alices = [n for n, step in enumerate(steps) if step != "bob"]
            if not alices:
                return
            kept = await hub.missed(alice, "0-0")
            assert [data_of(f)["data"] for f in kept.frames] == [
                {"n": n} for n in alices[-history:]
            ]
            assert kept.complete is (len(alices) <= history)
            # The socket saw the events up to one that is still in the history, then left.
            seen = data.draw(st.integers(min_value=0, max_value=len(kept.frames) - 1))
            last_id = str(data_of(kept.frames[seen])["id"])
            replay = await hub.missed(alice, last_id)
            assert replay.frames == kept.frames[seen + 1 :]
            assert replay.complete is True

    asyncio.run(scenario())


async def test_every_event_has_its_own_id_in_publishing_order(
    make_hub: Callable[[int], object],
) -> None:
    async with make_hub(10) as hub:  # type: ignore[attr-defined]
        person = uuid.uuid4()
        for n in range(5):
            await hub.publish([person, person], "tick", {"n": n})
        frames = (await hub.missed(person, "0-0")).frames
        assert [data_of(f)["data"] for f in frames] == [{"n": n} for n in range(5)]
        ids = [str(data_of(f)["id"]) for f in frames]
        assert len(set(ids)) == 5
        assert all(data_of(f)["type"] == "tick" for f in frames)


async def test_of_two_publishes_under_one_once_key_racing_one_is_kept_and_sent(
    make_hub: Callable[[int], object],
) -> None:
    async with make_hub(10) as hub:  # type: ignore[attr-defined]
        alice, bob = uuid.uuid4(), uuid.uuid4()
        await hub.start()
        try:
            async with hub.live(bob) as stream:
                await asyncio.sleep(0.05)  # Redis: the subscription is in place
                await asyncio.gather(
                    *(hub.publish([alice, bob], "said", {"n": 1}, once="said:1") for _ in range(2))
                )
                await hub.publish([alice, bob], "said", {"n": 2}, once="said:2")
                live = [await asyncio.wait_for(anext(stream.iter_events()), 5) for _ in range(2)]
        finally:
            await hub.stop()
        for person in (alice, bob):
            kept = [data_of(f)["data"] for f in (await hub.missed(person, "0-0")).frames]
            assert kept == [{"n": 1}, {"n": 2}]
        assert [data_of(f)["data"] for f in live] == kept


async def test_a_once_key_is_published_once_it_went_out_and_settled_by_asking(
    make_hub: Callable[[int], object],
) -> None:
    async with make_hub(10) as hub:  # type: ignore[attr-defined]
        person = uuid.uuid4()
        assert not await hub.published_once("said:1")  # nothing went out: publish it still
        await hub.publish([person], "said", {"n": 1}, once="said:1")
        assert await hub.published_once("said:1")
        # Settled as a second publish would: the key is forgotten.
        assert not await hub.published_once("said:1")
        assert [data_of(f)["data"] for f in (await hub.missed(person, "0-0")).frames] == [{"n": 1}]


async def test_an_ended_sign_in_reaches_the_persons_live_stream_and_not_their_history(
    make_hub: Callable[[int], object],
) -> None:
    async with make_hub(10) as hub:  # type: ignore[attr-defined]
        person, session = uuid.uuid4(), uuid.uuid4()
        await hub.start()
        try:
            async with hub.live(person) as stream:
                await asyncio.sleep(0.05)  # Redis: the subscription is in place
                await hub.end_session(person, session)
                frame = await asyncio.wait_for(anext(stream.iter_events()), 5)
        finally:
            await hub.stop()
        assert frame.startswith(CONTROL_PREFIX)
        assert json.loads(frame) == {"control": "session-ended", "session": session.hex}
        assert (await hub.missed(person, "0-0")).frames == []


@pytest.mark.parametrize(
    "bad", ["", "abc", "12-x", "9" * 40, "99999999999999-0", "999999999999999-0", "7"]
)
async def test_an_id_never_given_is_refused(make_hub: Callable[[int], object], bad: str) -> None:
    async with make_hub(10) as hub:  # type: ignore[attr-defined]
        person = uuid.uuid4()
        await hub.publish([person], "tick", {})
        with pytest.raises(InvalidEventId):
            await hub.missed(person, bad)


async def test_sockets_count_up_to_the_limit_and_leaving_frees_a_place(
    make_hub: Callable[[int], object],
) -> None:
    async with make_hub(10) as hub:  # type: ignore[attr-defined]
        person, other = uuid.uuid4(), uuid.uuid4()
        assert [await hub.join(person, f"s{n}", limit=2, ttl_seconds=30) for n in range(3)] == [
            True,
            True,
            False,
        ]
        assert await hub.connected([person, other]) == {person}
        await hub.leave(person, "s0")
        assert await hub.join(person, "s2", limit=2, ttl_seconds=30)
        await hub.leave(person, "s1")
        await hub.leave(person, "s2")
        assert await hub.connected([person]) == set()


async def test_a_socket_not_renewed_stops_counting_in_redis(redis_url: str) -> None:
    client = Redis.from_url(redis_url)
    prefix = f"elearn-test:{uuid.uuid4().hex}:"
    try:
        hub = RedisRealtimeHub(client, prefix=prefix)
        person = uuid.uuid4()
        # Wide margins (the times are Redis's own): a loaded machine delays each step.
        assert await hub.join(person, "gone", limit=1, ttl_seconds=2)
        assert not await hub.join(person, "new", limit=1, ttl_seconds=2)
        await asyncio.sleep(1.2)
        await hub.renew(person, "gone", ttl_seconds=2)
        await asyncio.sleep(1.2)  # past the first expiry, within the renewed one
        assert await hub.connected([person]) == {person}
        await asyncio.sleep(2)
        assert await hub.connected([person]) == set()
        assert await hub.join(person, "new", limit=1, ttl_seconds=30)
    finally:
        await forget(client, prefix)


# ---- tickets in Redis ----------------------------------------------------------------------
async def test_of_concurrent_redemptions_of_one_ticket_in_redis_one_gets_it(redis_url: str) -> None:
    client = Redis.from_url(redis_url)
    prefix = f"elearn-test:{uuid.uuid4().hex}:"
    try:
        tickets = RedisRealtimeTickets(client, prefix=prefix)
        grant = TicketGrant(uuid.uuid4(), uuid.uuid4())
        await tickets.keep("k", grant, seconds=30)
        taken = await asyncio.gather(*(tickets.take("k") for _ in range(20)))
        assert [t for t in taken if t is not None] == [grant]
        await tickets.keep("short", grant, seconds=1)
        assert 0 < await client.ttl(prefix + "short") <= 1
        assert await tickets.take("never") is None
    finally:
        await forget(client, prefix)
