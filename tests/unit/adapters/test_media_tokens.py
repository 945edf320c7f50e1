"""HmacMediaTokens: a token it issued reads back as its grant until it expires; anything else,
however crafted, is refused with InvalidMediaToken and nothing but that."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import logging
import re
import struct
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elearn.adapters.security.media_tokens import MAX_TOKEN_CHARS, HmacMediaTokens
from elearn.application.learning.lessons import InvalidMediaToken
from elearn.application.learning.ports import MediaGrant, MediaSubject

SECRET = "test-only-media-secret-0123456789abcdef"
OTHER_SECRET = b"another-media-secret-0123456789abcdefgh"
NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
EXPIRES = NOW + timedelta(minutes=5)
USER = uuid.UUID("8d1c4f0e-3b7a-4c55-9d8e-2f6a1b0c9e77")
OTHER_USER = uuid.UUID("11111111-2222-4333-8444-555555555555")
LESSON = uuid.UUID("0b6f3a2e-7c1d-4e8f-9a0b-1c2d3e4f5a6b")
KEY = "lesson_media/2026/11/ab12cd34ef56ab12cd34ef56ab12cd34e9.mp4"
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")

TOKENS = HmacMediaTokens(SECRET)
GRANT = MediaGrant(USER, MediaSubject.LESSON, LESSON, KEY, EXPIRES)
VALID = TOKENS.issue(GRANT)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def refused(token: str, now: datetime = NOW) -> bool:
    try:
        TOKENS.read(token, now)
    except InvalidMediaToken:
        return True
    return False


# ---- the happy path --------------------------------------------------------------------------
def test_round_trip_with_a_user() -> None:
    assert TOKENS.read(VALID, NOW) == GRANT


def test_round_trip_anonymous_submission() -> None:
    grant = MediaGrant(None, MediaSubject.SUBMISSION, LESSON, "submissions/a-b_c.d/x.pdf", EXPIRES)
    assert TOKENS.read(TOKENS.issue(grant), NOW) == grant


def test_bytes_and_str_secrets_agree() -> None:
    assert HmacMediaTokens(SECRET.encode()).issue(GRANT) == VALID


def test_token_is_url_safe_and_compact() -> None:
    assert TOKEN_SHAPE.fullmatch(VALID)
    assert len(VALID) < 200


def test_a_unicode_key_survives() -> None:
    grant = MediaGrant(USER, MediaSubject.LESSON, LESSON, "lesson_media/Żółć/李.mp4", EXPIRES)
    assert TOKENS.read(TOKENS.issue(grant), NOW) == grant


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        HmacMediaTokens("too-short")


def test_naive_expiry_is_refused_when_issuing() -> None:
    with pytest.raises(ValueError):
        TOKENS.issue(MediaGrant(USER, MediaSubject.LESSON, LESSON, KEY, datetime(2026, 1, 1)))


def test_empty_key_is_refused_when_issuing() -> None:
    with pytest.raises(ValueError):
        TOKENS.issue(MediaGrant(USER, MediaSubject.LESSON, LESSON, "", EXPIRES))


# ---- expiry ----------------------------------------------------------------------------------
def test_valid_until_the_last_microsecond_before_expiry() -> None:
    assert TOKENS.read(VALID, EXPIRES - timedelta(microseconds=1)) == GRANT


def test_expired_at_exactly_expires_at() -> None:
    assert refused(VALID, EXPIRES)
    assert refused(VALID, EXPIRES + timedelta(days=1))


def test_sub_second_expiry_is_rounded_down() -> None:
    late = EXPIRES + timedelta(milliseconds=900)
    token = TOKENS.issue(MediaGrant(USER, MediaSubject.LESSON, LESSON, KEY, late))
    assert TOKENS.read(token, NOW).expires_at == EXPIRES
    assert refused(token, EXPIRES)  # not EXPIRES + 0.9 s: never outlives its grant


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        TOKENS.read(VALID, datetime(2026, 11, 22, 9, 30))


# ---- forgeries -------------------------------------------------------------------------------
def test_forged_signature_is_refused() -> None:
    payload, _ = VALID.split(".")
    assert refused(f"{payload}.{b64(bytes(32))}")
    assert refused(f"{payload}.{b64(hashlib.sha256(payload.encode()).digest())}")
    # Signed with the app secret directly, not with the derived media-token key.
    direct = hmac.new(SECRET.encode(), payload.encode(), hashlib.sha256).digest()
    assert refused(f"{payload}.{b64(direct)}")


def test_token_signed_with_another_secret_is_refused() -> None:
    assert refused(HmacMediaTokens(OTHER_SECRET).issue(GRANT))


def test_non_canonical_signature_spelling_is_refused() -> None:
    payload, signature = VALID.split(".")
    # 32 bytes leave 2 unused bits in the last character: other spellings decode the same.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(signature[-1])
    for low_bits in range(1, 4):
        twin = signature[:-1] + alphabet[(last & ~3) | low_bits ^ (last & 3)]
        assert unb64(twin) == unb64(signature)
        assert refused(f"{payload}.{twin}")


def tampered(change: slice, value: bytes) -> str:
    payload, signature = VALID.split(".")
    data = bytearray(unb64(payload))
    data[change] = value
    return f"{b64(bytes(data))}.{signature}"


def test_tampered_user_id_is_refused() -> None:
    assert refused(tampered(slice(3, 19), OTHER_USER.bytes))


def test_tampered_user_made_anonymous_is_refused() -> None:
    assert refused(tampered(slice(2, 19), bytes(17)))


def test_tampered_key_is_refused() -> None:
    assert refused(tampered(slice(43, None), b"lesson_media/2026/11/someone-elses.mp4"))


def test_tampered_expiry_is_refused() -> None:
    later = int((EXPIRES + timedelta(days=365)).timestamp())
    assert refused(tampered(slice(35, 43), struct.pack(">Q", later)))


def test_tampered_subject_is_refused() -> None:
    assert refused(tampered(slice(1, 2), b"\x02"))


def test_a_token_with_a_valid_signature_but_bad_contents_is_refused() -> None:
    """Whoever holds the key could only sign nonsense; the reader still refuses it."""
    tokens = HmacMediaTokens(SECRET)
    header = struct.Struct(">BBB16s16sQ")
    expiry = int(EXPIRES.timestamp())
    bad = [
        header.pack(2, 1, 1, USER.bytes, LESSON.bytes, expiry) + b"k",  # unknown version
        header.pack(1, 9, 1, USER.bytes, LESSON.bytes, expiry) + b"k",  # unknown subject
        header.pack(1, 1, 7, USER.bytes, LESSON.bytes, expiry) + b"k",  # unknown holder
        header.pack(1, 1, 0, USER.bytes, LESSON.bytes, expiry) + b"k",  # anonymous with an id
        header.pack(1, 1, 1, USER.bytes, LESSON.bytes, 2**64 - 1) + b"k",  # absurd expiry
        header.pack(1, 1, 1, USER.bytes, LESSON.bytes, expiry),  # no key
        header.pack(1, 1, 1, USER.bytes, LESSON.bytes, expiry) + b"\xff\xfe",  # not UTF-8
        b"\x01\x01",  # truncated
    ]
    for data in bad:
        payload = b64(data)
        assert refused(f"{payload}.{tokens._sign(payload)}"), data


@pytest.mark.parametrize(
    "token",
    [
        "",
        ".",
        "abc",
        "abc.",
        ".abc",
        "a.b.c",
        VALID + ".x",
        VALID.replace(".", ""),
        VALID + "=",
        VALID + "\n",
        " " + VALID,
        VALID.replace(".", "..", 1),
        "A.A",
        "ÄÖÜ.ÄÖÜ",
        "١٢٣.٤٥٦",  # non-ASCII digits
        "x" * (MAX_TOKEN_CHARS + 1),
        VALID.split(".")[0] + "." + "A" * (MAX_TOKEN_CHARS - len(VALID)),
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",  # a JWT
    ],
)
def test_malformed_tokens_are_refused(token: str) -> None:
    assert refused(token)


def test_oversized_token_is_refused_before_decoding() -> None:
    payload, signature = VALID.split(".")
    padded = payload + "A" * (MAX_TOKEN_CHARS - len(VALID) + 1)
    assert refused(f"{padded}.{signature}")


def test_nothing_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        TOKENS.read(VALID, NOW)
        refused("garbage")
        refused(VALID, EXPIRES)
        refused(tampered(slice(3, 19), OTHER_USER.bytes))
    assert caplog.records == []


# ---- one-time links --------------------------------------------------------------------------
LINK = uuid.UUID("5e0c2b9a-1d3f-4a6b-8c7d-9e0f1a2b3c4d")
ONE_TIME = MediaGrant(USER, MediaSubject.SUBMISSION, LESSON, KEY, EXPIRES, link_id=LINK)


def test_a_one_time_link_carries_its_id() -> None:
    token = TOKENS.issue(ONE_TIME)
    assert TOKENS.read(token, NOW) == ONE_TIME
    assert token != TOKENS.issue(dataclasses.replace(ONE_TIME, link_id=None))


def test_a_one_time_link_is_issued_to_a_user_only() -> None:
    with pytest.raises(ValueError, match="user"):
        TOKENS.issue(dataclasses.replace(ONE_TIME, user_id=None))


def test_a_one_time_link_made_a_plain_link_is_refused() -> None:
    payload, signature = TOKENS.issue(ONE_TIME).split(".")
    data = bytearray(unb64(payload))
    data[2] = 1  # holder: a user's plain link
    assert refused(f"{b64(bytes(data))}.{signature}")


def test_a_one_time_holder_without_room_for_its_id_is_refused() -> None:
    header = struct.Struct(">BBB16s16sQ")
    data = header.pack(1, 2, 2, USER.bytes, LESSON.bytes, int(EXPIRES.timestamp())) + LINK.bytes
    payload = b64(data)  # a link id and no key
    assert refused(f"{payload}.{TOKENS._sign(payload)}")


# ---- properties ------------------------------------------------------------------------------
grants = st.builds(
    MediaGrant,
    user_id=st.none() | st.uuids(),
    subject=st.sampled_from(MediaSubject),
    subject_id=st.uuids(),
    key=st.text(min_size=1, max_size=255),
    expires_at=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(9999, 12, 31),
        timezones=st.just(UTC),
    ),
)


@settings(max_examples=150, deadline=None)
@given(grants)
def test_every_grant_round_trips_to_the_second(grant: MediaGrant) -> None:
    token = TOKENS.issue(grant)
    assert TOKEN_SHAPE.fullmatch(token)
    read = TOKENS.read(token, datetime(1999, 1, 1, tzinfo=UTC))
    assert read == MediaGrant(
        grant.user_id,
        grant.subject,
        grant.subject_id,
        grant.key,
        grant.expires_at.replace(microsecond=0),
    )


@settings(max_examples=100, deadline=None)
@given(grants, st.uuids())
def test_every_one_time_link_round_trips_with_its_id(grant: MediaGrant, link: uuid.UUID) -> None:
    one_time = dataclasses.replace(grant, user_id=grant.user_id or USER, link_id=link)
    read = TOKENS.read(TOKENS.issue(one_time), datetime(1999, 1, 1, tzinfo=UTC))
    assert read == dataclasses.replace(one_time, expires_at=grant.expires_at.replace(microsecond=0))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300) | st.text(alphabet="AQgw_-.=09azAZ", max_size=300))
def test_arbitrary_text_is_refused_and_nothing_else(token: str) -> None:
    assert refused(token)


CHARS = st.characters(codec="utf-8") | st.sampled_from("Aa0_-.=")


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """The valid token after one to three random edits."""
    token = VALID
    for _ in range(draw(st.integers(1, 3))):
        n = len(token)
        kind = draw(st.sampled_from(["replace", "insert", "delete", "truncate", "flip", "swap"]))
        if n == 0:
            kind = "insert"
        i = draw(st.integers(0, max(n - 1, 0)))
        if kind == "replace":
            token = token[:i] + draw(CHARS) + token[i + 1 :]
        elif kind == "insert":
            token = token[:i] + draw(CHARS) + token[i:]
        elif kind == "delete":
            token = token[:i] + token[i + 1 :]
        elif kind == "truncate":
            token = token[:i]
        elif kind == "flip":
            token = token[:i] + chr(ord(token[i]) ^ draw(st.integers(1, 127))) + token[i + 1 :]
        else:
            j = draw(st.integers(0, n - 1))
            chars = list(token)
            chars[i], chars[j] = chars[j], chars[i]
            token = "".join(chars)
    return token


@settings(max_examples=400, deadline=None)
@given(mutated())
def test_a_mutated_token_never_validates_unless_identical(token: str) -> None:
    if token == VALID:  # a swap of equal characters, say
        assert TOKENS.read(token, NOW) == GRANT
    else:
        assert refused(token)
