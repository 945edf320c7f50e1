"""Support's part of the composition root: its policy from settings, its deps and use cases."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, TypeAlias

from litestar.di import NamedDependency

from elearn.adapters.persistence.support_repositories import SqlaSupportQueries
from elearn.adapters.security.attachment_links import HmacTicketAttachmentLinks
from elearn.application.identity.api import IdentityApi
from elearn.application.realtime import RealtimePublisher
from elearn.application.support import agents, desk, live, tickets
from elearn.application.support.deps import SupportDeps
from elearn.application.support.ports import SupportPolicy, sla_from_minutes
from elearn.application.support.routing import Router
from elearn.domain.support.tickets import Priority
from elearn.entrypoints.settings import Settings

if TYPE_CHECKING:
    from elearn.entrypoints.bootstrap import Container


def support_policy(settings: Settings) -> SupportPolicy:
    s = settings
    return SupportPolicy(
        sla=sla_from_minutes(
            {
                Priority.URGENT: s.support_first_response_minutes_urgent,
                Priority.HIGH: s.support_first_response_minutes_high,
                Priority.MEDIUM: s.support_first_response_minutes_medium,
                Priority.LOW: s.support_first_response_minutes_low,
            },
            {
                Priority.URGENT: s.support_resolution_minutes_urgent,
                Priority.HIGH: s.support_resolution_minutes_high,
                Priority.MEDIUM: s.support_resolution_minutes_medium,
                Priority.LOW: s.support_resolution_minutes_low,
            },
        ),
        reopen_days=s.support_reopen_days,
        auto_close_days=s.support_auto_close_days,
        auto_close_warning_hours=s.support_auto_close_warning_hours,
        default_capacity=s.support_agent_capacity,
    )


def build_support_deps(container: Container) -> SupportDeps:
    return SupportDeps(
        uow=container.uow,
        clock=container.clock,
        ids=container.ids,
        queries=SqlaSupportQueries(container.sessions),
        identity=IdentityApi(container.identity.deps),
        policy=support_policy(container.settings),
        authorizer=container.authorizer,
        storage=container.storage,
        links=HmacTicketAttachmentLinks(
            container.settings.media_signing_key or container.settings.jwt_secret
        ),
    )


class SupportUseCases:
    def __init__(self, deps: SupportDeps, realtime: RealtimePublisher) -> None:
        self.deps = deps
        self.router = Router(deps)
        self._realtime = realtime

    # ---- tickets ---------------------------------------------------------------------------
    @cached_property
    def open_ticket(self) -> tickets.OpenTicket:
        return tickets.OpenTicket(self.deps, self.router)

    @cached_property
    def my_tickets(self) -> tickets.ListMyTickets:
        return tickets.ListMyTickets(self.deps, self.router)

    @cached_property
    def get_ticket(self) -> tickets.GetTicket:
        return tickets.GetTicket(self.deps, self.router)

    @cached_property
    def post_message(self) -> tickets.PostMessage:
        return tickets.PostMessage(self.deps, self.router)

    @property
    def post_message_from_socket(self) -> tickets.PostMessage:
        """The socket's ``{type: "ticket.message", ticket_id, body}``: the same rules as HTTP."""
        return self.post_message

    @cached_property
    def upload_attachment(self) -> tickets.UploadTicketAttachment:
        return tickets.UploadTicketAttachment(self.deps, self.router)

    @cached_property
    def open_attachment(self) -> tickets.OpenTicketAttachment:
        return tickets.OpenTicketAttachment(self.deps, self.router)

    @cached_property
    def add_internal_note(self) -> tickets.AddInternalNote:
        return tickets.AddInternalNote(self.deps, self.router)

    @cached_property
    def assign(self) -> tickets.AssignTicket:
        return tickets.AssignTicket(self.deps, self.router)

    @cached_property
    def change_status(self) -> tickets.ChangeTicketStatus:
        return tickets.ChangeTicketStatus(self.deps, self.router)

    @cached_property
    def change_priority(self) -> tickets.ChangeTicketPriority:
        return tickets.ChangeTicketPriority(self.deps, self.router)

    @cached_property
    def rate(self) -> tickets.RateTicket:
        return tickets.RateTicket(self.deps, self.router)

    # ---- agents ----------------------------------------------------------------------------
    @cached_property
    def my_agent_settings(self) -> agents.GetMyAgentSettings:
        return agents.GetMyAgentSettings(self.deps, self.router)

    @cached_property
    def update_my_agent_settings(self) -> agents.UpdateMyAgentSettings:
        return agents.UpdateMyAgentSettings(self.deps, self.router)

    @cached_property
    def queue(self) -> agents.AgentQueue:
        return agents.AgentQueue(self.deps, self.router)

    @cached_property
    def canned_responses(self) -> agents.ListCannedResponses:
        return agents.ListCannedResponses(self.deps, self.router)

    @cached_property
    def create_canned_response(self) -> agents.CreateCannedResponse:
        return agents.CreateCannedResponse(self.deps, self.router)

    # ---- jobs and outbox handlers ----------------------------------------------------------
    @cached_property
    def flag_sla_breaches(self) -> desk.FlagSlaBreaches:
        return desk.FlagSlaBreaches(self.deps, self.router)

    @cached_property
    def close_idle_tickets(self) -> desk.CloseIdleTickets:
        return desk.CloseIdleTickets(self.deps, self.router)

    @cached_property
    def publish_message(self) -> live.PublishTicketMessage:
        return live.PublishTicketMessage(self.deps, self._realtime)

    @cached_property
    def publish_assignment(self) -> live.PublishTicketAssigned:
        return live.PublishTicketAssigned(self.deps, self._realtime)

    @cached_property
    def publish_status(self) -> live.PublishTicketStatus:
        return live.PublishTicketStatus(self.deps, self._realtime)

    @cached_property
    def publish_agent_joined_or_left(self) -> live.PublishAgentJoinedOrLeft:
        return live.PublishAgentJoinedOrLeft(self.deps, self._realtime)

    @cached_property
    def typing(self) -> live.SayTyping:
        return live.SayTyping(self.deps, self._realtime)


# Support's use cases, as a route parameter: ``support: Support``.
Support: TypeAlias = NamedDependency[SupportUseCases]
