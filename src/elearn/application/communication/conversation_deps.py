"""Everything conversation use cases depend on, wired once by the composition root, and the
steps they share: who may talk, a conversation as its participant may see it, and views."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode
from uuid import UUID

from elearn.application.actor import Actor
from elearn.application.authorization import Authorizer, Permission
from elearn.application.billing.api import BillingApi
from elearn.application.catalog.api import CatalogApi
from elearn.application.communication.conversation_ports import (
    AttachmentGrant,
    AttachmentLinks,
    AttachmentView,
    ConversationPolicy,
    ConversationQueries,
    ConversationRow,
    ConversationsUnitOfWork,
    ConversationView,
    MessageView,
    SendRateLimiter,
)
from elearn.application.errors import NotFound
from elearn.application.files import FileStorage
from elearn.application.identity.api import IdentityApi, UserFacts
from elearn.application.learning.api import LearningApi
from elearn.application.mail import EmailTemplates, Mailer
from elearn.application.ports import Clock, IdGenerator, TransactionFactory
from elearn.application.realtime import RealtimePublisher
from elearn.application.tutoring.api import TutoringApi
from elearn.domain.communication.conversations import (
    Attachment,
    Conversation,
    Message,
    Party,
    Standing,
    Ties,
    may_converse,
)


class ConversationNotFound(NotFound):
    code = "conversation-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such conversation")


class MessageNotFound(NotFound):
    code = "message-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such message in this conversation")


class PersonNotFound(NotFound):
    code = "user-not-found"

    def __init__(self) -> None:
        super().__init__("there is no such person")


@dataclass(frozen=True, kw_only=True)
class ConversationDeps:
    uow: TransactionFactory[ConversationsUnitOfWork]
    clock: Clock
    ids: IdGenerator
    queries: ConversationQueries
    identity: IdentityApi
    tutoring: TutoringApi
    learning: LearningApi
    catalog: CatalogApi
    billing: BillingApi
    authorizer: Authorizer
    rate_limiter: SendRateLimiter
    realtime: RealtimePublisher
    mailer: Mailer
    templates: EmailTemplates
    storage: FileStorage
    links: AttachmentLinks
    policy: ConversationPolicy

    @property
    def digest_delay(self) -> timedelta:
        return timedelta(minutes=self.policy.digest_delay_minutes)

    def message_view(self, message: Message, viewer: UUID) -> MessageView:
        """The message with download links signed for ``viewer``."""
        return message_view(
            message, lambda attachment: self.attachment_url(message, attachment, viewer)
        )

    def attachment_url(self, message: Message, attachment: Attachment, viewer: UUID) -> str:
        expires_at = self.clock.now().replace(microsecond=0) + timedelta(
            seconds=self.policy.attachment_link_seconds
        )
        grant = AttachmentGrant(viewer, message.conversation_id, attachment.id, expires_at)
        query = urlencode(
            {"expires": int(expires_at.timestamp()), "signature": self.links.sign(grant)}
        )
        return (
            f"/api/v1/conversations/{message.conversation_id}/attachments/{attachment.id}?{query}"
        )

    # ---- who may talk ---------------------------------------------------------------------------
    def party(self, person: UserFacts) -> Party:
        staff = self.authorizer.holds(person.as_actor(), Permission.MESSAGE_ANYONE)
        if staff:
            return Party(person.id, Standing.STAFF)
        return Party(person.id, Standing.TUTOR if person.is_approved_tutor else Standing.STUDENT)

    async def may_converse(
        self, uow: ConversationsUnitOfWork, first: UserFacts, second: UserFacts
    ) -> bool:
        """The rule of ``may_converse`` over what tutoring, learning and catalog know of the two
        (asked only when the rule needs it: staff need no ties)."""
        a, b = self.party(first), self.party(second)
        if {a.standing, b.standing} != {Standing.STUDENT, Standing.TUTOR}:
            return may_converse(a, b, lambda student, tutor: Ties())
        student, tutor = (a.id, b.id) if a.standing is Standing.STUDENT else (b.id, a.id)
        booked = await self.tutoring.shares_booking(uow, student_id=student, tutor_id=tutor)
        enrolled = False
        if not booked:
            courses = await self.learning.courses_learned_by(uow, student)
            enrolled = await self.catalog.teaches_any(uow, tutor, courses)
        ties = Ties(shares_booking=booked, enrolled_with_tutor=enrolled)
        return may_converse(a, b, lambda s, t: ties if (s, t) == (student, tutor) else Ties())

    async def active_people(
        self, uow: ConversationsUnitOfWork, first: UUID, second: UUID
    ) -> tuple[UserFacts, UserFacts]:
        """Two people whose accounts are active, read together (one statement)."""
        found = await self.identity.users(uow, (first, second))
        one, other = found.get(first), found.get(second)
        if one is None or other is None or not (one.is_active and other.is_active):
            raise PersonNotFound()
        return one, other

    # ---- a participant's conversation -----------------------------------------------------------
    async def conversation_for(
        self,
        uow: ConversationsUnitOfWork,
        actor: Actor,
        conversation_id: UUID,
        *,
        for_update: bool = False,
    ) -> Conversation:
        """The conversation, for one of its two people; anyone else is told it does not
        exist (staff read conversations only through reports)."""
        conversation = await uow.conversations.conversations.get(
            conversation_id, for_update=for_update
        )
        if conversation is None or not conversation.has(actor.user_id):
            raise ConversationNotFound()
        return conversation

    async def message_in(
        self,
        uow: ConversationsUnitOfWork,
        conversation: Conversation,
        message_id: UUID,
        *,
        for_update: bool = False,
    ) -> Message:
        message = await uow.conversations.messages.get(message_id, for_update=for_update)
        if message is None or message.conversation_id != conversation.id:
            raise MessageNotFound()
        return message


def message_view(
    message: Message, url: Callable[[Attachment], str | None] = lambda attachment: None
) -> MessageView:
    return MessageView(
        id=message.id,
        conversation_id=message.conversation_id,
        sender_id=message.sender_id,
        body=message.body,
        sent_at=message.sent_at,
        edited_at=message.edited_at,
        deleted=message.is_deleted,
        attachments=[
            AttachmentView(a.id, a.filename, a.media_type, a.size, url(a))
            for a in message.attachments
        ],
    )


def conversation_view(row: ConversationRow, viewer: UUID) -> ConversationView:
    conversation = row.conversation
    theirs = conversation.read_mark(conversation.other(viewer))
    mine = conversation.read_mark(viewer)
    return ConversationView(
        id=conversation.id,
        with_person=row.other,
        started_at=conversation.started_at,
        last_message_at=conversation.last_message_at,
        last_message=None if row.last_message is None else message_view(row.last_message),
        unread_count=row.unread_count,
        their_read_up_to=None if theirs is None else theirs.message_id,
        my_read_up_to=None if mine is None else mine.message_id,
        blocked=conversation.is_blocked,
        blocked_by_me=conversation.blocked_by(viewer),
    )
