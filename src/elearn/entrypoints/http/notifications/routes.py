"""/api/v1/me/notifications (the notification center) and /api/v1/me/notification-preferences."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, get, post, put
from litestar.params import JSONBody, QueryParameter

from elearn.application.communication.notification_ports import NotificationView
from elearn.application.communication.notifications import MAX_IDS, MarkRead
from elearn.application.communication.preferences import (
    ChangePreferences,
    PreferencesView,
    QuietHoursView,
)
from elearn.application.paging import Page
from elearn.domain.communication.notifications import Category, Channel, DigestFrequency
from elearn.entrypoints.http.auth import CurrentActor, signed_in
from elearn.entrypoints.http.bodies import RequestBody
from elearn.entrypoints.http.identity.admin_routes import Cursor, Limit
from elearn.entrypoints.http.problem_codes import problems
from elearn.entrypoints.notifications import Notifications

WallClock = Annotated[
    str, msgspec.Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["22:00"], description="HH:MM")
]
ZoneName = Annotated[str, msgspec.Meta(min_length=1, max_length=64, examples=["Europe/Paris"])]


class MarkReadBody(RequestBody):
    """`ids` (your own notifications) or `all: true`."""

    ids: Annotated[list[UUID], msgspec.Meta(max_length=MAX_IDS)] = msgspec.field(
        default_factory=list
    )
    all: bool = False


class MarkedRead(msgspec.Struct):
    marked: int
    unread: int


class UnreadCount(msgspec.Struct):
    unread: int


class QuietHoursBody(RequestBody):
    start: WallClock
    end: WallClock


class ChannelChoices(RequestBody):
    """On or off per channel; a channel left out keeps its setting. `in_app` cannot be off."""

    in_app: bool | None = None
    email: bool | None = None
    push: bool | None = None

    def chosen(self) -> dict[Channel, bool]:
        return {
            Channel(name): on for name, on in msgspec.structs.asdict(self).items() if on is not None
        }


class CategoryChannels(RequestBody):
    """One field per notification category (``Category``); a category left out keeps its
    channels."""

    account: ChannelChoices | None = None
    course: ChannelChoices | None = None
    learning: ChannelChoices | None = None
    booking: ChannelChoices | None = None
    payment: ChannelChoices | None = None
    payout: ChannelChoices | None = None
    message: ChannelChoices | None = None
    announcement: ChannelChoices | None = None
    support: ChannelChoices | None = None
    community: ChannelChoices | None = None

    def chosen(self) -> dict[Category, dict[Channel, bool]]:
        return {
            Category(name): choices.chosen()
            for name, choices in msgspec.structs.asdict(self).items()
            if choices is not None
        }


class PreferencesBody(RequestBody):
    channels: CategoryChannels = msgspec.field(default_factory=CategoryChannels)
    email_digest: DigestFrequency = DigestFrequency.OFF
    quiet_hours: QuietHoursBody | None = None
    # Your profile's zone when left out.
    time_zone: ZoneName | None = None


class NotificationsController(Controller):
    path = "/me"
    tags = ["notifications"]
    guards = [signed_in]

    @get("/notifications", operation_id="list_my_notifications", summary="Your notifications")
    async def list_notifications(
        self,
        actor: CurrentActor,
        notifications: Notifications,
        unread: Annotated[
            bool | None, QueryParameter(description="true: only unread; false: only read")
        ] = None,
        category: Annotated[Category | None, QueryParameter(description="only this one")] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[NotificationView]:
        """Newest first, kept 180 days. Each has a title, a body, what it links to
        (`{type, id}`) and `read_at` once read."""
        return await notifications.my_notifications(
            actor, unread=unread, category=category, limit=limit, cursor=cursor
        )

    @get(
        "/notifications/unread-count",
        operation_id="count_my_unread_notifications",
        summary="How many of your notifications are unread",
    )
    async def unread_count(self, actor: CurrentActor, notifications: Notifications) -> UnreadCount:
        return UnreadCount(unread=await notifications.unread_count(actor))

    @problems("notification-not-found", "invalid-input")
    @post(
        "/notifications/read",
        operation_id="mark_my_notifications_read",
        summary="Mark notifications read",
        status_code=200,
    )
    async def mark_read(
        self, actor: CurrentActor, notifications: Notifications, data: JSONBody[MarkReadBody]
    ) -> MarkedRead:
        """`{ids: [...]}` or `{all: true}`; 404 `notification-not-found` (nothing marked) when
        an id is not one of yours. Your other open sockets hear `notification.read`."""
        marked = await notifications.mark_read(actor, MarkRead(ids=tuple(data.ids), all=data.all))
        return MarkedRead(marked=len(marked), unread=await notifications.unread_count(actor))

    @get(
        "/notification-preferences",
        operation_id="get_my_notification_preferences",
        summary="Your notification preferences",
    )
    async def preferences(
        self, actor: CurrentActor, notifications: Notifications
    ) -> PreferencesView:
        """Per category and channel (`in_app` is always on), the email digest and quiet hours
        in your zone."""
        return await notifications.my_preferences(actor)

    @problems("invalid-preferences")
    @put(
        "/notification-preferences",
        operation_id="set_my_notification_preferences",
        summary="Set your notification preferences",
    )
    async def set_preferences(
        self, actor: CurrentActor, notifications: Notifications, data: JSONBody[PreferencesBody]
    ) -> PreferencesView:
        """Email and push per category; `email_digest` (`off`, `hourly`, `daily` at 08:00 your
        time) batches notification emails; during `quiet_hours` (wall-clock times of
        `time_zone`, across midnight when `end` comes first) email and push wait until they
        end. 422 `invalid-preferences` for turning `in_app` off, an unknown zone or quiet hours
        that start when they end."""
        quiet = data.quiet_hours
        command = ChangePreferences(
            channels=data.channels.chosen(),
            email_digest=data.email_digest,
            quiet_hours=None if quiet is None else QuietHoursView(quiet.start, quiet.end),
            time_zone=data.time_zone,
        )
        return await notifications.change_preferences(actor, command)


NOTIFICATION_CONTROLLERS = [NotificationsController]
