"""The support desk's use cases on a real database, with a clock the test moves: routing by skill
and load (the queue served when someone frees up, an agent going offline returning what they
never answered), the conversation with notes only agents see, the SLA job telling the managers
once, and the auto-close job warning then closing."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from tests.integration.usecases.world import World, actor_for

from elearn.adapters.persistence.models.jobs import OutboxDeliveryRow, OutboxMessageRow
from elearn.adapters.persistence.support_personal_data import SupportPersonalData
from elearn.adapters.realtime.local import LocalRealtimeHub
from elearn.application.actor import Actor
from elearn.application.errors import NotFound, PermissionDenied
from elearn.application.identity.accounts import CreateAccount
from elearn.application.personal_data import Pseudonym
from elearn.application.support.agents import AgentSettings
from elearn.application.support.tickets import AgentAtCapacity, OpenTicketCommand
from elearn.domain.identity.roles import Role
from elearn.domain.shared.errors import IllegalTransition
from elearn.domain.support.agents import Presence
from elearn.domain.support.tickets import AlreadyRated, Category, Priority, TicketStatus

PAYMENT = frozenset({Category.PAYMENT})


async def agent(
    world: World,
    name: str,
    *,
    skills: frozenset[Category] = PAYMENT,
    capacity: int = 2,
    presence: Presence = Presence.ONLINE,
) -> Actor:
    user_id = await world.container.identity.create_account(
        Actor.system(),
        CreateAccount(f"{name}@usecases.test", "pass-word-2026!", name, Role.MANAGER),
    )
    actor = actor_for(user_id, Role.MANAGER)
    await world.container.support.update_my_agent_settings(
        actor, AgentSettings(presence=presence, categories=skills, capacity=capacity)
    )
    return actor


async def open_ticket(
    world: World,
    customer: Actor,
    priority: Priority = Priority.MEDIUM,
    category: Category = Category.PAYMENT,
) -> Any:
    world.clock.advance(timedelta(seconds=1))
    return await world.container.support.open_ticket(
        customer, OpenTicketCommand(f"{priority} help", category, "My payment failed", priority)
    )


async def events(world: World, event_type: str) -> list[dict[str, Any]]:
    async with world.container.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessageRow).where(OutboxMessageRow.event_type == event_type)
        )
        return [row.payload for row in rows]


async def test_routing_fills_agents_queues_the_rest_and_serves_the_queue_as_agents_free_up(
    world: World,
) -> None:
    support = world.container.support
    ana = await agent(world, "ana", capacity=1)
    bo = await agent(world, "bo", capacity=1)
    first = await open_ticket(world, world.student)
    second = await open_ticket(world, world.classmate)
    assert {first.assignee_id, second.assignee_id} == {ana.user_id, bo.user_id}
    # Everyone is full: the next ones wait, most pressing first.
    low = await open_ticket(world, world.student, Priority.LOW)
    urgent = await open_ticket(world, world.classmate, Priority.URGENT)
    assert (low.status, urgent.status) == (TicketStatus.OPEN, TicketStatus.OPEN)
    mine = first if first.assignee_id == ana.user_id else second
    # Her queue: what nobody has and her own, most pressing first.
    assert [t.id for t in (await support.queue(ana)).items] == [urgent.id, mine.id, low.id]

    # Ana resolves hers: she takes the urgent one at once, not the older low one.
    await support.change_status(ana, mine.id, TicketStatus.RESOLVED)
    assert (await support.get_ticket(ana, urgent.id)).assignee_id == ana.user_id
    assert (await support.get_ticket(ana, low.id)).status is TicketStatus.OPEN

    # Bo raises his capacity: the low one is his.
    await support.update_my_agent_settings(
        bo, AgentSettings(presence=Presence.ONLINE, categories=PAYMENT, capacity=2)
    )
    assert (await support.get_ticket(bo, low.id)).assignee_id == bo.user_id

    # A full agent takes no hand-over.
    with pytest.raises(AgentAtCapacity):
        await support.assign(bo, urgent.id, bo.user_id)


async def test_an_agent_going_offline_returns_only_the_tickets_they_never_answered(
    world: World,
) -> None:
    support = world.container.support
    ana = await agent(world, "ana", capacity=3)
    answered = await open_ticket(world, world.student)
    unanswered = await open_ticket(world, world.classmate)
    await support.post_message(ana, answered.id, "Looking into it")
    await support.update_my_agent_settings(
        ana, AgentSettings(presence=Presence.OFFLINE, categories=PAYMENT, capacity=3)
    )
    kept = await support.get_ticket(ana, answered.id)
    returned = await support.get_ticket(ana, unanswered.id)
    assert (kept.status, kept.assignee_id) == (TicketStatus.ASSIGNED, ana.user_id)
    assert (returned.status, returned.assignee_id) == (TicketStatus.OPEN, None)
    # Another agent with the skill comes online: it is theirs at once.
    bo = await agent(world, "bo")
    assert (await support.get_ticket(bo, unanswered.id)).assignee_id == bo.user_id
    # An agent away keeps theirs and takes nothing new.
    await support.update_my_agent_settings(
        bo, AgentSettings(presence=Presence.AWAY, categories=PAYMENT, capacity=2)
    )
    assert (await support.get_ticket(bo, unanswered.id)).assignee_id == bo.user_id
    assert (await open_ticket(world, world.student)).status is TicketStatus.OPEN


async def test_the_conversation_hides_internal_notes_from_the_customer(world: World) -> None:
    support = world.container.support
    ana = await agent(world, "ana")
    ticket = await open_ticket(world, world.student, Priority.URGENT)
    world.clock.advance(timedelta(minutes=1))
    await support.add_internal_note(ana, ticket.id, "Refund looks legit")
    world.clock.advance(timedelta(minutes=1))
    await support.post_message(ana, ticket.id, "Refunded, check your card")
    seen_by_customer = await support.get_ticket(world.student, ticket.id)
    seen_by_agent = await support.get_ticket(ana, ticket.id)
    assert [m.body for m in seen_by_customer.messages] == [
        "My payment failed",
        "Refunded, check your card",
    ]
    assert [m.internal for m in seen_by_agent.messages] == [False, True, False]
    # Notes are no message the customer hears of either.
    posted = await events(world, "support.message_posted")
    assert [p["recipient_ids"] for p in posted] == [[str(world.student.user_id)]]
    with pytest.raises(PermissionDenied):
        await support.add_internal_note(world.student, ticket.id, "let me in")
    with pytest.raises(NotFound):
        await support.get_ticket(world.classmate, ticket.id)


async def test_the_customer_waits_answers_rates_once_and_reopens_within_the_window(
    world: World,
) -> None:
    support = world.container.support
    ana = await agent(world, "ana")
    ticket = await open_ticket(world, world.student)
    await support.change_status(ana, ticket.id, TicketStatus.WAITING_ON_CUSTOMER)
    await support.post_message(world.student, ticket.id, "Here is the receipt")
    assert (await support.get_ticket(ana, ticket.id)).status is TicketStatus.ASSIGNED
    with pytest.raises(IllegalTransition):
        await support.rate(world.student, ticket.id, 5, None)
    await support.change_status(ana, ticket.id, TicketStatus.RESOLVED)
    with pytest.raises(PermissionDenied):
        await support.rate(ana, ticket.id, 5, None)
    rated = await support.rate(world.student, ticket.id, 5, "fast")
    assert (rated.rating_score, rated.rating_comment) == (5, "fast")
    with pytest.raises(AlreadyRated):
        await support.rate(world.student, ticket.id, 4, None)
    world.clock.advance(timedelta(days=6))
    reopened = await support.change_status(world.student, ticket.id, TicketStatus.OPEN)
    # Routing again: Ana has room, so it is hers at once.
    assert (reopened.status, reopened.assignee_id) == (TicketStatus.ASSIGNED, ana.user_id)


async def test_sla_breaches_are_flagged_once_to_the_managers_and_the_agent(world: World) -> None:
    support = world.container.support
    ana = await agent(world, "ana", presence=Presence.OFFLINE)
    queued = await open_ticket(world, world.student, Priority.URGENT)
    assert await support.flag_sla_breaches() == 0
    world.clock.advance(timedelta(minutes=61))
    assert await support.flag_sla_breaches() == 1
    assert await support.flag_sla_breaches() == 0
    (breach,) = await events(world, "support.sla_breached")
    assert breach["kind"] == "first_response"
    assert set(breach["recipient_ids"]) == {str(world.manager.user_id), str(ana.user_id)}
    # The resolution deadline is flagged in its turn, naming the agent who has it by then.
    await support.update_my_agent_settings(
        ana, AgentSettings(presence=Presence.ONLINE, categories=PAYMENT, capacity=2)
    )
    world.clock.advance(timedelta(hours=3))
    assert await support.flag_sla_breaches() == 1
    kinds = [e["kind"] for e in await events(world, "support.sla_breached")]
    assert sorted(kinds) == ["first_response", "resolution"]
    assert (await support.get_ticket(ana, queued.id)).assignee_id == ana.user_id


async def test_a_ticket_left_waiting_on_its_customer_is_warned_then_closed(world: World) -> None:
    support = world.container.support
    ana = await agent(world, "ana", capacity=1)
    ticket = await open_ticket(world, world.student)
    waiting_for_room = await open_ticket(world, world.classmate)
    await support.change_status(ana, ticket.id, TicketStatus.WAITING_ON_CUSTOMER)
    world.clock.advance(timedelta(days=6) - timedelta(seconds=1))
    assert await support.close_idle_tickets() == 0
    world.clock.advance(timedelta(seconds=1))
    assert await support.close_idle_tickets() == 1  # the warning
    assert await support.close_idle_tickets() == 0
    (warning,) = await events(world, "support.auto_close_warned")
    assert warning["customer_id"] == str(world.student.user_id)
    world.clock.advance(timedelta(days=1))
    assert await support.close_idle_tickets() == 1
    assert (await support.get_ticket(world.student, ticket.id)).status is TicketStatus.CLOSED
    # Her place went to the queue.
    assert (await support.get_ticket(ana, waiting_for_room.id)).assignee_id == ana.user_id


async def test_a_resolved_ticket_closes_once_it_can_no_longer_be_reopened(world: World) -> None:
    support = world.container.support
    ana = await agent(world, "ana")
    ticket = await open_ticket(world, world.student)
    await support.change_status(ana, ticket.id, TicketStatus.RESOLVED)
    world.clock.advance(timedelta(days=7))
    assert await support.close_idle_tickets() == 0
    world.clock.advance(timedelta(seconds=1))
    assert await support.close_idle_tickets() == 1
    closed = await support.get_ticket(world.student, ticket.id)
    assert closed.status is TicketStatus.CLOSED
    with pytest.raises(IllegalTransition):
        await support.change_status(world.student, ticket.id, TicketStatus.OPEN)


async def test_only_staff_are_agents(world: World) -> None:
    support = world.container.support
    for outsider in (world.student, world.tutor):
        with pytest.raises(PermissionDenied) as refused:
            await support.my_agent_settings(outsider)
        assert refused.value.code == "not-an-agent"
        with pytest.raises(PermissionDenied):
            await support.queue(outsider)
    settings = await support.my_agent_settings(world.admin)
    assert (settings.presence, settings.categories, settings.capacity) == (Presence.OFFLINE, [], 5)


async def deliver_live_events(world: World, handlers: str = "support.publish_%") -> None:
    """What the relay would hand the workers: every pending delivery of the named handlers (the
    desk's live ones unless told), through the real outbox executor."""
    async with world.container.sessions() as session:
        pending = await session.scalars(
            select(OutboxDeliveryRow.id)
            .where(
                OutboxDeliveryRow.status != "done",
                OutboxDeliveryRow.handler.like(handlers),
            )
            .order_by(OutboxDeliveryRow.created_at)
        )
        ids = list(pending)
    deliveries = world.container.deliveries()
    for delivery_id in ids:
        await deliveries.deliver(delivery_id)


def drain(queue: asyncio.Queue[dict[str, object]]) -> list[dict[str, object]]:
    seen = []
    while not queue.empty():
        seen.append(queue.get_nowait())
    return seen


async def test_live_events_reach_the_customer_and_the_agent_and_never_carry_a_note(
    world: World,
) -> None:
    support = world.container.support
    hub = world.container.realtime
    assert isinstance(hub, LocalRealtimeHub)
    ana = await agent(world, "ana")
    assert ana.user_id is not None and world.student.user_id is not None
    async with (
        hub.subscribe(world.student.user_id) as customer_live,
        hub.subscribe(ana.user_id) as agent_live,
        hub.subscribe(world.classmate.user_id) as stranger_live,
    ):
        ticket = await open_ticket(world, world.student, Priority.URGENT)
        await support.post_message(world.student, ticket.id, "Still charged twice")
        world.clock.advance(timedelta(seconds=1))
        await support.add_internal_note(ana, ticket.id, "Secret: refund pending approval")
        world.clock.advance(timedelta(seconds=1))
        await support.post_message(ana, ticket.id, "Refunded")
        await deliver_live_events(world)
        to_customer, to_agent = drain(customer_live), drain(agent_live)
        assert drain(stranger_live) == []

    for received in (to_customer, to_agent):
        kinds = [event["type"] for event in received]
        assert kinds.count("ticket.assigned") == 1
        assert {"type": "ticket.status", "status": "assigned"}.items() <= next(
            e for e in received if e["type"] == "ticket.status"
        ).items()
        messages = [e["body"] for e in received if e["type"] == "ticket.message"]
        assert messages == ["Still charged twice", "Refunded"]
        assert all("Secret" not in str(event) for event in received)


async def test_a_persons_tickets_are_exported_without_notes_and_erased_to_bare_records(
    world: World,
) -> None:
    support = world.container.support
    ana = await agent(world, "ana")
    ticket = await open_ticket(world, world.student)
    world.clock.advance(timedelta(seconds=1))
    await support.add_internal_note(ana, ticket.id, "Customer sounds upset")
    world.clock.advance(timedelta(seconds=1))
    await support.post_message(ana, ticket.id, "Refunded, Sam")
    provider = SupportPersonalData()
    assert world.student.user_id is not None and ana.user_id is not None

    async with world.container.uow(read_only=True) as uow:
        mine = await provider.export(uow, world.student.user_id)
        theirs = await provider.export(uow, ana.user_id)
    (exported,) = mine.records["tickets"]
    assert [m["body"] for m in exported["messages"]] == ["My payment failed", "Refunded, Sam"]
    assert "upset" not in str(mine.records)
    assert [m["internal"] for m in theirs.records["written_as_agent"]] == [True, False]
    assert theirs.records["agent_settings"]["categories"] == ["payment"]

    async with world.container.uow() as uow:
        erased = await provider.erase(uow, world.student.user_id, Pseudonym.new())
        await uow.commit()
    assert erased.counts["tickets"] == 1
    async with world.container.uow() as uow:
        again = await provider.erase(uow, world.student.user_id, Pseudonym.new())
        await uow.commit()
    assert again.counts["ticket_messages"] == 0
    left = await support.get_ticket(ana, ticket.id)
    assert (left.subject, left.messages) == ("(erased)", [])


async def test_people_are_notified_of_their_tickets_moves_and_the_other_sides_messages(
    world: World,
) -> None:
    support = world.container.support
    ana = await agent(world, "ana")
    ticket = await open_ticket(world, world.student)
    await support.post_message(world.student, ticket.id, "Still charged twice")
    world.clock.advance(timedelta(seconds=1))
    await support.add_internal_note(ana, ticket.id, "Secret: refund pending approval")
    world.clock.advance(timedelta(seconds=1))
    await support.post_message(ana, ticket.id, "Refunded")
    await deliver_live_events(world, handlers="notifications.of_%")
    # Redelivered events make no second notification.
    async with world.container.sessions() as session:
        await session.execute(
            OutboxDeliveryRow.__table__.update()
            .where(OutboxDeliveryRow.handler.like("notifications.of_%"))
            .values(status="pending")
        )
        await session.commit()
    await deliver_live_events(world, handlers="notifications.of_%")

    async def titles(actor: Actor) -> list[str]:
        page = await world.container.notifications.my_notifications(actor)
        assert all(n.link is not None and n.link.id == ticket.id for n in page.items)
        return sorted(n.title for n in page.items)

    assert await titles(ana) == ["A support ticket is yours", "New reply on a support ticket"]
    assert await titles(world.student) == [
        "New reply on a support ticket",
        "Your ticket is being handled",
    ]
    assert await titles(world.classmate) == []


async def test_a_chat_message_sent_over_the_socket_follows_the_rules_of_http(world: World) -> None:
    send = world.container.socket_messages["ticket.message"]
    ana = await agent(world, "ana")
    ticket = await open_ticket(world, world.student)
    world.clock.advance(timedelta(seconds=1))

    assert await send(world.student, {"ticket_id": str(ticket.id), "body": "Any news?"}) is None
    with pytest.raises(NotFound):
        await send(world.classmate, {"ticket_id": str(ticket.id), "body": "Let me in"})
    with pytest.raises(ValueError):
        await send(world.student, {"ticket_id": "not-an-id", "body": "Hi"})
    with pytest.raises(TypeError):
        await send(world.student, {"ticket_id": str(ticket.id), "body": 42})

    seen = await world.container.support.get_ticket(ana, ticket.id)
    assert [m.body for m in seen.messages] == ["My payment failed", "Any news?"]


async def test_messages_posted_in_the_same_microsecond_keep_the_order_they_were_posted_in(
    world: World,
) -> None:
    """The clock stands still: every message shares one instant, and still the conversation
    reads in posting order, internal notes included."""
    support = world.container.support
    ana = await agent(world, "ana")
    ticket = await open_ticket(world, world.student)
    posted = ["My payment failed"]
    for n in range(6):
        body = f"message {n}"
        if n % 3 == 2:
            await support.add_internal_note(ana, ticket.id, body)
        else:
            await support.post_message(ana if n % 2 else world.student, ticket.id, body)
        posted.append(body)
    seen = await support.get_ticket(ana, ticket.id)
    assert [m.body for m in seen.messages] == posted
    places = [(m.created_at, m.id) for m in seen.messages]
    assert places == sorted(places)


async def test_the_chat_sees_agents_join_and_leave_and_the_other_side_typing(
    world: World,
) -> None:
    support = world.container.support
    hub = world.container.realtime
    assert isinstance(hub, LocalRealtimeHub)
    ana = await agent(world, "ana")
    bo = await agent(world, "bo", presence=Presence.OFFLINE)
    student, ana_id, bo_id = world.student.user_id, ana.user_id, bo.user_id
    assert student is not None and ana_id is not None and bo_id is not None
    typing = world.container.socket_messages["ticket.typing"]

    def joins_and_leaves(received: list[dict[str, object]]) -> list[tuple[object, ...]]:
        return [
            (e["type"], e["agent_id"], e["reason"])
            for e in received
            if e["type"] in ("ticket.agent_joined", "ticket.agent_left")
        ]

    async with (
        hub.subscribe(student) as customer_live,
        hub.subscribe(ana_id) as ana_live,
        hub.subscribe(bo_id) as bo_live,
        hub.subscribe(world.classmate.user_id) as stranger_live,
    ):
        ticket = await open_ticket(world, world.student)
        assert await typing(world.student, {"ticket_id": str(ticket.id)}) is None
        await typing(ana, {"ticket_id": str(ticket.id)})
        with pytest.raises(NotFound):
            await typing(world.classmate, {"ticket_id": str(ticket.id)})
        await support.post_message(ana, ticket.id, "On it")
        for who, presence in ((ana, Presence.AWAY), (ana, Presence.ONLINE), (bo, Presence.ONLINE)):
            world.clock.advance(timedelta(seconds=1))
            await support.update_my_agent_settings(
                who, AgentSettings(presence=presence, categories=PAYMENT, capacity=2)
            )
        world.clock.advance(timedelta(seconds=1))
        await support.assign(ana, ticket.id, bo_id)
        await deliver_live_events(world)
        to_customer, to_ana, to_bo = drain(customer_live), drain(ana_live), drain(bo_live)
        assert drain(stranger_live) == []

    assert joins_and_leaves(to_customer) == [
        ("ticket.agent_joined", str(ana_id), "assigned"),
        ("ticket.agent_left", str(ana_id), "away"),
        ("ticket.agent_joined", str(ana_id), "online"),
        ("ticket.agent_left", str(ana_id), "reassigned"),
        ("ticket.agent_joined", str(bo_id), "assigned"),
    ]
    assert joins_and_leaves(to_bo) == joins_and_leaves(to_customer)[-2:]
    assert joins_and_leaves(to_ana) == joins_and_leaves(to_customer)
    # Typing reaches the other side only, never the typist.
    assert [e["role"] for e in to_customer if e["type"] == "ticket.typing"] == ["agent"]
    assert [e["role"] for e in to_ana if e["type"] == "ticket.typing"] == ["customer"]


async def test_a_ticket_returned_to_the_queue_tells_the_chat_its_agent_left(world: World) -> None:
    support = world.container.support
    hub = world.container.realtime
    assert isinstance(hub, LocalRealtimeHub)
    ana = await agent(world, "ana")
    assert world.student.user_id is not None and ana.user_id is not None
    async with hub.subscribe(world.student.user_id) as customer_live:
        ticket = await open_ticket(world, world.student)
        world.clock.advance(timedelta(seconds=1))
        await support.update_my_agent_settings(
            ana, AgentSettings(presence=Presence.OFFLINE, categories=PAYMENT, capacity=2)
        )
        await deliver_live_events(world)
        received = drain(customer_live)
    assert [
        (e["type"], e["reason"])
        for e in received
        if e["type"] in ("ticket.agent_joined", "ticket.agent_left")
    ] == [("ticket.agent_joined", "assigned"), ("ticket.agent_left", "unassigned")]
    assert (await support.get_ticket(ana, ticket.id)).status is TicketStatus.OPEN
