"""The in-process hub delivers to the audience's subscribers only, never grows without bound for
one that does not read, takes publishes from other threads' loops, and tells a resume from
before a restart."""

from __future__ import annotations

import asyncio
import json
from uuid import uuid4

import pytest

from elearn.adapters.realtime.hub import InvalidEventId
from elearn.adapters.realtime.local import LocalRealtimeHub


async def test_an_event_reaches_each_subscriber_of_its_audience_and_no_one_else() -> None:
    hub = LocalRealtimeHub()
    alice, bob, carol = uuid4(), uuid4(), uuid4()
    async with (
        hub.subscribe(alice) as alice_phone,
        hub.subscribe(alice) as alice_laptop,
        hub.subscribe(carol) as carols,
    ):
        await hub.publish([alice, bob], "message.created", {"body": "hi"})

        expected = {"type": "message.created", "body": "hi"}
        assert alice_phone.get_nowait() == expected
        assert alice_laptop.get_nowait() == expected
        assert carols.empty()
        assert await hub.connected([alice, bob, carol]) == {alice, carol}


async def test_a_subscriber_that_does_not_read_loses_events_beyond_its_queue() -> None:
    hub = LocalRealtimeHub(queue_size=2)
    person = uuid4()
    async with hub.subscribe(person) as queue:
        for number in range(5):
            await hub.publish([person], "tick", {"n": number})
        assert [queue.get_nowait()["n"] for _ in range(queue.qsize())] == [0, 1]


async def test_leaving_unsubscribes() -> None:
    hub = LocalRealtimeHub()
    person = uuid4()
    async with hub.subscribe(person) as queue:
        pass
    await hub.publish([person], "tick", {})
    assert queue.empty()
    assert await hub.connected([person]) == set()


async def test_an_event_published_from_another_threads_loop_is_delivered_on_the_hubs_loop() -> None:
    hub = LocalRealtimeHub()
    person = uuid4()
    await hub.start()
    try:
        async with hub.subscribe(person) as queue, hub.live(person) as socket_stream:
            # As the embedded worker does: its own thread, its own event loop.
            await asyncio.to_thread(asyncio.run, hub.publish([person], "tick", {"n": 1}))
            assert await asyncio.wait_for(queue.get(), 2) == {"type": "tick", "n": 1}
            frame = await asyncio.wait_for(anext(socket_stream.iter_events()), 2)
            assert json.loads(frame)["data"] == {"n": 1}
    finally:
        await hub.stop()


async def test_an_id_given_before_a_restart_replays_what_was_kept_since_as_incomplete() -> None:
    before = LocalRealtimeHub()
    person = uuid4()
    await before.publish([person], "tick", {"n": 1})
    (old,) = (await before.missed(person, "0-0")).frames
    old_id = json.loads(old)["id"]
    await asyncio.sleep(0.002)  # the next process starts later
    restarted = LocalRealtimeHub()
    await restarted.publish([person], "tick", {"n": 2})
    replay = await restarted.missed(person, old_id)
    assert [json.loads(f)["data"] for f in replay.frames] == [{"n": 2}]
    assert replay.complete is False
    with pytest.raises(InvalidEventId):
        await before.missed(person, json.loads(replay.frames[0])["id"])
