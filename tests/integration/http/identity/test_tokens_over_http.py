"""Access tokens over HTTP: tampered, expired and revoked tokens are refused with a 401 problem,
tokens die when an admin suspends the account or changes its role, and the client address the
login limit counts is the peer's unless a trusted proxy forwarded the request."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from litestar.testing import AsyncTestClient
from tests.conftest import make_settings
from tests.support.apps import app_for
from tests.support.identity import (
    PROBLEM,
    bearer,
    login,
    register_student,
    seed_accounts,
    user_id_of,
)

from elearn.adapters.security.jwt_tokens import key_id
from elearn.domain.identity.roles import Role
from elearn.entrypoints.http.auth import client_ip, trusted_networks
from elearn.entrypoints.settings import Settings

ME = "/api/v1/me"


def assert_unauthenticated(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == 401 and body["code"] and body["detail"]


# ---- crafting tokens ---------------------------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256(header: dict[str, Any], payload: dict[str, Any], key: bytes) -> str:
    """Signs by hand, so that any key (an RSA public key PEM too) can be used as the secret."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def unsigned(header: dict[str, Any], payload: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}."


def claims(settings: Settings, user_id: uuid.UUID, **changes: Any) -> dict[str, Any]:
    now = time.time()
    payload: dict[str, Any] = {
        "sub": str(user_id),
        "sid": str(uuid.uuid4()),
        "role": "student",
        "iat": int(now),
        "exp": int(now) + 600,
        "jti": uuid.uuid4().hex,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "typ": "access",
    }
    for name, value in changes.items():
        if value is None:
            payload.pop(name, None)
        else:
            payload[name] = value
    return payload


def rsa_public_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


async def test_tampered_access_tokens_are_refused(client: Any, settings: Settings) -> None:
    await register_student(client, "tamper@example.com")
    user_id = uuid.UUID(await user_id_of(client, "tamper@example.com"))
    secret = settings.jwt_secret.encode()
    good_header = {"alg": "HS256", "typ": "JWT", "kid": key_id(settings.jwt_secret)}

    # The control: a token crafted here the way the app signs is accepted.
    control = hs256(good_header, claims(settings, user_id), secret)
    accepted = await client.get(ME, headers={"Authorization": f"Bearer {control}"})
    assert accepted.status_code == 200, accepted.text

    now = int(time.time())
    forged = {
        "alg none": jwt.encode(claims(settings, user_id), None, algorithm="none"),
        "alg none, upper case": unsigned({"alg": "NONE"}, claims(settings, user_id)),
        "alg none, kept signature": unsigned({"alg": "none"}, claims(settings, user_id))
        + control.rsplit(".", 1)[1],
        "wrong key": hs256(good_header, claims(settings, user_id), b"k" * 64),
        "rsa public key as hmac secret": hs256(
            good_header, claims(settings, user_id), rsa_public_pem()
        ),
        "HS512 with the right key": jwt.encode(
            claims(settings, user_id),
            settings.jwt_secret,
            algorithm="HS512",
            headers={"kid": key_id(settings.jwt_secret)},
        ),
        "no key id": hs256({"alg": "HS256", "typ": "JWT"}, claims(settings, user_id), secret),
        "exp ten years after iat": hs256(
            good_header, claims(settings, user_id, iat=now, exp=now + 10 * 365 * 86_400), secret
        ),
        "fractional iat": hs256(good_header, claims(settings, user_id, iat=now + 0.25), secret),
        "wrong aud": hs256(good_header, claims(settings, user_id, aud="other-api"), secret),
        "aud list": hs256(
            good_header, claims(settings, user_id, aud=[settings.jwt_audience, "x"]), secret
        ),
        "wrong iss": hs256(good_header, claims(settings, user_id, iss="someone-else"), secret),
        "missing exp": hs256(good_header, claims(settings, user_id, exp=None), secret),
        "missing jti": hs256(good_header, claims(settings, user_id, jti=None), secret),
        "expired": hs256(
            good_header, claims(settings, user_id, iat=now - 1000, exp=now - 10), secret
        ),
        "future nbf": hs256(good_header, claims(settings, user_id, nbf=now + 300), secret),
        "issued in the future": hs256(
            good_header, claims(settings, user_id, iat=now + 600, exp=now + 1200), secret
        ),
        "typ refresh": hs256(good_header, claims(settings, user_id, typ="refresh"), secret),
        "jku header": hs256(
            {**good_header, "jku": "https://evil.example/keys.json"},
            claims(settings, user_id),
            secret,
        ),
        "jwk header": hs256(
            {**good_header, "jwk": {"kty": "oct", "k": _b64(b"k" * 32)}},
            claims(settings, user_id),
            secret,
        ),
        "unknown user": hs256(good_header, claims(settings, uuid.uuid4()), secret),
        "sub not a uuid": hs256(good_header, claims(settings, user_id, sub="admin"), secret),
        "unknown role": hs256(good_header, claims(settings, user_id, role="root"), secret),
        "exp out of range": hs256(good_header, claims(settings, user_id, exp=10**20), secret),
        "exp as text": hs256(good_header, claims(settings, user_id, exp="tomorrow"), secret),
        "garbage": "garbage",
        "three dots of garbage": "a.b.c",
        "huge": "a" * 5000,
    }
    for name, token in forged.items():
        response = await client.get(ME, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name
        assert_unauthenticated(response)

    for header in ["Bearer", "Bearer ", "Bearer    ", f"Basic {_b64(b'a:b')}", control, "Token x"]:
        assert_unauthenticated(await client.get(ME, headers={"Authorization": header}))
    assert_unauthenticated(await client.get(ME))


async def test_a_signed_role_claim_grants_nothing(client: Any, settings: Settings) -> None:
    """Role is read from the account: a validly signed token claiming admin is a student's."""
    await register_student(client, "climber@example.com")
    user_id = uuid.UUID(await user_id_of(client, "climber@example.com"))
    token = hs256(
        {"alg": "HS256", "typ": "JWT", "kid": key_id(settings.jwt_secret)},
        claims(settings, user_id, role="admin"),
        settings.jwt_secret.encode(),
    )
    response = await client.get("/api/v1/admin/users", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith(PROBLEM)


async def test_an_ended_session_is_refused_whatever_the_token(
    client: Any, settings: Settings
) -> None:
    await register_student(client, "denied@example.com")
    session = await login(client, "denied@example.com")
    original = jwt.decode(session["access_token"], options={"verify_signature": False})
    out = await client.post(
        "/api/v1/auth/logout",
        json={"refresh_token": session["refresh_token"]},
        headers=bearer(session),
    )
    assert out.status_code == 204
    assert_unauthenticated(await client.get(ME, headers=bearer(session)))
    # Freshly issued, correctly signed, but of the logged-out session.
    reissued = hs256(
        {"alg": "HS256", "typ": "JWT", "kid": key_id(settings.jwt_secret)},
        claims(settings, uuid.UUID(original["sub"]), sid=original["sid"]),
        settings.jwt_secret.encode(),
    )
    assert_unauthenticated(await client.get(ME, headers={"Authorization": f"Bearer {reissued}"}))
    # Another session of the same account is untouched.
    other = await login(client, "denied@example.com")
    assert (await client.get(ME, headers=bearer(other))).status_code == 200


async def test_suspension_and_role_change_end_access_tokens(
    client: Any, settings: Settings
) -> None:
    await seed_accounts(settings, ("boss@example.com", Role.ADMIN))
    admin = await login(client, "boss@example.com")
    ids = {}
    for name in ("suspended", "promoted"):
        await register_student(client, f"{name}@example.com")
        ids[name] = await user_id_of(client, f"{name}@example.com")
    suspended = await login(client, "suspended@example.com")
    promoted = await login(client, "promoted@example.com")

    answer = await client.patch(
        f"/api/v1/admin/users/{ids['suspended']}", json={"suspended": True}, headers=bearer(admin)
    )
    assert answer.status_code == 200 and answer.json()["status"] == "suspended"
    assert_unauthenticated(await client.get(ME, headers=bearer(suspended)))
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": suspended["refresh_token"]}
    )
    assert refresh.status_code == 401

    assert (await client.get(ME, headers=bearer(promoted))).json()["role"] == "student"
    answer = await client.patch(
        f"/api/v1/admin/users/{ids['promoted']}", json={"role": "manager"}, headers=bearer(admin)
    )
    assert answer.status_code == 200 and answer.json()["role"] == "manager"
    assert_unauthenticated(await client.get(ME, headers=bearer(promoted)))
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": promoted["refresh_token"]}
    )
    assert refresh.status_code == 401
    again = await login(client, "promoted@example.com")
    me = await client.get(ME, headers=bearer(again))
    assert me.status_code == 200 and me.json()["role"] == "manager"
    assert jwt.decode(again["access_token"], options={"verify_signature": False})["role"] == (
        "manager"
    )
    staff_page = await client.get("/api/v1/admin/users", headers=bearer(again))
    assert staff_page.status_code == 200
    # The admin's own session was never touched.
    assert (await client.get(ME, headers=bearer(admin))).status_code == 200


# ---- the client address ------------------------------------------------------------------------
@asynccontextmanager
async def running(settings: Settings, app: Any = None) -> AsyncIterator[Any]:
    async with AsyncTestClient(
        app=app or app_for(settings), base_url="http://testserver.local"
    ) as test_client:
        yield test_client


async def _failed_logins(client: Any, count: int, forwarded: list[str]) -> list[int]:
    statuses = []
    for attempt in range(count):
        response = await client.post(
            "/api/v1/auth/login",
            json={"email": f"nobody{attempt}@example.com", "password": "wrong password"},
            headers={"X-Forwarded-For": forwarded[attempt % len(forwarded)]},
        )
        assert response.headers["content-type"].startswith(PROBLEM)
        statuses.append(response.status_code)
    return statuses


async def test_forged_forwarded_for_does_not_escape_the_ip_limit(
    tmp_path: Path, sqlite_url: str
) -> None:
    settings = make_settings(tmp_path, sqlite_url, login_attempts_per_ip=3)
    async with running(settings) as client:
        forged = ["203.0.113.1", "203.0.113.2", "198.51.100.7, 203.0.113.3", "2001:db8::1"]
        statuses = await _failed_logins(client, 5, forged)
    assert statuses == [401, 401, 401, 429, 429]


def _from_peer(app: Any, peer: str) -> Any:
    """The app as if every request came from ``peer`` (the test transport says "testclient")."""

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = {**scope, "client": (peer, 40000)}
        await app(scope, receive, send)

    return asgi


async def test_a_trusted_proxy_forwards_the_client_address(tmp_path: Path, sqlite_url: str) -> None:
    settings = make_settings(
        tmp_path, sqlite_url, login_attempts_per_ip=3, trusted_proxies=["10.0.0.0/8"]
    )
    app = app_for(settings)
    async with running(settings, _from_peer(app, "10.1.2.3")) as client:
        # Each client behind the proxy has its own budget...
        spread = await _failed_logins(client, 6, ["203.0.113.1", "203.0.113.2"])
        assert spread == [401] * 6
        # ...and a hop the client wrote itself in front of the proxy's entry changes nothing.
        same = await _failed_logins(
            client, 3, ["198.51.100.1, 203.0.113.9", "198.51.100.2, 203.0.113.9"]
        )
        assert same == [401, 401, 401]
        assert (await _failed_logins(client, 1, ["192.0.2.5, 203.0.113.9"])) == [429]
    async with running(settings, _from_peer(app_for(settings), "192.0.2.77")) as client:
        # A peer that is not a trusted proxy is counted as itself, whatever it forwards.
        assert (await _failed_logins(client, 4, ["203.0.113.1", "203.0.113.2"])) == [
            401,
            401,
            401,
            429,
        ]


def _connection(peer: str | None, forwarded: str | None = None) -> Any:
    headers = {"x-forwarded-for": forwarded} if forwarded is not None else {}
    return SimpleNamespace(
        client=SimpleNamespace(host=peer) if peer is not None else None, headers=headers
    )


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.5", "1.2.3.4", "203.0.113.5"),  # not a proxy: its header is ignored
        ("10.0.0.1", "1.2.3.4", "1.2.3.4"),
        ("10.0.0.1", "9.9.9.9, 1.2.3.4", "1.2.3.4"),  # the proxy appended the real one last
        ("10.0.0.1", "1.2.3.4, 10.0.0.2", "1.2.3.4"),  # two trusted hops
        ("10.0.0.1", "10.0.0.3, 10.0.0.2", "10.0.0.1"),  # only proxies: the peer
        ("10.0.0.1", None, "10.0.0.1"),
        ("10.0.0.1", "", "10.0.0.1"),
        ("10.0.0.1", "not-an-ip", "10.0.0.1"),
        ("10.0.0.1", "2001:db8::7", "2001:db8::7"),
        ("testclient", "1.2.3.4", "testclient"),
        (None, "1.2.3.4", None),
    ],
)
def test_client_ip_believes_trusted_proxies_only(
    peer: str | None, forwarded: str | None, expected: str | None
) -> None:
    trusted = trusted_networks(["10.0.0.0/8"])
    assert client_ip(_connection(peer, forwarded), trusted) == expected
    assert client_ip(_connection(peer, forwarded), ()) == peer
