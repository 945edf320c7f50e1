"""Web Push: people's browsers subscribe (per device, bound to the sign-in that subscribed), and
each new notification is pushed to them when their ``push`` preference for its category is on
and it is not their quiet hours. A subscription the push service calls gone is forgotten."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from elearn.application.access import require_signed_in
from elearn.application.actor import Actor
from elearn.application.communication.notification_deps import NotificationsDeps
from elearn.application.communication.notification_ports import PushOutcome
from elearn.application.communication.notifications import live_payload, preferences_of
from elearn.application.errors import NotAuthenticated, NotFound
from elearn.application.identity.api import SessionRevoked
from elearn.domain.communication.notifications import Channel, Notification, NotificationCreated
from elearn.domain.communication.push import (
    MAX_PER_PERSON,
    InvalidPushSubscription,
    PushSubscription,
    service_allowed,
)
from elearn.domain.shared.events import DomainEvent

__all__ = [
    "ForgetPushOfEndedSession",
    "PushKey",
    "PushNotification",
    "SendHeldPushes",
    "SubscribeToPush",
    "SubscribeToPushCommand",
    "UnsubscribeFromPush",
]

logger = logging.getLogger(__name__)


class PushNotConfigured(NotFound):
    code = "push-not-configured"

    def __init__(self) -> None:
        super().__init__("this platform sends no Web Push (no VAPID key is configured)")


class PushSubscriptionNotFound(NotFound):
    code = "push-subscription-not-found"

    def __init__(self) -> None:
        super().__init__("you have no push subscription of this endpoint")


class UnknownPushService(InvalidPushSubscription):
    code = "unknown-push-service"

    def __init__(self) -> None:
        super().__init__("the endpoint is not at a push service this platform sends to")


@dataclass(frozen=True, slots=True)
class SubscribeToPushCommand:
    endpoint: str
    p256dh: str
    auth: str


@dataclass(frozen=True, slots=True)
class PushSubscriptionView:
    id: UUID
    endpoint: str
    created_at: datetime


class PushKey:
    """The VAPID public key a browser subscribes with (its ``applicationServerKey``)."""

    def __init__(self, deps: NotificationsDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor) -> str:
        require_signed_in(actor)
        key = self._deps.push.public_key
        if key is None:
            raise PushNotConfigured()
        return key


class SubscribeToPush:
    """A signed-in person's browser subscribes: kept for this sign-in (it ends with it), in
    place of whatever its endpoint had; beyond ``MAX_PER_PERSON`` their oldest goes. The
    endpoint must be at a push service the platform knows, so no one makes the server post
    elsewhere."""

    def __init__(self, deps: NotificationsDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, command: SubscribeToPushCommand) -> PushSubscriptionView:
        person = require_signed_in(actor)
        if actor.session_id is None:
            raise NotAuthenticated("sign in first")
        deps = self._deps
        if deps.push.public_key is None:
            raise PushNotConfigured()
        subscription = PushSubscription(
            id=deps.ids.new_id(),
            person_id=person,
            session_id=actor.session_id,
            endpoint=command.endpoint,
            p256dh=command.p256dh,
            auth=command.auth,
            created_at=deps.clock.now(),
        )
        if not service_allowed(subscription.endpoint, deps.policy.push_services):
            raise UnknownPushService()
        async with deps.uow() as uow:
            store = uow.notifications.push_subscriptions
            await store.keep(subscription)
            kept = await store.of_person(person)
            await store.remove([old.id for old in kept[: max(0, len(kept) - MAX_PER_PERSON)]])
            await uow.commit()
        return PushSubscriptionView(subscription.id, subscription.endpoint, subscription.created_at)


class UnsubscribeFromPush:
    """The person's browser unsubscribes (its endpoint): 404 when they have none of it."""

    def __init__(self, deps: NotificationsDeps) -> None:
        self._deps = deps

    async def __call__(self, actor: Actor, endpoint: str) -> None:
        person = require_signed_in(actor)
        async with self._deps.uow() as uow:
            removed = await uow.notifications.push_subscriptions.remove_endpoint(person, endpoint)
            if not removed:
                raise PushSubscriptionNotFound()
            await uow.commit()


class PushNotification:
    """The outbox handler of a new notification: pushed to each of the recipient's browsers
    when they want push for its category; during their quiet hours it waits until they end
    (``SendHeldPushes``). Best effort, once: a push service that fails loses that push (a retry
    would repeat it to the others)."""

    def __init__(self, deps: NotificationsDeps) -> None:
        self._deps = deps

    async def __call__(self, event: DomainEvent) -> None:
        assert isinstance(event, NotificationCreated)
        deps = self._deps
        if deps.push.public_key is None:
            return
        async with deps.uow(read_only=True) as uow:
            subscriptions = await uow.notifications.push_subscriptions.of_person(event.recipient_id)
            if not subscriptions:
                return
            notification = await uow.notifications.notifications.get(event.notification_id)
            if notification is None or notification.is_read:
                return
            preferences = await preferences_of(deps, uow, notification.recipient_id)
        if not preferences.wants(notification.category, Channel.PUSH):
            return
        now = deps.clock.now()
        due = preferences.push_due_at(now)
        if due > now:
            async with deps.uow() as uow:
                await uow.notifications.notifications.hold_push(notification.id, due)
                await uow.commit()
            return
        await push_to(deps, notification, subscriptions)


class SendHeldPushes:
    """The periodic job: pushes held by quiet hours go once they end, each once (taken out of
    the waiting ones and committed before it is sent); a notification read meanwhile, or of a
    category whose push was turned off meanwhile, is not pushed."""

    def __init__(self, deps: NotificationsDeps) -> None:
        self._deps = deps

    async def __call__(self) -> int:
        deps = self._deps
        async with deps.uow() as uow:
            due = await uow.notifications.notifications.take_due_pushes(
                deps.clock.now(), deps.policy.email_batch
            )
            await uow.commit()
        pushed = 0
        for notification in due:
            if notification.is_read:
                continue
            async with deps.uow(read_only=True) as uow:
                subscriptions = await uow.notifications.push_subscriptions.of_person(
                    notification.recipient_id
                )
                preferences = await preferences_of(deps, uow, notification.recipient_id)
            if subscriptions and preferences.wants(notification.category, Channel.PUSH):
                await push_to(deps, notification, subscriptions)
                pushed += 1
        return pushed


async def push_to(
    deps: NotificationsDeps, notification: Notification, subscriptions: list[PushSubscription]
) -> None:
    """Pushes the notification to each subscription; those the push service calls gone are
    forgotten."""
    payload = json.dumps(
        {"type": "notification.created", "data": live_payload(notification)},
        separators=(",", ":"),
    ).encode()
    gone: list[UUID] = []
    for subscription in subscriptions:
        outcome = await deps.push.send(
            subscription, payload, ttl_seconds=deps.policy.push_ttl_seconds
        )
        if outcome is PushOutcome.GONE:
            gone.append(subscription.id)
        elif outcome is PushOutcome.FAILED:
            logger.warning("a push to %s failed", subscription.id)
    if gone:
        async with deps.uow() as uow:
            await uow.notifications.push_subscriptions.remove(gone)
            await uow.commit()


class ForgetPushOfEndedSession:
    """The outbox handler of an ended sign-in: the push subscriptions it registered go with it
    (a shared computer stops showing the person's notifications once they sign out)."""

    def __init__(self, deps: NotificationsDeps) -> None:
        self._deps = deps

    async def __call__(self, event: DomainEvent) -> None:
        assert isinstance(event, SessionRevoked)
        async with self._deps.uow() as uow:
            await uow.notifications.push_subscriptions.remove_of_session(event.session_id)
            await uow.commit()
