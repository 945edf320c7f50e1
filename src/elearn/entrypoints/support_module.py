"""The support desk as a module: tickets routed to agents by skill and load, their conversation
and internal notes, SLAs and the jobs that keep them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from elearn.adapters.jobs.scheduler import PeriodicJob
from elearn.adapters.persistence.models import support as support_tables
from elearn.adapters.persistence.support_personal_data import SupportPersonalData
from elearn.adapters.persistence.support_reports import support_reports
from elearn.adapters.persistence.support_repositories import SqlaSupportStore
from elearn.adapters.persistence.unit_of_work import StoreDeclaration
from elearn.application.actor import Actor
from elearn.application.realtime import SocketMessageHandler, SocketReply
from elearn.domain.support.agents import AgentPresenceChanged
from elearn.domain.support.tickets import TicketAssigned, TicketMessagePosted, TicketStatusChanged
from elearn.entrypoints.module import Module, Subscription
from elearn.entrypoints.support import SupportUseCases, build_support_deps, support_policy

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

    from elearn.entrypoints.bootstrap import Container


def _use_cases(container: Container, options: Mapping[str, Any]) -> SupportUseCases:
    return SupportUseCases(build_support_deps(container), container.realtime)


def _routes() -> Sequence[ControllerRouterHandler]:
    from elearn.entrypoints.http.support.routes import SUPPORT_CONTROLLERS

    return SUPPORT_CONTROLLERS


def _subscriptions(c: Container) -> dict[str, Subscription]:
    return {
        "support.publish_message_live": Subscription(
            TicketMessagePosted.event_type, c.support.publish_message
        ),
        "support.publish_assignment_live": Subscription(
            TicketAssigned.event_type, c.support.publish_assignment
        ),
        "support.publish_status_live": Subscription(
            TicketStatusChanged.event_type, c.support.publish_status
        ),
        # Joined and left: a handler of their own, so a retry of one never repeats the other.
        "support.publish_agent_joined_on_assignment": Subscription(
            TicketAssigned.event_type, c.support.publish_agent_joined_or_left
        ),
        "support.publish_agent_left_on_return": Subscription(
            TicketStatusChanged.event_type, c.support.publish_agent_joined_or_left
        ),
        "support.publish_agent_presence_live": Subscription(
            AgentPresenceChanged.event_type, c.support.publish_agent_joined_or_left
        ),
    }


def _periodic_jobs(c: Container) -> Iterable[PeriodicJob]:
    return (
        PeriodicJob("support.flag_sla_breaches", timedelta(minutes=1), c.support.flag_sla_breaches),
        PeriodicJob(
            "support.close_idle_tickets", timedelta(minutes=15), c.support.close_idle_tickets
        ),
    )


def _socket_messages(c: Container) -> dict[str, SocketMessageHandler]:
    async def ticket_message(actor: Actor, message: Mapping[str, object]) -> SocketReply:
        """Live chat: ``{type: "ticket.message", ticket_id, body}``, the same rules as HTTP; the
        message reaches both sides (the sender's other sockets too) as a ``ticket.message``."""
        body = message["body"]
        if not isinstance(body, str):
            raise TypeError("body must be a string")
        # A malformed id is a ValueError: the socket answers it with an invalid-message frame.
        await c.support.post_message_from_socket(actor, UUID(str(message["ticket_id"])), body)
        return None

    async def ticket_typing(actor: Actor, message: Mapping[str, object]) -> SocketReply:
        """``{type: "ticket.typing", ticket_id}``: the other side of the ticket's chat sees
        ``ticket.typing``."""
        await c.support.typing(actor, UUID(str(message["ticket_id"])))
        return None

    return {"ticket.message": ticket_message, "ticket.typing": ticket_typing}


MODULE = Module(
    name="support",
    use_cases=_use_cases,
    policy=support_policy,
    routes=_routes,
    subscriptions=_subscriptions,
    socket_messages=_socket_messages,
    periodic_jobs=_periodic_jobs,
    stores=(StoreDeclaration("support", SqlaSupportStore, trackers=lambda s: s.tracking),),
    constraint_errors=support_tables.CONSTRAINT_ERRORS,
    tables=support_tables,
    personal_data=lambda c: SupportPersonalData(),
    report_sources=lambda c: support_reports(),
)
