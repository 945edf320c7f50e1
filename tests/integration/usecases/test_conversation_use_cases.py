"""Conversations through their use cases on a real database: who may talk (a matrix of real
relationships), blocks, edits and tombstones, read receipts, reports, what is published live
after commit (a new message by its send at once, once, and by the outbox when that failed), and
the unread-message digest."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import replace
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select
from tests.integration.usecases.world import World
from tests.support.statements import Statements

from elearn.adapters.persistence.models.jobs import OutboxDeliveryRow
from elearn.application.actor import Actor
from elearn.application.communication.conversations import StartConversation
from elearn.application.communication.messages import SendMessage
from elearn.application.errors import NotFound, RateLimited
from elearn.domain.communication.conversations import ConversationBlocked, MayNotConverse
from elearn.domain.shared.errors import Conflict, DomainError, Forbidden
from elearn.entrypoints.bootstrap import Container


def _id(actor: Actor) -> UUID:
    assert actor.user_id is not None
    return actor.user_id


async def deliver_pending(container: Container) -> list[str]:
    """Runs every pending outbox delivery, as the worker would after commit; answers the
    handlers that ran."""
    async with container.sessions() as session:
        rows = (
            await session.execute(
                select(OutboxDeliveryRow.id, OutboxDeliveryRow.handler).where(
                    OutboxDeliveryRow.status == "pending"
                )
            )
        ).all()
    executor = container.deliveries()
    for row in rows:
        await executor.deliver(row.id)
    return [row.handler for row in rows]


async def start(world: World, sender: Actor, recipient: Actor, body: str = "Hello") -> Any:
    view, _ = await world.container.conversations.start(
        sender, StartConversation(participant_id=_id(recipient), body=body)
    )
    return view


async def test_who_may_talk_follows_bookings_enrollments_and_staff(world: World) -> None:
    await world.offer_lessons()
    course, _ = await world.published_course()
    # student: booked the tutor; classmate: enrolled in the tutor's course; cotutor: neither.
    await world.hold(world.student, world.days_ahead_at(2, 10))
    await world.container.learning.enroll(world.classmate, course.id)

    assert (await start(world, world.student, world.tutor)).with_person.id == _id(world.tutor)
    await start(world, world.tutor, world.classmate)  # the tutor writes to their student
    await start(world, world.manager, world.cotutor)  # staff write to anyone
    await start(world, world.cotutor, world.manager)  # and are answered

    refused = [
        (world.student, world.classmate),  # two students
        (world.student, world.cotutor),  # a tutor they never booked nor learn with
        (world.cotutor, world.classmate),
        (world.tutor, world.cotutor),  # two tutors
        (world.student, world.student),  # oneself
    ]
    for sender, recipient in refused:
        with pytest.raises(MayNotConverse):
            await start(world, sender, recipient)
    page = await world.container.conversations.my_conversations(world.student)
    assert len(page.items) == 1


async def test_an_expired_hold_is_no_tie_but_a_cancelled_booking_is(world: World) -> None:
    await world.offer_lessons()
    held = await world.hold(world.student, world.days_ahead_at(2, 10))
    world.clock.advance(timedelta(minutes=16))
    await world.container.tutoring.release_expired_holds()
    with pytest.raises(MayNotConverse):
        await start(world, world.student, world.tutor)

    again = await world.hold(world.classmate, world.days_ahead_at(3, 10))
    await world.container.tutoring.cancel(world.classmate, again.id, None)
    assert held.id != again.id
    await start(world, world.classmate, world.tutor)


async def test_starting_twice_continues_the_one_conversation(world: World) -> None:
    first = await start(world, world.manager, world.student, "One")
    second = await start(world, world.student, world.manager, "Two")
    assert first.id == second.id
    messages = await world.container.conversations.messages(world.manager, first.id)
    assert [m.body for m in messages.items] == ["Two", "One"]  # newest first
    assert second.unread_count == 0  # the sender's own message is read
    mine = await world.container.conversations.conversation(world.manager, first.id)
    assert mine.unread_count == 1


async def test_a_block_stops_messages_both_ways_and_stores_nothing(world: World) -> None:
    conversations = world.container.conversations
    view = await start(world, world.manager, world.student)
    await conversations.block(world.student, view.id)
    for sender in (world.student, world.manager):
        with pytest.raises(ConversationBlocked):
            await conversations.send(sender, view.id, "still there?")
        with pytest.raises(ConversationBlocked):
            await start(world, sender, world.manager if sender is world.student else world.student)
    assert len((await conversations.messages(world.student, view.id)).items) == 1
    # Only the one who blocked lifts their block.
    blocked = await conversations.unblock(world.manager, view.id)
    assert blocked.blocked
    free = await conversations.unblock(world.student, view.id)
    assert not free.blocked
    await conversations.send(world.manager, view.id, "welcome back")


async def test_strangers_see_no_conversation(world: World) -> None:
    conversations = world.container.conversations
    view = await start(world, world.manager, world.student)
    for call in (
        conversations.conversation(world.classmate, view.id),
        conversations.messages(world.classmate, view.id),
        conversations.send(world.classmate, view.id, "hi"),
        conversations.block(world.admin, view.id),
        conversations.report(world.classmate, view.id, "spam"),
    ):
        with pytest.raises(NotFound):
            await call


async def test_edit_and_delete_by_the_sender_within_15_minutes_leave_a_tombstone(
    world: World,
) -> None:
    conversations = world.container.conversations
    view = await start(world, world.manager, world.student)
    sent = await conversations.send(world.student, view.id, "typo")
    with pytest.raises(Forbidden):
        await conversations.edit(world.manager, view.id, sent.id, "not mine")
    edited = await conversations.edit(world.student, view.id, sent.id, "fixed")
    assert (edited.body, edited.edited_at is not None) == ("fixed", True)
    deleted = await conversations.delete(world.student, view.id, sent.id)
    assert (deleted.body, deleted.deleted) == ("", True)
    with pytest.raises(Conflict):
        await conversations.edit(world.student, view.id, sent.id, "back")
    listed = (await conversations.messages(world.manager, view.id)).items
    assert (listed[0].id, listed[0].deleted) == (sent.id, True)

    late = await conversations.send(world.student, view.id, "later")
    world.clock.advance(timedelta(minutes=15, seconds=1))
    with pytest.raises(Conflict, match="15 minutes"):
        await conversations.delete(world.student, view.id, late.id)


async def test_messages_page_both_ways_in_one_total_order(world: World) -> None:
    conversations = world.container.conversations
    view = await start(world, world.manager, world.student, "m0")
    for n in range(1, 7):  # the clock stands still: the ids and microseconds order them
        await conversations.send(world.manager, view.id, f"m{n}")
    back = await conversations.messages(world.student, view.id, limit=4)
    assert [m.body for m in back.items] == ["m6", "m5", "m4", "m3"]
    rest = await conversations.messages(world.student, view.id, limit=4, cursor=back.next_cursor)
    assert [m.body for m in rest.items] == ["m2", "m1", "m0"] and rest.next_cursor is None
    first = rest.items[-1]
    on = await conversations.messages(world.student, view.id, after=first.id, limit=3)
    assert [m.body for m in on.items] == ["m1", "m2", "m3"]
    more = await conversations.messages(
        world.student, view.id, after=first.id, cursor=on.next_cursor
    )
    assert [m.body for m in more.items] == ["m4", "m5", "m6"]
    last = back.items[0]
    between = await conversations.messages(
        world.student, view.id, after=first.id, before=last.id, limit=10
    )
    assert [m.body for m in between.items] == ["m1", "m2", "m3", "m4", "m5"]
    marks = [(m.sent_at, m.id) for m in reversed(back.items + rest.items)]
    assert marks == sorted(set(marks))


async def test_read_receipts_never_move_back(world: World) -> None:
    conversations = world.container.conversations
    view = await start(world, world.manager, world.student, "one")
    two = await conversations.send(world.manager, view.id, "two")
    one = (await conversations.messages(world.student, view.id)).items[-1]
    read = await conversations.read(world.student, view.id, two.id)
    assert (read.my_read_up_to, read.unread_count) == (two.id, 0)
    back = await conversations.read(world.student, view.id, one.id)
    assert back.my_read_up_to == two.id
    theirs = await conversations.conversation(world.manager, view.id)
    assert theirs.their_read_up_to == two.id


async def test_a_report_reaches_staff_with_the_last_20_messages(world: World) -> None:
    conversations = world.container.conversations
    view = await start(world, world.manager, world.student, "m0")
    for n in range(1, 25):
        await conversations.send(world.manager if n % 2 else world.student, view.id, f"m{n}")
    # Only 30 a minute: the limiter let all 25 through.
    report = await conversations.report(world.student, view.id, "  rude  ")
    assert report.reason == "rude" and report.reported_id == _id(world.manager)
    assert [m.body for m in report.messages] == [f"m{n}" for n in range(5, 25)]
    with pytest.raises(DomainError):
        await conversations.report(world.student, view.id, "   ")
    listed = await conversations.reports(world.admin)
    assert [r.id for r in listed.items] == [report.id]
    assert (await conversations.get_report(world.manager, report.id)).messages == report.messages
    with pytest.raises(Exception, match="only managers and admins"):
        await conversations.reports(world.student)


async def test_sending_is_rate_limited_per_sender(world: World) -> None:
    conversations = world.container.conversations
    view = await start(world, world.manager, world.student)
    limit = world.container.conversations.deps.policy.messages_per_minute
    for n in range(limit):
        await conversations.send(world.student, view.id, f"{n}")
    with pytest.raises(RateLimited):
        await conversations.send(world.student, view.id, "one too many")
    await conversations.send(world.manager, view.id, "the other side still may")


async def test_the_same_idempotency_key_sends_once(world: World) -> None:
    conversations = world.container.conversations
    view = await start(world, world.manager, world.student)
    first = await conversations.send(world.student, view.id, "once", idempotency_key="k-1")
    again = await conversations.send(world.student, view.id, "once", idempotency_key="k-1")
    assert first.id == again.id
    with pytest.raises(DomainError, match="different request"):
        await conversations.send(world.student, view.id, "other", idempotency_key="k-1")
    assert len((await conversations.messages(world.student, view.id)).items) == 2


async def test_changes_reach_both_people_live_after_commit(world: World) -> None:
    conversations = world.container.conversations
    hub: Any = world.container.realtime
    async with (
        hub.subscribe(_id(world.student)) as student,
        hub.subscribe(_id(world.manager)) as manager,
    ):
        view = await start(world, world.manager, world.student, "hello")
        assert student.empty()  # nothing before the outbox delivers
        await deliver_pending(world.container)
        created = student.get_nowait()
        assert (created["type"], created["message"]["body"]) == ("message.created", "hello")
        assert manager.get_nowait()["type"] == "message.created"
        sent = await conversations.send(world.student, view.id, "hi")
        await conversations.edit(world.student, view.id, sent.id, "hi!")
        await conversations.read(world.manager, view.id, sent.id)
        await conversations.delete(world.student, view.id, sent.id)
        await deliver_pending(world.container)
        seen = [manager.get_nowait() for _ in range(manager.qsize())]
        assert sorted(event["type"] for event in seen) == sorted(
            ["message.created", "message.updated", "conversation.read", "message.deleted"]
        )
        receipt = next(e for e in seen if e["type"] == "conversation.read")
        assert receipt["up_to_message_id"] == str(sent.id)

        while not student.empty():
            student.get_nowait()  # the student's own devices follow what they did
        await conversations.typing(world.student, view.id)
        assert manager.get_nowait() == {
            "type": "typing",
            "conversation_id": str(view.id),
            "user_id": str(_id(world.student)),
        }
        assert student.empty()  # typing goes to the other person only


def _created_bodies(replay: Any) -> list[str]:
    """The bodies of the ``message.created`` events of a person's history, oldest first."""
    frames = [json.loads(frame) for frame in replay.frames]
    return [f["data"]["message"]["body"] for f in frames if f["type"] == "message.created"]


async def test_a_sent_message_goes_live_at_its_commit_and_once_in_the_history(
    world: World,
) -> None:
    conversations = world.container.conversations
    hub: Any = world.container.realtime
    view = await start(world, world.manager, world.student, "hello")
    await deliver_pending(world.container)
    key = f"send-{uuid4()}"
    async with hub.subscribe(_id(world.student)) as student:
        sends = [
            conversations.send(world.manager, view.id, "now", idempotency_key=key) for _ in range(5)
        ]
        sent = await asyncio.gather(*sends, return_exceptions=True)
        # Before any outbox delivery: published by the send itself, once for one key.
        (created,) = _created(student)
        assert created["message"]["body"] == "now"
        assert created["message"]["id"] in {
            str(s.id) for s in sent if not isinstance(s, BaseException)
        }
        handlers = await deliver_pending(world.container)
        assert "conversations.publish_message_posted" in handlers
        assert _created(student) == []  # the handler published nothing again
    # A socket resuming from the start replays each message once.
    assert _created_bodies(await hub.missed(_id(world.student), "0-0")) == ["hello", "now"]


async def test_a_send_that_does_not_commit_publishes_nothing(world: World) -> None:
    conversations = world.container.conversations
    hub: Any = world.container.realtime
    view = await start(world, world.manager, world.student, "hello")
    await deliver_pending(world.container)
    deps = conversations.deps
    real = deps.uow

    def failing_at_commit(*, read_only: bool = False) -> Any:
        uow = real(read_only=read_only)

        async def commit() -> None:
            raise ConnectionError("the connection was lost at commit")

        uow.commit = commit
        return uow

    async with hub.subscribe(_id(world.student)) as student:
        with pytest.raises(ConnectionError):
            await SendMessage(replace(deps, uow=failing_at_commit))(world.manager, view.id, "lost")
        await conversations.block(world.student, view.id)
        with pytest.raises(ConversationBlocked):
            await conversations.send(world.manager, view.id, "refused")
        await deliver_pending(world.container)
        assert _created(student) == []
    assert _created_bodies(await hub.missed(_id(world.student), "0-0")) == ["hello"]
    assert [m.body for m in (await conversations.messages(world.student, view.id)).items] == [
        "hello"
    ]


async def test_a_message_the_hub_failed_to_take_at_once_is_published_by_the_outbox(
    world: World,
) -> None:
    conversations = world.container.conversations
    hub: Any = world.container.realtime
    view = await start(world, world.manager, world.student, "hello")
    await deliver_pending(world.container)

    class Unreachable:
        async def publish(self, *args: Any, **kwargs: Any) -> None:
            raise ConnectionError("the hub is unreachable")

        async def connected(self, people: Any) -> set[UUID]:
            return set()

    send = SendMessage(replace(conversations.deps, realtime=Unreachable()))
    async with hub.subscribe(_id(world.student)) as student:
        sent = await send(world.manager, view.id, "stored anyway")
        assert _created(student) == []
        await deliver_pending(world.container)
        (created,) = _created(student)
        assert created["message"]["id"] == str(sent.id)
    assert _created_bodies(await hub.missed(_id(world.student), "0-0")) == [
        "hello",
        "stored anyway",
    ]


async def test_the_outbox_reads_nothing_for_a_message_its_send_published(world: World) -> None:
    conversations = world.container.conversations
    hub: Any = world.container.realtime
    view = await start(world, world.manager, world.student, "hello")
    await deliver_pending(world.container)
    async with hub.subscribe(_id(world.student)) as student:
        await conversations.send(world.manager, view.id, "published at once")
        with Statements(world.container.engine) as counted:
            handlers = await deliver_pending(world.container)
        assert "conversations.publish_message_posted" in handlers
        assert [m["message"]["body"] for m in _created(student)] == ["published at once"]
    # The notification's handlers read what they need; the live copy's handler reads nothing.
    sent = await counted.settled()
    assert not [s for s in sent if _verb_and_table(s)[1].startswith("conversation")], sent


async def test_sending_runs_one_transaction_of_six_statements(world: World) -> None:
    conversations = world.container.conversations
    view = await start(world, world.manager, world.student, "hello")
    with Statements(world.container.engine) as counted:
        await conversations.send(world.manager, view.id, "counted")
    # The conversation locked, who may talk (staff: the two people alone, read together), the
    # message, the conversation's marks, the event and its deliveries; the answer is the
    # message as stored, nothing is read again.
    assert [_verb_and_table(statement) for statement in await counted.settled()] == [
        ("SELECT", "conversations"),
        ("SELECT", "users"),
        ("INSERT", "conversation_messages"),
        ("UPDATE", "conversations"),
        ("INSERT", "outbox_messages"),
        ("INSERT", "outbox_deliveries"),
    ]


def _verb_and_table(statement: str) -> tuple[str, str]:
    table = re.search(r"\b(?:FROM|INTO|UPDATE) (\w+)", statement)
    assert table is not None, statement
    return statement.split()[0], table[1]


def _created(queue: asyncio.Queue[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``message.created`` events waiting in a subscriber's queue (it is emptied)."""
    events = [queue.get_nowait() for _ in range(queue.qsize())]
    return [event for event in events if event["type"] == "message.created"]


async def test_the_message_posted_event_carries_what_notifications_need(world: World) -> None:
    view = await start(world, world.manager, world.student, "x" * 300)
    async with world.container.sessions() as session:
        from elearn.adapters.persistence.models.jobs import OutboxMessageRow

        payloads = (
            await session.scalars(
                select(OutboxMessageRow.payload).where(
                    OutboxMessageRow.event_type == "conversations.message_posted"
                )
            )
        ).all()
    (payload,) = payloads
    assert payload["conversation_id"] == str(view.id)
    assert payload["recipient_ids"] == [str(_id(world.student))]
    assert payload["sender_id"] == str(_id(world.manager))
    assert len(payload["preview"]) == 140


async def test_unread_messages_are_emailed_once_in_one_digest_unless_read_or_connected(
    world: World,
) -> None:
    conversations = world.container.conversations
    digest = conversations.queue_unread_digests
    with_manager = await start(world, world.manager, world.student, "from the manager")
    with_admin = await start(world, world.admin, world.student, "from the admin")
    read_in_time = await start(world, world.manager, world.classmate, "read quickly")
    await conversations.read(world.classmate, read_in_time.id, read_in_time.last_message.id)

    world.clock.advance(timedelta(minutes=14))
    assert await digest() == 0  # not unread long enough yet
    world.clock.advance(timedelta(minutes=1))
    hub: Any = world.container.realtime
    async with hub.subscribe(_id(world.student)):
        assert await digest() == 0  # connected: they read it live
    assert await digest() == 1  # one digest: the student's, with both conversations
    assert await digest() == 0  # never twice
    handlers = await deliver_pending(world.container)
    assert handlers.count("conversations.send_unread_digest") == 1
    mails = list(world.container.settings.effective_mail_outbox_dir.glob("*.eml"))
    (mail,) = [m for m in mails if "student@" in m.read_text() and "unread" in m.read_text()]
    text = mail.read_text()
    assert "from the manager" in text and "from the admin" in text
    assert with_manager.id != with_admin.id

    await conversations.send(world.manager, with_manager.id, "one more")
    world.clock.advance(timedelta(minutes=15))
    assert await digest() == 1  # only the new one
    await asyncio.sleep(0)


async def test_a_persons_messages_are_exported_and_erased_as_tombstones(world: World) -> None:
    from elearn.application.personal_data import Pseudonym

    conversations = world.container.conversations
    view = await start(world, world.manager, world.student, "from staff")
    await conversations.send(world.student, view.id, "my words")
    await conversations.report(world.manager, view.id, "check this")
    provider = next(
        m.personal_data(world.container)
        for m in world.container.modules
        if m.name == "conversations" and m.personal_data is not None
    )
    async with world.container.uow() as uow:
        exported = await provider.export(uow, _id(world.student))
        assert [m["body"] for m in exported.records["messages_sent"]] == ["my words"]
        assert exported.records["conversations"][0]["with"] == str(_id(world.manager))
        erased = await provider.erase(uow, _id(world.student), Pseudonym.new())
        await uow.commit()
    assert erased.counts == {"messages": 1, "report_reasons": 0, "reported_messages": 1}
    listed = (await conversations.messages(world.manager, view.id)).items
    assert [m.body for m in listed] == ["", "from staff"]
    (report,) = (await conversations.reports(world.admin)).items
    assert [m.body for m in report.messages] == ["from staff", ""]
    assert report.reason == "check this"
