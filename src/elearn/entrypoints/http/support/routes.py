"""/api/v1/support: tickets and their conversation, agents' settings and queue, canned
responses."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, get, post, put
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, JSONBody, QueryParameter
from litestar.response import Stream

from elearn.application.files import DEFAULT_UPLOAD_POLICIES, UploadPurpose
from elearn.application.paging import Page
from elearn.application.support.agents import AgentSettings, NewCannedResponse
from elearn.application.support.ports import (
    AgentView,
    CannedResponseView,
    MessageView,
    TicketAttachmentView,
    TicketSummary,
    TicketView,
)
from elearn.application.support.tickets import OpenTicketCommand
from elearn.domain.support.agents import MAX_CAPACITY, Presence
from elearn.domain.support.tickets import (
    BODY_MAX,
    COMMENT_MAX,
    MAX_ATTACHMENTS,
    SUBJECT_MAX,
    Category,
    Priority,
    TicketStatus,
)
from elearn.entrypoints.http.auth import CurrentActor, signed_in
from elearn.entrypoints.http.bodies import RequestBody, upload_of
from elearn.entrypoints.http.catalog.routes import FileForm
from elearn.entrypoints.http.docs import binary
from elearn.entrypoints.http.downloads import private_download
from elearn.entrypoints.http.identity.admin_routes import Cursor, Limit
from elearn.entrypoints.http.problem_codes import problems
from elearn.entrypoints.support import Support

# Text the database can hold: PostgreSQL refuses NUL, so the schema says so.
_NO_NUL = "^[^\\x00]*$"
Subject = Annotated[str, msgspec.Meta(min_length=1, max_length=SUBJECT_MAX, pattern=_NO_NUL)]
MessageBody = Annotated[str, msgspec.Meta(min_length=1, max_length=BODY_MAX, pattern=_NO_NUL)]


AttachmentIds = Annotated[list[UUID], msgspec.Meta(max_length=MAX_ATTACHMENTS)]


class OpenTicketBody(RequestBody):
    subject: Subject
    category: Category
    body: MessageBody
    priority: Priority = Priority.MEDIUM
    # Files uploaded first (`POST /support/attachments`), sent with the first message.
    attachment_ids: AttachmentIds = []


class PostMessageBody(RequestBody):
    body: MessageBody
    attachment_ids: AttachmentIds = []


class NoteBody(RequestBody):
    body: MessageBody


class AssignBody(RequestBody):
    agent_id: UUID


class StatusBody(RequestBody):
    status: TicketStatus


class PriorityBody(RequestBody):
    priority: Priority


class RatingBody(RequestBody):
    score: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: Annotated[str, msgspec.Meta(max_length=COMMENT_MAX, pattern=_NO_NUL)] | None = None


class AgentSettingsBody(RequestBody):
    presence: Presence
    categories: Annotated[list[Category], msgspec.Meta(max_length=len(Category))]
    capacity: Annotated[int, msgspec.Meta(ge=0, le=MAX_CAPACITY)]


class CannedResponseBody(RequestBody):
    title: Subject
    body: MessageBody
    category: Category | None = None


TICKET = "/{ticket_id:uuid}"


class TicketController(Controller):
    path = "/support/tickets"
    tags = ["support"]
    guards = [signed_in]

    @problems("invalid-ticket", "invalid-attachment")
    @post("", operation_id="open_support_ticket", summary="Open a support ticket")
    async def open(
        self, actor: CurrentActor, support: Support, data: JSONBody[OpenTicketBody]
    ) -> TicketView:
        """Anyone signed in. The ticket goes at once to an online agent with its category among
        their skills and the most room (`assignee_id`, status `assigned`), or waits in the
        queue (`open`) until one frees up. Its deadlines follow its priority. Files uploaded
        first go with the first message (`attachment_ids`, at most 10; 422
        `invalid-attachment` for a file that is not yours or was sent already)."""
        command = OpenTicketCommand(
            subject=data.subject,
            category=data.category,
            body=data.body,
            priority=data.priority,
            attachment_ids=tuple(data.attachment_ids),
        )
        return await support.open_ticket(actor, command)

    @get("", operation_id="list_my_support_tickets", summary="Your support tickets")
    async def mine(
        self, actor: CurrentActor, support: Support, limit: Limit = 20, cursor: Cursor = None
    ) -> Page[TicketSummary]:
        """The tickets you opened, newest first."""
        return await support.my_tickets(actor, limit=limit, cursor=cursor)

    @problems("ticket-not-found")
    @get(TICKET, operation_id="get_support_ticket", summary="A support ticket")
    async def one(
        self, ticket_id: FromPath[UUID], actor: CurrentActor, support: Support
    ) -> TicketView:
        """Its customer and agents. The conversation, oldest first: agents also see the
        internal notes (`internal: true`), the customer never does."""
        return await support.get_ticket(actor, ticket_id)

    @problems("ticket-not-found", "illegal-transition", "invalid-ticket", "invalid-attachment")
    @post(
        f"{TICKET}/messages",
        operation_id="post_support_message",
        summary="Write in a ticket's conversation",
    )
    async def message(
        self,
        ticket_id: FromPath[UUID],
        actor: CurrentActor,
        support: Support,
        data: JSONBody[PostMessageBody],
    ) -> MessageView:
        """The customer or an agent. The other side gets it live (`ticket.message`). The
        customer's answer brings a ticket waiting on them back to `assigned`; a closed ticket
        takes no more messages (409). Files uploaded first go with it (`attachment_ids`)."""
        return await support.post_message(actor, ticket_id, data.body, data.attachment_ids)

    @problems("ticket-not-found", "not-an-agent", "invalid-ticket")
    @post(
        f"{TICKET}/internal-notes",
        operation_id="add_support_internal_note",
        summary="Add a note only agents see",
    )
    async def note(
        self,
        ticket_id: FromPath[UUID],
        actor: CurrentActor,
        support: Support,
        data: JSONBody[NoteBody],
    ) -> MessageView:
        """Agents only. The customer never sees it nor hears of it."""
        return await support.add_internal_note(actor, ticket_id, data.body)

    @problems(
        "ticket-not-found", "agent-not-found", "not-an-agent", "agent-at-capacity",
        "illegal-transition",
    )  # fmt: skip
    @post(
        f"{TICKET}/assign",
        operation_id="assign_support_ticket",
        summary="Hand a ticket to an agent",
        status_code=200,
    )
    async def assign(
        self,
        ticket_id: FromPath[UUID],
        actor: CurrentActor,
        support: Support,
        data: JSONBody[AssignBody],
    ) -> TicketView:
        """Agents only, to an agent with room (409 `agent-at-capacity`); the previous agent's
        place goes to the queue."""
        return await support.assign(actor, ticket_id, data.agent_id)

    @problems("ticket-not-found", "illegal-transition", "reopen-window-over")
    @post(
        f"{TICKET}/status",
        operation_id="change_support_ticket_status",
        summary="Move a ticket along",
        status_code=200,
    )
    async def status(
        self,
        ticket_id: FromPath[UUID],
        actor: CurrentActor,
        support: Support,
        data: JSONBody[StatusBody],
    ) -> TicketView:
        """`open → assigned → waiting_on_customer ⇄ assigned → resolved → closed`. Agents
        set `waiting_on_customer`, `assigned`, `resolved` and `closed`; the customer closes a
        resolved ticket or reopens it (`open`) within the reopen window (409
        `reopen-window-over` after). Any other move answers 409 `illegal-transition`."""
        return await support.change_status(actor, ticket_id, data.status)

    @problems("ticket-not-found", "not-an-agent", "illegal-transition")
    @post(
        f"{TICKET}/priority",
        operation_id="change_support_ticket_priority",
        summary="Change a ticket's priority",
        status_code=200,
    )
    async def priority(
        self,
        ticket_id: FromPath[UUID],
        actor: CurrentActor,
        support: Support,
        data: JSONBody[PriorityBody],
    ) -> TicketView:
        """Agents only; the deadlines follow, counted from the opening."""
        return await support.change_priority(actor, ticket_id, data.priority)

    @problems("ticket-not-found", "illegal-transition", "ticket-already-rated", "invalid-ticket")
    @post(
        f"{TICKET}/rating",
        operation_id="rate_support_ticket",
        summary="Rate the help you got",
        status_code=200,
    )
    async def rating(
        self,
        ticket_id: FromPath[UUID],
        actor: CurrentActor,
        support: Support,
        data: JSONBody[RatingBody],
    ) -> TicketView:
        """The customer, once the ticket is resolved (or closed), once: a score of 1 to 5."""
        return await support.rate(actor, ticket_id, data.score, data.comment)

    @problems("ticket-not-found", "attachment-not-found", "attachment-link-invalid")
    @binary(*sorted(DEFAULT_UPLOAD_POLICIES[UploadPurpose.ATTACHMENT].allowed_media_types))
    @get(
        f"{TICKET}/attachments/{{ticket_attachment_id:uuid}}",
        operation_id="download_support_attachment",
        summary="Download a ticket message's file",
    )
    async def download(
        self,
        ticket_id: FromPath[UUID],
        ticket_attachment_id: FromPath[UUID],
        actor: CurrentActor,
        support: Support,
        expires: Annotated[int, QueryParameter(ge=0, le=253_402_300_799)],
        signature: Annotated[str, QueryParameter(min_length=1, max_length=64)],
    ) -> Stream:
        """With a message's `attachments[].url`: signed for the person it was listed for, for
        a few minutes, and served only to them signed in while they may read the ticket (403
        `attachment-link-invalid` for an expired, forged or someone else's link)."""
        file = await support.open_attachment(
            actor, ticket_id, ticket_attachment_id, expires=expires, signature=signature
        )
        return private_download(support.deps.storage, file)


class AttachmentController(Controller):
    path = "/support/attachments"
    tags = ["support"]
    guards = [signed_in]

    @problems("empty-file")
    @post(
        "",
        operation_id="upload_support_attachment",
        summary="Upload a file to send in a ticket",
        status_code=201,
        request_max_body_size=26 * 1024 * 1024,
    )
    async def upload(
        self,
        data: Annotated[FileForm, Body(media_type=RequestEncodingType.MULTI_PART)],
        actor: CurrentActor,
        support: Support,
    ) -> TicketAttachmentView:
        """Anyone signed in: a PDF, an image (JPEG, PNG, GIF, WebP), a zip or plain text of at
        most 25 MiB in the `file` field, its type read from its bytes (415 otherwise; 422
        `empty-file` for no bytes). Send it with the ticket you open or your next message in one
        (`attachment_ids`)."""
        return await support.upload_attachment(actor, upload_of(data.file))


class AgentController(Controller):
    path = "/support"
    tags = ["support"]
    guards = [signed_in]

    @problems("not-an-agent")
    @get("/agents/me", operation_id="get_my_support_agent_settings", summary="Your agent settings")
    async def me(self, actor: CurrentActor, support: Support) -> AgentView:
        """Agents are managers and admins. A new agent is `offline`, with no skills and the
        default capacity."""
        return await support.my_agent_settings(actor)

    @problems("not-an-agent", "invalid-agent")
    @put(
        "/agents/me",
        operation_id="set_my_support_agent_settings",
        summary="Set your agent settings",
    )
    async def set_me(
        self, actor: CurrentActor, support: Support, data: JSONBody[AgentSettingsBody]
    ) -> AgentView:
        """Your presence (`online` takes tickets, `away` keeps yours and takes none,
        `offline` returns those you have not answered to routing), skills (categories) and
        capacity (tickets at once). Coming online, a new skill or more room takes queued
        tickets at once."""
        settings = AgentSettings(
            presence=data.presence, categories=frozenset(data.categories), capacity=data.capacity
        )
        return await support.update_my_agent_settings(actor, settings)

    @problems("not-an-agent")
    @get("/queue", operation_id="get_support_queue", summary="The support queue")
    async def queue(
        self, actor: CurrentActor, support: Support, limit: Limit = 20, cursor: Cursor = None
    ) -> Page[TicketSummary]:
        """Agents: unassigned tickets and your own, most pressing first (priority, then the
        first-response deadline)."""
        return await support.queue(actor, limit=limit, cursor=cursor)

    @problems("not-an-agent")
    @get("/canned-responses", operation_id="list_canned_responses", summary="Canned responses")
    async def canned(
        self,
        actor: CurrentActor,
        support: Support,
        category: Annotated[
            Category | None, QueryParameter(description="only this category")
        ] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[CannedResponseView]:
        """Agents: the desk's shared replies, newest first."""
        return await support.canned_responses(actor, category=category, limit=limit, cursor=cursor)

    @problems("not-an-agent", "invalid-ticket")
    @post(
        "/canned-responses", operation_id="create_canned_response", summary="Add a canned response"
    )
    async def add_canned(
        self, actor: CurrentActor, support: Support, data: JSONBody[CannedResponseBody]
    ) -> CannedResponseView:
        """Agents: a reply every agent may reuse."""
        command = NewCannedResponse(title=data.title, body=data.body, category=data.category)
        return await support.create_canned_response(actor, command)


SUPPORT_CONTROLLERS = [TicketController, AttachmentController, AgentController]
