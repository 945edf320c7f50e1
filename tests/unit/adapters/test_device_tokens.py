"""HmacDeviceTokens: a token verifies for its user until its lifetime ends; anything forged,
re-signed with another secret, from another version, malformed or too old does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elearn.adapters.security.device_tokens import HmacDeviceTokens

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LIFETIME = timedelta(days=90)
TOKENS = HmacDeviceTokens("a-secret-of-at-least-thirty-two-chars", lifetime=LIFETIME)


def test_a_token_verifies_for_its_user_until_its_lifetime_ends() -> None:
    user_id = uuid4()
    token = TOKENS.issue(user_id, NOW)

    claims = TOKENS.verify(token, NOW + LIFETIME)

    assert claims is not None and claims.user_id == user_id and claims.issued_at == NOW
    assert TOKENS.verify(token, NOW + LIFETIME + timedelta(seconds=1)) is None
    assert TOKENS.verify(token, NOW - timedelta(minutes=6)) is None  # from the future


def test_every_token_names_a_device_of_its_own() -> None:
    user_id = uuid4()
    first, second = (TOKENS.verify(TOKENS.issue(user_id, NOW), NOW) for _ in range(2))

    assert first and second and first.device_id != second.device_id


def test_another_secret_does_not_accept_it() -> None:
    token = TOKENS.issue(uuid4(), NOW)
    other = HmacDeviceTokens("another-secret-of-thirty-two-chars!!", lifetime=LIFETIME)

    assert other.verify(token, NOW) is None


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.replace("d1.", "d2.", 1),
        lambda t: t.rpartition(".")[0],
        lambda t: t + "x",
        lambda t: "x" * 201,
        lambda t: t.replace(t.split(".")[1], uuid4().hex),  # someone else's account
        lambda t: ".".join([*t.split(".")[:3], "99999999999", t.split(".")[4]]),
        lambda t: "",
        lambda t: "d1.é.x.1.y",
    ],
)
def test_a_changed_token_does_not_verify(change: object) -> None:
    token = TOKENS.issue(uuid4(), NOW)

    assert TOKENS.verify(change(token), NOW) is None  # type: ignore[operator]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=250))
def test_no_text_at_all_passes_for_a_token(text: str) -> None:
    assert TOKENS.verify(text, NOW) is None


@pytest.mark.parametrize("secret", ["", "short"])
def test_an_empty_or_short_secret_is_refused(secret: str) -> None:
    with pytest.raises(ValueError, match="32"):
        HmacDeviceTokens(secret, lifetime=LIFETIME)
