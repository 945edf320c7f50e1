"""The in-process hub delivers to the audience's subscribers only, and never grows without
bound for one that does not read."""

from __future__ import annotations

from uuid import uuid4

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
