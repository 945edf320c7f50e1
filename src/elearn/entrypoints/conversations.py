"""The conversations module's part of the composition root: its policy from settings, the
other contexts' apis it asks who may talk, the rate-limit store, and its use cases."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, TypeAlias

from litestar.di import NamedDependency

from elearn.adapters.persistence.conversation_repositories import SqlaConversationQueries
from elearn.adapters.security.attachment_links import HmacAttachmentLinks
from elearn.application.billing.api import BillingApi
from elearn.application.catalog.api import CatalogApi
from elearn.application.communication import conversation_delivery, conversations
from elearn.application.communication import messages as sending
from elearn.application.communication.conversation_deps import ConversationDeps
from elearn.application.communication.conversation_ports import ConversationPolicy
from elearn.application.identity.api import IdentityApi
from elearn.application.learning.api import LearningApi
from elearn.application.tutoring.api import TutoringApi

if TYPE_CHECKING:
    from elearn.entrypoints.bootstrap import Container
    from elearn.entrypoints.settings import Settings


def conversation_policy(settings: Settings) -> ConversationPolicy:
    return ConversationPolicy(
        messages_per_minute=settings.messages_per_minute,
        digest_delay_minutes=settings.message_digest_delay_minutes,
        links=settings.front_end,
    )


def build_conversation_deps(container: Container) -> ConversationDeps:
    return ConversationDeps(
        uow=container.uow,
        clock=container.clock,
        ids=container.ids,
        queries=SqlaConversationQueries(container.sessions),
        identity=IdentityApi(container.identity.deps),
        tutoring=TutoringApi(container.tutoring.deps),
        learning=LearningApi(container.learning.deps),
        catalog=CatalogApi(container.catalog.deps),
        billing=BillingApi(container.billing.deps),
        authorizer=container.authorizer,
        # The platform's one rate-limit store (Redis when configured), as identity built it.
        rate_limiter=container.identity.deps.rate_limiter,
        realtime=container.realtime,
        mailer=container.mailer,
        templates=container.templates,
        storage=container.storage,
        links=HmacAttachmentLinks(
            container.settings.media_signing_key or container.settings.jwt_secret
        ),
        policy=conversation_policy(container.settings),
    )


class ConversationUseCases:
    """Every conversation use case, built on first use from one set of dependencies."""

    def __init__(self, deps: ConversationDeps) -> None:
        self.deps = deps

    # ---- conversations ---------------------------------------------------------------------
    @cached_property
    def start(self) -> conversations.StartOrContinueConversation:
        return conversations.StartOrContinueConversation(self.deps)

    @cached_property
    def my_conversations(self) -> conversations.ListMyConversations:
        return conversations.ListMyConversations(self.deps)

    @cached_property
    def conversation(self) -> conversations.GetConversation:
        return conversations.GetConversation(self.deps)

    @cached_property
    def block(self) -> conversations.BlockConversation:
        return conversations.BlockConversation(self.deps)

    @cached_property
    def unblock(self) -> conversations.UnblockConversation:
        return conversations.UnblockConversation(self.deps)

    @cached_property
    def report(self) -> conversations.ReportConversation:
        return conversations.ReportConversation(self.deps)

    @cached_property
    def reports(self) -> conversations.ListConversationReports:
        return conversations.ListConversationReports(self.deps)

    @cached_property
    def get_report(self) -> conversations.GetConversationReport:
        return conversations.GetConversationReport(self.deps)

    @cached_property
    def typing(self) -> conversations.Typing:
        return conversations.Typing(self.deps)

    # ---- messages ------------------------------------------------------------------------------
    @cached_property
    def send(self) -> sending.SendMessage:
        return sending.SendMessage(self.deps)

    @cached_property
    def messages(self) -> sending.ListMessages:
        return sending.ListMessages(self.deps)

    @cached_property
    def edit(self) -> sending.EditMessage:
        return sending.EditMessage(self.deps)

    @cached_property
    def delete(self) -> sending.DeleteMessage:
        return sending.DeleteMessage(self.deps)

    @cached_property
    def read(self) -> sending.MarkRead:
        return sending.MarkRead(self.deps)

    @cached_property
    def upload(self) -> sending.UploadAttachment:
        return sending.UploadAttachment(self.deps)

    @cached_property
    def open_attachment(self) -> sending.OpenAttachment:
        return sending.OpenAttachment(self.deps)

    # ---- after commit --------------------------------------------------------------------------
    @cached_property
    def publish_live(self) -> conversation_delivery.PublishConversationEvent:
        return conversation_delivery.PublishConversationEvent(self.deps)

    @cached_property
    def queue_unread_digests(self) -> conversation_delivery.QueueUnreadDigests:
        return conversation_delivery.QueueUnreadDigests(self.deps)

    @cached_property
    def send_unread_digest(self) -> conversation_delivery.SendUnreadDigest:
        return conversation_delivery.SendUnreadDigest(self.deps)


# The conversations module's use cases, as a route parameter: ``conversations: Conversations``.
Conversations: TypeAlias = NamedDependency[ConversationUseCases]
