"""Web Push, with the real sender (py-vapid, http-ece, httpx) posting to a push service faked on
loopback: a subscribed browser gets each notification it wants, encrypted to its keys (the test
decrypts it) and signed with the platform's VAPID key (the test verifies it); nothing for a
category with push off, and after the quiet hours what came during them; a subscription the
service calls gone (404/410) is forgotten, and so is one whose sign-in ended; subscriptions are
checked and bounded."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import http_ece
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from tests.conftest import make_settings
from tests.fakes import FixedClock, RecordingMailer
from tests.support.identity import seed_accounts

from elearn.adapters.jobs.broker import build_broker
from elearn.adapters.realtime.local import LocalRealtimeHub
from elearn.application.actor import Actor
from elearn.application.communication.notifications import NotificationDraft
from elearn.application.communication.preferences import ChangePreferences, QuietHoursView
from elearn.application.communication.push import (
    PushNotConfigured,
    PushSubscriptionNotFound,
    SubscribeToPushCommand,
    UnknownPushService,
)
from elearn.application.identity.api import SessionRevoked
from elearn.domain.communication.notifications import (
    Category,
    Channel,
    DigestFrequency,
    NotificationCreated,
)
from elearn.domain.communication.push import MAX_PER_PERSON, InvalidPushSubscription
from elearn.domain.identity.roles import Role
from elearn.entrypoints.bootstrap import Container, bootstrap


@dataclass
class FakePushService:
    """A push service on loopback: records each push; answers 201, or the status set for a
    path."""

    origin: str = ""
    received: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    answers: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def push_service() -> Iterator[FakePushService]:
    service = FakePushService()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            service.received.append((self.path, dict(self.headers.items()), body))
            self.send_response(service.answers.get(self.path, 201))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    service.origin = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Browser:
    """A subscribing browser: its own key pair and auth secret, as the Push API makes them."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: uuid.uuid4().bytes)

    def command(self) -> SubscribeToPushCommand:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return SubscribeToPushCommand(self.endpoint, _b64(point), _b64(self.auth))

    def read(self, body: bytes) -> dict[str, object]:
        plain = http_ece.decrypt(
            body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm"
        )
        decoded: dict[str, object] = json.loads(plain)
        return decoded


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class Setting:
    container: Container
    clock: FixedClock
    service: FakePushService
    ada: Actor
    bob: Actor

    def browser(self, name: str) -> Browser:
        return Browser(f"{self.service.origin}/push/{name}")

    async def notify(self, person: Actor, key: str, category: Category = Category.COURSE) -> None:
        """A notification made and its ``NotificationCreated`` handed to the push handler."""
        assert person.user_id is not None
        notifications = self.container.notifications
        await notifications.notify(
            [NotificationDraft(person.user_id, category, f"About {key}", "Body.", key)]
        )
        page = await notifications.my_notifications(person, limit=100)
        (made,) = [n for n in page.items if n.title == f"About {key}"]
        event = NotificationCreated(
            event_id=uuid.uuid4(),
            occurred_at=self.clock.now(),
            notification_id=made.id,
            recipient_id=person.user_id,
            category=category.value,
        )
        await notifications.push_notification(event)


@pytest.fixture
async def setting(
    tmp_path: Path, database_url: str, push_service: FakePushService
) -> AsyncIterator[Setting]:
    settings = make_settings(tmp_path, database_url, push_services=[push_service.origin])
    ada, bob = await seed_accounts(
        settings, ("ada@push.test", Role.STUDENT), ("bob@push.test", Role.TUTOR)
    )
    clock = FixedClock(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    container = bootstrap(
        settings,
        broker=build_broker(None),
        overrides={"clock": clock, "mailer": RecordingMailer(), "realtime": LocalRealtimeHub()},
    )
    try:
        yield Setting(
            container=container,
            clock=clock,
            service=push_service,
            ada=Actor(user_id=ada, role=Role.STUDENT, session_id=uuid.uuid4()),
            bob=Actor(user_id=bob, role=Role.TUTOR, session_id=uuid.uuid4()),
        )
    finally:
        await container.dispose()


async def test_a_notification_reaches_the_subscribed_browser_encrypted_and_signed(
    setting: Setting,
) -> None:
    notifications = setting.container.notifications
    public_key = await notifications.push_key(setting.ada)
    phone, bobs = setting.browser("ada-phone"), setting.browser("bob")
    await notifications.subscribe_to_push(setting.ada, phone.command())
    await notifications.subscribe_to_push(setting.bob, bobs.command())

    await setting.notify(setting.ada, "graded")

    ((path, headers, body),) = setting.service.received  # Ada's browser, and hers only
    assert path == "/push/ada-phone"
    message = phone.read(body)
    assert message["type"] == "notification.created"
    assert message["data"]["title"] == "About graded"  # type: ignore[index]
    assert headers["Content-Encoding"] == "aes128gcm" and int(headers["TTL"]) > 0
    # VAPID (RFC 8292): a token for this push service signed by the key browsers were given.
    scheme, _, credentials = headers["Authorization"].partition(" ")
    parts = dict(part.split("=", 1) for part in credentials.split(","))
    assert scheme == "vapid" and parts["k"] == public_key
    point = base64.urlsafe_b64decode(public_key + "=" * (-len(public_key) % 4))
    verifying_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    claims = jwt.decode(
        parts["t"], verifying_key, algorithms=["ES256"], audience=setting.service.origin
    )
    assert claims["sub"].startswith("mailto:")


async def test_no_push_for_a_category_with_push_off_and_quiet_hours_hold_it_until_they_end(
    setting: Setting,
) -> None:
    notifications = setting.container.notifications
    phone = setting.browser("ada")
    await notifications.subscribe_to_push(setting.ada, phone.command())
    await notifications.change_preferences(
        setting.ada,
        ChangePreferences(
            channels={Category.COURSE: {Channel.PUSH: False}},
            email_digest=DigestFrequency.OFF,
            quiet_hours=None,
            time_zone="UTC",
        ),
    )
    await setting.notify(setting.ada, "muted", Category.COURSE)
    assert setting.service.received == []
    await setting.notify(setting.ada, "wanted", Category.BOOKING)
    assert len(setting.service.received) == 1

    await notifications.change_preferences(
        setting.ada,
        ChangePreferences(
            channels={},
            email_digest=DigestFrequency.OFF,
            quiet_hours=QuietHoursView("11:00", "13:00"),  # it is 12:00 UTC
            time_zone="UTC",
        ),
    )
    await setting.notify(setting.ada, "at night", Category.BOOKING)
    assert len(setting.service.received) == 1
    # Held until the quiet hours end, then pushed once.
    send_held = notifications.send_held_pushes
    assert await send_held() == 0
    setting.clock.advance(timedelta(hours=1, minutes=1))
    assert await send_held() == 1
    assert await send_held() == 0
    assert len(setting.service.received) == 2
    assert phone.read(setting.service.received[1][2])["data"]["title"] == "About at night"  # type: ignore[index]


async def test_a_subscription_the_push_service_calls_gone_is_forgotten(setting: Setting) -> None:
    notifications = setting.container.notifications
    setting.service.answers["/push/not-found"] = 404
    setting.service.answers["/push/gone"] = 410
    for name in ("not-found", "gone", "kept"):
        await notifications.subscribe_to_push(setting.ada, setting.browser(name).command())

    await setting.notify(setting.ada, "first")
    await setting.notify(setting.ada, "second")

    paths = [path for path, _, _ in setting.service.received]
    assert sorted(paths) == ["/push/gone", "/push/kept", "/push/kept", "/push/not-found"]


async def test_a_subscription_ends_with_the_sign_in_that_made_it(setting: Setting) -> None:
    notifications = setting.container.notifications
    assert setting.ada.user_id is not None and setting.ada.session_id is not None
    laptop = Actor(user_id=setting.ada.user_id, role=Role.STUDENT, session_id=uuid.uuid4())
    await notifications.subscribe_to_push(setting.ada, setting.browser("phone").command())
    await notifications.subscribe_to_push(laptop, setting.browser("laptop").command())

    await notifications.forget_push_of_ended_session(
        SessionRevoked(
            event_id=uuid.uuid4(),
            occurred_at=setting.clock.now(),
            user_id=setting.ada.user_id,
            session_id=setting.ada.session_id,
            reason="logout",
        )
    )
    await setting.notify(setting.ada, "after sign-out")
    assert [path for path, _, _ in setting.service.received] == ["/push/laptop"]


async def test_two_sign_ins_subscribing_one_endpoint_at_once_leave_one_subscription(
    setting: Setting,
) -> None:
    """A browser subscribing from two sign-ins at once (two tabs after a sign-in): both answered,
    one subscription kept for its endpoint, so one push per notification."""
    notifications = setting.container.notifications
    assert setting.ada.user_id is not None
    tab = Actor(user_id=setting.ada.user_id, role=Role.STUDENT, session_id=uuid.uuid4())
    browser = setting.browser("shared")
    for _ in range(3):  # each round races an endpoint that is new, then one already kept
        views = await asyncio.gather(
            notifications.subscribe_to_push(setting.ada, browser.command()),
            notifications.subscribe_to_push(tab, browser.command()),
        )
        assert {view.endpoint for view in views} == {browser.endpoint}
        setting.clock.advance(timedelta(seconds=1))
        await setting.notify(setting.ada, f"round {_}")
        assert [path for path, _, _ in setting.service.received] == ["/push/shared"]
        setting.service.received.clear()


async def test_subscriptions_are_checked_bounded_and_removed_by_their_owner_only(
    setting: Setting,
) -> None:
    notifications = setting.container.notifications
    good = setting.browser("good").command()
    with pytest.raises(InvalidPushSubscription):
        await notifications.subscribe_to_push(
            setting.ada, SubscribeToPushCommand(good.endpoint, good.p256dh[:-4], good.auth)
        )
    with pytest.raises(InvalidPushSubscription):
        await notifications.subscribe_to_push(
            setting.ada, SubscribeToPushCommand(good.endpoint, good.p256dh, _b64(b"short"))
        )
    with pytest.raises(UnknownPushService):
        await notifications.subscribe_to_push(
            setting.ada,
            SubscribeToPushCommand("https://attacker.example/hook", good.p256dh, good.auth),
        )
    with pytest.raises(PushSubscriptionNotFound):
        await notifications.unsubscribe_from_push(setting.ada, good.endpoint)

    for number in range(MAX_PER_PERSON + 2):
        setting.clock.advance(timedelta(seconds=1))
        await notifications.subscribe_to_push(setting.ada, setting.browser(f"b{number}").command())
    setting.clock.advance(timedelta(seconds=1))
    await notifications.subscribe_to_push(setting.ada, good)
    # Someone else's endpoint is not theirs to remove.
    with pytest.raises(PushSubscriptionNotFound):
        await notifications.unsubscribe_from_push(setting.bob, good.endpoint)
    await notifications.unsubscribe_from_push(setting.ada, good.endpoint)

    await setting.notify(setting.ada, "to all")
    paths = sorted(path for path, _, _ in setting.service.received)
    # The newest MAX_PER_PERSON were kept, then "good" pushed out one more and was removed.
    assert len(paths) == MAX_PER_PERSON - 1
    assert "/push/b0" not in paths and "/push/b1" not in paths and "/push/b2" not in paths


async def test_without_a_vapid_key_there_is_no_push(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url, env="production")
    from elearn.entrypoints.notifications import build_push_sender

    sender = build_push_sender(settings)
    assert sender.public_key is None
    # And the use cases say so (the route answers 404 push-not-configured).
    from elearn.application.communication.push import PushKey

    class _Deps:
        push = sender

    with pytest.raises(PushNotConfigured):
        await PushKey(_Deps())(Actor(user_id=uuid.uuid4(), role=Role.STUDENT))  # type: ignore[arg-type]
