"""/api/v1/me/push-subscriptions: Web Push subscriptions of your browsers (VAPID)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, delete, get, post
from litestar.params import JSONBody, QueryParameter

from elearn.application.communication.push import PushSubscriptionView, SubscribeToPushCommand
from elearn.domain.communication.push import MAX_ENDPOINT_LENGTH
from elearn.entrypoints.http.auth import CurrentActor, signed_in
from elearn.entrypoints.http.bodies import RequestBody
from elearn.entrypoints.http.problem_codes import problems
from elearn.entrypoints.notifications import Notifications

Endpoint = Annotated[
    str,
    msgspec.Meta(
        min_length=8,
        max_length=MAX_ENDPOINT_LENGTH,
        pattern=r"^https?://",
        examples=["https://fcm.googleapis.com/fcm/send/dQw4w9WgXcQ:APA91b"],
        description="the subscription's endpoint, at the browser's push service",
    ),
]
Base64Url = Annotated[
    str, msgspec.Meta(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+=*$")
]


class PushKeys(RequestBody):
    """As the browser's `PushSubscription.toJSON()` gives them (base64url)."""

    p256dh: Base64Url
    auth: Base64Url


class PushSubscriptionBody(RequestBody):
    """A browser's `PushSubscription.toJSON()` (its `expirationTime` may be left out)."""

    endpoint: Endpoint
    keys: PushKeys
    expirationTime: int | None = None


class VapidKey(msgspec.Struct):
    public_key: str


class PushSubscriptionsController(Controller):
    path = "/me/push-subscriptions"
    tags = ["notifications"]
    guards = [signed_in]

    @problems("push-not-configured")
    @get(
        "/vapid-key",
        operation_id="get_push_vapid_key",
        summary="The key browsers subscribe to Web Push with",
    )
    async def vapid_key(self, actor: CurrentActor, notifications: Notifications) -> VapidKey:
        """The VAPID public key (base64url): pass it as `applicationServerKey` to
        `pushManager.subscribe()`. 404 `push-not-configured` where the platform sends no
        Web Push."""
        return VapidKey(public_key=await notifications.push_key(actor))

    @problems("push-not-configured", "invalid-push-subscription", "unknown-push-service")
    @post("/", operation_id="subscribe_to_push", summary="Subscribe this browser to Web Push")
    async def subscribe(
        self,
        actor: CurrentActor,
        notifications: Notifications,
        data: JSONBody[PushSubscriptionBody],
    ) -> PushSubscriptionView:
        """The browser's subscription, for this sign-in: it is forgotten when the sign-in ends
        (signing out, a password change or reset). Each new notification is pushed to it when
        your `push` preference for its category is on, outside your quiet hours; the payload is
        `{"type": "notification.created", "data": <the notification>}`, as on the socket.
        Subscribing an endpoint again replaces it; at most 10 per person (the oldest goes).
        422 `invalid-push-subscription` for keys that are not a P-256 key and a 16-byte
        secret, `unknown-push-service` for an endpoint at no push service the platform
        sends to."""
        return await notifications.subscribe_to_push(
            actor,
            SubscribeToPushCommand(
                endpoint=data.endpoint, p256dh=data.keys.p256dh, auth=data.keys.auth
            ),
        )

    @problems("push-subscription-not-found")
    @delete("/", operation_id="unsubscribe_from_push", summary="Unsubscribe a browser")
    async def unsubscribe(
        self,
        actor: CurrentActor,
        notifications: Notifications,
        endpoint: Annotated[
            str,
            QueryParameter(
                min_length=8, max_length=MAX_ENDPOINT_LENGTH, description="its endpoint"
            ),
        ],
    ) -> None:
        """404 `push-subscription-not-found` when you have no subscription of that endpoint."""
        await notifications.unsubscribe_from_push(actor, endpoint)


PUSH_CONTROLLERS = [PushSubscriptionsController]
