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


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _ids(hub: LocalRealtimeHub, person: object, after: str = "0-0") -> list[object]:
    replay = await hub.missed(person, after)  # type: ignore[arg-type]
    return [json.loads(frame)["data"]["n"] for frame in replay.frames]


async def test_events_older_than_the_historys_age_are_not_replayed_and_say_so() -> None:
    clock = _Clock()
    hub = LocalRealtimeHub(history_seconds=60, monotonic=clock)
    person = uuid4()
    await hub.publish([person], "tick", {"n": 1})
    (first,) = (await hub.missed(person, "0-0")).frames
    clock.now += 30
    await hub.publish([person], "tick", {"n": 2})
    clock.now += 31  # the first is 61 s old, the second 31 s
    assert await _ids(hub, person) == [2]
    replay = await hub.missed(person, "0-0")
    assert replay.complete is False
    # From the first event's id on, nothing was lost: complete.
    after_first = await hub.missed(person, json.loads(first)["id"])
    assert after_first.complete is True


async def test_a_person_told_nothing_for_longer_than_the_age_is_forgotten_whole() -> None:
    clock = _Clock()
    hub = LocalRealtimeHub(history_seconds=60, monotonic=clock)
    quiet, busy = uuid4(), uuid4()
    await hub.publish([quiet], "tick", {"n": 1})
    clock.now += 61
    await hub.publish([busy], "tick", {"n": 2})
    assert list(hub._history) == [busy]  # memory follows who was told something lately
    replay = await hub.missed(quiet, "0-0")
    assert (replay.frames, replay.complete) == ([], False)
    # Told again later: a resume from before it was forgotten still is not complete.
    await hub.publish([quiet], "tick", {"n": 3})
    assert (await hub.missed(quiet, "0-0")).complete is False


async def test_beyond_its_people_limit_the_least_recently_told_is_forgotten_first() -> None:
    hub = LocalRealtimeHub(history_people=2)
    first, second, third = uuid4(), uuid4(), uuid4()
    for number, person in enumerate((first, second, first, third)):
        await hub.publish([person], "tick", {"n": number})
    assert set(hub._history) == {first, third}
    assert await _ids(hub, first) == [0, 2]
    assert (await hub.missed(second, "0-0")).complete is False


async def test_a_once_key_is_forgotten_at_its_second_publish_with_age_or_beyond_limit() -> None:
    clock = _Clock()
    hub = LocalRealtimeHub(history_seconds=60, once_keys=2, monotonic=clock)
    person = uuid4()
    for n, key in enumerate(["a", "a", "a", "b", "c", "a", "c"], start=1):
        # The second "a" is dropped and forgets it: the third is a first again. "c" forgets
        # "a" (the oldest of three keys waiting); so "a" again is a first; "c" is a second.
        await hub.publish([person], "tick", {"n": n}, once=key)
    assert await _ids(hub, person) == [1, 3, 4, 5, 6]
    clock.now += 61
    await hub.publish([person], "tick", {"n": 8}, once="a")  # older than the history: forgotten
    assert await _ids(hub, person) == [8]
